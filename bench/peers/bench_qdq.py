#!/usr/bin/env python3
"""ResNet-50 INT8 (QDQ) against our FP32 and against ONNX Runtime on the same QDQ file.

    .venv/bin/python bench/peers/bench_qdq.py --fastserve-bin build/release/fastserve \
        [--model zoo/resnet50/model.onnx] [--qdq build/qdq/resnet50_qdq.onnx] [--threads 2] \
        [--rounds 7] [--iterations 50] [--json FILE]

Builds the QDQ model once (kept at --qdq; --rebuild makes it again) the way the issue asks:
onnxruntime.quantization.quantize_static, QuantFormat.QDQ, per-channel, QUInt8 activations,
QInt8 weights, calibrated on 8 standard-normal inputs (seed 0). Then R rounds; each round runs, in
a rotating order and each in a fresh process: `fastserve bench` on the FP32 model, `fastserve
bench` on the QDQ file, and ONNX Runtime (ORT_ENABLE_ALL, intra-op threads = --threads,
sequential) on the QDQ file. A number is the median over rounds of that run's p50 latency, batch 1.
Timing commands go through /tmp/shield.sh when it exists (it raises their priority on a shared
host).

Accuracy: our QDQ output against ORT's on the zoo input (zoo/resnet50/input_0.npy) and on 8
more standard-normal inputs: max abs error, argmax agreement, cosine similarity.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIELD = "/tmp/shield.sh"

ORT_TIMER = r"""
import sys, time, numpy as np, onnxruntime as ort
path, threads, warmup, iters, inp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
so = ort.SessionOptions()
so.intra_op_num_threads = threads
so.inter_op_num_threads = 1
so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
feed = {s.get_inputs()[0].name: np.load(inp)}
for _ in range(warmup):
    s.run(None, feed)
ts = []
for _ in range(iters):
    t = time.perf_counter()
    s.run(None, feed)
    ts.append((time.perf_counter() - t) * 1e3)
print(float(np.median(ts)))
"""


def timed(cmd):
    if os.path.exists(SHIELD):
        cmd = ["sh", SHIELD] + cmd  # a plain shell script (no #! line)
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def build_qdq(model, out, samples=8):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    import onnx

    m = onnx.load(model, load_external_data=False)
    inp = m.graph.input[0]
    shape = [d.dim_value if d.dim_value > 0 else 1 for d in inp.type.tensor_type.shape.dim]

    class Reader(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(0)
            self.data = iter([{inp.name: rng.standard_normal(shape).astype(np.float32)} for _ in range(samples)])

        def get_next(self):
            return next(self.data, None)

    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    quantize_static(model, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)


def fastserve_p50(binary, model, threads, iters, warmup):
    out = timed([binary, "bench", "-m", model, "--threads", str(threads), "-n", str(iters), "--warmup", str(warmup),
                 "-q", "--json"])
    return json.loads(out)["results"][0]["latency_ms"]["p50"]


def ort_p50(model, threads, iters, warmup, inp):
    return float(timed([sys.executable, "-c", ORT_TIMER, model, str(threads), str(warmup), str(iters), inp]).strip())


def accuracy(binary, qdq, inputs, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    s = ort.InferenceSession(qdq, so, providers=["CPUExecutionProvider"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, x in enumerate(inputs):
            xin, yout = os.path.join(tmp, f"x{i}.npy"), os.path.join(tmp, f"y{i}.npy")
            np.save(xin, x)
            subprocess.run([binary, "run", "-m", qdq, "-i", xin, "-o", yout, "--threads", str(threads)], check=True,
                           capture_output=True, cwd=ROOT)
            ours = np.load(yout).astype(np.float64).ravel()
            ref = s.run(None, {s.get_inputs()[0].name: x})[0].astype(np.float64).ravel()
            rows.append({"max_abs": float(np.abs(ours - ref).max()),
                         "argmax_agree": bool(ours.argmax() == ref.argmax()),
                         "cosine": float(ours @ ref / (np.linalg.norm(ours) * np.linalg.norm(ref)))})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastserve-bin", default=os.path.join(ROOT, "build/release/fastserve"))
    ap.add_argument("--model", default=os.path.join(ROOT, "zoo/resnet50/model.onnx"))
    ap.add_argument("--input", default=None, help="input .npy (default: the zoo's input_0.npy beside --model)")
    ap.add_argument("--qdq", default=os.path.join(ROOT, "build/qdq/resnet50_qdq.onnx"))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    inp = a.input or os.path.join(os.path.dirname(a.model), "input_0.npy")
    if a.rebuild or not os.path.exists(a.qdq):
        print(f"building {a.qdq} from {a.model} (quantize_static, QDQ, per-channel)", flush=True)
        build_qdq(a.model, a.qdq)

    runs = {
        "fastserve_fp32": lambda: fastserve_p50(a.fastserve_bin, a.model, a.threads, a.iterations, a.warmup),
        "fastserve_int8": lambda: fastserve_p50(a.fastserve_bin, a.qdq, a.threads, a.iterations, a.warmup),
        "ort_int8": lambda: ort_p50(a.qdq, a.threads, a.iterations, a.warmup, inp),
    }
    names = list(runs)
    times = {k: [] for k in names}
    for r in range(a.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for k in order:
            times[k].append(runs[k]())
        print(f"round {r + 1}/{a.rounds}: " + ", ".join(f"{k} {times[k][-1]:.2f} ms" for k in names), flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}

    rng = np.random.default_rng(1)
    x0 = np.load(inp)
    inputs = [x0] + [rng.standard_normal(x0.shape).astype(np.float32) for _ in range(8)]
    acc = accuracy(a.fastserve_bin, a.qdq, inputs, a.threads)

    print(f"\nResNet-50 batch 1, {a.threads} threads, median of {a.rounds} rounds of p50 latency:")
    print(f"  fastserve FP32          {med['fastserve_fp32']:7.2f} ms")
    print(f"  fastserve INT8 (QDQ)    {med['fastserve_int8']:7.2f} ms   "
          f"speed-up over our FP32 {med['fastserve_fp32'] / med['fastserve_int8']:.2f}x (target >= 2.5x)")
    print(f"  ONNX Runtime INT8 (QDQ) {med['ort_int8']:7.2f} ms   "
          f"ours / ORT {med['fastserve_int8'] / med['ort_int8']:.2f} (target <= 1.0)")
    print(f"accuracy vs ORT on {len(acc)} inputs: max abs {max(r['max_abs'] for r in acc):.4g}, "
          f"argmax agreement {sum(r['argmax_agree'] for r in acc)}/{len(acc)}, "
          f"min cosine {min(r['cosine'] for r in acc):.6f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"times_ms": times, "median_ms": med, "accuracy": acc, "threads": a.threads,
                       "qdq": os.path.relpath(a.qdq, ROOT)}, f, indent=1)


if __name__ == "__main__":
    main()
