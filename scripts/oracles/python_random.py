"""CPython's own `random`, as the oracle for src/data/python-random.ts.

One JSON object per input line, one JSON line out:
  {"op": "getrandbits", "seed": s, "k": k, "count": c}  -> [random.getrandbits(k) for _ in range(c)] after random.seed(s)
  {"op": "randbelow", "seed": s, "n": n, "count": c}    -> [random._randbelow(n) ...]
  {"op": "shuffle", "seed": s, "n": n}                  -> list(range(n)) after random.shuffle
"""
import json
import random
import sys

for line in sys.stdin:
    if not line.strip():
        continue
    q = json.loads(line)
    r = random.Random(q["seed"])
    if q["op"] == "getrandbits":
        out = [r.getrandbits(q["k"]) for _ in range(q["count"])]
    elif q["op"] == "randbelow":
        out = [r._randbelow(q["n"]) for _ in range(q["count"])]
    elif q["op"] == "shuffle":
        out = list(range(q["n"]))
        r.shuffle(out)
    else:
        raise ValueError(q["op"])
    print(json.dumps(out))
