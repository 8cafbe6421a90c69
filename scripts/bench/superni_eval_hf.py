#!/usr/bin/env python3
"""One side of scripts/bench/superni-eval.mjs: HF transformers `generate` over a prepared SuperNI evaluation in
fixed left-padded batches (greedy), the prompts sorted by length as peft-native sorts them (longest first).

    .venv/bin/python scripts/bench/superni_eval_hf.py --model <HF dir> --prompts <prepared.json> --out <ids.json> \
        [--batch 16] [--threads 2] [--device cpu|cuda|cuda:N]

Writes {rows: [[new ids without the EOS], ...], stoppedAtEos: [...]} (prompt order) to --out and prints ONE JSON
line on stdout: {"tool":"hf","generateMs":...}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch
import transformers
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    transformers.logging.set_verbosity_error()
    prepared = json.load(open(a.prompts))
    prompts, eos, pad, max_new = prepared["prompts"], prepared["eosId"], prepared["padId"], prepared["maxNewTokens"]
    device = torch.device(a.device)
    model = AutoModelForCausalLM.from_pretrained(a.model, attn_implementation="sdpa", torch_dtype=torch.float32).to(device).eval()
    # Longest first, ties in prompt order: the order of generateTokens.
    order = sorted(range(len(prompts)), key=lambda i: (-len(prompts[i]), i))
    rows = [None] * len(prompts)
    stopped = [False] * len(prompts)
    t0 = time.perf_counter()
    for start in range(0, len(order), a.batch):
        batch = order[start:start + a.batch]
        width = max(len(prompts[i]) for i in batch)
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for b, i in enumerate(batch):
            p = prompts[i]
            ids[b, width - len(p):] = torch.tensor(p)
            mask[b, width - len(p):] = 1
        with torch.inference_mode():
            out = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                                 max_new_tokens=max_new, eos_token_id=eos, pad_token_id=pad).cpu()
        for b, i in enumerate(batch):
            new = out[b, width:].tolist()
            if eos in new:
                rows[i], stopped[i] = new[:new.index(eos)], True
            else:
                rows[i] = new
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    generate_ms = (time.perf_counter() - t0) * 1000
    json.dump({"rows": rows, "stoppedAtEos": stopped}, open(a.out, "w"))
    print(json.dumps({"tool": "hf", "generateMs": generate_ms, "threads": a.threads, "torch": torch.__version__,
                      "transformers": transformers.__version__}))


if __name__ == "__main__":
    sys.exit(main())
