#!/usr/bin/env bash
# Builds the fallback PTX (compute_80) of every CUDA C source into the class output folder.
# Usage: build-ptx.sh <source dir> <output dir>. Without nvcc it prints why and succeeds:
# the jar then carries no PTX and the CUDA backend needs NVRTC at run time.
set -euo pipefail
shopt -s nullglob
src="$1"; out="$2"
if ! command -v nvcc >/dev/null 2>&1; then
  echo "[tessera-kernels] nvcc not found: building without the compute_80 PTX fallback (NVRTC will be required at run time)"
  exit 0
fi
mkdir -p "$out"
for cu in "$src"/*.cu; do
  name=$(basename "$cu" .cu)
  ptx="$out/$name.ptx"
  # skip when the PTX is newer than the source and the shared header
  if [[ -f "$ptx" && "$ptx" -nt "$cu" && "$ptx" -nt "$src/common.cuh" ]]; then continue; fi
  nvcc -ptx -arch=compute_80 -std=c++17 -I "$src" -o "$ptx" "$cu"
done
