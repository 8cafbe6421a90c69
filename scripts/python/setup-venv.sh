#!/usr/bin/env bash
# Creates .venv (the Python that tests use as .venv/bin/python for oracles: NLTK, pyarrow, tensorboard,
# transformers/peft) from this machine's local package index. Usage: bash scripts/python/setup-venv.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# Where this workplace's local package indexes exist, use only them: pip would otherwise spend minutes
# retrying an unreachable public index. Elsewhere, pip's own configuration applies.
index=()
if [ -d /opt/pypi/simple ]; then
  index=(--index-url file:///opt/pypi/simple)
  [ -d /opt/pypi-more/simple ] && index+=(--extra-index-url file:///opt/pypi-more/simple)
fi
.venv/bin/pip install --quiet "${index[@]}" -r scripts/python/requirements.txt
.venv/bin/python -c 'import torch, transformers, peft, nltk, pyarrow, tensorboard; print("python oracles ready: torch", torch.__version__)'
