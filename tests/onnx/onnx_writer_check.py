"""The ONNX that `fastserve inspect --dump-graph` writes, judged by the onnx
package and ONNX Runtime rather than by our own reader: the -O1 graph of
models/fashion_mnist_cnn.onnx must pass onnx.checker.check_model (with
full_check, which also runs ONNX shape inference) and ORT must compute
the same outputs from it as from the original file. Run by
run_onnx_writer_check.sh (ctest Onnx.WriterCheckedByOnnxAndOrt).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort


def run_ort(path, feeds):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds), [o.name for o in sess.get_outputs()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fastserve", required=True)
    ap.add_argument("--root", required=True)
    args = ap.parse_args()
    original = os.path.join(args.root, "models", "fashion_mnist_cnn.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        dumped = os.path.join(tmp, "cnn_O1.onnx")
        subprocess.run([args.fastserve, "inspect", "--model", original, "-O1", "--dump-graph", dumped],
                       check=True, stdout=subprocess.DEVNULL)
        model = onnx.load(dumped)
        onnx.checker.check_model(model, full_check=True)
        assert model.producer_name == "fastserve", model.producer_name

        ref = onnx.load(original)
        inp = ref.graph.input[0]
        dims = [d.dim_value if d.dim_value > 0 else 2 for d in inp.type.tensor_type.shape.dim]
        rng = np.random.default_rng(7)
        feeds = {inp.name: rng.standard_normal(dims).astype(np.float32)}
        want, want_names = run_ort(original, feeds)
        got, got_names = run_ort(dumped, feeds)
        assert got_names == want_names, (got_names, want_names)
        for name, w, g in zip(want_names, want, got):
            err = float(np.max(np.abs(w - g)))
            assert np.allclose(g, w, rtol=1e-5, atol=1e-5), f"{name}: max abs error {err}"
        print(f"onnx_writer_check: OK: {len(model.graph.node)} nodes (original {len(ref.graph.node)}), "
              f"checker passed, ORT outputs agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
