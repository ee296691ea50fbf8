#!/usr/bin/env python3
"""Train the FastServe demo models on Fashion-MNIST (CPU, deterministic) and
export them to ONNX (opset 17) under models/.

    tools/setup_venv.sh && .venv/bin/python tools/train_fashion_mnist.py

Writes:
  models/fashion_mnist_cnn.onnx   2x [Conv-BN-ReLU-MaxPool] + Gemm-ReLU-Gemm head
  models/tiny_cnn.onnx            "FastServe v0.1 net": Conv(1->8,3x3)-ReLU-MaxPool-Flatten-Gemm
  models/fashion_mnist_labels.txt class names, one per line
  models/samples/*.png, *.jpg     sample test-set images for the C++ runner
  models/README.md                documentation incl. accuracies

Both models: input "input" float32 [batch,1,28,28], output "logits" [batch,10],
BatchNormalization kept as separate nodes (not folded into Conv).
Takes ~5 minutes on 2 cores.
"""
import argparse
import os
import random
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist_data as fm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")
SAMPLES = os.path.join(MODELS, "samples")

# Normalisation used for training AND written into the model metadata.
# (Fashion-MNIST train-set statistics of pixel/255: mean 0.2860, std 0.3530.)
MEAN = 0.2860
STD = 0.3530
LABELS_FILE = "fashion_mnist_labels.txt"
OPSET = 17
SEED = 1234
HIDDEN = 64  # classifier hidden width (keeps the .onnx ~420 KB)


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)


class FashionCNN(nn.Module):
    """2x [Conv3x3(pad 1)-BN-ReLU-MaxPool2] -> Flatten -> Linear-ReLU -> Linear."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),   # 16x14x14
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 32x7x7
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 7 * 7, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


class TinyCNN(nn.Module):
    """FastServe v0.1 net: Conv 1->8 3x3 (no pad), ReLU, MaxPool 2x2, Flatten(1352), Linear 1352->10."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.fc = nn.Linear(8 * 13 * 13, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(torch.flatten(x, 1))


