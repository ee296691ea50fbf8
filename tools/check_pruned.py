#!/usr/bin/env python3
"""fastserve against ONNX Runtime on pruned models (`fastserve prune` output), same file, same inputs.

    .venv/bin/python tools/check_pruned.py --fastserve-bin build/release/fastserve P1.onnx P2.onnx ...

Each model's inputs are drawn from a seeded normal distribution (symbolic dims set to each
--batches value), run by `fastserve run` (all passes, the sparse kernels where the engine picks
them) and by ONNX Runtime (ORT_DISABLE_ALL, 1 thread: the plain graph), and the max abs error and
max abs error relative to max |reference| (the metric of tools/check_zoo.py) are printed. Exits 1
when a relative error is above --max-rel (default 1e-4, issue 8) or a run fails.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_test_models import save_npy  # noqa: E402

NP_TYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64}


def max_errors(a, ref):
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    abs_err = float(np.max(np.abs(a - ref))) if a.size else 0.0
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return abs_err, (abs_err / scale if scale > 0 else (float("inf") if abs_err > 0 else 0.0))


def feeds_for(model_path, batch, rng):
    m = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    feeds = {}
    for i in m.graph.input:
        if i.name in inits:
            continue
        t = i.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else batch for d in t.shape.dim]
        dtype = NP_TYPES.get(t.elem_type)
        if dtype is None:
            raise SystemExit(f"{model_path}: input {i.name} has a type this script does not draw")
        feeds[i.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--fastserve-bin", default="build/release/fastserve")
    ap.add_argument("--batches", default="1,3")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-rel", type=float, default=1e-4)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    rows, bad = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
            for batch in [int(b) for b in args.batches.split(",") if b]:
                rng = np.random.default_rng(7 + batch)
                feeds = feeds_for(model, batch, rng)
                cmd = [args.fastserve_bin, "run", "--model", model, "--threads", str(args.threads), "--json",
                       "--output", os.path.join(tmp, "out.npy"), "--input"]
                for name, value in feeds.items():
                    path = os.path.join(tmp, f"in{len(cmd)}.npy")
                    save_npy(path, value)
                    cmd.append(f"{name}={path}")
                ref = sess.run(None, feeds)[0]
                label = f"{os.path.basename(model)} batch {batch}"
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    bad.append(f"{label}: fastserve exit {proc.returncode}: {proc.stderr.strip()[-400:]}")
                    print(f"{label:44s} FAILED (exit {proc.returncode})", flush=True)
                    continue
                out = np.load(os.path.join(tmp, "out.npy"))
                if out.shape != ref.shape:
                    bad.append(f"{label}: shape {out.shape}, ONNX Runtime {ref.shape}")
                    continue
                abs_err, rel_err = max_errors(out, ref)
                rows.append({"model": model, "batch": batch, "shape": list(ref.shape), "max_abs": abs_err,
                             "max_rel": rel_err})
                ok = rel_err <= args.max_rel
                if not ok:
                    bad.append(f"{label}: max rel {rel_err:.3g} > {args.max_rel:g}")
                print(f"{label:44s} {str(list(ref.shape)):14s} max abs {abs_err:9.3g}  max rel {rel_err:9.3g}  "
                      f"{'ok' if ok else 'TOO FAR'}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    if bad:
        print("check_pruned: " + "; ".join(bad), file=sys.stderr)
        return 1
    print(f"check_pruned: {len(rows)} runs within max rel {args.max_rel:g} of ONNX Runtime")
    return 0


if __name__ == "__main__":
    sys.exit(main())
