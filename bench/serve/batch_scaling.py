#!/usr/bin/env python3
"""What batching can buy on this CPU: items/s at batch 1, 8 and 16, fastserve and ONNX Runtime.

    .venv/bin/python bench/serve/batch_scaling.py --fastserve-bin build/release/fastserve \
        [--model zoo/resnet18/model.onnx] [--threads 2] [--rounds 3]

Dynamic batching can raise a server's throughput only as far as the engine runs a batch of N
faster than N batches of 1. On a 2-core CPU that ceiling is the engine's batch-N items/s over
its batch-1 items/s, which this script measures for fastserve (`fastserve bench --batch`) and
for ONNX Runtime (same model, same threads, ORT_ENABLE_ALL) side by side, rounds interleaved;
each cell is the median over rounds of the per-run median latency. docs/serving.md quotes it.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np


def fastserve_items_per_s(binary, model, threads, batches, iterations):
    out = subprocess.run([binary, "bench", "--model", model, "--threads", str(threads), "--batch",
                          ",".join(map(str, batches)), "--iterations", str(iterations), "--warmup", "3", "--json",
                          "--quiet"], check=True, capture_output=True, text=True).stdout
    doc = json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1])
    return {r["batch"]: r["batch"] / (r["latency_ms"]["p50"] / 1e3) for r in doc["results"]}


def ort_items_per_s(model, threads, batches, iterations):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    out = {}
    for b in batches:
        shape = [b if not isinstance(d, int) else d for d in inp.shape]
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        for _ in range(3):
            sess.run(None, {inp.name: x})
        lat = []
        for _ in range(iterations):
            t0 = time.perf_counter()
            sess.run(None, {inp.name: x})
            lat.append(time.perf_counter() - t0)
        out[b] = b / statistics.median(lat)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fastserve-bin", default="build/release/fastserve")
    ap.add_argument("--model", default="zoo/resnet18/model.onnx")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=10)
    args = ap.parse_args()
    batches = [1, 8, 16]
    runs = {"fastserve": [], "ONNX Runtime": []}
    for r in range(args.rounds):
        order = list(runs) if r % 2 == 0 else list(reversed(runs))
        for peer in order:
            if peer == "fastserve":
                runs[peer].append(fastserve_items_per_s(args.fastserve_bin, args.model, args.threads, batches,
                                                        args.iterations))
            else:
                runs[peer].append(ort_items_per_s(args.model, args.threads, batches, args.iterations))
            print(f"round {r + 1}: {peer} {runs[peer][-1]}", file=sys.stderr)
    print(f"| engine ({args.threads} threads) | " + " | ".join(f"batch {b} items/s" for b in batches) +
          " | batch 16 / batch 1 |")
    print("|---|" + "---:|" * (len(batches) + 1))
    for peer, rs in runs.items():
        med = {b: statistics.median(r[b] for r in rs) for b in batches}
        print(f"| {peer} | " + " | ".join(f"{med[b]:.1f}" for b in batches) + f" | {med[16] / med[1]:.2f}× |")


if __name__ == "__main__":
    main()
