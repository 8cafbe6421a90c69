"""pyarrow as the independent reader of the Arrow files peft-native writes (a sweep's results.arrow).

One JSON object per input line, {"file": path}; one JSON line out:
  {"columns": [names], "types": {name: str(type)}, "metadata": {key: value}, "rows": table.to_pylist()}
"""
import json
import sys

import pyarrow as pa

for line in sys.stdin:
    if not line.strip():
        continue
    q = json.loads(line)
    with pa.memory_map(q["file"]) as source:
        table = pa.ipc.open_file(source).read_all()
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    print(json.dumps({
        "columns": table.column_names,
        "types": {f.name: str(f.type) for f in table.schema},
        "metadata": meta,
        "rows": table.to_pylist(),
    }))
