#!/usr/bin/env python3
"""The Fashion-MNIST quantization table of docs/quantization.md, from one run on this machine.

    make quant-table        # = .venv/bin/python bench/quant/fashion_mnist_table.py --fastserve-bin build/release/fastserve

Each row is one model file made from models/fashion_mnist_cnn.onnx (FP32, 91.85% in PyTorch):
`fastserve quantize` with the row's flags (calibrated on 512 images of the *training* split), or
the QAT model of tools/qat_fashion_mnist.py (--qat-model FILE, else it is trained now). For each
file: accuracy on the real 10k test set in fastserve (`eval`) and in ONNX Runtime (the same file:
the QDQ files are standard ONNX), file size, and batch-1 latency (median of R rounds of
`fastserve bench` p50, 2 threads; ORT likewise, in one process per round). Rewrites the section
between <!-- fashion:begin --> and <!-- fashion:end --> of docs/quantization.md (--no-doc skips it).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import fashion_mnist_data as fm  # noqa: E402

FP32 = os.path.join(ROOT, "models", "fashion_mnist_cnn.onnx")
DOC = os.path.join(ROOT, "docs", "quantization.md")
BEGIN, END = "<!-- fashion:begin -->", "<!-- fashion:end -->"

# (row name, fastserve quantize flags); None = the FP32 model itself.
ROWS = [
    ("FP32", None),
    ("INT8 static, per-tensor, minmax", ["--calibration", "fashion-mnist", "--per-tensor"]),
    ("INT8 static, per-channel, minmax", ["--calibration", "fashion-mnist", "--per-channel"]),
    ("INT8 static, per-channel, percentile 99.99", ["--calibration", "fashion-mnist", "--per-channel",
                                                    "--method", "percentile"]),
    ("INT8 static, per-channel, entropy", ["--calibration", "fashion-mnist", "--per-channel", "--method", "entropy"]),
    ("INT8 static, per-channel, int8 symmetric activations", ["--calibration", "fashion-mnist", "--per-channel",
                                                               "--symmetric"]),
    ("INT8 weight-only, per-channel", ["--activations", "none", "--per-channel"]),
    ("INT4 weight-only, block 32", ["--weights", "int4", "--block", "32"]),
    ("INT4 block 32, --mixed auto (budget 0.5)", ["--weights", "int4", "--calibration", "fashion-mnist",
                                                   "--mixed", "auto", "--max-accuracy-drop", "0.5",
                                                   "--samples", "2000"]),
    ("INT8 static per-channel entropy, --mixed auto (budget 0.5)",
     ["--calibration", "fashion-mnist", "--per-channel", "--method", "entropy", "--mixed", "auto",
      "--max-accuracy-drop", "0.5", "--samples", "2000"]),
]


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")
    return p.stdout


def fastserve_accuracy(fs, model):
    return json.loads(run([fs, "eval", "-m", model, "--json", "--quiet"]))["accuracy"] * 100


def fastserve_latency(fs, model, rounds, iterations):
    p50 = []
    for _ in range(rounds):
        d = json.loads(run([fs, "bench", "-m", model, "--threads", "2", "--warmup", "20", "--iterations",
                            str(iterations), "--json", "--quiet"]))
        p50.append(d["results"][0]["latency_ms"]["p50"])
    return statistics.median(p50)


ORT_WORKER = r"""
import sys, time, json, numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = 2; o.inter_op_num_threads = 1
o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
s = ort.InferenceSession(sys.argv[1], o, providers=['CPUExecutionProvider'])
x = np.load(sys.argv[2]); name = s.get_inputs()[0].name
for _ in range(20): s.run(None, {name: x})
t = []
for _ in range(int(sys.argv[3])):
    t0 = time.perf_counter(); s.run(None, {name: x}); t.append((time.perf_counter() - t0) * 1e3)
