#!/usr/bin/env bash
# Benchmarks of `supine serve`, printed for issue notes (never used as test assertions):
#   1. bytes of every asset the session page loads (uncompressed),
#   2. time to first render in headless Chromium (first contentful paint, median of 10 loads),
#   3. API latency under load with wrk: 200 connections for 20 s, GET /api/plan and
#      POST /api/sessions (which writes a session to the journal), p50/p99,
#   4. server memory (RSS) when idle, after start-up and after the load.
# Usage: scripts/bench-web.sh [path/to/supine]   (default: the release build)
# Needs: wrk, curl, node with web/e2e's node_modules (npm ci), /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="$(cargo metadata --format-version 1 --no-deps |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
bin="${1:-$target_dir/release/supine}"
duration="${BENCH_DURATION:-20s}"
conns="${BENCH_CONNECTIONS:-200}"
tmp="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

"$bin" serve --port 0 --db "$tmp/journal.db" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do grep -q http "$tmp/out" && break; sleep 0.1; done
base="$(grep -o 'http://[^ ]*/' "$tmp/out" || true)"
if [ -z "$base" ]; then
  echo "bench-web: $bin did not start a server:" >&2
  cat "$tmp/err" >&2
  exit 1
fi
echo "server: $base (pid $pid, $(nproc) cores)"
rss() { awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$pid/status"; }
sleep 1
echo "idle RSS after start-up: $(rss)"

total=0
for path in / /style.css /app.js /player.js /figures.js /sound.js /icon.svg; do
  n=$(curl -s "$base${path#/}" | wc -c)
  total=$((total + n))
  printf '  %-12s %7d bytes\n' "$path" "$n"
done
echo "session page assets: $total bytes ($((total / 1024)) KiB) uncompressed"

# Safety questions and today's check, so that sessions may start.
answers=$(node -e 'const ids=["bladder_bowel","saddle_numbness","leg_weakness","fever","infection_risk","cancer","weight_loss","night_pain","new_pain_age","trauma","worse_lying","getting_worse","osteoporosis","pregnancy","recent_surgery_or_injury","disc_herniation","neck_or_shoulder_injury"];console.log(JSON.stringify({answers:Object.fromEntries(ids.map(i=>[i,"no"]))}))')
curl -sf -H 'content-type: application/json' -d "$answers" "${base}api/screening" >/dev/null
curl -sf -H 'content-type: application/json' -d '{"answer":"no"}' "${base}api/daily-check" >/dev/null

BENCH_BASE="$base" node web/e2e/bench-render.mjs

cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"pain_before": 3}'
wrk.headers["Content-Type"] = "application/json"
LUA
latency() { awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} /Requests\/sec/ {rps=$2} END {printf "p50 %s, p99 %s, %s req/s\n", p50, p99, rps}'; }
echo "GET /api/plan, $conns connections, $duration: $(wrk -t2 -c"$conns" -d"$duration" --latency "${base}api/plan" | latency)"
echo "POST /api/sessions, $conns connections, $duration: $(wrk -t2 -c"$conns" -d"$duration" --latency -s "$tmp/post.lua" "${base}api/sessions" | latency)"
sleep 2
echo "idle RSS 2 s after the load: $(rss)"
sleep 10
echo "idle RSS 12 s after the load: $(rss)"
