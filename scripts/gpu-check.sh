#!/usr/bin/env bash
# The GPU check, in one go, for a machine with an NVIDIA GPU, Python + a CUDA PyTorch, nvcc and CMake but no
# Node.js (the device tool's H200). Run from the repository root with .gpu-bundle/ and dist/ present
# (bash scripts/gpu/make-bundle.sh makes both; copy .gpu-bundle and dist to the GPU machine with the checkout):
#   1. unpacks Node.js and node_modules from .gpu-bundle/
#   2. builds the addon against the machine's CUDA PyTorch (scripts/native/build.mjs finds it through python3)
#   3. runs the tests that exercise CUDA: test/cuda.test.ts, and the HF comparisons of parity/generate on CUDA
#   4. peft-native bench on the ~1B built-in model in bf16, every method, each in a fresh process
#   5. scripts/bench/compare-train-step.mjs: peft-native vs HF transformers + peft, LoRA and full, same config,
#      on SuperNI-shaped batches (the LoRA base in bf16 under bf16, as HF's bf16 model with float32 adapters)
#   6. scripts/bench/profile-step.mjs: the operators of a LoRA and a full step
#   7. scripts/bench/superni-eval.mjs: a SuperNI evaluation (1,000 instances, greedy, 128 new tokens) of a briefly
#      finetuned built-in model, peft-native's continuous batching (with and without shared prefixes) and fixed
#      batches vs HF generate, same ids (in summary.txt)
#   8. data parallelism: `train --nproc 2` (one GPU per worker, NCCL) against one process, their losses compared;
#      said and skipped on a machine with fewer than 2 GPUs
# Everything lands in $OUT (default ./gpu-check-out), at most 8 files, one folder deep:
#   summary.txt (phases, exit codes, times, GPU and addon info), gpu-check.log (all output), tests.json,
#   bench.json, bench.svg, compare.md, compare.json, profile.md.
# Each phase has a time limit; a failed phase is reported and the next one still runs.
# GPU_CHECK_DEVICE=cpu GPU_CHECK_MODEL=tiny ... runs the same flow on the CPU (to check this script itself).
set -uo pipefail
cd "$(dirname "$0")/.."

OUT="${OUT:-$PWD/gpu-check-out}"
DEVICE="${GPU_CHECK_DEVICE:-cuda}"
MODEL="${GPU_CHECK_MODEL:-1b}"
HF_CONFIG="${GPU_CHECK_HF_CONFIG:-scripts/bench/configs/llama-1b.json}"
BATCH="${GPU_CHECK_BATCH:-8}"
SEQ="${GPU_CHECK_SEQ:-1024}"
PRECISION="${GPU_CHECK_PRECISION:-bf16}"
METHODS="${GPU_CHECK_METHODS:-full,lora:r=8,lora:r=64,ia3,adapter:size=64,bitfit,prompt:n=20,prefix:n=20}"
mkdir -p "$OUT"
summary="$OUT/summary.txt"
logfile="$OUT/gpu-check.log"
: > "$summary"
: > "$logfile"
say() { echo "[gpu-check $(date +%T)] $*" | tee -a "$summary"; }
failures=0

# phase NAME SECONDS COMMAND...: runs the command with a time limit, its output into gpu-check.log.
phase() {
  local name=$1 limit=$2 start rc
  shift 2
  start=$(date +%s)
  echo "===== $name: $*" >> "$logfile"
  timeout --kill-after=10 "$limit" "$@" >> "$logfile" 2>&1
  rc=$?
  say "$name: exit $rc after $(( $(date +%s) - start )) s$([ $rc -eq 124 ] && echo " (time limit $limit s)")"
  [ $rc -eq 0 ] || failures=$((failures + 1))
  return $rc
}

say "device $DEVICE, model $MODEL, batch $BATCH x $SEQ, $PRECISION; repo $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/GPU: /' | tee -a "$summary"
python3 -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 | tee -a "$summary"

# 1. Node.js and node_modules (unless this machine already has them).
if ! command -v node > /dev/null; then
  [ -f .gpu-bundle/node.xz ] || { say "no node and no .gpu-bundle/node.xz: run scripts/gpu/make-bundle.sh and copy .gpu-bundle along"; exit 1; }
  mkdir -p /tmp/peft-native-node/bin
  xz -dc .gpu-bundle/node.xz > /tmp/peft-native-node/bin/node && chmod +x /tmp/peft-native-node/bin/node
  export PATH="/tmp/peft-native-node/bin:$PATH"
fi
if [ ! -d node_modules ]; then
  [ -f .gpu-bundle/node_modules.tar.xz ] || { say "no node_modules and no .gpu-bundle/node_modules.tar.xz"; exit 1; }
  tar -xJf .gpu-bundle/node_modules.tar.xz
fi
[ -f dist/cli/main.js ] || { say "dist/ is missing: copy it along (scripts/gpu/make-bundle.sh compiles it)"; exit 1; }
say "node $(node --version)"

