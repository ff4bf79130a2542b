#!/usr/bin/env python3
"""Fetch MediaPipe's BlazePose models from npm and convert them to ONNX (dev-time only).

Writes models/pose_detection.onnx, models/pose_landmark_lite.onnx, models/pose_landmark_full.onnx,
models/SHA256SUMS and models/NOTICE. Needs `npm` on PATH and the packages pinned in
tools/requirements-convert.txt (tensorflow-cpu, tf2onnx, onnxruntime). Usage:

    python3 -m venv /var/tmp/supine-venv-tf
    /var/tmp/supine-venv-tf/bin/pip install -r tools/requirements-convert.txt
    /var/tmp/supine-venv-tf/bin/python tools/convert_models.py

Steps: `npm pack @mediapipe/pose@0.5.1675469404`; the detector (the whole of
pose_solution_packed_assets.data) has sparse weights behind DENSIFY ops, which tf2onnx cannot
convert, so it is run once in the TF Lite interpreter (default delegates off: with XNNPACK the
preserved tensors come out wrong) and every DENSIFY output is stored as a plain constant; then
tf2onnx (opset 13) converts all three, and the ONNX outputs are checked against TF Lite on fixed
random inputs.

Reruns give numerically identical models but not identical bytes (tf2onnx numbers the nodes it
creates in an order that varies from run to run); the script rewrites SHA256SUMS to match, and
the crate, which embeds both, checks them at load.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

PACKAGE = "@mediapipe/pose@0.5.1675469404"
TARBALL = "mediapipe-pose-0.5.1675469404.tgz"
TARBALL_SHA1 = "8f81e64c6561b2357a021a134b54de0204bafc72"  # the shasum npm reports
EXPECTED_SIZES = {
    "pose_landmark_lite.tflite": 2_819_824,
    "pose_landmark_full.tflite": 6_440_512,
    "pose_solution_packed_assets.data": 2_962_288,
}
OPSET = 13
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "models")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def fetch(work):
    subprocess.run(["npm", "pack", "--silent", PACKAGE], cwd=work, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tgz = os.path.join(work, TARBALL)
    with open(tgz, "rb") as f:
        got = hashlib.sha1(f.read()).hexdigest()
    if got != TARBALL_SHA1:
        sys.exit(f"{TARBALL}: sha1 {got}, expected {TARBALL_SHA1}")
    with tarfile.open(tgz) as t:
        t.extractall(work, filter="data")
    pkg = os.path.join(work, "package")
    for name, size in EXPECTED_SIZES.items():
        actual = os.path.getsize(os.path.join(pkg, name))
        if actual != size:
            sys.exit(f"{name}: {actual} bytes, expected {size}")
    return pkg


def densify(src, dst):
    """Replace the detector's DENSIFY ops by the dense constants they compute."""
    import tensorflow as tf
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils as fbu

    interp = tf.lite.Interpreter(
        model_path=src,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True,
    )
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    interp.set_tensor(inp["index"], np.zeros(inp["shape"], inp["dtype"]))
    interp.invoke()

    model = fbu.read_model(src)
    densify_code = schema.BuiltinOperator.DENSIFY
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    done = 0
    for sg_index, sg in enumerate(model.subgraphs):
        kept = []
        for op in sg.operators:
            if codes[op.opcodeIndex] != densify_code:
                kept.append(op)
                continue
            sparse_t, dense_t = op.inputs[0], op.outputs[0]
            value = interp.get_tensor(dense_t, subgraph_index=sg_index)
            buf = schema.BufferT()
            buf.data = np.frombuffer(value.tobytes(), dtype=np.uint8)
            model.buffers.append(buf)
            index = len(model.buffers) - 1
            sg.tensors[dense_t].buffer = index
            sg.tensors[sparse_t].buffer = index
            sg.tensors[sparse_t].sparsity = None
            sg.tensors[sparse_t].shape = list(value.shape)
            done += 1
        sg.operators = kept
    if done == 0:
        sys.exit("detector: no DENSIFY op found; is this the right model?")
    fbu.write_model(model, dst)
    print(f"detector: {done} DENSIFY ops replaced by constants")


def convert(tflite, onnx_path):
    r = subprocess.run(
        [sys.executable, "-m", "tf2onnx.convert", "--tflite", tflite, "--output", onnx_path,
         "--opset", str(OPSET)],
        capture_output=True, text=True,
    )
    if r.returncode != 0:
        sys.exit(f"tf2onnx failed on {tflite}:\n{r.stderr[-4000:]}")


