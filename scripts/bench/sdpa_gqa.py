"""Grouped-query attention in libtorch's SDPA: K/V copied per query head (what the decoder did before) against
SDPA's enable_gqa (what it does now), forward + backward, causal and with an explicit mask, in one process.

    .venv/bin/python scripts/bench/sdpa_gqa.py [--batch 4] [--heads 16] [--kv-heads 4] [--seq 256] [--head-dim 64]
"""
import argparse
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=4)
p.add_argument("--heads", type=int, default=16)
p.add_argument("--kv-heads", type=int, default=4)
p.add_argument("--seq", type=int, default=256)
p.add_argument("--head-dim", type=int, default=64)
p.add_argument("--repeats", type=int, default=10)
a = p.parse_args()
b, h, kvh, t, d = a.batch, a.heads, a.kv_heads, a.seq, a.head_dim
torch.manual_seed(0)
mask = torch.ones(b, 1, t, t, dtype=torch.bool).tril()


def repeat_kv(x):
    return x.unsqueeze(2).expand(b, kvh, h // kvh, t, d).reshape(b, h, t, d)


def step(kind, masked, q, k, v):
    m = mask if masked else None
    if kind == "copy":
        out = F.scaled_dot_product_attention(q, repeat_kv(k), repeat_kv(v), attn_mask=m, is_causal=not masked)
    else:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=not masked, enable_gqa=True)
    out.sum().backward()
    return out


print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {b}, heads {h}/{kvh}, seq {t}, head dim {d}")
for masked in (False, True):
    q = torch.randn(b, h, t, d, requires_grad=True)
    k = torch.randn(b, kvh, t, d, requires_grad=True)
    v = torch.randn(b, kvh, t, d, requires_grad=True)
    same = (step("copy", masked, q, k, v) - step("gqa", masked, q, k, v)).abs().max().item()
    ms = {}
    for kind in ("copy", "gqa", "copy", "gqa"):  # interleaved; the second of each is kept
        t0 = time.perf_counter()
        for _ in range(a.repeats):
            step(kind, masked, q, k, v)
        ms[kind] = (time.perf_counter() - t0) / a.repeats * 1000
    print(f"{'explicit mask' if masked else 'causal'}: copy {ms['copy']:.1f} ms, enable_gqa {ms['gqa']:.1f} ms, "
          f"{ms['copy'] / ms['gqa']:.2f}x; max |difference| {same:.1e}")
