#!/usr/bin/env bash
# Creates .venv (the Python that tests use as .venv/bin/python for oracles: NLTK, pyarrow, tensorboard,
# transformers/peft), with packages from pip's configured index (PIP_INDEX_URL, pip.conf).
# Usage: bash scripts/python/setup-venv.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install --quiet -r scripts/python/requirements.txt
.venv/bin/python -c 'import torch, transformers, peft, nltk, pyarrow, tensorboard; print("python oracles ready: torch", torch.__version__)'
