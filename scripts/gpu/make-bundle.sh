#!/usr/bin/env bash
# Packs what a GPU machine without Node.js needs for scripts/gpu-check.sh into .gpu-bundle/ (ignored by git):
# this machine's node binary and the npm packages (runtime, build and vitest; not TypeScript, not other
# platforms' prebuilt binaries), both xz-compressed. Also compiles dist/. Copy `.gpu-bundle` and `dist` to the GPU machine with the checkout.
# Usage: bash scripts/gpu/make-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

[ -d node_modules ] || { echo "make-bundle: node_modules is missing: run npm ci first" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "make-bundle: the GPU machine is x86-64; this machine is $(uname -m)" >&2; exit 1; }

npx tsc -p tsconfig.json
out=.gpu-bundle
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > "$out.tmp/node.xz"
# Everything under node_modules but the TypeScript compilers and tokenizers' binaries for other platforms.
find node_modules \( -path node_modules/typescript -o -path node_modules/@typescript \) -prune -o \
  \( -name 'tokenizers.*.node' ! -name 'tokenizers.linux-x64-gnu.node' \) -prune -o \( -type f -o -type l \) -print |
  tar -cf - --no-recursion -T - | xz -T0 -6 > "$out.tmp/node_modules.tar.xz"
rm -rf "$out" && mv "$out.tmp" "$out"
du -sb "$out"/* dist | awk '{ printf "%s %.1f MiB\n", $2, $1 / 1048576 }'
echo "make-bundle: copy .gpu-bundle and dist to the GPU machine with the checkout and run: bash scripts/gpu-check.sh"
