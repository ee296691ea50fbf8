#!/usr/bin/env python3
"""Compress the Fashion-MNIST CNN: pruning, distillation, and distill -> prune -> quantize (issue 8).

    .venv/bin/python tools/compress_fashion_mnist.py [--out build/compress] [--skip-quantize]

(a) Pruning of the FP32 CNN (models/fashion_mnist_cnn.onnx's weights, no retraining) by each
    --methods to each --sparsities value:
    - magnitude-global / magnitude-layer: unstructured by weight magnitude, ranked over all the
      Conv/Gemm weights together or within each layer (biases and BN stay);
    - channel: whole output channels of the layers `fastserve prune --method channel` prunes
      (conv1, conv2, fc1), the same fraction of each, ranked by BN-scaled L1 norm
      (tools/cnn_channel_pruning.py); the masked channels are exported as zero filters and biases
      and the file is made physically smaller by `fastserve prune --method channel` (checked to
      remove exactly the zeroed channels, then against ONNX Runtime by tools/check_pruned.py);
    each with three schedules:
    - one-shot: prune once, no training; and one-shot followed by --prune-epochs of fine-tuning
      with the mask fixed (the same training budget as gradual);
    - gradual (Zhu & Gupta 2017, "To prune, or not to prune"): over the first --prune-end of the
      fine-tuning steps the target sparsity (for channels: the fraction masked per layer) follows
      s_t = s_f + (s_i - s_f)(1 - t/T)^3 (s_i = 0), the mask recomputed every --prune-every steps;
      the rest fine-tunes with the final mask.
(b) Knowledge distillation (Hinton et al. 2015) into a smaller student (--student C1,C2,HIDDEN):
    loss = alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE; the same student
    trained without the teacher is reported for comparison.
(c) The pipeline: the distilled student, gradually pruned to --student-sparsity (distillation
    loss kept while fine-tuning), then quantized to INT8 by each --quantizer:
    - fastserve: `fastserve quantize --activations static --calibration fashion-mnist`
      (static INT8, issue 5; a binary without it fails this step with a clear message:
      use --skip-quantize or another quantizer);
    - qat: tools/qat_fashion_mnist.py's QAT (mask kept), QDQ with int8 activations;
    - weight-only: int8 per-channel weights behind DequantizeLinear, float activations.

Every model is exported to ONNX in --out (BN folded, the FP32 model's metadata_props) and measured
by `fastserve eval --json` (10k test set) and `fastserve bench --json` (batch 1, p50). The
markdown tables (accuracy against sparsity for (a), the models of (b) and (c)) go to stdout and
OUT/results.md, the numbers to OUT/results.json.
Sizes: the ONNX file's bytes; ONNX stores a magnitude-pruned tensor dense, so the table also gives
the gzip -9 size of the file (where pruning's zeros show) and the nonzero parameter count; a
channel-pruned file is smaller (its initializers' bytes are in the sparsity table).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cnn_channel_pruning as cp  # noqa: E402
import fashion_cnn as fc  # noqa: E402
import qat_fashion_mnist as qat  # noqa: E402
from fastserve_cli import FastServe, FastServeError, default_binary  # noqa: E402

QUANTIZERS = ("fastserve", "qat", "weight-only")
METHODS = {"magnitude-global": "magnitude, global", "magnitude-layer": "magnitude, per layer",
           "channel": "channel"}


# --- pruning -------------------------------------------------------------------------------------

def weights_of(model):
    return [m.weight for _, m in model.weight_layers()]


@torch.no_grad()
def magnitude_masks(model, sparsity, scope):
    """0/1 masks zeroing the `sparsity` fraction of smallest-|w| weights, ranked over all
    Conv/Gemm weights together (scope "global") or within each layer ("layer"). Exactly
    round(sparsity * n) weights go: a stable sort breaks ties (the zeros of an earlier mask
    come first), so the count does not depend on ties."""
    ws = weights_of(model)

    def mask_for(flat_abs):
        k = int(round(sparsity * flat_abs.numel()))
        m = torch.ones_like(flat_abs)
        if k > 0:
            m[torch.sort(flat_abs, stable=True).indices[:k]] = 0.0
        return m

    if scope == "layer":
        return [mask_for(w.abs().flatten()).view_as(w) for w in ws]
    flat = mask_for(torch.cat([w.abs().flatten() for w in ws]))
    masks, at = [], 0
    for w in ws:
        masks.append(flat[at:at + w.numel()].view_as(w))
        at += w.numel()
    return masks


@torch.no_grad()
def apply_masks(model, masks):
    for w, m in zip(weights_of(model), masks):
        w.mul_(m)


def weight_sparsity(model):
    ws = weights_of(model)
    return sum(int((w == 0).sum()) for w in ws) / sum(w.numel() for w in ws)


def polynomial_sparsity(step, end_step, s_final, s_initial=0.0):
    """Zhu & Gupta's schedule, eq. (1): s_t = s_f + (s_i - s_f)(1 - t/T)^3, flat after T."""
    t = min(step / max(end_step, 1), 1.0)
    return s_final + (s_initial - s_final) * (1.0 - t) ** 3


