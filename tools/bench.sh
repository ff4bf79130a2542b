#!/usr/bin/env bash
# Runs the Rust pose bench (tract and onnxruntime) and the reference MediaPipe on the same frame in
# the same run, and prints both with the ratio ours / MediaPipe's (median ms per frame).
# Needs the two venvs of tools/requirements-*.txt (paths overridable):
#   MP_PY  python with mediapipe==0.10.14      (default /var/tmp/supine-venv-mp/bin/python)
#   TF_PY  python with tensorflow-cpu, onnxruntime (default /var/tmp/supine-venv-tf/bin/python)
# MediaPipe's per-model rows are the same .tflite files under TF Lite + XNNPACK, 1 thread; its
# pipeline rows are mp.solutions.pose as shipped.
set -euo pipefail
cd "$(dirname "$0")/.."
MP_PY=${MP_PY:-/var/tmp/supine-venv-mp/bin/python}
TF_PY=${TF_PY:-/var/tmp/supine-venv-tf/bin/python}
FRAME=crates/supine-vision/tests/fixtures/synth/knees_bent_mid.png
if [[ -z "${ORT_DYLIB_PATH:-}" ]]; then
  ORT_DYLIB_PATH=$("$TF_PY" -c 'import onnxruntime, glob, os; print(sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))[0])')
  export ORT_DYLIB_PATH
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo bench -q -p supine-vision --features ort --bench pose 2>/dev/null | grep '^BENCH' >"$out/rust"
"$MP_PY" tools/bench_mediapipe.py "$FRAME" 2>/dev/null | grep -E '^(BENCH|MODELS)' >"$out/mp"
models=$(sed -n 's/^MODELS //p' "$out/mp")
# The lite model is not in the mediapipe wheel (it downloads it on demand): take the npm package's.
npm_dir=${NPM_POSE_DIR:-/var/tmp/supine-npm-pose}
if [[ ! -f "$npm_dir/package/pose_landmark_lite.tflite" ]]; then
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && npm pack --silent @mediapipe/pose@0.5.1675469404 >/dev/null && tar xzf mediapipe-pose-0.5.1675469404.tgz)
fi
# shellcheck disable=SC2086
"$TF_PY" tools/bench_tflite.py "$models" $npm_dir 2>/dev/null | grep '^BENCH' >>"$out/mp" || true
python3 - "$out/rust" "$out/mp" <<'PY'
import sys
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("BENCH"):
            _, name, ms = line.split()
            what, backend = name.rsplit("/", 1)
            rows.setdefault(what, {})[backend] = float(ms)
import os
cores = os.cpu_count() or 1
mt = f"tract-{cores}t"
print(f"{'per frame (median ms)':<24}{'tract':>9}{mt:>10}{'onnxrt':>9}{'mediapipe':>11}{'tract/mp':>10}{'ort/mp':>8}")
for what in ["detector", "lite", "full", "full_no_heatmap", "pipeline_full_tracking", "pipeline_full_static", "live_cpu_per_frame"]:
    r = rows.get(what, {})
    t, tm, o, m = r.get("tract"), r.get(mt), r.get("onnxruntime"), r.get("mediapipe")
    f = lambda v, w=9: f"{v:{w}.2f}" if v is not None else f"{'-':>{w}}"
    ratio = lambda a: f"{a / m:7.2f}x" if a is not None and m else f"{'-':>8}"
    print(f"{what:<24}{f(t)}{f(tm, 10)}{f(o)}{f(m):>11}{ratio(t):>10}{ratio(o):>8}")
PY
