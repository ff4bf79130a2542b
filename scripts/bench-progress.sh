#!/usr/bin/env bash
# Times `supine progress` as a whole process (start, open the journal, read, compute, print) and
# chart rendering, on 10 years of daily sessions. Prints numbers; asserts nothing.
#
#   scripts/bench-progress.sh            # seeds /var/tmp/supine-bench/ten-years.db once
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
dir=/var/tmp/supine-bench
db=$dir/ten-years.db
mkdir -p "$dir"
if [ ! -f "$db" ]; then
  SUPINE_BENCH_DB=$db cargo bench -p supine-store --bench journal
fi
cargo build --release -p supine
bin=$target/release/supine

# Median and worst of N runs, in milliseconds.
time_it() {
  local label=$1; shift
  local runs=21 times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  echo "$label: median ${sorted[$((runs / 2))]} ms, worst ${sorted[$((runs - 1))]} ms ($runs runs)"
}

time_it "supine progress (10 years, terminal)" "$bin" --db "$db" progress --today 2026-11-30
time_it "supine progress --json (10 years)" "$bin" --db "$db" progress --json --today 2026-11-30
time_it "supine progress --chart svg (10 years)" "$bin" --db "$db" progress --today 2026-11-30 --chart "$dir/chart.svg"
time_it "supine progress --chart png (10 years)" "$bin" --db "$db" progress --today 2026-11-30 --chart "$dir/chart.png"
if [ -n "${SUPINE_TEST_PG_URL:-}" ] && [ -n "${SUPINE_BENCH_PG_SCHEMA:-}" ]; then
  url="$SUPINE_TEST_PG_URL?options=-csearch_path%3D$SUPINE_BENCH_PG_SCHEMA"
  time_it "supine progress on PostgreSQL, 1 of 1000 profiles x 1 year" \
    "$bin" --db "$url" --profile p500 progress --today 2026-11-30
fi
