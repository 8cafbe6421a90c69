#!/usr/bin/env bash
# Installs the CUDA build tier project-locally into .deps/cuda-build/: a CUDA 13 torch (headers, CMake files,
# libtorch_cuda.so to link against), the NCCL wheel that torch names and the cublas/cusparse/cusolver headers
# (ProcessGroupNCCL.hpp includes nccl.h and ATen's CUDA context, which includes those) and a CMake new enough to
# compile CUDA as C++20.
# `--no-deps`: torch's runtime dependencies (the nvidia-* CUDA libraries, about 4.4 GB) are only needed to
# load the addon, not to compile and link it, and are not installed. Idempotent: an install already in place
# is kept. Prints the folder holding the cmake binary on its last line.
# Usage: bash scripts/cuda/setup-cuda-build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

torch_version=2.14.1
cmake_version=3.31.10
target=.deps/cuda-build
python=${PYTHON:-python3}
cmake_bin="$target/cmake/data/bin"

installed() {
  grep -Eq "^__version__ = '$torch_version[+']" "$target/torch/version.py" 2>/dev/null &&
    [ -f "$target/torch/lib/libtorch_cuda.so" ] &&
    [ -f "$target/torch/share/cmake/Torch/TorchConfig.cmake" ] &&
    [ -f "$target/nvidia/nccl/include/nccl.h" ] &&
    [ -f "$target/nvidia/cu13/include/cusparse.h" ] &&
    "$cmake_bin/cmake" --version 2>/dev/null | grep -q "cmake version $cmake_version"
}

if installed; then
  echo "peft-native: CUDA build tier already in $target (torch $torch_version, cmake $cmake_version)" >&2
else
  # Install next to the target and move it into place, so an interrupted install never looks complete.
  staging="$target.partial"
  rm -rf "$staging"
  echo "peft-native: installing torch==$torch_version and cmake==$cmake_version into $target" >&2
  if ! "$python" -m pip install --quiet --no-deps --disable-pip-version-check --target "$staging" \
      "torch==$torch_version" "cmake==$cmake_version" >&2; then
    rm -rf "$staging"
    echo "peft-native: pip could not install torch==$torch_version and cmake==$cmake_version ($python -m pip)." >&2
    echo "Both must be available from the package index (torch: the CUDA 13 Linux wheel)." >&2
    exit 1
  fi
  # The NCCL version torch was built against, from its own metadata.
  nccl=$(grep -Eo '^Requires-Dist: nvidia-nccl-cu[0-9]+==[0-9.]+' "$staging"/torch-*.dist-info/METADATA | head -1 | cut -d' ' -f2 || true)
  if [ -z "$nccl" ] || ! "$python" -m pip install --quiet --no-deps --disable-pip-version-check --target "$staging" "$nccl" >&2; then
    rm -rf "$staging"
    echo "peft-native: pip could not install the NCCL wheel torch==$torch_version names (${nccl:-none found in its METADATA})." >&2
    exit 1
  fi
  # The cublas/cusparse/cusolver headers ATen's CUDA headers include (ProcessGroupNCCL.hpp reaches them).
  if ! "$python" scripts/cuda/fetch-cuda-headers.py "$staging" >&2; then
    rm -rf "$staging"
    echo "peft-native: the CUDA library headers torch==$torch_version needs could not be fetched (see above)." >&2
    exit 1
  fi
  rm -rf "$target"
  mv "$staging" "$target"
  if ! installed; then
    echo "peft-native: $target is incomplete after pip install (expected torch $torch_version with" >&2
    echo "lib/libtorch_cuda.so and share/cmake/Torch, nvidia/nccl/include/nccl.h, nvidia/cu13/include/cusparse.h, and $cmake_bin/cmake $cmake_version): is this a CPU torch wheel?" >&2
    exit 1
  fi
fi
echo "$PWD/$cmake_bin"
