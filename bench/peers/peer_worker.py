#!/usr/bin/env python3
"""Times one peer engine on one zoo model, in a process of its own.

    peer_worker.py {ort,torch} --model-dir zoo/resnet18 --threads 2 --batch 1 --warmup 10 --iterations 50

bench_peers.py starts one of these per (round, model, peer) so that each peer's peak RSS is its
own (the parent reads it with wait4) and no peer warms another's caches or thread pools. Prints
one JSON object on stdout:
  {"peer", "latencies_ms": [...], "load_ms", "first_ms", "rss_after_import_mb",
   "ref_err": {"max_abs", "max_rel"} or null}
ref_err compares the first output with zoo/<name>/ort_output_0.npy when batch is 1 (the input
is then the zoo's input_0.npy); larger batches use a seeded N(0,1) batch and skip the check.

Settings follow shared/reference/measuring.md: ORT with intra_op = N, inter_op = 1, sequential
execution, ORT_ENABLE_ALL; PyTorch with OPENBLAS_NUM_THREADS=1 (else Debian's OpenBLAS starts its
own threads beside torch's OpenMP ones), set_num_threads(N), inference_mode, eager.
"""
import argparse
import json
import os
import resource
import sys
import time


def rss_peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def load_inputs(np, meta, model_dir, batch, inputs_dir=None):
    feeds = {}
    rng = np.random.default_rng(12345)
    for spec in meta["inputs"]:
        if inputs_dir:  # given by bench_peers (transformers at --seq): the files every peer reads
            feeds[spec["name"]] = np.load(os.path.join(inputs_dir, spec["name"] + ".npy"))
        elif batch == 1:
            feeds[spec["name"]] = np.load(os.path.join(model_dir, spec["file"]))
        else:
            shape = [batch if d == "batch" else d for d in spec["shape"]]
            feeds[spec["name"]] = rng.standard_normal(shape).astype(spec["dtype"])
    return feeds


def ref_error(np, out, model_dir, batch, inputs_dir=None):
    if batch != 1 or inputs_dir:
        return None
    ref = np.load(os.path.join(model_dir, "ort_output_0.npy")).astype(np.float64)
    abs_err = float(np.max(np.abs(np.asarray(out, np.float64) - ref)))
    return {"max_abs": abs_err, "max_rel": abs_err / float(np.max(np.abs(ref)))}


def time_runs(run_once, warmup, iterations):
    t0 = time.perf_counter()
    out = run_once()
    first_ms = (time.perf_counter() - t0) * 1e3
    for _ in range(max(0, warmup - 1)):
        run_once()
    lat = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        run_once()
        lat.append((time.perf_counter() - t0) * 1e3)
    return out, first_ms, lat


def bench_ort(args, meta):
    import numpy as np
    import onnxruntime as ort

    rss_import = rss_peak_mb()
    feeds = load_inputs(np, meta, args.model_dir, args.batch, args.inputs_dir)
    t0 = time.perf_counter()
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(os.path.join(args.model_dir, "model.onnx"), so, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t0) * 1e3
    out, first_ms, lat = time_runs(lambda: sess.run(None, feeds)[0], args.warmup, args.iterations)
    return {"load_ms": load_ms, "first_ms": first_ms, "latencies_ms": lat, "rss_after_import_mb": rss_import,
            "ref_err": ref_error(np, out, args.model_dir, args.batch, args.inputs_dir), "version": ort.__version__}


def bench_torch(args, meta):
    import importlib

    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    rss_import = rss_peak_mb()
    feeds = load_inputs(np, meta, args.model_dir, args.batch, args.inputs_dir)
    t0 = time.perf_counter()
    module_name, fn_name = meta["torch"]["builder"].rsplit(".", 1)
    model = getattr(importlib.import_module(module_name), fn_name)(**meta["torch"]["kwargs"])
    model.load_state_dict(torch.load(os.path.join(args.model_dir, meta["torch"]["state"])))
    model.eval()
    load_ms = (time.perf_counter() - t0) * 1e3
    xs = [torch.from_numpy(feeds[spec["name"]]) for spec in meta["inputs"]]
    with torch.inference_mode():
        out, first_ms, lat = time_runs(lambda: model(*xs), args.warmup, args.iterations)
    return {"load_ms": load_ms, "first_ms": first_ms, "latencies_ms": lat, "rss_after_import_mb": rss_import,
            "ref_err": ref_error(np, out.numpy(), args.model_dir, args.batch, args.inputs_dir), "version": torch.__version__,
            "torch_threads": torch.get_num_threads()}


def main():
    ap = argparse.ArgumentParser(description="Time one peer on one zoo model (used by bench_peers.py)")
    ap.add_argument("peer", choices=["ort", "torch"])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--inputs-dir", default="", help="read every input from <dir>/<name>.npy")
    args = ap.parse_args()
    if args.peer == "torch":
        os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before torch loads OpenBLAS
        # The zoo's own architectures (tools/zoo_transformers.py) are importable from tools/.
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
    with open(os.path.join(args.model_dir, "meta.json")) as f:
        meta = json.load(f)
    result = (bench_ort if args.peer == "ort" else bench_torch)(args, meta)
    result["peer"] = args.peer
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
