#!/usr/bin/env bash
# Builds the libFuzzer targets (Swift and the protobuf-c C code both under
# -fsanitize=fuzzer,address) and runs each for RUNS inputs from the seed
# corpus in Fuzz/corpus (copied, so runs never change committed files).
# Usage: scripts/fuzz.sh RUNS   (`make fuzz FUZZ_RUNS=N`, `make fuzz-smoke`)
set -euo pipefail
runs="${1:?usage: fuzz.sh RUNS}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
targets=(FuzzFrameDecoder FuzzEnvelope FuzzWireBody FuzzSignedEvent FuzzStorageRecord)
flags=(--scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)
for t in "${targets[@]}"; do
  # ld.gold's "Cannot export local symbol '__asan_...'" lines are harmless (NOTES.md).
  CYBERMESH_FUZZ=1 swift build "${flags[@]}" --product "$t" 2>&1 | grep -v "Cannot export local symbol" | grep -E "error|warning: |Compiling|Build complete" | grep -v "^\[" || true
  test -x ".build-fuzz/debug/$t" || { echo "fuzz: building $t failed" >&2; exit 1; }
done
work="$root/Fuzz/corpus-work"
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$work/artifacts"
  cp -n Fuzz/corpus/$t/* "$work/$t/" 2>/dev/null || true
  max_len=4096
  [ "$t" = FuzzSignedEvent ] && max_len=70000
  log="$work/$t.log"
  start=$(date +%s)
  if ! ".build-fuzz/debug/$t" -runs="$runs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/artifacts/$t-" -print_final_stats=1 "$work/$t" >"$log" 2>&1; then
    echo "fuzz: $t FAILED; last lines of $log:" >&2
    tail -40 "$log" >&2
    exit 1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  echo "fuzz: $t ran $execs inputs in $(( $(date +%s) - start )) s, coverage $cov edges, no crash"
done
