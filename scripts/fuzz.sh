#!/usr/bin/env bash
# Runs every fuzz target in tests/fuzz (cargo-fuzz, libFuzzer with AddressSanitizer) for SECONDS
# each (600 by default), JOBS at a time (2), starting from the committed corpus and seeds, then
# minimises each corpus back into tests/fuzz/corpus/TARGET. A crash stops nothing else: it is
# left in tests/fuzz/artifacts/TARGET/ and reported at the end (exit 1); turn it into a
# regression test and commit the minimised input. Not part of CI.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     (targets: cargo fuzz list, in tests/fuzz)
# Uses the nightly toolchain when rustup has it, else stable with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/../tests/fuzz"
SECONDS_EACH=${1:-600}
shift || true
JOBS=${JOBS:-2}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  FUZZ=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  FUZZ=(cargo fuzz)
fi
# `--cfg fuzzing` turns on h2's own fuzz hooks, which deny missing docs: warn instead.
export RUSTFLAGS="--cap-lints=warn"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("${FUZZ[@]}" list)

echo "==> building ${#targets[@]} fuzz targets"
"${FUZZ[@]}" build -O >/dev/null
mkdir -p logs
run() {
  local t=$1
  # A crash of an earlier run was turned into a test or is still in git's history.
  rm -rf "artifacts/$t"
  mkdir -p "corpus/$t" "seeds/$t" "artifacts/$t"
  # stdin closed: a config may name /dev/stdin, which must not wait for a terminal.
  "${FUZZ[@]}" run -O "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$SECONDS_EACH" \
    -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 </dev/null >"logs/$t.log" 2>&1 || true
  # Keep the corpus small: only inputs that add coverage.
  "${FUZZ[@]}" cmin -O "$t" "corpus/$t" >>"logs/$t.log" 2>&1 || true
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
  echo "$t: ${execs:-?} runs in ${SECONDS_EACH}s, corpus $(ls "corpus/$t" | wc -l), crashes $(ls "artifacts/$t" | wc -l)"
}
export -f run
export SECONDS_EACH
export FUZZ_CMD="${FUZZ[*]}"
echo "==> fuzzing, ${SECONDS_EACH}s per target, $JOBS at a time (logs in tests/fuzz/logs)"
printf '%s\n' "${targets[@]}" | xargs -P "$JOBS" -I{} bash -c 'FUZZ=($FUZZ_CMD); run {}'
crashes=$(find artifacts -type f | wc -l)
[ "$crashes" -eq 0 ] || { echo "$crashes crash(es): find tests/fuzz/artifacts -type f"; exit 1; }
