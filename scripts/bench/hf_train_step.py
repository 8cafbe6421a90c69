#!/usr/bin/env python3
"""One training step of a Llama or T5 config in HF transformers (+ peft for LoRA), timed.

    .venv/bin/python scripts/bench/hf_train_step.py --method lora \
        --config scripts/bench/configs/llama-small.json --batch 2 --seq 64 \
        --steps 3 --warmup 1 --threads 2

Each step is: zero_grad, forward with labels (= input_ids; for T5 random targets of
--target-len tokens, default seq / 8), backward,
clip_grad_norm_(1.0), AdamW.step.  Steps after the warmup are timed with
time.perf_counter.  Prints exactly ONE line of JSON on stdout:

    {"tool":"hf","method":...,"stepTimesMs":[...],"tokensPerStep":B*T,
     "peakRssMb":...,"trainable":n,"total":n,"torch":...,"transformers":...,"peft":...}

(plus a few informational fields); everything else goes to stderr.
scripts/bench/native-train-step.mjs takes the same flags and prints the same
line with "tool":"peft-native"; scripts/bench/compare-train-step.mjs runs both.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", choices=["lora", "full"], required=True)
    ap.add_argument("--config", required=True, help="path to an HF (Llama) config.json")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256, help="tokens per row (T5: the source)")
    ap.add_argument("--target-len", type=int, default=0, help="T5: target tokens per row (0 = seq / 8)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps before the timed ones")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16)
    ap.add_argument("--target-modules", default="q_proj,v_proj")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: autocast to bfloat16 with float32 master weights (as peft-native --precision bf16)")
    ap.add_argument("--labels", choices=["superni", "all"], default="superni",
                    help="decoders: superni trains the last 15%% of each row (the prompt masked, as instruction data), all every token")
    ap.add_argument("--base-dtype", choices=["fp32", "bf16"], default="",
                    help="LoRA: how the frozen base is stored (default: bf16 under --precision bf16); PEFT keeps the adapters float32")
    args = ap.parse_args(argv)
    if not args.base_dtype:
        args.base_dtype = args.precision
    for k in ("batch", "seq", "steps", "threads", "rank"):
        if getattr(args, k) < 1:
            ap.error(f"--{k} must be >= 1")
    if args.warmup < 0:
        ap.error("--warmup must be >= 0")
    return args


def main():
    args = parse_args()
    # Keep stdout clean for the single JSON line: anything a library prints goes to stderr.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr

    import torch

    torch.set_num_threads(args.threads)

    import peft
    import transformers
    from transformers import AutoConfig, LlamaForCausalLM, T5ForConditionalGeneration

    transformers.logging.set_verbosity_error()

    torch.manual_seed(args.seed)
    config = AutoConfig.from_pretrained(args.config)
    config.use_cache = False  # training: no KV cache
    seq2seq = config.model_type == "t5"
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {args.device}: this torch has no usable CUDA")
    model = (T5ForConditionalGeneration if seq2seq else LlamaForCausalLM)(config).to(torch.float32)
    if seq2seq and not config.scale_decoder_outputs:
        # transformers 5 ties lm_head at construction even for tie_word_embeddings: false; a v1.1 checkpoint
        # loads untied (its own lm_head.weight), which is the model peft-native builds from this config.
        model.lm_head.weight = torch.nn.Parameter(model.shared.weight.detach().clone())
    model = model.to(device)
    attn = model.config._attn_implementation
    log(f"[hf] attn_implementation={attn} threads={torch.get_num_threads()} "
        f"torch={torch.__version__} transformers={transformers.__version__} peft={peft.__version__}")

    if args.method == "lora":
        from peft import LoraConfig, get_peft_model

        if args.base_dtype == "bf16":
            # The base in bfloat16; get_peft_model's autocast_adapter_dtype (default True) keeps the adapters float32.
            model = model.to(torch.bfloat16)

        targets = [t.strip() for t in args.target_modules.split(",") if t.strip()]
        lcfg = LoraConfig(
            r=args.rank,
            lora_alpha=args.alpha,
            target_modules=targets,
            lora_dropout=0.0,
            bias="none",
            # T5: no task type (PeftModelForSeq2SeqLM of peft 0.21 does not load with transformers 5); the
            # LoRA layers and the forward are the same.
            task_type=None if seq2seq else "CAUSAL_LM",
        )
        model = get_peft_model(model, lcfg)
        trainable, total = model.get_nb_trainable_parameters()
    else:
        total = sum(p.numel() for p in model.parameters())
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log(f"[hf] method={args.method} trainable={trainable} total={total}")

    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)

    g = torch.Generator().manual_seed(args.seed + 1)
    input_ids = torch.randint(0, config.vocab_size, (args.batch, args.seq), generator=g).to(device)
    target_len = (args.target_len or max(1, args.seq // 8)) if seq2seq else 0
    labels = torch.randint(0, config.vocab_size, (args.batch, target_len), generator=g).to(device) if seq2seq else input_ids.clone()
    if not seq2seq and args.labels == "superni":
        # peft-native's benchLabels (src/bench/labels.ts): the last ceil(0.15 * seq) positions of each row trained.
        labels[:, : args.seq - max(1, math.ceil(0.15 * args.seq))] = -100
    bf16 = args.precision == "bf16"

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = model(input_ids=input_ids, labels=labels, use_cache=False)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        loss = out.loss.detach().item()
        if device.type == "cuda":
            torch.cuda.synchronize(device)  # the optimizer step is done too, as peft-native's step
        return loss

    times = []
    losses = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        loss = step()
        dt = (time.perf_counter() - t0) * 1000.0
        losses.append(loss)
        if i >= args.warmup:
            times.append(dt)
        log(f"[hf] step {i}{' (warmup)' if i < args.warmup else ''}: {dt:.1f} ms loss={loss:.4f}")

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    cuda = device.type == "cuda"
    peak_cuda_alloc_mb = torch.cuda.max_memory_allocated(device) / 2**20 if cuda else None
    peak_cuda_reserved_mb = torch.cuda.max_memory_reserved(device) / 2**20 if cuda else None
    result = {
        "tool": "hf",
        "method": args.method,
        "stepTimesMs": [round(t, 3) for t in times],
        "tokensPerStep": args.batch * args.seq,
        "peakRssMb": round(peak_rss_mb, 1),
        "peakCudaAllocatedMb": round(peak_cuda_alloc_mb, 1) if cuda else None,
        "peakCudaReservedMb": round(peak_cuda_reserved_mb, 1) if cuda else None,
        "device": str(device),
        "precision": args.precision,
        "baseDtype": args.base_dtype if args.method == "lora" else "fp32",
        "labels": args.labels,
        "trainable": int(trainable),
        "total": int(total),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "attnImplementation": attn,
        "threads": torch.get_num_threads(),
        "batch": args.batch,
        "seq": args.seq,
        "targetLen": target_len if seq2seq else None,
        "losses": [round(l, 5) for l in losses],
    }
    real_stdout.write(json.dumps(result) + "\n")
    real_stdout.flush()


if __name__ == "__main__":
    main()
