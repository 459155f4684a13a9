#!/usr/bin/env bash
# The simulator's part of `make test` (docs/simulation.md): every named
# scenario, SEEDS random seeds (mixed faults, up to f Byzantine), and proof
# that the checker can fail: with the quorum lowered below the safe minimum
# it must find a safety violation. Runs the release consensusd.
set -euo pipefail
seeds="${1:-500}"
bin="${CONSENSUSD:-.build/release/consensusd}"
cd "$(dirname "$0")/.."
test -x "$bin" || { echo "sim-check: $bin not built (make release)" >&2; exit 1; }

failed=0
for scenario in $("$bin" simulate --list); do
  args=(--scenario "$scenario")
  # The full million is `make sim`; here a fifth of it, within the test budget.
  [ "$scenario" = bounded-memory ] && args+=(--transactions "${BOUNDED_MEMORY_TRANSACTIONS:-200000}")
  if ! "$bin" simulate "${args[@]}"; then failed=$((failed + 1)); fi
done
[ "$failed" -eq 0 ] || { echo "sim-check: $failed scenario(s) failed" >&2; exit 1; }

"$bin" simulate --seeds "$seeds" | tail -n 20

# A seed must replay identically in another process (no dependence on
# Dictionary order, which Swift seeds per process).
for seed in 1 2 3 4 5 6 7 8; do
  first=$("$bin" simulate --seed "$seed" | tail -n 1)
  second=$("$bin" simulate --seed "$seed" | tail -n 1)
  [ "$first" = "$second" ] || { echo "sim-check: seed $seed differs between two processes:"$'\n'"$first"$'\n'"$second" >&2; exit 1; }
done
echo "sim-check: 8 seeds replay identically across processes"

# The checker must be able to fail: 60 seeds with one Byzantine validator
# and an unsafe quorum contain known violations (seeds 1, 21, 56).
if out=$("$bin" simulate --seeds 60 --byzantine 1 --unsafe-quorum 2>&1); then
  echo "sim-check: the checker found nothing with an unsafe quorum; it cannot be trusted" >&2
  exit 1
fi
echo "sim-check: unsafe quorum caught: $(echo "$out" | tail -n 1)"