class GradualPruner:
    """after_step hook for fashion_cnn.train: re-ranks the mask every `every` steps until
    `end` (a fraction of the steps) and keeps the weights masked after every step."""

    def __init__(self, model, s_final, scope, end=0.67, every=50):
        self.model, self.s_final, self.scope, self.end, self.every = model, s_final, scope, end, every
        self.masks = magnitude_masks(model, 0.0, scope)

    def __call__(self, step, total):
        end_step = max(int(self.end * total), 1)
        if step <= end_step and (step % self.every == 0 or step == end_step):
            s = polynomial_sparsity(step, end_step, self.s_final)
            self.masks = magnitude_masks(self.model, s, self.scope)
        apply_masks(self.model, self.masks)

    def finish(self):
        """Ensure the final sparsity even when training stopped early (--smoke)."""
        self.masks = magnitude_masks(self.model, self.s_final, self.scope)
        apply_masks(self.model, self.masks)


class FixedMask:
    def __init__(self, model, masks):
        self.model, self.masks = model, masks

    def __call__(self, step, total):
        apply_masks(self.model, self.masks)


# --- distillation --------------------------------------------------------------------------------

def distillation_loss(teacher, temperature, alpha):
    """Hinton et al.'s loss on the (augmented) batch; the teacher runs in eval mode."""
    teacher.eval()

    def loss(out, xb, yb):
        with torch.no_grad():
            t = teacher(xb)
        kd = F.kl_div(F.log_softmax(out / temperature, 1), F.softmax(t / temperature, 1),
                      reduction="batchmean") * temperature ** 2
        return alpha * kd + (1.0 - alpha) * F.cross_entropy(out, yb)

    return loss


# --- the run -------------------------------------------------------------------------------------