print(json.dumps({"p50": float(np.median(t))}))
"""


def ort_latency(model, x1_path, rounds, iterations):
    p50 = []
    for _ in range(rounds):
        out = run([sys.executable, "-c", ORT_WORKER, model, x1_path, str(iterations)])
        p50.append(json.loads(out)["p50"])
    return statistics.median(p50)


def ort_accuracy(model, xs, labels):
    import onnxruntime as ort
    s = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    out = np.concatenate([s.run(None, {name: xs[i:i + 500]})[0] for i in range(0, len(xs), 500)])
    return float((out.argmax(1) == labels).mean() * 100)


def qat_model(args, workdir):
    if args.qat_model:
        return args.qat_model
    out = os.path.join(workdir, "qat")
    run([sys.executable, os.path.join(ROOT, "tools", "qat_fashion_mnist.py"), "--out", out, "--quiet"])
    onnx_files = sorted(f for f in os.listdir(out) if f.endswith(".onnx") and "qat" in f)
    if not onnx_files:
        raise RuntimeError(f"tools/qat_fashion_mnist.py wrote no *qat*.onnx into {out}")
    return os.path.join(out, onnx_files[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fastserve-bin", default=os.path.join(ROOT, "build", "release", "fastserve"))
    ap.add_argument("--qat-model", help="a QAT QDQ model (default: train one with tools/qat_fashion_mnist.py)")
    ap.add_argument("--no-qat", action="store_true", help="skip the QAT row")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "quant-table"))
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    fs = os.path.abspath(args.fastserve_bin)
    os.makedirs(args.workdir, exist_ok=True)
    images, labels = fm.load("t10k")
    xs = fm.preprocess(images, 0.286, 0.353)
    x1 = os.path.join(args.workdir, "x1.npy")
    np.save(x1, xs[:1])

    files = []
    for i, (name, flags) in enumerate(ROWS):
        if flags is None:
            files.append((name, FP32, "models/fashion_mnist_cnn.onnx"))
            continue
        path = os.path.join(args.workdir, f"row{i}.onnx")
        run([fs, "quantize", "-m", FP32, "-o", path, "--no-bench", "--quiet"] + flags)
        files.append((name, path, "fastserve quantize " + " ".join(flags)))
    if not args.no_qat:
        files.append(("QAT (tools/qat_fashion_mnist.py), INT8 QDQ", qat_model(args, args.workdir),
                      "tools/qat_fashion_mnist.py"))

    rows = []
    for name, path, how in files:
        print(f"measuring {name} ...", file=sys.stderr)
        rows.append({
            "name": name, "how": how, "bytes": os.path.getsize(path),
            "acc": fastserve_accuracy(fs, path), "acc_ort": ort_accuracy(path, xs, labels),
            "ms": fastserve_latency(fs, path, args.rounds, args.iterations),
            "ms_ort": ort_latency(path, x1, args.rounds, args.iterations),
        })
    base = rows[0]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = platform.processor() or "x86_64"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        f"Measured {now} on {cpu}, {os.cpu_count()} cores, by `bench/quant/fashion_mnist_table.py` "
        f"(accuracy: all 10,000 test images; latency: batch 1, 2 threads, median of {args.rounds} "
        f"rounds of the p50 of {args.iterations} runs, fastserve and ONNX Runtime on the same file).",
        "",
        "| model | accuracy (fastserve) | vs FP32 | accuracy (ORT, same file) | file size | size vs FP32 "
        "| latency fastserve | latency ORT | fastserve vs FP32 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['acc']:.2f}% | {r['acc'] - base['acc']:+.2f} | {r['acc_ort']:.2f}% "
            f"| {r['bytes'] / 1024:.1f} KiB | {base['bytes'] / r['bytes']:.2f}x smaller "
            f"| {r['ms'] * 1000:.0f} us | {r['ms_ort'] * 1000:.0f} us | {base['ms'] / r['ms']:.2f}x |")
    lines.append("")
    lines.append("How each file was made:")
    lines.append("")
    for r in rows:
        lines.append(f"- {r['name']}: `{r['how']}`")
    table = "\n".join(lines)
    print(table)
    if not args.no_doc:
        with open(DOC) as f:
            doc = f.read()
        if BEGIN in doc and END in doc:
            doc = doc[:doc.index(BEGIN) + len(BEGIN)] + "\n" + table + "\n" + doc[doc.index(END):]
        else:
            doc += f"\n{BEGIN}\n{table}\n{END}\n"
        with open(DOC, "w") as f:
            f.write(doc)


if __name__ == "__main__":
    main()
