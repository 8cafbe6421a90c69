#!/usr/bin/env bash
# Creates .venv (the Python that tests use as .venv/bin/python for oracles: NLTK, pyarrow, tensorboard,
# transformers/peft) from this machine's local package index. Usage: bash scripts/python/setup-venv.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# The local indexes only: pip would otherwise spend minutes retrying an unreachable public index.
.venv/bin/pip install --quiet --index-url file:///opt/pypi/simple --extra-index-url file:///opt/pypi-more/simple \
  -r scripts/python/requirements.txt
.venv/bin/python -c 'import torch, transformers, peft, nltk, pyarrow, tensorboard; print("python oracles ready: torch", torch.__version__)'