class Results:
    """Rows of the table: each an exported ONNX file measured by fastserve (and ONNX Runtime)."""

    def __init__(self, args, data, fs):
        self.args, self.data, self.fs, self.rows = args, data, fs, []
        self.base = None

    def add(self, label, path, step, pytorch_acc=None, sparsity=None, tags=None):
        """tags: more fields of the row (method, schedule, sparsity of the rows of (a))."""
        st = fc.model_stats(path)
        ort_acc = fc.ort_accuracy(path, self.data)[0]
        row = {"model": label, "step": step, "file": fc.shown(path), **st, "weight_sparsity": sparsity, "accuracy_pytorch": pytorch_acc,
               "accuracy_ort": ort_acc, "accuracy": None, "p50_ms": None, **(tags or {})}
        if self.fs is not None:  # latency waits for remeasure(), so every row is timed together
            row["accuracy"] = self.fs.eval_accuracy(path)
        if self.base is None:
            self.base = row
        self.rows.append(row)
        fc.log(self.args.quiet, f"  {label}: accuracy fastserve {fmt(row['accuracy'], '.4f')}, ORT "
                                f"{ort_acc:.4f}; {st['bytes']} bytes (gzip {st['gzip_bytes']}), "
                                f"{st['nonzero']}/{st['params']} nonzero")
        row["path"] = path
        return row

    def remeasure(self):
        """One pass at the end over every file: `fastserve eval` again and `bench`, so all rows
        come from the same binary (it may be rebuilt during a long run) and the same minutes."""
        if self.fs is None:
            return
        fc.log(self.args.quiet, f"timing {len(self.rows)} models ({self.args.bench_seconds:g} s each, "
                                f"{self.args.bench_threads} thread(s))")
        for r in self.rows:
            acc = self.fs.eval_accuracy(r["path"])
            if acc != r["accuracy"]:
                fc.log(self.args.quiet, f"  note: {r['model']}: fastserve accuracy {r['accuracy']:.4f} -> "
                                        f"{acc:.4f} (the binary changed during the run?)")
            r["accuracy"] = acc
            r["p50_ms"] = self.fs.bench_p50_ms(r["path"], self.args.bench_threads, self.args.bench_seconds)
            fc.log(self.args.quiet, f"  {r['model']}: p50 {r['p50_ms']:.4f} ms")

    def table(self):
        """The models of (b) and (c), after the FP32 CNN (the rows of (a) are sparsity_table's)."""
        b = self.base
        acc_key = "accuracy" if self.fs is not None else "accuracy_ort"
        lines = [
            f"| model | params | nonzero | file bytes | gzip -9 bytes | x smaller (file) | "
            f"x smaller (gzip) | accuracy ({'fastserve' if self.fs else 'ORT'}) | vs FP32 (points) | "
            f"p50 ms (fastserve, batch 1, {self.args.bench_threads} thr) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in self.rows:
            if "method" in r:
                continue
            d = (r[acc_key] - b[acc_key]) * 100
            lines.append(
                f"| {r['model']} | {r['params']:,} | {r['nonzero']:,} | {r['bytes']:,} | "
                f"{r['gzip_bytes']:,} | {b['bytes'] / r['bytes']:.1f} | "
                f"{b['gzip_bytes'] / r['gzip_bytes']:.1f} | {r[acc_key] * 100:.2f}% | {d:+.2f} | "
                f"{fmt(r['p50_ms'], '.4f')} |")
        return "\n".join(lines)

    def sparsity_table(self):
        """(a)'s rows: method x schedule x sparsity against the FP32 CNN."""
        b = self.base
        acc_key = "accuracy" if self.fs is not None else "accuracy_ort"
        lines = [
            f"| method | schedule | sparsity | weights zero / channels kept | initializers | "
            f"accuracy ({'fastserve' if self.fs else 'ORT'}) | vs FP32 (points) | "
            f"p50 ms (batch 1, {self.args.bench_threads} thr) |",
            "|---|---|---:|---|---:|---:|---:|---:|",
            f"| FP32 CNN | - | 0 | 0.0% | {b['init_bytes'] / 1024:.0f} KiB | {b[acc_key] * 100:.2f}% | "
            f"+0.00 | {fmt(b['p50_ms'], '.4f')} |"]
        for r in self.rows:
            if "method" not in r:
                continue
            d = (r[acc_key] - b[acc_key]) * 100
            shape = r["channels"] if "channels" in r else f"{r['weight_sparsity'] * 100:.1f}%"
            lines.append(f"| {METHODS[r['method']]} | {r['schedule']} | {r['sparsity']:g} | {shape} | "
                         f"{r['init_bytes'] / 1024:.0f} KiB | {r[acc_key] * 100:.2f}% | {d:+.2f} | "
                         f"{fmt(r['p50_ms'], '.4f')} |")
        return "\n".join(lines)

    def verdict(self, row):
        """The issue's target for the final model: >= 10x smaller file, <= 2 points, faster."""
        b = self.base
        acc_key = "accuracy" if self.fs is not None else "accuracy_ort"
        ratio = b["bytes"] / row["bytes"]
        drop = (b[acc_key] - row[acc_key]) * 100
        faster = None if row["p50_ms"] is None else row["p50_ms"] < b["p50_ms"]
        ok = ratio >= 10 and drop <= 2 and faster is not False
        return (f"{'PASS' if ok else 'FAIL'} {row['model']}: {ratio:.1f}x smaller file (target >= 10), "
                f"{drop:.2f} points below FP32 (target <= 2), p50 {fmt(row['p50_ms'], '.4f')} vs "
                f"{fmt(b['p50_ms'], '.4f')} ms ({'faster' if faster else 'not faster' if faster is False else 'not timed'})"), ok


def check_pruned(fs, files, out_dir, failures):
    """tools/check_pruned.py (fastserve against ONNX Runtime) on the channel-pruned files; returns
    the summary line and appends to failures when a run is off by more than 1e-4 (relative)."""
    import subprocess

    report = os.path.join(out_dir, "check_pruned.json")
    if os.path.exists(report):  # an earlier run's must not stand in for this one's
        os.remove(report)
    p = subprocess.run([sys.executable, os.path.join(fc.ROOT, "tools", "check_pruned.py"), "--fastserve-bin",
                        fs.binary, "--batches", "1,3,70", "--json", report] + files, capture_output=True, text=True)
    if p.returncode != 0:
        failures.append("check_pruned: " + (p.stderr or p.stdout).strip().splitlines()[-1])
    runs = []
    if os.path.exists(report):
        with open(report) as f:
            runs = json.load(f)
    worst = max(runs, key=lambda r: r["max_rel"]) if runs else None
    return (f"tools/check_pruned.py on the {len(files)} channel-pruned files (fastserve against ONNX Runtime, "
            f"batches 1, 3, 70): {len(runs)} runs, max rel error "
            f"{fmt(worst and worst['max_rel'], '.2g')} (target <= 1e-4)"
            f"{' (' + os.path.basename(worst['model']) + ', batch ' + str(worst['batch']) + ')' if worst else ''}"
            f"{'' if p.returncode == 0 else ': FAILED'}")


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=fc.FP32_MODEL, help="the FP32 CNN (default: %(default)s)")
    ap.add_argument("--out", default=os.path.join(fc.ROOT, "build", "compress"),
                    help="output directory (default: build/compress; never models/)")
    ap.add_argument("--sparsities", default="0.5,0.7,0.9", help="pruning targets for (a) (default %(default)s)")
    ap.add_argument("--methods", default=",".join(METHODS),
                    help=f"comma list of {', '.join(METHODS)} for (a) (default all)")
    ap.add_argument("--scope", choices=("global", "layer"), default="global",
                    help="(c)'s magnitude ranking, over all weights or per layer (default global)")
    ap.add_argument("--prune-epochs", type=int, default=3, help="fine-tuning epochs per pruned model (default 3)")
    ap.add_argument("--prune-lr", type=float, default=1e-3, help="fine-tuning peak LR (default 1e-3)")
    ap.add_argument("--prune-end", type=float, default=0.67,
                    help="fraction of the fine-tuning steps over which sparsity ramps (default 0.67)")
    ap.add_argument("--prune-every", type=int, default=50, help="steps between mask updates (default 50)")
    ap.add_argument("--student", default="8,16,32", help="student widths C1,C2,HIDDEN (default %(default)s)")
    ap.add_argument("--distill-epochs", type=int, default=8, help="student training epochs (default 8)")
    ap.add_argument("--distill-lr", type=float, default=3e-3, help="student peak LR (default 3e-3)")
    ap.add_argument("--temperature", type=float, default=2.0, help="distillation temperature T (default 2)")
    ap.add_argument("--alpha", type=float, default=0.5, help="weight of the distillation term (default 0.5)")
    ap.add_argument("--student-sparsity", type=float, default=0.5,
                    help="sparsity of the pruned student in (c) (default 0.5)")
    ap.add_argument("--quantizer", default="fastserve",
                    help=f"comma list of {', '.join(QUANTIZERS)} for (c)'s last step (default fastserve)")
    ap.add_argument("--skip-quantize", action="store_true", help="stop (c) after pruning")
    ap.add_argument("--qat-epochs", type=int, default=1, help="QAT epochs for --quantizer qat (default 1)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: prune, distill (distill also skips c)")
    ap.add_argument("--seed", type=int, default=fc.SEED, help="random seed (default %(default)s)")
    ap.add_argument("--threads", type=int, default=1,
                    help="PyTorch threads (default 1: on a busy 2-core machine 2 threads ran 10x slower)")
    ap.add_argument("--fastserve-bin", default=default_binary(),
                    help="fastserve binary (default: $FASTSERVE_BIN or build/release/fastserve)")
    ap.add_argument("--no-fastserve", action="store_true",
                    help="measure in ONNX Runtime only (no eval/bench/quantize by fastserve)")
    ap.add_argument("--bench-seconds", type=float, default=2.0, help="`fastserve bench` seconds per model (default 2)")
    ap.add_argument("--bench-threads", type=int, default=1, help="`fastserve bench` threads (default 1)")
    ap.add_argument("--smoke", action="store_true",
                    help="self-check: 50 steps per training, 0.5 bench seconds (a few minutes)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the table and the verdict")
    args = ap.parse_args(argv)
    try:
        args.sparsities = [float(s) for s in args.sparsities.split(",") if s]
        args.student = [int(s) for s in args.student.split(",")]
    except ValueError:
        ap.error("--sparsities takes numbers, --student three integers")
    if len(args.student) != 3 or min(args.student) < 1:
        ap.error("--student takes three positive widths C1,C2,HIDDEN")
    if not all(0.0 <= s < 1.0 for s in args.sparsities + [args.student_sparsity]):
        ap.error("sparsities must be in [0, 1)")
    args.methods = [m for m in args.methods.split(",") if m]
    if set(args.methods) - set(METHODS):
        ap.error(f"unknown --methods {','.join(sorted(set(args.methods) - set(METHODS)))} "
                 f"(choose from {', '.join(METHODS)})")
    args.quantizer = [q for q in args.quantizer.split(",") if q]
    bad = [q for q in args.quantizer if q not in QUANTIZERS]
    if bad:
        ap.error(f"unknown --quantizer {','.join(bad)} (choose from {', '.join(QUANTIZERS)})")
    args.skip = {s for s in args.skip.split(",") if s}
    if args.skip - {"prune", "distill"}:
        ap.error("--skip takes prune and/or distill")
    if args.no_fastserve and "fastserve" in args.quantizer and not args.skip_quantize:
        ap.error("--quantizer fastserve needs the binary; drop --no-fastserve or pick another quantizer")
    if os.path.abspath(args.out).startswith(os.path.join(fc.ROOT, "models")):
        ap.error("--out must not be under models/")
    for name in ("prune_epochs", "distill_epochs", "qat_epochs", "prune_every"):
        if getattr(args, name) < (1 if name == "prune_every" else 0):
            ap.error(f"--{name.replace('_', '-')} is too small")
    if args.smoke:
        args.bench_seconds = min(args.bench_seconds, 0.5)
    return args


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    fc.seed_everything(args.seed, args.threads)
    fs = None
    if not args.no_fastserve:
        try:
            fs = FastServe(args.fastserve_bin).check()
        except FastServeError as e:
            sys.exit(f"error: {e}\n  (or run with --no-fastserve)")
    os.makedirs(args.out, exist_ok=True)
    steps = 50 if args.smoke else 0
    data = fc.Data()
    teacher = fc.load_fp32_cnn(args.model)
    res = Results(args, data, fs)
    say = lambda *a: fc.log(args.quiet, *a)  # noqa: E731
    out = lambda name: os.path.join(args.out, name + ".onnx")  # noqa: E731
    meta = "exported by tools/compress_fashion_mnist.py: "

    say("FP32 CNN")
    base = res.add("FP32 CNN (models/fashion_mnist_cnn.onnx)", args.model, "fp32",
                   fc.evaluate(teacher, data.x_test, data.y_test))
    # The exporter must reproduce the FP32 model before it writes the others.
    fc.write_onnx(teacher, out("fp32_cnn_bn_folded"), meta + "FP32 CNN, BN folded", base["accuracy_ort"],
                  quiet=True)
    diff = np.abs(fc.ort_accuracy(out("fp32_cnn_bn_folded"), data)[1] -
                  fc.ort_accuracy(args.model, data)[1]).max()
    say(f"  exporter check: BN-folded re-export vs the FP32 file in ORT, max |logit diff| {diff:.2e}")
    if diff > 1e-3:
        sys.exit(f"error: the re-exported FP32 model differs from {args.model} (max logit diff {diff:.3g})")

    def finetune(model, hook, epochs, lr, tag, loss_fn=None):
        fc.seed_everything(args.seed, args.threads)
        return fc.train(model, data, epochs, lr, quiet=args.quiet, after_step=hook, loss_fn=loss_fn,
                        max_steps=steps, seed=args.seed, tag=tag)

    failures, pruned_files = [], []  # pruned_files: physically channel-pruned, for check_pruned.py

    def add_pruned(m, method, schedule, s, name, train_s, channel_masks=None):
        """Exports m (a row of (a)); a channel-pruned model is exported masked and then made
        physically smaller by `fastserve prune --method channel`, and that file is the row."""
        acc = fc.evaluate(m, data.x_test, data.y_test)
        label = f"CNN {s:g} {METHODS[method]}, {schedule}"
        tags = {"method": method, "schedule": schedule, "sparsity": s, "train_s": round(train_s, 1)}
        what = meta + f"{METHODS[method]} pruning {s:g}, {schedule}"
        if channel_masks is None:
            return res.add(label, fc.write_onnx(m, out(name), what, acc, quiet=True), "prune", acc,
                           weight_sparsity(m), tags)
        masked = fc.write_onnx(channel_masks.folded(), out(name + "_masked"), what + " (masked)", acc, quiet=True)
        tags.update(channels=channel_masks.kept_text(), masked_file=fc.shown(masked))
        if fs is None:  # no binary to prune with: the masked file stands in
            return res.add(label + " (masked file)", masked, "prune", acc, None, tags)
        path = out(name)
        try:
            rep = cp.physically_prune(fs, masked, path, s, channel_masks, data)
        except (FastServeError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            failures.append(f"channel {schedule} {s:g}: {str(e).splitlines()[0]}")
            return res.add(label + " (masked file, pruning failed)", masked, "prune", acc, None, tags)
        tags["max_logit_diff_vs_masked"] = rep["max_logit_diff"]
        pruned_files.append(path)
        fc.log(args.quiet, f"  fastserve prune: channels {channel_masks.kept_text()}, initializers "
                           f"{rep['bytes_before']} -> {rep['bytes_after']} bytes, logits within "
                           f"{rep['max_logit_diff']:.2g} of the masked file")
        return res.add(label, path, "prune", acc, None, tags)

    def prune_cnn(method, s):
        """One method at one sparsity: one-shot, one-shot + fine-tuning, gradual."""
        tag = f"{s:g}"
        prefix = {"magnitude-global": "cnn", "magnitude-layer": "cnn_layer", "channel": "cnn_channel"}[method]
        scope = "layer" if method == "magnitude-layer" else "global"
        say(f"(a) {METHODS[method]} pruning to {tag}")
        ft = f"one-shot + {args.prune_epochs} ep fine-tuning"
        gradual = f"gradual, {args.prune_epochs} ep"
        m = fc.load_fp32_cnn(args.model)
        if method == "channel":
            hook = cp.ChannelMasks(m).rank(s)
            add_pruned(m, method, "one-shot, no fine-tuning", s, f"{prefix}_oneshot_{tag}", 0.0, hook)
        else:
            masks = magnitude_masks(m, s, scope)
            apply_masks(m, masks)
            hook = FixedMask(m, masks)
            add_pruned(m, method, "one-shot, no fine-tuning", s, f"{prefix}_oneshot_{tag}", 0.0)
        t0 = time.time()
        finetune(m, hook, args.prune_epochs, args.prune_lr, f"{method} one-shot {tag} fine-tune")
        add_pruned(m, method, ft, s, f"{prefix}_oneshot_ft_{tag}", time.time() - t0,
                   hook if method == "channel" else None)
        m = fc.load_fp32_cnn(args.model)
        if method == "channel":
            channel_masks = cp.ChannelMasks(m)
            pruner = cp.GradualChannelPruner(channel_masks, s, polynomial_sparsity, args.prune_end,
                                             args.prune_every)
        else:
            channel_masks = None
            pruner = GradualPruner(m, s, scope, args.prune_end, args.prune_every)
        t0 = time.time()
        finetune(m, pruner, args.prune_epochs, args.prune_lr, f"{method} gradual {tag}")
        pruner.finish()
        add_pruned(m, method, gradual, s, f"{prefix}_gradual_{tag}", time.time() - t0, channel_masks)

    # (a) pruning the FP32 CNN
    if "prune" not in args.skip:
        for method in args.methods:
            for s in args.sparsities:
                prune_cnn(method, s)

    if "distill" not in args.skip:
        # (b) distillation
        c1, c2, hidden = args.student
        name = f"student {c1}/{c2}/{hidden}"
        say(f"(b) {name}: without the teacher, then distilled (T={args.temperature:g}, alpha={args.alpha:g})")
        fc.seed_everything(args.seed, args.threads)
        alone = fc.CNN(c1, c2, hidden, bn=True)
        finetune(alone, None, args.distill_epochs, args.distill_lr, "student alone")
        acc = fc.evaluate(alone, data.x_test, data.y_test)
        res.add(f"{name}, trained alone", fc.write_onnx(
            alone, out("student_alone"), meta + f"{name} trained without distillation", acc, quiet=True),
            "distill", acc)
        fc.seed_everything(args.seed, args.threads)
        student = fc.CNN(c1, c2, hidden, bn=True)
        kd = distillation_loss(teacher, args.temperature, args.alpha)
        finetune(student, None, args.distill_epochs, args.distill_lr, "distill", kd)
        acc = fc.evaluate(student, data.x_test, data.y_test)
        res.add(f"{name}, distilled", fc.write_onnx(
            student, out("student_kd"), meta + f"{name} distilled from the CNN", acc, quiet=True),
            "distill", acc)

        # (c) distill -> prune -> quantize
        s = args.student_sparsity
        say(f"(c) distilled student -> gradual pruning {s:g} -> INT8")
        pruner = GradualPruner(student, s, args.scope, args.prune_end, args.prune_every)
        finetune(student, pruner, args.prune_epochs, args.prune_lr, f"student gradual {s:g}", kd)
        pruner.finish()
        acc = fc.evaluate(student, data.x_test, data.y_test)
        pruned_path = fc.write_onnx(student, out(f"student_kd_pruned_{s:g}"),
                                    meta + f"{name} distilled, gradual pruning {s:g}", acc, quiet=True)
        res.add(f"{name} distilled, pruned {s:g}", pruned_path, "pipeline", acc,
                        weight_sparsity(student))
        plain = fc.fold_bn(student)
        masks = [(w != 0).float() for w in weights_of(plain)]
        for q in ([] if args.skip_quantize else args.quantizer):
            label = f"{name} distilled, pruned {s:g}, INT8 {q}"
            if q == "fastserve":
                path = out(f"student_kd_pruned_{s:g}_int8")
                try:
                    fs.quantize_static(pruned_path, path)
                except FastServeError as e:
                    print(f"error: {e}", file=sys.stderr)
                    failures.append(f"--quantizer fastserve: {str(e).splitlines()[0]}")
                    continue
                res.add(label, path, "quantize")
            elif q == "qat":
                fc.seed_everything(args.seed, args.threads)
                qplain = fc.fold_bn(student)
                qm, _, qacc = qat.quantization_aware_training(
                    qplain, data, args.qat_epochs, 2e-4, quiet=args.quiet,
                    after_step=FixedMask(qplain, masks), max_steps=steps, seed=args.seed)
                path = out(f"student_kd_pruned_{s:g}_qat")
                _, _, agree = qat.export_qdq(qm, path, meta + label, qacc, data, quiet=args.quiet)
                if agree < 0.99:
                    failures.append(f"--quantizer qat: ORT disagrees with PyTorch on {100 - agree * 100:.2f}%")
                res.add(label, path, "quantize", qacc, weight_sparsity(qplain))
            else:  # weight-only
                path = fc.write_onnx(plain, out(f"student_kd_pruned_{s:g}_int8_weights"), meta + label, acc,
                                     quant=qat.weight_only_params(plain), quiet=True)
                res.add(label, path, "quantize", None, weight_sparsity(plain))

    res.remeasure()
    lines = []
    if any("method" in r for r in res.rows):
        lines += ["Accuracy against sparsity (10k test set):", "", res.sparsity_table(), ""]
        if pruned_files:
            lines += [check_pruned(fs, pruned_files, args.out, failures), ""]
    lines += [res.table(), ""]
    if args.smoke:
        lines.append("(--smoke: 50 steps per training, so these accuracies mean nothing)")
    # The target (>= 10x smaller, <= 2 points, faster) for each model out of the pipeline.
    last = [r for r in res.rows if r["step"] == "quantize"] or [r for r in res.rows if r["step"] == "pipeline"]
    verdicts = [res.verdict(r) for r in last]
    lines += [v for v, _ in verdicts]
    ok = any(passed for _, passed in verdicts)
    lines += [f"error: {f}" for f in failures]
    text = "\n".join(lines)
    print("\n" + text)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"args": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(args).items()},
                   "fastserve": fs and fs.describe(),
                   "rows": res.rows, "failures": failures, "seconds": time.time() - t_start}, f, indent=1)
    say(f"wrote {fc.shown(os.path.join(args.out, 'results.md'))} and results.json "
        f"({time.time() - t_start:.0f}s)")
    if args.smoke:
        print("smoke: ok" if not failures else "smoke: quantize step failed (see above)")
    if failures:
        sys.exit(1)
    return ok


if __name__ == "__main__":
    main()
