#!/usr/bin/env python3
"""Export the benchmark model zoo: real architectures with random weights.

    tools/setup_venv.sh && .venv/bin/python tools/make_zoo.py [--force] [--models resnet18,...]

For each entry of ZOO writes zoo/<name>/ (git-ignored, ~150 MB in all):
  model.onnx         opset 17; CNNs: input "input" [batch,...] (dynamic dim "batch"), output "logits";
                     transformers: int64 input_ids (+ attention_mask) [batch, seq]
  input_<i>.npy      one per graph input: batch 1 (seq 16), seeded (N(0,1), token ids, or a 0/1 mask)
  ort_output_0.npy   ONNX Runtime's output for it (graph optimizations DISABLED, 1 thread)
  torch_state.pt     the PyTorch state_dict, so bench/peers/bench_peers.py can rebuild the
                     same model in PyTorch (meta.json names the builder)
  meta.json          inputs/outputs, opset, versions, seeds, the torch-vs-ORT sanity check

Weights are random (fixed seed; nothing is downloaded). Random weights alone make deep CNNs
shrink their activations layer by layer until the logits are ~1e-9, which hides every numeric
error, so for entries with BatchNorm the running statistics are re-estimated first: the model
runs in train mode on a few seeded N(0,1) batches with momentum=None (a plain cumulative
average), then eval(). The torch exporter folds the BatchNorms into the convolutions.

Why the reference output uses ORT_DISABLE_ALL: with all optimizations ORT rewrites the graph
(NCHWc layouts, fusions) and picks ISA-specific kernels, so its output moves with the machine
and ORT version; the unoptimized graph on one thread is the closest thing to "the ONNX graph,
computed plainly" that stays put. The script prints how far torch and ORT_ENABLE_ALL are from
it, which is the noise floor to judge fastserve's error against.

Idempotent: an entry whose files all exist is skipped unless --force. Deterministic: fixed
seeds (up to float summation order in torch's multithreaded BatchNorm estimate).

Adding a model: add a ZooEntry to ZOO. `builder` is an importable dotted path (called with
`kwargs`) so the PyTorch peer can rebuild the model from meta.json alone; `inputs` lists every
graph input (dynamic dims are the strings "batch" and "seq", with a sampler for its values);
`calibrate` prepares the random weights (None for none).
"""
import argparse
import dataclasses
import importlib
import json
import os
import sys
import time
from typing import Callable, Optional

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # Debian torch: avoid OpenBLAS + OpenMP oversubscription

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_test_models import save_npy  # noqa: E402  (npy v1.0, C order, little endian)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO_DIR = os.path.join(ROOT, "zoo")
OPSET = 17  # the highest Debian's torch 1.13 exports
FILES = ["model.onnx", "input_0.npy", "ort_output_0.npy", "torch_state.pt", "meta.json"]


@dataclasses.dataclass
class ZooInput:
    name: str
    shape: list  # "batch" and "seq" mark the dynamic dims
    dtype: str = "float32"
    sampler: str = "normal"  # normal: N(0,1); ids: uniform in [0, high); mask: 1s with trailing 0s (padding)
    high: int = 0


# Concrete sizes of the dynamic dims for the sample input (input_0.npy, ...).
SAMPLE_DIMS = {"batch": 1, "seq": 16}


