#!/usr/bin/env python3
"""ONNX Runtime (CPU EP) on the conv layers of bench/kernels/conv_bench.cc.

Builds a one-node Conv model per layer (constant W and B, batch 1), runs it
with 1 and 2 intra-op threads, and prints the median over --reps
repetitions of the mean time of --iters runs, in ms (wall clock, and the
process CPU time per run, which stays meaningful on a shared machine for
one thread), so the numbers line up with `fastserve_bench
--benchmark_filter=conv/ --benchmark_repetitions=5` (real time, CPU time).

  pip install onnxruntime onnx numpy
  python3 bench/peers/conv_ort.py [--filter r50_3x3] [--reps 5] [--iters 50]
"""
import argparse
import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

# label, C, M, H=W, kernel, stride, pad, group (as in conv_bench.cc)
LAYERS = [
    ("r50_3x3_64_56", 64, 64, 56, 3, 1, 1, 1),
    ("r50_3x3_128_28", 128, 128, 28, 3, 1, 1, 1),
    ("r50_3x3_256_14", 256, 256, 14, 3, 1, 1, 1),
    ("r50_3x3_512_7", 512, 512, 7, 3, 1, 1, 1),
    ("r50_7x7s2_3_64_224", 3, 64, 224, 7, 2, 3, 1),
    ("r50_3x3s2_128_56", 128, 128, 56, 3, 2, 1, 1),
    ("mv2_3x3s2_3_32_224", 3, 32, 224, 3, 2, 1, 1),
    ("r50_1x1_64_256_56", 64, 256, 56, 1, 1, 0, 1),
    ("r50_1x1_256_64_56", 256, 64, 56, 1, 1, 0, 1),
    ("r50_1x1_1024_256_14", 1024, 256, 14, 1, 1, 0, 1),
    ("r50_1x1_512_2048_7", 512, 2048, 7, 1, 1, 0, 1),
    ("r50_1x1s2_256_512_56", 256, 512, 56, 1, 2, 0, 1),
    ("mv2_1x1_16_96_112", 16, 96, 112, 1, 1, 0, 1),
    ("mv2_1x1_144_24_56", 144, 24, 56, 1, 1, 0, 1),
    ("mv2_1x1_32_192_28", 32, 192, 28, 1, 1, 0, 1),
    ("mv2_1x1_576_96_14", 576, 96, 14, 1, 1, 0, 1),
    ("mv2_1x1_960_160_7", 960, 160, 7, 1, 1, 0, 1),
    ("mv2_1x1_320_1280_7", 320, 1280, 7, 1, 1, 0, 1),
    ("mv2_dw_32_112", 32, 32, 112, 3, 1, 1, 32),
    ("mv2_dw_32_112_s2", 32, 32, 112, 3, 2, 1, 32),
    ("mv2_dw_144_56", 144, 144, 56, 3, 1, 1, 144),
    ("mv2_dw_144_56_s2", 144, 144, 56, 3, 2, 1, 144),
    ("mv2_dw_192_28", 192, 192, 28, 3, 1, 1, 192),
    ("mv2_dw_192_28_s2", 192, 192, 28, 3, 2, 1, 192),
    ("mv2_dw_576_14", 576, 576, 14, 3, 1, 1, 576),
    ("mv2_dw_576_14_s2", 576, 576, 14, 3, 2, 1, 576),
    ("mv2_dw_960_7", 960, 960, 7, 3, 1, 1, 960),
]


def conv_model(c, m, hw, k, stride, pad, group):
    rng = np.random.default_rng(1234)
    w = rng.uniform(-1, 1, (m, c // group, k, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (m,)).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[pad] * 4, strides=[stride] * 2, group=group)
    graph = helper.make_graph(
        [node], "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, hw, hw])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def time_layer(model, c, hw, threads, reps, iters):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).uniform(-1, 1, (1, c, hw, hw)).astype(np.float32)
    for _ in range(5):
        sess.run(None, {"x": x})
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iters):
            sess.run(None, {"x": x})
        wall.append((time.perf_counter() - t0) / iters * 1e3)
        cpu.append((time.process_time() - c0) / iters * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--filter", default="")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--iters", type=int, default=50)
    args = ap.parse_args()
    print(f"onnxruntime {ort.__version__}")
    for label, c, m, hw, k, stride, pad, group in LAYERS:
        if args.filter not in label:
            continue
        model = conv_model(c, m, hw, k, stride, pad, group)
        w1, c1 = time_layer(model, c, hw, 1, args.reps, args.iters)
        w2, _ = time_layer(model, c, hw, 2, args.reps, args.iters)
        print(f"{label:24s} threads:1 {w1:8.3f} ms (cpu {c1:8.3f} ms)  threads:2 {w2:8.3f} ms")


if __name__ == "__main__":
    main()