# 2. The addon, against python3's torch (CUDA when that torch has it). Hopper: sm_90.
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
export PEFT_NATIVE_PARALLEL="${PEFT_NATIVE_PARALLEL:-$(nproc)}"
phase build "${GPU_CHECK_BUILD_LIMIT:-420}" node scripts/native/build.mjs || { say "build failed: see gpu-check.log"; exit 1; }
node dist/cli/main.js info 2>&1 | tee -a "$summary"

# 3. Tests on the device (PEFT_NATIVE_TEST_DEVICE picks test/cuda.test.ts's device).
if [ "$DEVICE" = cpu ]; then test_device=cpu; else test_device=cuda:0; fi
PEFT_NATIVE_TEST_DEVICE="$test_device" phase tests 300 node node_modules/vitest/vitest.mjs run \
  test/cuda.test.ts test/parity.test.ts test/generate.test.ts test/device.test.ts \
  --reporter=default --reporter=json --outputFile="$OUT/tests.json"
[ -s "$OUT/tests.json" ] && node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
for (const f of r.testResults) for (const t of f.assertionResults) if (t.status === "failed") console.log(`  FAILED ${t.fullName}: ${(t.failureMessages[0] || "").split("\n")[0]}`);
' "$OUT/tests.json" | tee -a "$summary"

# 4. peft-native bench: every method in its own process; MFU against a measured bf16 GEMM peak.
phase bench 420 node dist/cli/main.js bench --device "$DEVICE" --model "$MODEL" --precision "$PRECISION" \
  --methods "$METHODS" --batch-size "$BATCH" --seq-len "$SEQ" --steps 10 --warmup 3 --out "$OUT/bench"
if [ -f "$OUT/bench/bench.json" ]; then
  mv "$OUT/bench/bench.json" "$OUT/bench/bench.svg" "$OUT/" && rmdir "$OUT/bench"
  # The table as the command printed it.
  awk '/^method /,/^MFU against/' "$logfile" | tee -a "$summary"
fi

# 5. Side by side with HF transformers + peft (python3 of this machine), alternating, fresh processes.
phase compare 420 node scripts/bench/compare-train-step.mjs --python python3 --device "$DEVICE" --precision "$PRECISION" \
  --config "$HF_CONFIG" --batch "$BATCH" --seq "$SEQ" --steps 10 --warmup 3 --rounds 1 --methods lora,full \
  --json-out "$OUT/compare.json"
awk '/^## Training-step benchmark/,0' "$logfile" > "$OUT/compare.md"
cat "$OUT/compare.md" >> "$summary"

# 6. Where a step's time goes (libtorch's profiler; on CUDA the host side of each operator).
phase profile 180 bash -c "node scripts/bench/profile-step.mjs --device '$test_device' --precision '$PRECISION' --config '$HF_CONFIG' \
  --batch '$BATCH' --seq '$SEQ' --warmup 2 --steps 2 > '$OUT/profile.md'"

# 7. SuperNI evaluation: a model that answers with EOS (40 steps of the built-in tiny Llama on the bundled tasks).
eval_model="$(mktemp -d)/tiny-superni"
phase eval-model 180 node dist/cli/main.js train --model builtin:tiny --data superni:assets/superni-mini --method full \
  --steps 40 --device "$test_device" --out "$eval_model" --quiet \
  && phase eval 300 bash -c "node scripts/bench/superni-eval.mjs --python python3 --model '$eval_model' --instances 1000 --rounds 1 \
  --device '$test_device' --native-fixed --native-unshared | tee -a '$summary'"

# 8. Data parallelism: 2 workers (on CUDA one GPU each, NCCL collectives) against one process, same global batch.
gpus=0
if [ "$DEVICE" != cpu ]; then gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true); fi
if [ "$DEVICE" != cpu ] && [ "$gpus" -lt 2 ]; then
  say "data-parallel: not run: NCCL needs one GPU per worker and this machine has $gpus"
else
  dp="$(mktemp -d)"
  if [ "$DEVICE" = cpu ]; then dp_device=cpu; one_device=cpu; else dp_device=cuda; one_device=cuda:0; fi
  common=(--model builtin:tiny --method lora --steps 8 --batch-size 8 --grad-accum 2 --seed 3 --quiet)
  phase dp-one 180 node dist/cli/main.js train "${common[@]}" --device "$one_device" --out "$dp/one" \
    && phase dp-two 240 node dist/cli/main.js train "${common[@]}" --device "$dp_device" --nproc 2 --out "$dp/two" \
    && node -e '
const fs = require("fs");
const losses = (d) => fs.readFileSync(`${d}/metrics.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l).loss);
const [a, b] = [losses(process.argv[1]), losses(process.argv[2])];
const diff = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
console.log(`data-parallel: 2 workers vs 1 process over ${a.length} steps: largest loss difference ${diff.toExponential(2)}`);
' "$dp/one" "$dp/two" 2>&1 | tee -a "$summary"
fi

say "done: $failures phase(s) failed"
exit $(( failures > 0 ))