def sample_input(inp, rng, dims=None):
    """A seeded sample for one graph input (also used by tools/check_zoo.py at other sizes)."""
    shape = concrete_shape(inp, dims or SAMPLE_DIMS)
    if inp.sampler == "normal":
        return rng.standard_normal(shape).astype(inp.dtype)
    if inp.sampler == "ids":
        return rng.integers(0, inp.high, size=shape).astype(inp.dtype)
    if inp.sampler == "mask":  # each row keeps a prefix of random length >= 1, the rest is padding
        out = np.zeros(shape, dtype=inp.dtype)
        for row in out.reshape(-1, shape[-1]):
            row[: rng.integers(max(1, shape[-1] // 2), shape[-1] + 1)] = 1
        return out
    raise ValueError(f"input '{inp.name}': unknown sampler {inp.sampler}")


@dataclasses.dataclass
class ZooEntry:
    name: str
    builder: str  # dotted path of a callable returning a torch.nn.Module
    kwargs: dict
    inputs: list  # [ZooInput]
    outputs: list  # output names
    calibrate: Optional[Callable] = None  # calibrate(model, entry, seed) before export
    weight_seed: int = 1
    input_seed: int = 2
    output_dims: dict = dataclasses.field(default_factory=lambda: {0: "batch"})  # dynamic dims of every output


def reestimate_batchnorm(model, entry, seed, batches=4, batch_size=8):
    """Replaces the BatchNorm running stats with ones measured on N(0,1) inputs."""
    import torch

    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average over the calibration batches
    gen = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            feeds = [torch.randn(*concrete_shape(i, {"batch": batch_size}), generator=gen) for i in entry.inputs]
            model(*feeds)
    model.eval()


def concrete_shape(inp, dims):
    return [dims[d] if isinstance(d, str) else d for d in inp.shape]


IMAGE_224 = [ZooInput("input", ["batch", 3, 224, 224])]
SEQ_DIMS = {0: "batch", 1: "seq"}

ZOO = [
    ZooEntry("resnet18", "torchvision.models.resnet18", {}, IMAGE_224, ["logits"], reestimate_batchnorm),
    ZooEntry("resnet50", "torchvision.models.resnet50", {}, IMAGE_224, ["logits"], reestimate_batchnorm),
    ZooEntry("mobilenet_v2", "torchvision.models.mobilenet_v2", {}, IMAGE_224, ["logits"], reestimate_batchnorm),
    # Transformers (tools/zoo_transformers.py): BERT-base and GPT-2-small shapes, ViT-Ti/16.
    ZooEntry("bert_base", "zoo_transformers.BertLikeEncoder", {},
             [ZooInput("input_ids", ["batch", "seq"], "int64", "ids", 30522),
              ZooInput("attention_mask", ["batch", "seq"], "int64", "mask")],
             ["last_hidden_state"], output_dims=SEQ_DIMS),
    ZooEntry("gpt2_small", "zoo_transformers.Gpt2LikeDecoder", {},
             [ZooInput("input_ids", ["batch", "seq"], "int64", "ids", 50257)], ["logits"], output_dims=SEQ_DIMS),
    ZooEntry("vit_tiny", "zoo_transformers.vit_tiny", {}, IMAGE_224, ["logits"]),
]


def build_module(builder, kwargs):
    module_name, fn_name = builder.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), fn_name)(**kwargs)


def ort_session(path, level, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = level
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def max_errors(a, ref):
    """(max abs, max abs / max |ref|): one scale for the whole tensor, so near-zero
    elements do not blow the relative error up."""
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    abs_err = float(np.max(np.abs(a - ref))) if a.size else 0.0
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return abs_err, (abs_err / scale if scale > 0 else float("inf") if abs_err > 0 else 0.0)


def export_entry(entry, out_dir):
    import torch
    import torchvision

    t0 = time.time()
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(entry.weight_seed)
    model = build_module(entry.builder, entry.kwargs)
    if entry.calibrate:
        entry.calibrate(model, entry, entry.weight_seed + 1000)
    model.eval()

    rng = np.random.default_rng(entry.input_seed)
    feeds = {inp.name: sample_input(inp, rng) for inp in entry.inputs}

    model_path = os.path.join(out_dir, "model.onnx")
    torch_feeds = tuple(torch.from_numpy(feeds[i.name]) for i in entry.inputs)
    dynamic = {i.name: {k: d for k, d in enumerate(i.shape) if isinstance(d, str)} for i in entry.inputs}
    for name in entry.outputs:
        dynamic[name] = dict(entry.output_dims)
    with torch.inference_mode():
        torch_out = model(*torch_feeds).numpy()
    with torch.no_grad():
        torch.onnx.export(model, torch_feeds, model_path, opset_version=OPSET,
                          input_names=[i.name for i in entry.inputs], output_names=entry.outputs,
                          dynamic_axes=dynamic, do_constant_folding=True)
    onnx.checker.check_model(model_path)
    torch.save(model.state_dict(), os.path.join(out_dir, "torch_state.pt"))

    ref = ort_session(model_path, ort.GraphOptimizationLevel.ORT_DISABLE_ALL, 1).run(None, feeds)[0]
    opt = ort_session(model_path, ort.GraphOptimizationLevel.ORT_ENABLE_ALL, 2).run(None, feeds)[0]
    for i, inp in enumerate(entry.inputs):
        save_npy(os.path.join(out_dir, f"input_{i}.npy"), feeds[inp.name])
    save_npy(os.path.join(out_dir, "ort_output_0.npy"), ref)

    torch_abs, torch_rel = max_errors(torch_out, ref)
    opt_abs, opt_rel = max_errors(opt, ref)
    graph = onnx.load(model_path, load_external_data=False).graph
    ops = sorted({n.op_type for n in graph.node})
    meta = {
        "name": entry.name,
        "inputs": [{"name": i.name, "shape": i.shape, "dtype": i.dtype, "file": f"input_{k}.npy",
                    "sampler": i.sampler, "high": i.high,
                    "sample_shape": concrete_shape(i, SAMPLE_DIMS)} for k, i in enumerate(entry.inputs)],
        "outputs": entry.outputs,
        "output_shape": list(ref.shape),
        "opset": OPSET,
        "ops": ops,
        "nodes": len(graph.node),
        "params": int(sum(np.prod(t.dims) for t in graph.initializer)),
        "torch": {"builder": entry.builder, "kwargs": entry.kwargs, "state": "torch_state.pt"},
        "seeds": {"weights": entry.weight_seed, "calibration": entry.weight_seed + 1000, "input": entry.input_seed},
        "batchnorm_reestimated": entry.calibrate is reestimate_batchnorm,
        "reference": "ort_output_0.npy: onnxruntime CPU, ORT_DISABLE_ALL, 1 intra-op thread",
        "check": {"torch_vs_ref": {"max_abs": torch_abs, "max_rel": torch_rel},
                  "ort_enable_all_vs_ref": {"max_abs": opt_abs, "max_rel": opt_rel},
                  "ref_max_abs": float(np.max(np.abs(ref))), "ref_std": float(np.std(ref))},
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                     "onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__},
    }
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"{entry.name}: {meta['nodes']} nodes, {meta['params'] / 1e6:.1f} M params, logits max |.| "
          f"{meta['check']['ref_max_abs']:.3g} std {meta['check']['ref_std']:.3g}; vs ORT reference: "
          f"torch max abs {torch_abs:.3g} rel {torch_rel:.3g}, ORT_ENABLE_ALL max abs {opt_abs:.3g} "
          f"rel {opt_rel:.3g} ({time.time() - t0:.1f} s)")
    return torch_rel, opt_rel


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--force", action="store_true", help="re-export entries that already exist")
    ap.add_argument("--models", default="", help="comma-separated subset of: " + ", ".join(e.name for e in ZOO))
    ap.add_argument("--out", default=ZOO_DIR, help="zoo folder (default: <repo>/zoo)")
    args = ap.parse_args()

    by_name = {e.name: e for e in ZOO}
    wanted = [m for m in args.models.split(",") if m] or list(by_name)
    unknown = [m for m in wanted if m not in by_name]
    if unknown:
        sys.exit(f"make_zoo: unknown model(s) {', '.join(unknown)}; known: {', '.join(by_name)}")

    todo = []
    for name in wanted:
        out_dir = os.path.join(args.out, name)
        if not args.force and all(os.path.exists(os.path.join(out_dir, f)) for f in FILES):
            print(f"{name}: up to date in {os.path.relpath(out_dir)} (--force to re-export)")
        else:
            todo.append((name, out_dir))
    if todo:
        try:  # imported only when there is work: torch takes seconds to import
            import torch  # noqa: F401
            import torchvision  # noqa: F401
        except ImportError as e:
            sys.exit(f"make_zoo: {e}; install Debian's python3-torch python3-torchvision")

    bad = []
    for name, out_dir in todo:
        torch_rel, _ = export_entry(by_name[name], out_dir)
        # Float32 torch vs ORT on the same graph agree to ~1e-6 relative; far more means the
        # export changed the model.
        if torch_rel > 1e-3:
            bad.append(f"{name} (torch vs ORT max rel {torch_rel:.3g})")
    if bad:
        sys.exit("make_zoo: torch and ONNX Runtime disagree: " + ", ".join(bad))


if __name__ == "__main__":
    main()
