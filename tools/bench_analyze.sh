#!/usr/bin/env bash
# End-to-end analysis benchmark: a 60 s, 640x480, 30 fps synthetic bridge clip (4 rounds, made by
# supine-synth, kept in $BENCH_DIR so it is rendered once) analysed by `supine analyze` (release
# build, default settings: full model, 10 analysed frames/s), with wall time, real-time factor and
# peak RSS; then MediaPipe 0.10.14 (mp.solutions.pose, model_complexity=1, tracking) over the same
# clip at the same analysis rate, and the ratio. Checks that the counts match the clip's truth.
#   MP_PY  python with mediapipe==0.10.14 (default /var/tmp/supine-venv-mp/bin/python; see
#          tools/requirements-reference.txt). Without it the MediaPipe row is skipped.
#   FPS    analysis rate (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/var/tmp/supine-bench}
MP_PY=${MP_PY:-/var/tmp/supine-venv-mp/bin/python}
FPS=${FPS:-10}
mkdir -p "$BENCH_DIR"
clip="$BENCH_DIR/bridge-6-640x480-30"
cargo build -q --release -p supine
cargo build -q --release -p supine-synth --example clip
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
if [[ ! -f "$clip.y4m" ]]; then
  echo "rendering $clip.y4m (once; minutes)..."
  "$target/release/examples/clip" bridge 6 "$clip" 640x480 30 60
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
out=$(mktemp)
trap 'rm -f "$out" "$out.time"' EXIT
/usr/bin/time -v -o "$out.time" "$target/release/supine" analyze "$clip.y4m" --json --fps "$FPS" >"$out"
python3 - "$out" "$out.time" "$clip.json" <<'PY'
import json, re, sys
a = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
truth = json.load(open(sys.argv[3]))
wall = t.split("Elapsed (wall clock) time (h:mm:ss or m:ss):")[1].split()[0]
parts = [float(x) for x in wall.split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
an = a["analysis"] if "analysis" in a else a
video = an["duration_s"]
frames = an["frames"]
rounds = [round(r["hold_s"], 2) for r in an["bridge"]["rounds"]]
want = [round(h, 2) for h in truth["expected"]["bridge_holds_s"]]
ok = len(rounds) == len(want) and all(abs(x - y) <= 0.5 for x, y in zip(rounds, want))
print(f"supine analyze: {frames} frames analysed ({video:.1f} s of video) in {secs:.1f} s: "
      f"{frames / secs:.1f} frames/s, {video / secs:.2f}x real time, peak RSS {rss:.0f} MB")
print(f"  bridge holds {rounds} want {want}: {'exact' if ok else 'WRONG'}")
open("/tmp/supine-bench-ours", "w").write(f"{frames / secs}")
PY
if [[ -x "$MP_PY" ]]; then
  mp=$("$MP_PY" tools/bench_mediapipe_clip.py "$clip.y4m" "$FPS" 2>/dev/null | tail -1)
  echo "$mp"
  python3 - "$mp" <<'PY'
import re, sys
ours = float(open("/tmp/supine-bench-ours").read())
mp = float(re.search(r"([\d.]+) frames/s", sys.argv[1]).group(1))
print(f"ratio supine / mediapipe (frames/s): {ours / mp:.2f}")
PY
else
  echo "mediapipe: skipped ($MP_PY not found)"
fi
