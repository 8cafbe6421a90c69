"""The study's SuperNI instance selection, written as its released code does it, as an oracle.

hepengfe/parameter_efficient_instruction_tuning, util/ni_dataset.py: `_split_generators` seeds Python's
random with 42, shuffles list(range(2 * length)) and splits it into train/test indices; `_generate_examples`
uses those indices for tasks with at least 200 instances and range(100) / range(100, len) otherwise, keeping
only indices below the task's length. Here `length` (max_num_instances_per_task) and the seed are inputs.

Input: one JSON line {"task_file": path, "length": 100, "seed": 42}; output: {"train": [ids], "memorization": [ids]}.
"""
import json
import random
import sys

for line in sys.stdin:
    if not line.strip():
        continue
    q = json.loads(line)
    length = q["length"]
    random.seed(q["seed"])
    numbers = list(range(2 * length))
    random.shuffle(numbers)
    train_indices, test_indices = numbers[:length], numbers[length:]
    with open(q["task_file"], encoding="utf-8") as f:
        all_instances = json.loads(f.read())["Instances"]
    if len(all_instances) < 2 * length:  # the released code writes 200 for its length of 100
        train_indices = list(range(length))
        test_indices = list(range(length, len(all_instances)))
    train = [all_instances[i]["id"] for i in train_indices if i < len(all_instances)]
    held = [all_instances[i]["id"] for i in test_indices if i < len(all_instances)]
    print(json.dumps({"train": train, "memorization": held}))
