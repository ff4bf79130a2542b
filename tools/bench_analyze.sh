#!/usr/bin/env bash
# End-to-end analysis benchmark on two 640x480, 30 fps clips analysed at 10 frames/s:
#   capsule    60 s synthetic bridge clip (4 rounds) made by supine-synth
#   realistic  28.8 s of the realistic person of tools/realbody (the committed e2e frames of knee
#              circles, a bridge and lying still, scaled up; tools/realistic_clip.py)
# Each through `supine analyze` (release build, full model) on one thread and on every core (wall
# time, CPU time, peak RSS), then MediaPipe 0.10.14 (mp.solutions.pose, model_complexity=1,
# tracking) over the same frames at the same rate, and the ratios, all in one run. Checks the
# counts against the clips' truth. Clips are kept in $BENCH_DIR, made once.
#   MP_PY  python with mediapipe==0.10.14 (default /var/tmp/supine-venv-mp/bin/python; see
#          tools/requirements-reference.txt). Without it the MediaPipe rows and the realistic
#          clip are skipped.
#   FPS    analysis rate (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/var/tmp/supine-bench}
MP_PY=${MP_PY:-/var/tmp/supine-venv-mp/bin/python}
FPS=${FPS:-10}
mkdir -p "$BENCH_DIR"
cargo build -q --release -p supine
cargo build -q --release -p supine-synth --example clip
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
capsule="$BENCH_DIR/bridge-6-640x480-30"
if [[ ! -f "$capsule.y4m" ]]; then
  echo "rendering $capsule.y4m (once; minutes)..."
  "$target/release/examples/clip" bridge 6 "$capsule" 640x480 30 60
fi
clips=("$capsule")
realistic="$BENCH_DIR/realistic-640x480-30"
if [[ -x "$MP_PY" ]]; then
  if [[ ! -f "$realistic.y4m" ]]; then
    "$MP_PY" tools/realistic_clip.py crates/supine-vision/tests/fixtures/real/e2e "$realistic.y4m"
  fi
  clips+=("$realistic")
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for clip in "${clips[@]}"; do
  name=$(basename "$clip")
  for threads in 1 "$(nproc)"; do
    /usr/bin/time -v -o "$out/time" "$target/release/supine" analyze "$clip.y4m" --json \
      --fps "$FPS" --threads "$threads" >"$out/json"
    python3 - "$out/json" "$out/time" "$clip.json" "$name" "$threads" >>"$out/rows" <<'PY'
import json, re, sys
a = json.load(open(sys.argv[1]))
t = open(sys.argv[2]).read()
truth = json.load(open(sys.argv[3]))["expected"]
wall = t.split("Elapsed (wall clock) time (h:mm:ss or m:ss):")[1].split()[0]
secs = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", t).group(1)) for k in ("User", "System"))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
rounds = [round(r["hold_s"], 2) for r in a["bridge"]["rounds"]]
want = [round(h, 2) for h in truth["bridge_holds_s"]]
circles = (a["circles"]["clockwise"], a["circles"]["anticlockwise"])
ok = (len(rounds) == len(want) and all(abs(x - y) <= 0.5 for x, y in zip(rounds, want))
      and circles == (truth["circles_cw"], truth["circles_ccw"]))
print(json.dumps({"clip": sys.argv[4], "who": f"supine {sys.argv[5]} thread(s)",
                  "frames": a["frames"], "video": a["duration_s"], "wall": secs, "cpu": cpu, "rss": rss,
                  "counts": f"circles {circles}, bridge holds {rounds} (truth {want}): {'right' if ok else 'WRONG'}"}))
PY
  done
  if [[ -x "$MP_PY" ]]; then
    /usr/bin/time -v -o "$out/time" "$MP_PY" tools/bench_mediapipe_clip.py "$clip.y4m" "$FPS" 2>/dev/null | tail -1 >"$out/mp"
    python3 - "$out/mp" "$out/time" "$name" >>"$out/rows" <<'PY'
import json, re, sys
line = open(sys.argv[1]).read()
t = open(sys.argv[2]).read()
m = re.search(r"(\d+) frames analysed of \d+ \(([\d.]+) s of video\) in ([\d.]+) s", line)
cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", t).group(1)) for k in ("User", "System"))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
print(json.dumps({"clip": sys.argv[3], "who": "mediapipe", "frames": int(m.group(1)),
                  "video": float(m.group(2)), "wall": float(m.group(3)), "cpu": cpu, "rss": rss,
                  "counts": "(in-process time after import)"}))
PY
  fi
done
python3 - "$out/rows" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'clip':<24}{'who':<22}{'frames':>7}{'wall s':>8}{'frames/s':>9}{'CPU ms/frame':>13}{'RSS MB':>8}{'vs mp':>7}")
for r in rows:
    mp = next((m for m in rows if m["clip"] == r["clip"] and m["who"] == "mediapipe"), None)
    fps = r["frames"] / r["wall"]
    ratio = f"{fps / (mp['frames'] / mp['wall']):6.2f}x" if mp else f"{'-':>7}"
    print(f"{r['clip']:<24}{r['who']:<22}{r['frames']:>7}{r['wall']:>8.1f}{fps:>9.1f}"
          f"{1000 * r['cpu'] / r['frames']:>13.1f}{r['rss']:>8.0f}{ratio}")
    print(f"{'':<24}{r['counts']}")
PY
