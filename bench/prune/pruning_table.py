#!/usr/bin/env python3
"""The figures of docs/pruning.md, from one run: accuracy against sparsity, speed of pruned models.

    python3 bench/prune/pruning_table.py --fastserve-bin build/release/fastserve --out build/prune   (make prune-table)

Runs (each timing the median of --rounds rounds, dense and pruned alternating so drift hits both):
  * `fastserve prune --eval fashion-mnist` on models/fashion_mnist_cnn.onnx: magnitude (global and per
    layer) and channel pruning at 0.5 / 0.7 / 0.9, one-shot, and 2:4; accuracy on the 10k test set;
  * ResNet-18 (zoo/resnet18/model.onnx) with 50% channel pruning against dense: `fastserve bench`
    p50 latency at batch 1, --threads 2; the same for --zoo-models (fewer rounds);
  * ResNet-18 and the CNN at 90% unstructured (magnitude, per layer): `bench --profile` per-node kernel
    times of the layers that run sparse against the same layers of the dense model.
Prints Markdown tables; writes the pruned models under --out (for tools/check_pruned.py).
Uses only the standard library.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return p.stdout


def prune(bin_, model, out, method, sparsity=None, extra=(), eval_=False):
    cmd = [bin_, "prune", "-m", model, "-o", out, "--method", method, "--json", *extra]
    if sparsity is not None:
        cmd += ["--sparsity", str(sparsity)]
    if eval_:
        cmd += ["--eval", "fashion-mnist"]
    return json.loads(run(cmd))


def p50(bin_, model, threads, duration):
    out = json.loads(run([bin_, "bench", "-m", model, "--threads", str(threads), "--duration", str(duration),
                          "--json", "-q"]))
    return out["results"][0]["latency_ms"]["p50"]


def profile(bin_, model, threads, iterations):
    out = json.loads(run([bin_, "bench", "-m", model, "--threads", str(threads), "--iterations", str(iterations),
                          "--profile", "--json", "-q"]))
    return {r["name"]: (r["kernel"], r["ms"]) for r in out["profile"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fastserve-bin", default="build/release/fastserve")
    ap.add_argument("--cnn", default="models/fashion_mnist_cnn.onnx")
    ap.add_argument("--resnet18", default="zoo/resnet18/model.onnx")
    ap.add_argument("--out", default="/tmp/prune_out")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--zoo-models", default="resnet50,mobilenet_v2",
                    help="other zoo models (next to --resnet18's folder) to prune 50%% by channel and time")
    ap.add_argument("--zoo-rounds", type=int, default=3)
    args = ap.parse_args()
    b = args.fastserve_bin
    os.makedirs(args.out, exist_ok=True)

    print("## Fashion-MNIST CNN, one-shot, 10k test set\n")
    print("| method | sparsity | weights zero | initializers | accuracy | change (points) |")
    print("|---|---|---|---|---|---|")
    rows = [("magnitude, global", "magnitude", []), ("magnitude, per layer", "magnitude", ["--scope", "layer"]),
            ("channel", "channel", [])]
    base = None
    for label, method, extra in rows:
        for s in (0.5, 0.7, 0.9):
            name = f"cnn_{method}{'_layer' if extra else ''}_{int(s * 100)}.onnx"
            r = prune(b, args.cnn, os.path.join(args.out, name), method, s, extra, eval_=True)
            e = r["eval"]
            base = e["accuracy_before"]
            zero = r["zeros_after"] / max(r["weights_after"], 1)
            size = f"{r['bytes_before'] / 1024:.0f} -> {r['bytes_after'] / 1024:.0f} KiB"
            print(f"| {label} | {s} | {zero:.1%} | {size} | {e['accuracy_after']:.4f} | "
                  f"{100 * (e['accuracy_after'] - base):+.2f} |", flush=True)
    r = prune(b, args.cnn, os.path.join(args.out, "cnn_2of4.onnx"), "2:4", None, (), eval_=True)
    print(f"| 2:4 | 0.5 | {r['zeros_after'] / r['weights_after']:.1%} | = | {r['eval']['accuracy_after']:.4f} | "
          f"{100 * (r['eval']['accuracy_after'] - base):+.2f} |")
    print(f"\ndense accuracy: {base:.4f}\n")

    print(f"## ResNet-18, 50% channel pruning, batch 1, {args.threads} threads, median of {args.rounds} rounds\n")
    r18c = os.path.join(args.out, "resnet18_channel50.onnx")
    rep = prune(b, args.resnet18, r18c, "channel", 0.5)
    dense, pruned = [], []
    for _ in range(args.rounds):
        dense.append(p50(b, args.resnet18, args.threads, args.duration))
        pruned.append(p50(b, r18c, args.threads, args.duration))
    d, p = statistics.median(dense), statistics.median(pruned)
    print(f"layers pruned: {len(rep['layers'])}; initializers {rep['bytes_before'] / 2**20:.1f} -> "
          f"{rep['bytes_after'] / 2**20:.1f} MiB")
    print(f"dense p50 {d:.3f} ms (rounds {', '.join(f'{x:.2f}' for x in dense)})")
    print(f"pruned p50 {p:.3f} ms (rounds {', '.join(f'{x:.2f}' for x in pruned)})")
    ratios = [x / y for x, y in zip(dense, pruned)]
    print(f"speedup {d / p:.2f}x (median of the per-round ratios {statistics.median(ratios):.2f}x)\n")

    others = [m for m in args.zoo_models.split(",") if m]
    if others:
        print(f"## 50% channel pruning across the zoo, batch 1, {args.threads} threads, median of "
              f"{args.zoo_rounds} rounds\n")
        print("| model | layers pruned | initializers | dense p50 ms | pruned p50 ms | speedup |")
        print("|---|---|---|---|---|---|")
        for name in others:
            model = os.path.join(os.path.dirname(os.path.dirname(args.resnet18)), name, "model.onnx")
            if not os.path.exists(model):
                print(f"| {name} | n/a: {model} missing (make zoo) | | | | |")
                continue
            out = os.path.join(args.out, f"{name}_channel50.onnx")
            rep = prune(b, model, out, "channel", 0.5)
            dense, pruned = [], []
            for _ in range(args.zoo_rounds):
                dense.append(p50(b, model, args.threads, args.duration))
                pruned.append(p50(b, out, args.threads, args.duration))
            d, p = statistics.median(dense), statistics.median(pruned)
            print(f"| {name} | {len(rep['layers'])} | {rep['bytes_before'] / 2**20:.1f} -> "
                  f"{rep['bytes_after'] / 2**20:.1f} MiB | {d:.3f} | {p:.3f} | {d / p:.2f}x |", flush=True)
        print()

    print(f"## 90% unstructured (magnitude, per layer): sparse kernels vs dense on the pruned layers, "
          f"bench --profile, median of {args.rounds} rounds\n")
    print("| model | layers sparse | dense ms (those layers) | sparse ms | speedup (median of per-round ratios) | "
          "whole run dense / sparse p50 |")
    print("|---|---|---|---|---|---|")
    for label, model in (("resnet18", args.resnet18), ("fashion_mnist_cnn", args.cnn)):
        m90 = os.path.join(args.out, f"{label}_magnitude90.onnx")
        prune(b, model, m90, "magnitude", 0.9, ["--scope", "layer"])
        dense_t, sparse_t, n_sparse, whole_d, whole_s = [], [], 0, [], []
        for _ in range(args.rounds):
            a, s_ = profile(b, model, args.threads, 50), profile(b, m90, args.threads, 50)
            names = [n for n, (k, _) in s_.items() if "_sparse__" in k]
            n_sparse = len(names)
            dense_t.append(sum(a[n][1] for n in names))
            sparse_t.append(sum(s_[n][1] for n in names))
            whole_d.append(p50(b, model, args.threads, args.duration / 2))
            whole_s.append(p50(b, m90, args.threads, args.duration / 2))
        dm, sm = statistics.median(dense_t), statistics.median(sparse_t)
        ratio = statistics.median([x / y for x, y in zip(dense_t, sparse_t)])
        print(f"| {label} | {n_sparse} | {dm:.3f} | {sm:.3f} | {dm / sm:.2f}x ({ratio:.2f}x) | "
              f"{statistics.median(whole_d):.3f} / {statistics.median(whole_s):.3f} ms |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