def check(tflite, onnx_path, name):
    """Run TF Lite and onnxruntime on the same fixed inputs; return the worst difference per output."""
    import onnxruntime as ort
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=tflite)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    onnx_in = sess.get_inputs()[0].name
    onnx_outs = [o.name for o in sess.get_outputs()]
    rng = np.random.default_rng(20240)
    worst = {}
    for trial in range(3):
        x = rng.uniform(-1.0 if "detection" in name else 0.0, 1.0, inp["shape"]).astype(np.float32)
        if trial == 0:
            x[...] = 0.5
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        ref = {d["name"]: interp.get_tensor(d["index"]) for d in interp.get_output_details()}
        got = dict(zip(onnx_outs, sess.run(None, {onnx_in: x})))
        for key, r in ref.items():
            g = got.get(key)
            if g is None:
                sys.exit(f"{name}: ONNX lacks output {key}; has {onnx_outs}")
            d = float(np.max(np.abs(g.reshape(r.shape) - r)))
            scale = float(np.max(np.abs(r)))
            old = worst.get(key, (0.0, 0.0))
            worst[key] = (max(old[0], d), max(old[1], scale))
    for key, (d, scale) in worst.items():
        print(f"  {name} {key} {list(ref[key].shape)}: max |onnx - tflite| = {d:.2e} (max |tflite| {scale:.3g})")
    return worst


def main():
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="supine-models-")
    try:
        pkg = fetch(work)
        det_tflite = os.path.join(work, "pose_detection_dense.tflite")
        densify(os.path.join(pkg, "pose_solution_packed_assets.data"), det_tflite)
        jobs = [
            ("pose_detection", det_tflite, os.path.join(pkg, "pose_solution_packed_assets.data")),
            ("pose_landmark_lite", os.path.join(pkg, "pose_landmark_lite.tflite"), None),
            ("pose_landmark_full", os.path.join(pkg, "pose_landmark_full.tflite"), None),
        ]
        sources = {}
        for name, tflite, original in jobs:
            dst = os.path.join(OUT, name + ".onnx")
            convert(tflite, dst)
            # Check against the original model where there is one (the detector's sparse original
            # runs in TF Lite; the densified copy must agree with it too).
            worst = check(original or tflite, dst, name)
            for key, (d, scale) in worst.items():
                # Relative to the output's range: landmarks are in crop pixels (0..256), the
                # segmentation output is logits; 1% of the range is far above conversion noise
                # and far below any real mistake (a wrong layout or op gives errors near 100%).
                if d > 1e-2 * max(scale, 1.0):
                    sys.exit(f"{name} {key}: ONNX differs from TF Lite by {d} (range {scale})")
            src_name = os.path.basename(original or tflite)
            sources[name] = (src_name, sha256(original or tflite))
        with open(os.path.join(OUT, "SHA256SUMS"), "w") as f:
            for name, _, _ in jobs:
                f.write(f"{sha256(os.path.join(OUT, name + '.onnx'))}  {name}.onnx\n")
        write_notice(sources)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_notice(sources):
    import tensorflow as tf
    import tf2onnx

    lines = [
        "The ONNX files in this folder are converted from Google's MediaPipe BlazePose models.",
        "",
        f"Source: npm package {PACKAGE} (licence: Apache-2.0), tarball {TARBALL}",
        f"(sha1 {TARBALL_SHA1}), fetched with `npm pack`. Copyright Google LLC.",
        "",
        "Original files and their SHA-256:",
    ]
    for onnx_name, (src, digest) in sources.items():
        lines.append(f"  {onnx_name}.onnx <- {src} ({digest})")
    lines += [
        "",
        "pose_detection is the whole of pose_solution_packed_assets.data (MediaPipe's loader maps it",
        "to pose_detection.tflite). Modifications: its sparse (DENSIFY) weights were made dense, and",
        f"all three were converted to ONNX opset {OPSET} with tf2onnx {tf2onnx.__version__} (TensorFlow",
        f"{tf.__version__}), by tools/convert_models.py, which also checks ONNX against TF Lite.",
        "",
        "Licensed under the Apache License, Version 2.0; a copy is in LICENSE-APACHE at the root of",
        "this repository. You may not use these files except in compliance with the License.",
        "Distributed on an \"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.",
        "",
    ]
    with open(os.path.join(OUT, "NOTICE"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