def train(model, x_train, y_train, epochs, lr, batch=128, hflip=True, seed=SEED):
    """Adam + one-cycle LR; optional random horizontal flips. Deterministic."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(x_train) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for ep in range(epochs):
        model.train()
        t0, total, correct, loss_sum = time.time(), 0, 0, 0.0
        perm = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            xb, yb = x_train[idx], y_train[idx]
            if hflip:  # Fashion-MNIST classes are left/right symmetric enough
                flip = torch.rand(len(idx), generator=gen) < 0.5
                xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            opt.zero_grad()
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
            total += len(idx)
        print(f"  epoch {ep + 1}/{epochs}: loss {loss_sum / total:.4f} "
              f"train acc {correct / total:.4f} ({time.time() - t0:.0f}s)", flush=True)


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return (pred == y).float().mean().item()


def export(model, path, description, accuracy):
    import onnx

    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    # training=PRESERVE (with the module in eval mode) skips the exporter's
    # eval-mode peephole pass that would fold BatchNormalization into Conv;
    # BN is still exported in inference form (1 output, running stats).
    # No constant folding needed (nothing to fold; avoids a PRESERVE warning).
    torch.onnx.export(
        model, dummy, path,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=OPSET,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
    )
    m = onnx.load(path)
    meta = {
        "fastserve.image.layout": "NCHW",
        "fastserve.image.channels": "1",
        "fastserve.image.height": "28",
        "fastserve.image.width": "28",
        "fastserve.image.mean": repr(MEAN),
        "fastserve.image.std": repr(STD),
        "fastserve.image.invert": "false",
        "fastserve.labels": LABELS_FILE,
        "fastserve.output.kind": "logits",
        "fastserve.test_accuracy": f"{accuracy:.4f}",
    }
    del m.metadata_props[:]
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=v)
    m.doc_string = description
    m.producer_name = "fastserve-tools"
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)
    ops = [n.op_type for n in m.graph.node]
    print(f"  wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes), ops: {ops}")
    return m


def verify_with_ort(model, path, x, expect_bn):
    """Check the graph and that ORT output == PyTorch output."""
    import onnx
    import onnxruntime as ort

    m = onnx.load(path)
    ops = [n.op_type for n in m.graph.node]
    if expect_bn:
        assert "BatchNormalization" in ops, "BatchNormalization was folded away!"
    assert m.opset_import[0].version == OPSET
    assert m.graph.input[0].name == "input" and m.graph.output[0].name == "logits"
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    xs = x[:256].numpy()
    got = sess.run(["logits"], {"input": xs})[0]
    with torch.no_grad():
        model.eval()
        ref = model(x[:256]).numpy()
    err = float(np.abs(got - ref).max())
    print(f"  ORT vs PyTorch on 256 test images: max abs err {err:.3e}; "
          f"BatchNormalization nodes: {ops.count('BatchNormalization')}")
    assert err < 1e-3, err
    return err


def write_samples(x_test_u8, y_test):
    from PIL import Image

    os.makedirs(SAMPLES, exist_ok=True)
    for f in os.listdir(SAMPLES):  # remove stale samples
        os.remove(os.path.join(SAMPLES, f))
    written = []
    for cls, name in enumerate(fm.LABELS):
        idx = int(np.nonzero(y_test == cls)[0][0])  # first test image of this class
        safe = "".join(c if c.isalnum() else "_" for c in name.lower())
        fn = f"sample_{idx}_{safe}.png"
        Image.fromarray(x_test_u8[idx], mode="L").save(os.path.join(SAMPLES, fn), optimize=True)
        written.append((fn, idx, name))
    # A colour JPEG with a different size: test image #0 (Ankle boot) upscaled to
    # 64x64 (bilinear), as RGB (R=G=B, so any grey conversion gives the same image).
    idx = 0
    rgb = Image.fromarray(x_test_u8[idx], mode="L").resize((64, 64), Image.BILINEAR).convert("RGB")
    rgb.save(os.path.join(SAMPLES, "sample_rgb_64.jpg"), quality=95)
    written.append(("sample_rgb_64.jpg", idx, fm.LABELS[y_test[idx]]))
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=6, help="epochs for fashion_mnist_cnn")
    ap.add_argument("--tiny-epochs", type=int, default=5, help="epochs for tiny_cnn")
    args = ap.parse_args()

    seed_everything(SEED)
    os.makedirs(MODELS, exist_ok=True)
    xtr_u8, ytr = fm.load("train")
    xte_u8, yte = fm.load("t10k")
    x_train = torch.from_numpy(fm.preprocess(xtr_u8, MEAN, STD))
    x_test = torch.from_numpy(fm.preprocess(xte_u8, MEAN, STD))
    y_train = torch.from_numpy(ytr.astype(np.int64))
    y_test = torch.from_numpy(yte.astype(np.int64))

    results = {}
    for name, cls, epochs, lr, desc in [
        ("tiny_cnn", TinyCNN, args.tiny_epochs, 3e-3,
         "FastServe v0.1 net: Conv(1->8,3x3)-ReLU-MaxPool2-Flatten-Gemm(1352->10), Fashion-MNIST"),
        ("fashion_mnist_cnn", FashionCNN, args.epochs, 3e-3,
         "Fashion-MNIST CNN: 2x[Conv3x3-BatchNorm-ReLU-MaxPool2]-Flatten-Gemm(1568->64)-ReLU-Gemm(64->10)"),
    ]:
        seed_everything(SEED)
        print(f"training {name} ({epochs} epochs)", flush=True)
        model = cls()
        train(model, x_train, y_train, epochs, lr)
        acc = evaluate(model, x_test, y_test)
        print(f"  {name}: PyTorch test accuracy {acc:.4f}")
        path = os.path.join(MODELS, f"{name}.onnx")
        export(model, path, desc, acc)
        err = verify_with_ort(model, path, x_test, expect_bn=(cls is FashionCNN))
        results[name] = (acc, err, os.path.getsize(path))

    with open(os.path.join(MODELS, LABELS_FILE), "w") as f:
        f.write("\n".join(fm.LABELS) + "\n")
    samples = predict_samples(write_samples(xte_u8, yte))
    write_readme(results, samples, args)
    print("done:", {k: f"{v[0]:.4f}" for k, v in results.items()})


def predict_samples(samples):
    """Decode each sample file as the runner would (grey, resize to 28x28) and
    record both models' ORT predictions, for the README."""
    import onnxruntime as ort
    from PIL import Image

    sessions = {n: ort.InferenceSession(os.path.join(MODELS, f"{n}.onnx"),
                                        providers=["CPUExecutionProvider"])
                for n in ("fashion_mnist_cnn", "tiny_cnn")}
    out = []
    for fn, idx, name in samples:
        img = Image.open(os.path.join(SAMPLES, fn)).convert("L")
        if img.size != (28, 28):
            img = img.resize((28, 28), Image.BILINEAR)
        x = fm.preprocess(np.asarray(img)[None], MEAN, STD)
        preds = [fm.LABELS[int(s.run(None, {"input": x})[0].argmax())] for s in sessions.values()]
        out.append((fn, idx, name, preds))
    return out


