#!/usr/bin/env python3
"""Quantization-aware training of the Fashion-MNIST CNN, exported as QDQ ONNX (issue 5).

    .venv/bin/python tools/qat_fashion_mnist.py [--out build/qat] [--epochs 2] [--smoke]

Steps:
  1. load models/fashion_mnist_cnn.onnx's weights (no retraining) and fold BatchNorm into Conv;
  2. wrap it in fake quantization: int8 symmetric per-output-channel weights (scale =
     max|w| / 127), uint8 per-tensor asymmetric activations at the input and after each ReLU
     (moving-average min/max observers), int32 biases at scale s_in * s_w; torch's
     fake_quantize_* ops pass the gradient straight through (STE) inside the clamp range;
  3. calibrate the observers on training batches (this alone is post-training quantization,
     reported as "PTQ"), then train briefly with the observers frozen for the second half;
  4. write QDQ ONNX (opset 17; weights stored as int8, biases as int32, each behind a
     DequantizeLinear; QuantizeLinear -> DequantizeLinear on the activations) with the FP32
     model's metadata_props;
  5. check it in ONNX Runtime (accuracy, and logits against the PyTorch fake-quant model) and
     in `fastserve eval`; print both accuracies, the size and `fastserve bench` latency.

Writes OUT/fashion_mnist_cnn_qat.onnx (and a copy of the labels file). Deterministic for a seed.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_cnn as fc  # noqa: E402
from fastserve_cli import FastServe, FastServeError, default_binary  # noqa: E402

QMIN_W, QMAX_W = -128, 127   # int8 storage; symmetric scales only use [-127, 127]
QMIN_A, QMAX_A = 0, 255      # uint8 activations


class ActFakeQuant(nn.Module):
    """Per-tensor uint8 fake quantization with a moving-average min/max observer
    (as torch.ao's MovingAverageMinMaxObserver; Jacob et al. 2018, section 3.1).
    The range always includes 0 so that zero (ReLU's output, padding) is exact."""

    def __init__(self, momentum=0.01):
        super().__init__()
        self.momentum = momentum
        self.observe = True
        self.enabled = True
        self.register_buffer("lo", torch.tensor(0.0))
        self.register_buffer("hi", torch.tensor(0.0))
        self.register_buffer("seen", torch.tensor(False))

    def qparams(self):
        lo, hi = min(float(self.lo), 0.0), max(float(self.hi), 0.0)
        scale = max((hi - lo) / (QMAX_A - QMIN_A), 1e-8)
        zp = int(np.clip(round(QMIN_A - lo / scale), QMIN_A, QMAX_A))
        return scale, zp

    def forward(self, x):
        if self.observe:
            with torch.no_grad():
                lo, hi = x.min(), x.max()
                if not bool(self.seen):
                    self.lo.copy_(lo), self.hi.copy_(hi), self.seen.fill_(True)
                else:
                    self.lo.lerp_(lo, self.momentum), self.hi.lerp_(hi, self.momentum)
        if not self.enabled:
            return x
        scale, zp = self.qparams()
        return torch.fake_quantize_per_tensor_affine(x, scale, zp, QMIN_A, QMAX_A)


def weight_scale(w):
    """Per-output-channel symmetric int8 scale: max|w_c| / 127 (not learned, no gradient)."""
    return (w.detach().abs().flatten(1).amax(1) / 127.0).clamp_min(1e-8)


def fake_quant_weight(w):
    s = weight_scale(w)
    return torch.fake_quantize_per_channel_affine(
        w, s, torch.zeros_like(s, dtype=torch.int32), 0, QMIN_W, QMAX_W)


def fake_quant_bias(b, s_in, s_w):
    """int32 bias at scale s_in * s_w, with a straight-through gradient."""
    s = s_in * s_w
    return b + (torch.round(b / s) * s - b).detach()


class QATCNN(nn.Module):
    """Fake-quant wrapper around a BN-free fashion_cnn.CNN (it trains the CNN's own tensors).

    Quantization points: input, relu1 (also pool1), relu2 (also pool2, the Flatten), relu3;
    the logits stay float."""

    POINTS = ("input", "relu1", "relu2", "relu3")

    def __init__(self, plain):
        super().__init__()
        if plain.has_bn:
            raise ValueError("QATCNN needs a BN-free CNN (fold_bn first)")
        self.net = plain
        self.fq = nn.ModuleDict({p: ActFakeQuant() for p in self.POINTS})

    def set_observe(self, on):
        for m in self.fq.values():
            m.observe = on

    def set_fake_quant(self, on):
        for m in self.fq.values():
            m.enabled = on

    def _layer(self, mod, x, point, conv):
        w = fake_quant_weight(mod.weight)
        b = fake_quant_bias(mod.bias, self.fq[point].qparams()[0], weight_scale(mod.weight))
        return F.conv2d(x, w, b, padding=1) if conv else F.linear(x, w, b)

    def forward(self, x):
        n = self.net
        x = self.fq["input"](x)
        x = F.max_pool2d(self.fq["relu1"](F.relu(self._layer(n.conv1, x, "input", True))), 2)
        x = F.max_pool2d(self.fq["relu2"](F.relu(self._layer(n.conv2, x, "relu1", True))), 2)
        x = self.fq["relu3"](F.relu(self._layer(n.fc1, torch.flatten(x, 1), "relu2", False)))
        return self._layer(n.fc2, x, "relu3", False)

    @torch.no_grad()
    def qdq_params(self):
        """What fashion_cnn.write_onnx needs for the QDQ file: integer tensors computed with the
        same rounding as the forward pass, so ORT's output matches the fake-quant model."""
        inputs = {"conv1": "input", "conv2": "relu1", "fc1": "relu2", "fc2": "relu3"}
        q = {"act": {p: self.fq[p].qparams() for p in self.POINTS},
             "w": {}, "w_scale": {}, "b": {}, "b_scale": {}}
        for name, mod in self.net.weight_layers():
            s_w = weight_scale(mod.weight)
            w_int = torch.round(fake_quant_weight(mod.weight) / s_w.view(-1, *[1] * (mod.weight.dim() - 1)))
            s_b = self.fq[inputs[name]].qparams()[0] * s_w
            q["w"][name] = w_int.numpy().astype(np.int8)
            q["w_scale"][name] = s_w.numpy().astype(np.float32)
            q["b"][name] = torch.round(mod.bias / s_b).numpy().astype(np.int32)
            q["b_scale"][name] = s_b.numpy().astype(np.float32)
        return q


@torch.no_grad()
def weight_only_params(plain):
    """INT8 weight-only storage for a BN-free CNN: per-channel symmetric int8 weights (as
    QATCNN's), float biases and activations. The engine folds the constant DequantizeLinear at
    compile time, so the file is ~4x smaller and runs at FP32 speed; no training needed."""
    q = {"act": None, "w": {}, "w_scale": {}, "b": None, "b_scale": None}
    for name, mod in plain.weight_layers():
        s_w = weight_scale(mod.weight)
        w_int = torch.round(fake_quant_weight(mod.weight) / s_w.view(-1, *[1] * (mod.weight.dim() - 1)))
        q["w"][name] = w_int.numpy().astype(np.int8)
        q["w_scale"][name] = s_w.numpy().astype(np.float32)
    return q


@torch.no_grad()
def calibrate(qm, data, batches, batch=256):
    """Observers on, fake quant off, on the first `batches` training batches (fixed order)."""
    qm.eval()
    qm.set_observe(True)
    qm.set_fake_quant(False)
    for i in range(min(batches, (len(data.x_train) + batch - 1) // batch)):
        qm(data.x_train[i * batch:(i + 1) * batch])
    qm.set_fake_quant(True)


def quantization_aware_training(plain, data, epochs=2, lr=2e-4, calib_batches=32, freeze=0.5,
                                quiet=False, after_step=None, max_steps=0, seed=fc.SEED):
    """Calibrate, report PTQ accuracy, then QAT. The observers freeze after `freeze` of the steps.
    after_step(step, total) is called after each step too (e.g. to keep pruning masks).
    Returns (QATCNN, ptq_accuracy, qat_accuracy) in PyTorch on the test set."""
    qm = QATCNN(plain)
    calibrate(qm, data, calib_batches)
    qm.set_observe(False)
    ptq = fc.evaluate(qm, data.x_test, data.y_test)
    fc.log(quiet, f"  PTQ (calibrated on {calib_batches} batches, no training): PyTorch accuracy {ptq:.4f}")
    if epochs <= 0:
        return qm, ptq, ptq

    def hook(step, total):
        qm.set_observe(step < int(freeze * total))
        if after_step:
            after_step(step, total)

    qm.set_observe(True)
    fc.train(qm, data, epochs, lr, quiet=quiet, after_step=hook, max_steps=max_steps, seed=seed,
             tag="QAT")
    qm.set_observe(False)
    acc = fc.evaluate(qm, data.x_test, data.y_test)
    fc.log(quiet, f"  QAT: PyTorch (fake quant) accuracy {acc:.4f}")
    return qm, ptq, acc


def export_qdq(qm, path, description, accuracy, data, quiet=False):
    """Write qm as QDQ ONNX and check it in ONNX Runtime against the fake-quant model.
    Returns (ORT accuracy, max |logit difference|, fraction of matching argmax)."""
    fc.write_onnx(qm.net, path, description, accuracy, quant=qm.qdq_params(), quiet=quiet)
    ort_acc, logits = fc.ort_accuracy(path, data)
    with torch.no_grad():
        ref = torch.cat([qm(data.x_test[i:i + 1000]) for i in range(0, len(data.x_test), 1000)])
    diff = float(np.abs(logits - ref.numpy()).max())
    agree = float((logits.argmax(1) == ref.numpy().argmax(1)).mean())
    fc.log(quiet, f"  ONNX Runtime: accuracy {ort_acc:.4f}; vs PyTorch fake quant: max |logit diff| "
                  f"{diff:.2e}, same class for {agree * 100:.2f}% of images")
    return ort_acc, diff, agree


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=fc.FP32_MODEL, help="FP32 model to start from (default: %(default)s)")
    ap.add_argument("--out", default=os.path.join(fc.ROOT, "build", "qat"),
                    help="output directory (default: build/qat)")
    ap.add_argument("--epochs", type=int, default=2, help="QAT epochs (0 = PTQ only; default 2)")
    ap.add_argument("--lr", type=float, default=2e-4, help="peak one-cycle learning rate (default 2e-4)")
    ap.add_argument("--calib-batches", type=int, default=32, help="calibration batches of 256 (default 32)")
    ap.add_argument("--seed", type=int, default=fc.SEED, help="random seed (default %(default)s)")
    ap.add_argument("--threads", type=int, default=1,
                    help="PyTorch threads (default 1: on a busy 2-core machine 2 threads ran 10x slower)")
    ap.add_argument("--fastserve-bin", default=default_binary(),
                    help="fastserve binary (default: $FASTSERVE_BIN or build/release/fastserve)")
    ap.add_argument("--no-fastserve", action="store_true", help="skip `fastserve eval` / `bench`")
    ap.add_argument("--bench-seconds", type=float, default=2.0, help="`fastserve bench` seconds per model (default 2)")
    ap.add_argument("--bench-threads", type=int, default=1, help="`fastserve bench` threads (default 1)")
    ap.add_argument("--smoke", action="store_true",
                    help="self-check: 50 QAT steps on 2,000 test images, no timing (about a minute)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the result lines")
    args = ap.parse_args(argv)
    if args.epochs < 0 or args.lr <= 0 or args.calib_batches < 1:
        ap.error("--epochs must be >= 0, --lr > 0, --calib-batches >= 1")

    t0 = time.time()
    fc.seed_everything(args.seed, args.threads)
    fs = None
    if not args.no_fastserve:
        try:
            fs = FastServe(args.fastserve_bin).check()
        except FastServeError as e:
            sys.exit(f"error: {e}\n  (or run with --no-fastserve)")
    data = fc.Data(test_limit=2000 if args.smoke else 0)
    teacher = fc.load_fp32_cnn(args.model)
    fp32_acc = fc.evaluate(teacher, data.x_test, data.y_test)
    plain = fc.fold_bn(teacher)
    folded_acc = fc.evaluate(plain, data.x_test, data.y_test)
    fc.log(args.quiet, f"FP32 {fc.shown(args.model)}: PyTorch accuracy {fp32_acc:.4f} "
                       f"(BN folded: {folded_acc:.4f})")
    fc.log(args.quiet, f"QAT: {args.epochs} epoch(s), lr {args.lr}, seed {args.seed}")
    qm, ptq_acc, qat_acc = quantization_aware_training(
        plain, data, args.epochs, args.lr, args.calib_batches, quiet=args.quiet,
        max_steps=50 if args.smoke else 0, seed=args.seed)
    path = os.path.join(args.out, "fashion_mnist_cnn_qat.onnx")
    desc = ("Fashion-MNIST CNN after quantization-aware training (tools/qat_fashion_mnist.py): QDQ, "
            "int8 per-channel symmetric weights, uint8 per-tensor activations, int32 biases")
    ort_acc, diff, agree = export_qdq(qm, path, desc, qat_acc, data, quiet=args.quiet)
    if agree < 0.99:
        sys.exit(f"error: ONNX Runtime disagrees with the fake-quant model on {100 - agree * 100:.2f}% "
                 f"of the images (max logit diff {diff:.3g})")

    rows = [("FP32 (models/)", args.model), ("QAT INT8 QDQ", path)]
    print(f"\n| model | accuracy PyTorch | accuracy ORT | accuracy fastserve | bytes | "
          f"p50 ms (fastserve, batch 1, {args.bench_threads} thr) |")
    print("|---|---|---|---|---|---|")
    for label, p in rows:
        pt = fp32_acc if p == args.model else qat_acc
        ort_a = fc.ort_accuracy(p, data)[0]
        fs_acc = lat = None
        try:
            if fs is not None and args.smoke:  # still run the engine on the file, briefly
                fs.run(["eval", "--model", p, "--limit", "500", "--json", "-q"])
            elif fs is not None:
                fs_acc = fs.eval_accuracy(p)
                lat = fs.bench_p50_ms(p, args.bench_threads, args.bench_seconds)
        except FastServeError as e:
            sys.exit(f"error: {e}")
        print(f"| {label} | {pt:.4f} | {ort_a:.4f} | {'-' if fs_acc is None else f'{fs_acc:.4f}'} | "
              f"{os.path.getsize(p)} | {'-' if lat is None else f'{lat:.4f}'} |")
    print(f"\nPTQ (no training) PyTorch accuracy {ptq_acc:.4f}; QDQ file {path}; {time.time() - t0:.0f}s")
    if args.smoke:
        print("smoke: ok")


if __name__ == "__main__":
    main()
