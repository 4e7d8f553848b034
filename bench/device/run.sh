#!/usr/bin/env bash
# On the GPU machine: find NVIDIA's Vulkan driver, then time the pipeline, the bench's training
# rows, and train both presets.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1)
if [ -z "$icd" ]; then
  glx=$(ldconfig -p | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')
  [ -z "$glx" ] && glx=$(find / -name 'libGLX_nvidia.so.0*' 2>/dev/null | head -1)
  echo "libGLX_nvidia: ${glx:-none}"
  if [ -n "$glx" ]; then
    icd="$here/nvidia_icd.json"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" > "$icd"
  fi
fi
echo "ICD: ${icd:-none}"
[ -n "$icd" ] && export VK_ICD_FILENAMES="$icd"
cd "$here/app"
timeout 240 "$here/node" gpu-timing.mjs 2>&1 | grep -v '^Warning'
# The bench's training rows (natural 400 iterations, MNIST 50) with their lower bound and overhead.
timeout 120 "$here/node" training-rows.mjs natural,mnist 20 2>&1 | grep -v '^Warning' | tee "$OUT/training-rows.txt"
for preset in ufldl-natural ufldl-mnist; do
  timeout 150 "$here/node" train.mjs --preset "$preset" --out "$OUT/$preset" 2>&1 | grep -v '^Warning' | tail -4
done