def write_readme(results, samples, args):
    acc_cnn, err_cnn, size_cnn = results["fashion_mnist_cnn"]
    acc_tiny, err_tiny, size_tiny = results["tiny_cnn"]
    sample_lines = "\n".join(f"| `samples/{fn}` | {idx} | {name} | {p[0]} | {p[1]} |"
                             for fn, idx, name, p in samples)
    text = f"""# models/

Demo models for FastServe, trained on Fashion-MNIST and exported to ONNX by
`tools/train_fashion_mnist.py` (PyTorch {torch.__version__.split('+')[0]}, CPU, fixed seed {SEED}).

Regenerate with `make models && make golden`, i.e. (~5 min on 2 cores; the output is
bit-identical run to run on the same machine; rerun make_golden.py after retraining):

    tools/setup_venv.sh
    .venv/bin/python tools/train_fashion_mnist.py --epochs {args.epochs} --tiny-epochs {args.tiny_epochs}
    .venv/bin/python tools/make_golden.py

| file | what |
| --- | --- |
| `fashion_mnist_cnn.onnx` | 2x [Conv3x3(pad 1)-BatchNormalization-Relu-MaxPool2] -> Flatten -> Gemm(1568->{HIDDEN}) -> Relu -> Gemm({HIDDEN}->10). BatchNormalization is kept as separate nodes. {size_cnn} bytes. Test accuracy (PyTorch) **{acc_cnn * 100:.2f}%**; ORT vs PyTorch max abs err {err_cnn:.1e}. |
| `tiny_cnn.onnx` | "FastServe v0.1 net": Conv(1->8, 3x3, no pad) -> Relu -> MaxPool2 -> Flatten(1352) -> Gemm(1352->10). {size_tiny} bytes. Test accuracy (PyTorch) **{acc_tiny * 100:.2f}%**; ORT vs PyTorch max abs err {err_tiny:.1e}. |
| `fashion_mnist_labels.txt` | the 10 class names, one per line, in class-index order |
| `samples/` | test-set images for trying the runner (see below) |

Both models: opset {OPSET}; input `input` float32 `[batch,1,28,28]` (`batch` is a
symbolic dim); output `logits` float32 `[batch,10]` (raw logits, no softmax).
Accuracies are on the 10,000-image test set (`t10k`); ORT's accuracy on it is
printed by `tools/make_golden.py` and recorded in `tests/golden/README.md`.

## Preprocessing (model metadata_props)

Each model carries these `metadata_props` so the C++ runner can preprocess images:

| key | value |
| --- | --- |
| `fastserve.image.layout` | `NCHW` |
| `fastserve.image.channels` | `1` (grayscale) |
| `fastserve.image.height` | `28` |
| `fastserve.image.width` | `28` |
| `fastserve.image.mean` | `{MEAN!r}` |
| `fastserve.image.std` | `{STD!r}` |
| `fastserve.image.invert` | `false` (Fashion-MNIST is a light object on a dark background) |
| `fastserve.labels` | `{LABELS_FILE}` (relative to the model's folder) |
| `fastserve.output.kind` | `logits` |
| `fastserve.test_accuracy` | informational |

Input tensor = `((pixel / 255) - mean) / std`, computed in float32, pixel in 0..255.

## Samples

The first test-set image of each class (index = position in `t10k`), 28x28
8-bit grayscale PNG, plus one 64x64 RGB JPEG (test image 0, upscaled bilinear,
R=G=B) to exercise colour conversion and resizing.

Predictions are ORT's on the decoded file (the JPEG converted to grey and
resized to 28x28 bilinear by PIL; another decoder/resizer may differ slightly).

| file | test index | true class | fashion_mnist_cnn predicts | tiny_cnn predicts |
| --- | --- | --- | --- | --- |
{sample_lines}
"""
    with open(os.path.join(MODELS, "README.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
