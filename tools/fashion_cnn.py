"""The Fashion-MNIST CNN family shared by qat_fashion_mnist.py and compress_fashion_mnist.py.

- CNN: 2x [Conv3x3(pad 1) - (BN) - ReLU - MaxPool2] -> Flatten -> Linear - ReLU - Linear, with
  the widths as parameters. CNN(16, 32, 64, bn=True) is models/fashion_mnist_cnn.onnx
  (tools/train_fashion_mnist.py's FashionCNN, same tensors under other names).
- load_fp32_cnn: that model's weights read back from the ONNX initializers (no retraining).
- fold_bn: the same network with BatchNormalization folded into the convolutions.
- train: Adam + one-cycle LR with horizontal flips (train_fashion_mnist.py's recipe), with a
  pluggable loss (distillation) and a hook after every step (pruning masks, observers).
- write_onnx: the ONNX file, written node by node with onnx.helper (BN folded): float, or QDQ
  (QuantizeLinear / DequantizeLinear, int8 weights stored as int8) when given quantization
  parameters. The metadata_props are copied from the FP32 model so `fastserve eval` and `run`
  preprocess the same way.
- model_stats: parameters, nonzeros, file and gzip sizes, read back from an ONNX file.
"""
import gzip
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
FP32_MODEL = os.path.join(ROOT, "models", "fashion_mnist_cnn.onnx")
LABELS_FILE = os.path.join(ROOT, "models", "fashion_mnist_labels.txt")
# Training normalisation; the same values are in the FP32 model's metadata_props (checked in
# load_data against the model actually used).
MEAN = 0.2860
STD = 0.3530
OPSET = 17
SEED = 1234


def seed_everything(seed, threads=1):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)


def log(quiet, *args):
    if not quiet:
        print(*args, flush=True)


class Data:
    """Fashion-MNIST as float tensors, preprocessed exactly as the C++ runner does."""

    def __init__(self, train_limit=0, test_limit=0):
        xtr, ytr = fm.load("train")
        xte, yte = fm.load("t10k")
        if train_limit:
            xtr, ytr = xtr[:train_limit], ytr[:train_limit]
        if test_limit:
            xte, yte = xte[:test_limit], yte[:test_limit]
        self.x_train = torch.from_numpy(fm.preprocess(xtr, MEAN, STD))
        self.y_train = torch.from_numpy(ytr.astype(np.int64))
        self.x_test = torch.from_numpy(fm.preprocess(xte, MEAN, STD))
        self.y_test = torch.from_numpy(yte.astype(np.int64))


class CNN(nn.Module):
    """2x [Conv3x3(pad 1)-(BN)-ReLU-MaxPool2] -> Flatten -> Linear-ReLU -> Linear(10).

    Every layer between two fake-quant points is its own attribute, so qat_fashion_mnist.py
    can wrap them without re-tracing."""

    def __init__(self, c1=16, c2=32, hidden=64, bn=True):
        super().__init__()
        self.widths = (c1, c2, hidden)
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c1) if bn else nn.Identity()
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c2) if bn else nn.Identity()
        self.fc1 = nn.Linear(c2 * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    @property
    def has_bn(self):
        return isinstance(self.bn1, nn.BatchNorm2d)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))

    def weight_layers(self):
        """(name, module) of the Conv/Linear layers, in order: the prunable weights."""
        return [("conv1", self.conv1), ("conv2", self.conv2), ("fc1", self.fc1), ("fc2", self.fc2)]


def load_fp32_cnn(path=FP32_MODEL):
    """models/fashion_mnist_cnn.onnx's weights in a CNN(16, 32, 64, bn=True)."""
    import onnx
    from onnx import numpy_helper

    if not os.path.exists(path):
        raise SystemExit(f"error: {path} not found (make models writes it)")
    init = {i.name: numpy_helper.to_array(i) for i in onnx.load(path).graph.initializer}
    names = {  # train_fashion_mnist.py's FashionCNN names -> ours
        "features.0": "conv1", "features.1": "bn1", "features.4": "conv2", "features.5": "bn2",
        "classifier.1": "fc1", "classifier.3": "fc2",
    }
    state = {}
    for onnx_name, arr in init.items():
        prefix, _, leaf = onnx_name.rpartition(".")
        if prefix not in names:
            raise SystemExit(f"error: {path}: unexpected initializer {onnx_name}")
        state[f"{names[prefix]}.{leaf}"] = torch.from_numpy(arr.copy())
    model = CNN(16, 32, 64, bn=True)
    # num_batches_tracked is not in the ONNX file; keep the module's own.
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit(f"error: {path}: missing {missing}, unexpected {unexpected}")
    return model.eval()


