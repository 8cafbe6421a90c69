#!/usr/bin/env python3
"""Greedy generation throughput of a Llama config in HF transformers: the twin of native-generate.mjs.

    .venv/bin/python scripts/bench/generate_throughput.py --config scripts/bench/configs/llama-small.json \
        --batch 16 --prompt 64 --new 32 --runs 3 --threads 2

Random weights (seeded), random prompts of --prompt tokens (no padding), `model.generate(do_sample=False,
max_new_tokens=--new)` with no EOS, so every row makes exactly --new tokens. One untimed warmup call, then
--runs timed calls. Prints ONE JSON line on stdout:
    {"tool":"hf","batch":B,"newTokens":N,"runTimesMs":[...],"tokensPerSec":median B*N/time,...}
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    transformers.logging.set_verbosity_error()
    torch.manual_seed(a.seed)
    config = AutoConfig.from_pretrained(a.config)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa").float().eval()
    g = torch.Generator().manual_seed(a.seed + 1)
    ids = torch.randint(3, config.vocab_size, (a.batch, a.prompt), generator=g)
    gen = GenerationConfig(do_sample=False, max_new_tokens=a.new, min_new_tokens=a.new, eos_token_id=None, pad_token_id=0)
    model.generation_config.eos_token_id = None

    def once():
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=gen)
        assert out.shape == (a.batch, a.prompt + a.new), out.shape

    once()
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        once()
        times.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(times)
    print(json.dumps({"tool": "hf", "batch": a.batch, "promptTokens": a.prompt, "newTokens": a.new, "runTimesMs": times,
                      "tokensPerSec": a.batch * a.new / (med / 1000), "threads": a.threads, "torch": torch.__version__,
                      "transformers": transformers.__version__}))


if __name__ == "__main__":
    sys.exit(main())
