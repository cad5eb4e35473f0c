#!/usr/bin/env bash
# Process start to first inference of the MLP 784-512-512-10 (+ Softmax) at batch 1: StaticFlow loading a SavedModel,
# under the JIT and as a NativeAOT binary, against ONNX Runtime loading the same model as ONNX (JIT).
# Each figure is the median wall time of RUNS whole processes (start, load, one inference, exit).
# Usage: benchmarks/cold-start.sh [RUNS]   (NativeAOT needs clang and zlib1g-dev)
set -euo pipefail
runs=${1:-21}
here=$(cd "$(dirname "$0")" && pwd)
project="$here/StaticFlow.ColdStart"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build "$project" -c Release -o "$work/jit" -nologo -v q >/dev/null
dotnet publish "$project" -c Release -r linux-x64 -o "$work/aot" -nologo -v q >/dev/null
dotnet "$work/jit/StaticFlow.ColdStart.dll" write "$work" >/dev/null

median_ms() { # command...
  local times=()
  for ((i = 0; i < runs; i++)); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $runs runs each, median ms from process start to exit after the first inference"
echo "StaticFlow, NativeAOT:  $(median_ms "$work/aot/StaticFlow.ColdStart" staticflow "$work")"
echo "StaticFlow, JIT:        $(median_ms dotnet "$work/jit/StaticFlow.ColdStart.dll" staticflow "$work")"
echo "ONNX Runtime, JIT:      $(median_ms dotnet "$work/jit/StaticFlow.ColdStart.dll" onnx "$work")"
echo "ONNX Runtime, NativeAOT: $(median_ms "$work/aot/StaticFlow.ColdStart" onnx "$work")"
echo "first run of each, time from Main to the first result:"
"$work/aot/StaticFlow.ColdStart" staticflow "$work" | sed 's/^/  aot /'
dotnet "$work/jit/StaticFlow.ColdStart.dll" staticflow "$work" | sed 's/^/  jit /'
dotnet "$work/jit/StaticFlow.ColdStart.dll" onnx "$work" | sed 's/^/  jit /'
