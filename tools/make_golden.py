#!/usr/bin/env python3
"""Golden data for the two demo models (run after train_fashion_mnist.py).

    tools/setup_venv.sh && .venv/bin/python tools/make_golden.py

For models/fashion_mnist_cnn.onnx and models/tiny_cnn.onnx writes
tests/golden/<model>/:
  input_0_input.npy     f32 [4,1,28,28] seeded standard-normal batch
  output_0_logits.npy   f32 [4,10]      ORT output for it
  testset8_input_0_input.npy    f32 [8,1,28,28] first 8 t10k images, preprocessed
                                exactly like the C++ runner: (pixel/255 - mean)/std
  testset8_output_0_logits.npy  f32 [8,10]      ORT output for it
  testset8_labels.npy           u8 [8]          true labels of those images
plus, for fashion_mnist_cnn only:
  ort_test_predictions.npy      u8 [10000]      ORT argmax over the whole t10k set
and tests/golden/README.md.

mean/std are read from the model's metadata_props (fastserve.image.mean/std).
ORT: CPU provider, 2 intra-op threads, ORT_ENABLE_ALL graph optimizations.
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist_data as fm  # noqa: E402
from make_test_models import save_npy  # noqa: E402  (npy v1.0, C order, little endian)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")
MODELS = ["fashion_mnist_cnn", "tiny_cnn"]
SEED = 4242


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def main():
    x_test_u8, y_test = fm.load("t10k")
    summary = {}
    for name in MODELS:
        path = os.path.join(ROOT, "models", name + ".onnx")
        meta = {p.key: p.value for p in onnx.load(path).metadata_props}
        mean, std = float(meta["fastserve.image.mean"]), float(meta["fastserve.image.std"])
        sess = session(path)
        out_dir = os.path.join(GOLDEN, name)
        os.makedirs(out_dir, exist_ok=True)

        # (a) seeded random batch of 4
        x = np.random.default_rng(SEED).standard_normal((4, 1, 28, 28)).astype(np.float32)
        save_npy(os.path.join(out_dir, "input_0_input.npy"), x)
        save_npy(os.path.join(out_dir, "output_0_logits.npy"), sess.run(["logits"], {"input": x})[0])

        # (b) first 8 test images, preprocessed like the C++ runner
        x8 = fm.preprocess(x_test_u8[:8], mean, std)
        y8 = sess.run(["logits"], {"input": x8})[0]
        save_npy(os.path.join(out_dir, "testset8_input_0_input.npy"), x8)
        save_npy(os.path.join(out_dir, "testset8_output_0_logits.npy"), y8)
        save_npy(os.path.join(out_dir, "testset8_labels.npy"), y_test[:8].astype(np.uint8))

        # whole test set (batches of 500)
        xs = fm.preprocess(x_test_u8, mean, std)
        pred = np.concatenate([sess.run(["logits"], {"input": xs[i:i + 500]})[0].argmax(1)
                               for i in range(0, len(xs), 500)]).astype(np.uint8)
        acc = float((pred == y_test).mean())
        if name == "fashion_mnist_cnn":
            save_npy(os.path.join(out_dir, "ort_test_predictions.npy"), pred)
        summary[name] = (acc, mean, std, y8.argmax(1).tolist())
        print(f"{name}: ORT test accuracy {acc:.4f} (mean {mean}, std {std}); "
              f"first-8 predictions {y8.argmax(1).tolist()} labels {y_test[:8].tolist()}")

    write_readme(summary)


def write_readme(summary):
    lines = [
        "# tests/golden/",
        "",
        "Reference inputs/outputs from onnxruntime " + ort.__version__ + " (CPU, 2 threads) as",
        ".npy files: format version 1.0, C order, little endian, no pickles.",
        "",
        "## Demo models: `fashion_mnist_cnn/`, `tiny_cnn/`",
        "",
        "Made by `tools/make_golden.py` from `models/<name>.onnx` (ORT_ENABLE_ALL):",
        "",
        "    tools/setup_venv.sh && .venv/bin/python tools/make_golden.py",
        "",
        "| file | dtype, shape | what |",
        "| --- | --- | --- |",
        f"| `input_0_input.npy` | f32 [4,1,28,28] | seeded (numpy default_rng({SEED})) standard-normal batch |",
        "| `output_0_logits.npy` | f32 [4,10] | ORT logits for it |",
        "| `testset8_input_0_input.npy` | f32 [8,1,28,28] | first 8 Fashion-MNIST t10k images, "
        "`(pixel/255 - mean)/std` in float32 (mean/std from the model's metadata) |",
        "| `testset8_output_0_logits.npy` | f32 [8,10] | ORT logits for them |",
        "| `testset8_labels.npy` | u8 [8] | their true labels |",
        "| `fashion_mnist_cnn/ort_test_predictions.npy` | u8 [10000] | ORT argmax for every t10k "
        "image, in order (for the \"same class as ORT on >= 99.9%\" check) |",
        "",
        "| model | ORT test accuracy (10k) | mean | std | argmax of the first 8 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, (acc, mean, std, p8) in summary.items():
        lines.append(f"| {name} | {acc * 100:.2f}% | {mean} | {std} | {p8} |")
    lines += [
        "",
        "## Test models: `<name>/` for each valid `tests/data/models/<name>.onnx`",
        "",
        "Made by `tools/make_test_models.py` (which also writes the models):",
        "",
        "    tools/setup_venv.sh && .venv/bin/python tools/make_test_models.py",
        "",
        "- `input_<i>_<name>.npy`: the seeded random value fed to graph input number `<i>`",
        "  (position in graph.input); `output_<i>_<name>.npy`: ORT's value of graph output `<i>`.",
        "  `<name>` is the tensor name with every character outside `[A-Za-z0-9_]` replaced by `_`.",
        "  Initializers that are also listed in graph.input (conv_matmul_opset11) get no input file:",
        "  they are not fed.",
        "- dtypes as in the model: mostly f32; cast_chain also has f16, i64, bool, i8, u8; ",
        "  shape_arith's `output_10_batch_dim.npy` is an i64 scalar (shape `()`);",
        "  ops_softmax_shape's `tokens` input is i64.",
        "- ORT ran with graph optimizations DISABLED (exact ONNX semantics, e.g. the",
        "  f32->f16->f32 and f32->bf16->f32 Cast pairs really round; bf16 rounds to nearest even);",
        "  the script cross-checks against ORT with all optimizations and onnx.reference.",
        "- The deliberately invalid models (unknown_ops, opset9, opset29, opset99, bad_*) have no goldens.",
        "",
    ]
    with open(os.path.join(GOLDEN, "README.md"), "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