@torch.no_grad()
def fold_bn(model):
    """A copy of model with each BatchNorm (inference form) folded into the Conv before it:
    W' = W * g / sqrt(var + eps) per output channel, b' = (b - mean) * g / sqrt(var + eps) + beta.
    Zero weights stay zero, so pruning masks survive the fold."""
    out = CNN(*model.widths, bn=False)
    out.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("bn")},
                        strict=True)
    if model.has_bn:
        for conv, bn in ((out.conv1, model.bn1), (out.conv2, model.bn2)):
            k = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            conv.weight.mul_(k[:, None, None, None])
            conv.bias.copy_((conv.bias - bn.running_mean) * k + bn.bias)
    return out.eval()


def train(model, data, epochs, lr, quiet=False, loss_fn=None, after_step=None, batch=128,
          seed=SEED, max_steps=0, tag="train"):
    """Adam + one-cycle LR with random horizontal flips; deterministic for a seed.

    loss_fn(out, xb, yb) -> loss (default cross-entropy); after_step(step, total_steps) runs after
    each optimizer step (pruning masks, observers). max_steps > 0 stops early (--smoke)."""
    loss_fn = loss_fn or (lambda out, xb, yb: F.cross_entropy(out, yb))
    gen = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    n = len(data.x_train)
    per_epoch = (n + batch - 1) // batch
    total = epochs * per_epoch
    if max_steps:
        total = min(total, max_steps)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(total, 1))
    step = 0
    for ep in range(epochs):
        model.train()
        t0, seen, correct, loss_sum = time.time(), 0, 0, 0.0
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            if step >= total:
                break
            idx = perm[i:i + batch]
            xb, yb = data.x_train[idx], data.y_train[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, xb, yb)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if after_step:
                after_step(step, total)
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
            seen += len(idx)
        if seen:
            log(quiet, f"  {tag} epoch {ep + 1}/{epochs}: loss {loss_sum / seen:.4f} "
                       f"train acc {correct / seen:.4f} ({time.time() - t0:.0f}s, {seen // batch} steps)")
        if step >= total:
            break
    model.eval()
    return model


@torch.no_grad()
def evaluate(model, x, y):
    model.eval()
    pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    return (pred == y).float().mean().item()


def fp32_metadata(path=FP32_MODEL):
    """The FP32 model's metadata_props, in order, as (key, value) pairs."""
    import onnx

    m = onnx.load(path)
    meta = [(p.key, p.value) for p in m.metadata_props]
    got = dict(meta)
    if float(got.get("fastserve.image.mean", "nan")) != MEAN or \
            float(got.get("fastserve.image.std", "nan")) != STD:
        raise SystemExit(f"error: {path}: metadata mean/std differ from the training values "
                         f"{MEAN}/{STD}")
    return meta


