#!/usr/bin/env python3
"""fastserve against ONNX Runtime on every zoo model, at batch 1 and at other dynamic sizes.

    make zoo-check          (= .venv/bin/python tools/check_zoo.py --fastserve-bin build/release/fastserve)

For each zoo/<name>/ (tools/make_zoo.py) and each size in SIZES (batch 1 with the sample
sequence length, then larger batches and other sequence lengths; CNNs only vary the batch),
it draws seeded inputs with the zoo's samplers, runs `fastserve run` on them and ONNX Runtime
(ORT_DISABLE_ALL, 1 thread: the plain graph, as make_zoo's reference), and prints the max abs
error and the max abs error relative to max |reference|. Exits 1 when any relative error is
above --max-rel (default 1e-4, issue "Transformers, graph passes and ONNX conformance") or a
run fails. --json FILE writes the rows.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_test_models import save_npy  # noqa: E402
from make_zoo import ZOO, ZOO_DIR, sample_input  # noqa: E402

# (batch, seq): seq is ignored by models without a "seq" dim.
SIZES = [(1, 16), (3, 16), (2, 7), (1, 61)]


def max_errors(a, ref):
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    abs_err = float(np.max(np.abs(a - ref))) if a.size else 0.0
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return abs_err, (abs_err / scale if scale > 0 else (float("inf") if abs_err > 0 else 0.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fastserve-bin", default="build/release/fastserve")
    ap.add_argument("--zoo", default=ZOO_DIR)
    ap.add_argument("--models", default="", help="comma-separated subset (default: every exported model)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-rel", type=float, default=1e-4)
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    wanted = [m for m in args.models.split(",") if m]
    rows, bad = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for entry in ZOO:
            model_dir = os.path.join(args.zoo, entry.name)
            model = os.path.join(model_dir, "model.onnx")
            if (wanted and entry.name not in wanted) or not os.path.exists(model):
                if entry.name in wanted:
                    bad.append(f"{entry.name}: not exported (make zoo)")
                continue
            has_seq = any("seq" in i.shape for i in entry.inputs)
            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
            seen = set()
            for batch, seq in SIZES:
                key = (batch, seq if has_seq else None)
                if key in seen:
                    continue
                seen.add(key)
                rng = np.random.default_rng(1000 * batch + seq)
                feeds = {i.name: sample_input(i, rng, {"batch": batch, "seq": seq}) for i in entry.inputs}
                cmd = [args.fastserve_bin, "run", "--model", model, "--threads", str(args.threads), "--json",
                       "--output", os.path.join(tmp, "out.npy"), "--input"]
                for name, value in feeds.items():
                    path = os.path.join(tmp, f"{name}.npy")
                    save_npy(path, value)
                    cmd.append(f"{name}={path}")
                ref = sess.run(None, feeds)[0]
                t0 = time.time()
                proc = subprocess.run(cmd, capture_output=True, text=True)
                label = f"{entry.name} batch {batch}" + (f" seq {seq}" if has_seq else "")
                if proc.returncode != 0:
                    bad.append(f"{label}: fastserve exit {proc.returncode}: {proc.stderr.strip()[-400:]}")
                    print(f"{label:32s} FAILED (exit {proc.returncode})", flush=True)
                    continue
                out = np.load(os.path.join(tmp, "out.npy"))
                if out.shape != ref.shape:
                    bad.append(f"{label}: shape {out.shape}, ONNX Runtime {ref.shape}")
                    continue
                abs_err, rel_err = max_errors(out, ref)
                rows.append({"model": entry.name, "batch": batch, "seq": seq if has_seq else None,
                             "shape": list(ref.shape), "max_abs": abs_err, "max_rel": rel_err})
                ok = rel_err <= args.max_rel
                if not ok:
                    bad.append(f"{label}: max rel {rel_err:.3g} > {args.max_rel:g}")
                print(f"{label:32s} {str(list(ref.shape)):18s} max abs {abs_err:9.3g}  max rel {rel_err:9.3g}  "
                      f"{'ok' if ok else 'TOO FAR'}  ({time.time() - t0:.1f} s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    if bad:
        print("check_zoo: " + "; ".join(bad), file=sys.stderr)
        return 1
    print(f"check_zoo: {len(rows)} runs within max rel {args.max_rel:g} of ONNX Runtime")
    return 0


if __name__ == "__main__":
    sys.exit(main())
