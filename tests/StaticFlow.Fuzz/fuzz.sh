#!/usr/bin/env bash
# Fuzzes one reader under AFL++ through SharpFuzz: builds and instruments the harness, makes the seed corpus from
# shared/testdata, runs afl-fuzz for SECONDS, and prints the executions and findings.
#   tests/StaticFlow.Fuzz/fuzz.sh TARGET SECONDS [WORK]       TARGET: bundle savedmodel pbtxt events npy graphdef
# Needs Debian's afl++ and the SharpFuzz.CommandLine tool (dotnet tool install SharpFuzz.CommandLine --tool-path ~/.sharpfuzz).
set -euo pipefail
target=$1 seconds=$2 work=${3:-/tmp/staticflow-fuzz-work}
root=$(cd "$(dirname "$0")/../.." && pwd)
sharpfuzz=${SHARPFUZZ:-$HOME/.sharpfuzz/sharpfuzz}
bin=$work/bin
if [ ! -f "$bin/.instrumented" ]; then
  dotnet publish "$root/tests/StaticFlow.Fuzz" -c Release -o "$bin" >/dev/null
  # Seeds first: instrumented code crashes when it runs outside AFL's harness.
  dotnet "$bin/StaticFlow.Fuzz.dll" --seeds "$root/../shared/testdata" "$work/corpus"
  "$sharpfuzz" "$bin/StaticFlow.Runtime.dll"
  "$sharpfuzz" "$bin/StaticFlow.Cli.dll"
  touch "$bin/.instrumented"
fi
mkdir -p "$work/findings"
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
timeout --signal=INT "$seconds" afl-fuzz -i "$work/corpus/$target" -o "$work/findings/$target" -t 10000 -m none \
  -- dotnet "$bin/StaticFlow.Fuzz.dll" "$target" > "$work/$target.log" 2>&1 || true
stats=$work/findings/$target/default/fuzzer_stats
grep -E '^(execs_done|run_time|saved_crashes|saved_hangs|corpus_count)' "$stats" | tr -s ' ' | paste -sd' ' | sed "s/^/$target: /"