def write_onnx(model, path, description, accuracy, quant=None, quiet=False):
    """Write model (BN folded here if present) as ONNX opset 17 with the FP32 model's
    metadata_props; returns the path.

    quant: None for a float model, else the QDQ parameters from qat_fashion_mnist.QATCNN.
    qdq_params(): {"act": {point: (scale, zero_point)}, "w": {layer: int8 array},
    "w_scale": {layer: per-channel scales}, "b": {layer: int32 array}, "b_scale": {...}}.
    Layout (the form ONNX Runtime's QDQ transformer and fastserve's QDQ import look for):
      input -Q-DQ- Conv(DQ(W int8, axis 0), DQ(B int32)) - Relu -Q-DQ- MaxPool -Q-DQ- Conv ...
      ... - Relu -Q-DQ- MaxPool -Q-DQ- Flatten - Gemm - Relu -Q-DQ- Gemm -> logits (float)
    The Q-DQ after each MaxPool repeats the one before it (same scale and zero point): the max of
    values on the grid is on the grid, so it changes nothing but lets MaxPool run in int8.
    Weight-only INT8 (qat_fashion_mnist.weight_only_params): "act" and "b" are None, so the
    activations and biases stay float and only the weights are int8 behind a DequantizeLinear."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    plain = fold_bn(model)
    nodes, inits = [], []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def qdq(x, point):
        """x -> QuantizeLinear -> DequantizeLinear with the activation parameters of point."""
        if quant is None or quant["act"] is None:
            return x
        scale, zp = quant["act"][point]
        s = init(f"{point}.scale", np.array(scale, dtype=np.float32))
        z = init(f"{point}.zero_point", np.array(zp, dtype=np.uint8))
        nodes.append(helper.make_node("QuantizeLinear", [x, s, z], [f"{x}_q"], name=f"{x}_Q"))
        nodes.append(helper.make_node("DequantizeLinear", [f"{x}_q", s, z], [f"{x}_dq"],
                                      name=f"{x}_DQ"))
        return f"{x}_dq"

    def weights(layer, mod):
        """The weight and bias inputs of layer: float initializers, or int8/int32 + DQ."""
        if quant is None:
            return (init(f"{layer}.weight", mod.weight.detach().numpy()),
                    init(f"{layer}.bias", mod.bias.detach().numpy()))
        out = []
        for kind, qname in (("weight", "w"), ("bias", "b")):
            if quant[qname] is None:  # weight-only: float bias
                out.append(init(f"{layer}.{kind}", getattr(mod, kind).detach().numpy()))
                continue
            q = init(f"{layer}.{kind}_quantized", quant[qname][layer])
            s = init(f"{layer}.{kind}_scale", quant[qname + "_scale"][layer].astype(np.float32))
            # Symmetric: zero points are 0, one per output channel, of the data's type.
            z = init(f"{layer}.{kind}_zero_point",
                     np.zeros(quant[qname + "_scale"][layer].shape, quant[qname][layer].dtype))
            nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [f"{layer}.{kind}"],
                                          name=f"{layer}.{kind}_DQ", axis=0))
            out.append(f"{layer}.{kind}")
        return tuple(out)

    x = qdq("input", "input")
    for i, (conv, pool_in) in enumerate(((plain.conv1, "relu1"), (plain.conv2, "relu2")), 1):
        w, b = weights(f"conv{i}", conv)
        nodes.append(helper.make_node("Conv", [x, w, b], [f"conv{i}"], name=f"Conv{i}",
                                      kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]))
        nodes.append(helper.make_node("Relu", [f"conv{i}"], [pool_in], name=f"Relu{i}"))
        x = qdq(pool_in, pool_in)
        nodes.append(helper.make_node("MaxPool", [x], [f"pool{i}"], name=f"MaxPool{i}",
                                      kernel_shape=[2, 2], strides=[2, 2]))
        x = f"pool{i}"
        if quant is not None and quant["act"] is not None:  # same parameters as before the pool
            quant["act"][x] = quant["act"][pool_in]
            x = qdq(x, x)
    nodes.append(helper.make_node("Flatten", [x], ["flatten"], name="Flatten", axis=1))
    w, b = weights("fc1", plain.fc1)
    nodes.append(helper.make_node("Gemm", ["flatten", w, b], ["fc1"], name="Gemm1", transB=1))
    nodes.append(helper.make_node("Relu", ["fc1"], ["relu3"], name="Relu3"))
    x = qdq("relu3", "relu3")
    w, b = weights("fc2", plain.fc2)
    nodes.append(helper.make_node("Gemm", [x, w, b], ["logits"], name="Gemm2", transB=1))

    graph = helper.make_graph(
        nodes, "fashion_mnist_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="fastserve-tools")
    m.ir_version = 8
    m.doc_string = description
    for k, v in fp32_metadata():
        m.metadata_props.add(key=k, value=f"{accuracy:.4f}" if k == "fastserve.test_accuracy" else v)
    onnx.checker.check_model(m, full_check=True)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    onnx.save(m, path)
    # The metadata names the labels file relative to the model's folder: put a copy next to it.
    labels = os.path.join(os.path.dirname(os.path.abspath(path)), os.path.basename(LABELS_FILE))
    if not os.path.exists(labels) and os.path.exists(LABELS_FILE):
        with open(LABELS_FILE, "rb") as src, open(labels, "wb") as dst:
            dst.write(src.read())
    log(quiet, f"  wrote {shown(path)} ({os.path.getsize(path)} bytes)")
    return path


def shown(path):
    """path relative to the current directory when it is below it, else as given."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def ort_accuracy(path, data, threads=1):
    """Accuracy of an ONNX file in ONNX Runtime on data's test set, and its logits."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    x = data.x_test.numpy()
    logits = np.concatenate([sess.run(["logits"], {"input": x[i:i + 1000]})[0]
                             for i in range(0, len(x), 1000)])
    return float((logits.argmax(1) == data.y_test.numpy()).mean()), logits


def model_stats(path):
    """What the table reports about an ONNX file, from the file itself.

    params: elements of every initializer except the scales and zero points of
    Quantize/DequantizeLinear (inputs 1 and 2); nonzero: how many of those elements are != 0;
    init_bytes: the bytes of all initializers (what `fastserve prune` reports); bytes: the file's
    size; gzip_bytes: gzip -9 of the file (what pruning's zeros buy on disk,
    since ONNX stores the pruned tensors dense)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    qparams = set()
    for n in m.graph.node:
        if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            qparams.update(n.input[1:3])
    params = nonzero = init_bytes = 0
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        init_bytes += a.nbytes
        if t.name in qparams:
            continue
        params += a.size
        nonzero += int(np.count_nonzero(a))
    with open(path, "rb") as f:
        raw = f.read()
    return {"params": params, "nonzero": nonzero, "bytes": len(raw), "init_bytes": init_bytes,
            "gzip_bytes": len(gzip.compress(raw, compresslevel=9, mtime=0))}
