#!/usr/bin/env python3
"""Write small hand-built ONNX test models (onnx.helper) for the C++ reader and
kernels, plus ORT goldens as .npy files.

    tools/setup_venv.sh && .venv/bin/python tools/make_test_models.py

Writes:
  tests/data/models/<name>.onnx (+ .bin external-data files)
  tests/golden/<name>/input_<i>_<sanitized>.npy   (valid models only)
  tests/golden/<name>/output_<i>_<sanitized>.npy  (ORT's outputs)
  tests/data/models/README.md                     (what each model tests)

.npy files: format version 1.0, C order, little endian; <sanitized> is the
tensor name with every character outside [A-Za-z0-9_] replaced by '_'; <i> is
the position in graph.input / graph.output.
Goldens come from ORT with graph optimizations DISABLED (so e.g. a
f32->f16->f32 Cast pair is really rounded), 2 threads; they are cross-checked
against ORT with all optimizations and against onnx.reference.
Deterministic: fixed seeds; re-running produces identical files.
"""
import os
import re
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper as oh
from onnx import numpy_helper as nph

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = os.path.join(ROOT, "tests", "data", "models")
GOLDEN_DIR = os.path.join(ROOT, "tests", "golden")

MODELS = {}   # name -> dict(model=ModelProto, inputs={name: array} or None, doc=str, invalid=bool)
EXTRA_FILES = {}  # name -> {filename: bytes} written next to the model (external data)


# ---------------------------------------------------------------- helpers
def vi(name, elem, shape):
    return oh.make_tensor_value_info(name, elem, shape)


def init(name, arr):
    """Initializer stored in raw_data (numpy_helper's default)."""
    return nph.from_array(np.asarray(arr), name)


def const_i64(name, values):
    return init(name, np.asarray(values, dtype=np.int64))


def model(nodes, inputs, outputs, inits=(), opset=17, name="g", ir_version=None, **kw):
    g = oh.make_graph(nodes, name, inputs, outputs, initializer=list(inits), **kw)
    m = oh.make_model(g, opset_imports=[oh.make_opsetid("", opset)], producer_name="fastserve-tools")
    m.ir_version = ir_version if ir_version is not None else oh.find_min_ir_version_for(m.opset_import)
    return m


def add(name, m, inputs=None, doc="", invalid=False, check=True):
    m.doc_string = doc
    if check and not invalid:
        onnx.checker.check_model(m, full_check=True)
    MODELS[name] = dict(model=m, inputs=inputs, doc=doc, invalid=invalid)


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def save_npy(path, arr):
    arr = np.asarray(arr)
    # astype(order="C") keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)
    arr = arr.astype(arr.dtype.newbyteorder("<"), order="C")
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=(1, 0), allow_pickle=False)


rng = np.random.default_rng(20240611)


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def uniform(lo, hi, *shape):
    return rng.uniform(lo, hi, shape).astype(np.float32)


# ---------------------------------------------------------------- initializer storage
def m_init_raw_data():
    # Y = Reshape(X @ W + B, [-1, 3]); W, B (f32) and the shape (i64) all in raw_data.
    W, B = randn(4, 3, scale=0.5), randn(3, scale=0.1)
    nodes = [oh.make_node("MatMul", ["x", "W"], ["xw"]),
             oh.make_node("Add", ["xw", "B"], ["xwb"]),
             oh.make_node("Reshape", ["xwb", "shape"], ["y"])]
    m = model(nodes, [vi("x", TP.FLOAT, ["N", 4])], [vi("y", TP.FLOAT, ["N", 3])],
              [init("W", W), init("B", B), const_i64("shape", [-1, 3])])
    assert all(t.raw_data for t in m.graph.initializer)
    add("init_raw_data", m, {"x": randn(3, 4)},
        "Initializers in raw_data: f32 W[4,3], f32 B[3], i64 shape[2].")


def m_init_typed_fields():
    # Same idea, but every initializer uses the typed repeated fields:
    #   float_data (f32), int64_data (i64), int32_data for INT32, FLOAT16 (raw
    #   uint16 bit patterns!), UINT8, INT8 and BOOL.
    W = randn(4, 3, scale=0.5)
    b32 = np.array([1, -2, 3], np.int32)
    b16 = np.array([0.5, -1.25, 2.0], np.float16)
    bu8 = np.array([0, 7, 255], np.uint8)
    bi8 = np.array([-128, 5, 127], np.int8)
    bb = np.array([True, False, True])
    inits = [
        oh.make_tensor("W", TP.FLOAT, [4, 3], W.flatten().tolist()),
        oh.make_tensor("shape", TP.INT64, [2], [-1, 3]),
        oh.make_tensor("b_i32", TP.INT32, [3], b32.tolist()),
        oh.make_tensor("b_f16", TP.FLOAT16, [3], b16.view(np.uint16).astype(np.int32).tolist()),
        oh.make_tensor("b_u8", TP.UINT8, [3], bu8.astype(np.int32).tolist()),
        oh.make_tensor("b_i8", TP.INT8, [3], bi8.astype(np.int32).tolist()),
        oh.make_tensor("b_bool", TP.BOOL, [3], bb.astype(np.int32).tolist()),
    ]
    # make_tensor(FLOAT16, ...) with ints stores them in int32_data as-is.
    for t in inits:
        assert not t.raw_data, t.name
    assert list(inits[0].float_data) and list(inits[1].int64_data) and list(inits[3].int32_data)
    nodes = [oh.make_node("MatMul", ["x", "W"], ["xw"])]
    acc = "xw"
    for n in ["b_i32", "b_f16", "b_u8", "b_i8", "b_bool"]:
        nodes += [oh.make_node("Cast", [n], [n + "_f"], to=TP.FLOAT),
                  oh.make_node("Add", [acc, n + "_f"], [acc + "+" + n])]
        acc = acc + "+" + n
    nodes.append(oh.make_node("Reshape", [acc, "shape"], ["y"]))
    m = model(nodes, [vi("x", TP.FLOAT, ["N", 4])], [vi("y", TP.FLOAT, ["N", 3])], inits)
    add("init_typed_fields", m, {"x": randn(3, 4)},
        "Initializers in typed fields: float_data (f32 W[4,3]), int64_data (i64 shape), "
        "int32_data for INT32, FLOAT16 (uint16 bit patterns), UINT8, INT8, BOOL; "
        "each bias is Cast to f32 and added.")


def external_tensor(name, elem, dims, location, offset, length):
    t = TP()
    t.name, t.data_type = name, elem
    t.dims.extend(dims)
    t.data_location = TP.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def m_init_external_data():
    # W (f32 [4,3], 48 bytes) at offset 0 and B (f32 [3], 12 bytes) at offset 64
    # of init_external_data.bin; bytes 48..63 are padding (0xEE).
    W, B = randn(4, 3, scale=0.5), randn(3, scale=0.1)
    blob = W.tobytes() + b"\xee" * 16 + B.tobytes()
    inits = [external_tensor("W", TP.FLOAT, [4, 3], "init_external_data.bin", 0, 48),
             external_tensor("B", TP.FLOAT, [3], "init_external_data.bin", 64, 12)]
    nodes = [oh.make_node("MatMul", ["x", "W"], ["xw"]), oh.make_node("Add", ["xw", "B"], ["y"])]
    m = model(nodes, [vi("x", TP.FLOAT, ["N", 4])], [vi("y", TP.FLOAT, ["N", 3])], inits)
    EXTRA_FILES["init_external_data"] = {"init_external_data.bin": blob}
    add("init_external_data", m, {"x": randn(3, 4)},
        "External data: W f32[4,3] at offset 0 (48 B) and B f32[3] at offset 64 (12 B) of "
        "init_external_data.bin (location relative to the model's folder).", check=False)


# ---------------------------------------------------------------- dims / opsets
def m_dims_symbolic_static():
    # a: [batch, 3, seq] (two symbolic dims), b: [1, 3, 1] static, c: [3, 1] static.
    nodes = [oh.make_node("Add", ["a", "b"], ["ab"]),
             oh.make_node("Mul", ["ab", "c"], ["y"]),
             oh.make_node("ReduceMean", ["y"], ["y_mean"], axes=[2], keepdims=0)]
    m = model(nodes,
              [vi("a", TP.FLOAT, ["batch", 3, "seq"]), vi("b", TP.FLOAT, [1, 3, 1]),
               vi("c", TP.FLOAT, [3, 1])],
              [vi("y", TP.FLOAT, ["batch", 3, "seq"]), vi("y_mean", TP.FLOAT, ["batch", 3])])
    add("dims_symbolic_static", m, {"a": randn(2, 3, 5), "b": randn(1, 3, 1), "c": randn(3, 1)},
        "Inputs mixing symbolic dims (dim_param 'batch', 'seq') and static dims; "
        "broadcast Add/Mul, ReduceMean(keepdims=0).")


def conv_matmul_graph(opset, initializers_as_inputs):
    r = np.random.default_rng(7)  # same weights for every opset variant
    W = (r.standard_normal((4, 1, 3, 3)) * 0.3).astype(np.float32)
    Bc = (r.standard_normal(4) * 0.1).astype(np.float32)
    W2 = (r.standard_normal((64, 5)) * 0.1).astype(np.float32)
    B2 = (r.standard_normal(5) * 0.1).astype(np.float32)
    nodes = [oh.make_node("Conv", ["x", "W", "Bc"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             oh.make_node("Relu", ["c"], ["r"]),
             oh.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             oh.make_node("Flatten", ["p"], ["f"], axis=1),
             oh.make_node("MatMul", ["f", "W2"], ["mm"]),
             oh.make_node("Add", ["mm", "B2"], ["y"])]
    inits = [init("W", W), init("Bc", Bc), init("W2", W2), init("B2", B2)]
    inputs = [vi("x", TP.FLOAT, ["N", 1, 8, 8])]
    if initializers_as_inputs:  # old exporters (keep_initializers_as_inputs=True)
        inputs += [vi(t.name, t.data_type, list(t.dims)) for t in inits]
    return model(nodes, inputs, [vi("y", TP.FLOAT, ["N", 5])], inits, opset=opset)


def m_opset_variants():
    x = randn(2, 1, 8, 8)
    add("conv_matmul_opset11", conv_matmul_graph(11, True), {"x": x},
        "Opset 11 (IR 6) Conv-Relu-MaxPool-Flatten-MatMul-Add. Like old PyTorch exports, the "
        "initializers are ALSO listed in graph.input (overridable defaults): only 'x' must be fed.")
    add("conv_matmul_opset21", conv_matmul_graph(21, False), {"x": x},
        "Opset 21 (IR 10) variant of conv_matmul_opset11 (same weights, same outputs).")


# ---------------------------------------------------------------- invalid models
def relu_model(opset, ir_version=None):
    return model([oh.make_node("Relu", ["x"], ["y"])], [vi("x", TP.FLOAT, ["N", 4])],
                 [vi("y", TP.FLOAT, ["N", 4])], opset=opset, ir_version=ir_version)


def m_invalid():
    nodes = [oh.make_node("FooBar", ["x"], ["a"], name="foo_node"),
             oh.make_node("Relu", ["a"], ["b"], name="relu_node"),
             oh.make_node("NonMaxSuppressionX", ["b"], ["y"], name="nms_x_node")]
    add("unknown_ops", model(nodes, [vi("x", TP.FLOAT, ["N", 4])], [vi("y", TP.FLOAT, ["N", 4])]),
        doc="Two unknown ops in the default domain: FooBar (node 'foo_node') and "
            "NonMaxSuppressionX (node 'nms_x_node'), separated by a Relu. Opset 17.", invalid=True)
    add("opset9", model([oh.make_node("Softmax", ["x"], ["y"], name="sm")], [vi("x", TP.FLOAT, ["N", 4])],
                        [vi("y", TP.FLOAT, ["N", 4])], opset=9),
        doc="Opset 9 (IR 4) Softmax: below opset 11 FastServe loads only ops unchanged up to 11, and "
            "Softmax-11 redefined Softmax-1: must be rejected, naming node 'sm'.", invalid=True)
    add("opset29", relu_model(29, ir_version=10),
        doc="Opset 29 Relu: just above FastServe's range 1..28.",
        invalid=True)
    add("opset99", relu_model(99, ir_version=10), doc="Opset 99 Relu: unsupported opset.",
        invalid=True)

    def matmul_with(t):
        return model([oh.make_node("MatMul", ["x", "W"], ["y"])], [vi("x", TP.FLOAT, ["N", 4])],
                     [vi("y", TP.FLOAT, ["N", 3])], [t])

    bad = TP(name="W", data_type=TP.FLOAT, dims=[4, 3])
    bad.raw_data = np.zeros(10, np.float32).tobytes()  # 40 bytes, dims need 48
    add("bad_raw_data_size", matmul_with(bad), invalid=True,
        doc="Initializer W: FLOAT dims [4,3] (48 bytes) but raw_data has 40 bytes.")
    bad = TP(name="W", data_type=TP.FLOAT, dims=[4, 3])
    bad.float_data.extend([0.5] * 11)  # 11 values for 12 elements
    add("bad_float_data_count", matmul_with(bad), invalid=True,
        doc="Initializer W: FLOAT dims [4,3] but float_data has 11 values.")
    bad = external_tensor("W", TP.FLOAT, [4, 3], "bad_external_out_of_range.bin", 32, 48)
    EXTRA_FILES["bad_external_out_of_range"] = {"bad_external_out_of_range.bin": bytes(64)}
    add("bad_external_out_of_range", matmul_with(bad), invalid=True,
        doc="External W: offset 32 + length 48 > size 64 of bad_external_out_of_range.bin.")
    bad = external_tensor("W", TP.FLOAT, [4, 3], "../../../../etc/passwd", 0, 48)
    add("bad_external_path_traversal", matmul_with(bad), invalid=True,
        doc="External W with location '../../../../etc/passwd' (outside the model folder): "
            "must be rejected (ORT rejects it too).")


# ---------------------------------------------------------------- Cast chain
def m_cast_chain():
    F = TP.FLOAT
    n = oh.make_node
    nodes = [
        n("Cast", ["x"], ["x_f16"], to=TP.FLOAT16), n("Cast", ["x_f16"], ["y_f16"], to=F),
        n("Cast", ["x"], ["x_bf16"], to=TP.BFLOAT16), n("Cast", ["x_bf16"], ["y_bf16"], to=F),
        n("Cast", ["x"], ["x_i32"], to=TP.INT32), n("Cast", ["x_i32"], ["y_i32"], to=F),
        n("Cast", ["x"], ["y_i64"], to=TP.INT64),
        n("Cast", ["x"], ["y_bool"], to=TP.BOOL),
        n("Cast", ["x"], ["y_i8"], to=TP.INT8),
        n("Cast", ["x_pos"], ["y_u8"], to=TP.UINT8),
        # back to f32 and summed: y_back = f32(y_i64) + f32(y_bool) + f32(y_i8) + f32(y_u8)
        n("Cast", ["y_i64"], ["i64_f"], to=F), n("Cast", ["y_bool"], ["bool_f"], to=F),
        n("Cast", ["y_i8"], ["i8_f"], to=F), n("Cast", ["y_u8"], ["u8_f"], to=F),
        n("Add", ["i64_f", "bool_f"], ["s1"]), n("Add", ["s1", "i8_f"], ["s2"]),
        n("Add", ["s2", "u8_f"], ["y_back"]),
        # f16 graph I/O: h (f16 input) -> f32, and x -> f16 output
        n("Cast", ["h"], ["h_as_f32"], to=F),
        n("Identity", ["x_f16"], ["x_as_f16"]),
    ]
    shp = ["N", 8]
    outs = [("y_f16", F), ("y_bf16", F), ("y_i32", F), ("y_i64", TP.INT64), ("y_bool", TP.BOOL),
            ("y_i8", TP.INT8), ("y_u8", TP.UINT8), ("y_back", F), ("h_as_f32", F),
            ("x_as_f16", TP.FLOAT16)]
    m = model(nodes, [vi("x", F, shp), vi("x_pos", F, shp), vi("h", TP.FLOAT16, shp)],
              [vi(o, t, shp) for o, t in outs])
    # x in (-100, 100) with fractions, a few exact zeros / halves / tiny values;
    # in range for i8 so every conversion is well defined. x_pos in [0, 250) for u8.
    x = uniform(-100, 100, 3, 8)
    x[0, :6] = [0.0, -0.0, 0.5, -0.5, 1e-30, 127.0]
    x[1, :4] = [1.00390625, 1.01171875, -2.5, 65.4321]  # bf16/f16 rounding ties
    inputs = {"x": x, "x_pos": uniform(0, 250, 3, 8), "h": randn(3, 8, scale=10).astype(np.float16)}
    add("cast_chain", m, inputs,
        "Cast f32->f16->f32, f32->bf16->f32 (round-to-nearest-even), f32->i32->f32 "
        "(truncation toward zero), f32->i64, f32->bool, f32->i8, f32->u8, ints/bool back to f32; "
        "f16 graph input and f16 graph output. Opset 17.")


# ---------------------------------------------------------------- PyTorch-style shape arithmetic
def m_shape_arith():
    n = oh.make_node
    nodes = [
        # flat = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0), [0]), [-1]))  -> [batch, 48]
        n("Shape", ["x"], ["shape_x"]),
        n("Gather", ["shape_x", "idx0"], ["batch_dim"], axis=0),          # scalar i64
        n("Unsqueeze", ["batch_dim", "axes0"], ["batch_1d"]),              # [1]
        n("Concat", ["batch_1d", "minus1"], ["target_shape"], axis=0),    # [2]
        n("Reshape", ["x", "target_shape"], ["flat"]),
        # Reshape with a 0 (copy dim) and -1
        n("Reshape", ["x", "shape_0_3_m1"], ["reshape0"]),                 # [batch, 3, 16]
        # Slice with int64 inputs: starts/ends/axes/steps
        n("Slice", ["flat", "sl_starts", "sl_ends", "sl_axes", "sl_steps"], ["slice_step"]),
        # Slice with negative start, INT64_MAX end (PyTorch's x[..., -2:]), no steps
        n("Slice", ["x", "neg2", "int64max", "axes3"], ["slice_neg"]),
        # Unsqueeze/Squeeze with axes as inputs (opset 13)
        n("Unsqueeze", ["slice_step", "axes1"], ["unsq"]),                 # [batch, 1, 13]
        n("Squeeze", ["unsq", "axes1"], ["squeezed"]),                     # [batch, 13]
        # Split with a 'split' input
        n("Split", ["flat", "split_sizes"], ["split_a", "split_b"], axis=1),
        # Pad with pads and constant_value inputs
        n("Pad", ["x", "pads", "pad_value"], ["padded"], mode="constant"),
        # Clip with min/max inputs, and with an omitted (empty-name) min
        n("Clip", ["flat", "clip_min", "clip_max"], ["clipped"]),
        n("Clip", ["flat", "", "clip_max"], ["clipped_max_only"]),
    ]
    inits = [
        const_i64("idx0", 0),  # scalar
        const_i64("axes0", [0]), const_i64("minus1", [-1]), const_i64("shape_0_3_m1", [0, 3, -1]),
        const_i64("sl_starts", [2]), const_i64("sl_ends", [40]), const_i64("sl_axes", [1]),
        const_i64("sl_steps", [3]),
        const_i64("neg2", [-2]), const_i64("int64max", [np.iinfo(np.int64).max]),
        const_i64("axes3", [3]), const_i64("axes1", [1]),
        const_i64("split_sizes", [16, 32]),
        const_i64("pads", [0, 0, 1, 2, 0, 0, 1, 0]),  # begin N,C,H,W then end N,C,H,W
        init("pad_value", np.array(0.5, np.float32)),
        init("clip_min", np.array(-0.5, np.float32)), init("clip_max", np.array(0.75, np.float32)),
    ]
    F = TP.FLOAT
    outs = [vi("flat", F, ["batch", 48]), vi("reshape0", F, ["batch", 3, 16]),
            vi("slice_step", F, ["batch", 13]), vi("slice_neg", F, ["batch", 3, 4, 2]),
            vi("squeezed", F, ["batch", 13]), vi("split_a", F, ["batch", 16]),
            vi("split_b", F, ["batch", 32]), vi("padded", F, ["batch", 3, 6, 6]),
            vi("clipped", F, ["batch", 48]), vi("clipped_max_only", F, ["batch", 48]),
            vi("batch_dim", TP.INT64, [])]
    m = model(nodes, [vi("x", F, ["batch", 3, 4, 4])], outs, inits, opset=13)
    add("shape_arith", m, {"x": randn(2, 3, 4, 4)},
        "PyTorch-style shape arithmetic (opset 13): Shape->Gather(scalar)->Unsqueeze(axes input)"
        "->Concat->Reshape; Reshape with 0/-1; Slice with int64 starts/ends/axes/steps inputs "
        "and with a negative start / INT64_MAX end; Unsqueeze/Squeeze with axes inputs; Split "
        "with a split input; Pad with pads/constant_value inputs; Clip with min/max inputs and "
        "with an empty (omitted) min. Also outputs the scalar i64 batch_dim.")


# ---------------------------------------------------------------- remaining ops
def m_ops_conv_pool():
    n = oh.make_node
    Wt = randn(2, 3, 3, 3, scale=0.3)  # ConvTranspose weight: [C_in, C_out/group, kH, kW]
    Bt = randn(3, scale=0.1)
    nodes = [
        n("ConvTranspose", ["x", "Wt", "Bt"], ["convt"], kernel_shape=[3, 3], strides=[2, 2],
          pads=[1, 1, 1, 1], output_padding=[1, 1]),                              # [N,3,18,18]
        n("ConvTranspose", ["x", "Wt"], ["convt_nobias"], kernel_shape=[3, 3]),  # [N,3,11,11]
        n("AveragePool", ["x"], ["avg_incl"], kernel_shape=[3, 3], strides=[2, 2],
          pads=[1, 1, 1, 1], count_include_pad=1),                                # [N,2,5,5]
        n("AveragePool", ["x"], ["avg_excl"], kernel_shape=[3, 3], strides=[2, 2],
          pads=[1, 1, 1, 1], count_include_pad=0),                                # [N,2,5,5]
        n("AveragePool", ["x"], ["avg_nopad"], kernel_shape=[2, 2], strides=[2, 2]),  # [N,2,4,4]
        n("GlobalAveragePool", ["x"], ["gap"]),                                   # [N,2,1,1]
        n("Flatten", ["gap"], ["gap_flat"], axis=1),                              # [N,2]
        n("Flatten", ["x"], ["flat_axis2"], axis=2),                              # [N*2,81]
    ]
    F = TP.FLOAT
    outs = [vi("convt", F, ["N", 3, 18, 18]), vi("convt_nobias", F, ["N", 3, 11, 11]),
            vi("avg_incl", F, ["N", 2, 5, 5]), vi("avg_excl", F, ["N", 2, 5, 5]),
            vi("avg_nopad", F, ["N", 2, 4, 4]), vi("gap_flat", F, ["N", 2]),
            vi("flat_axis2", F, [None, 81])]
    m = model(nodes, [vi("x", F, ["N", 2, 9, 9])], outs, [init("Wt", Wt), init("Bt", Bt)])
    add("ops_conv_pool", m, {"x": randn(2, 2, 9, 9)},
        "ConvTranspose (stride 2, pads 1, output_padding 1, bias; and default attrs, no bias), "
        "AveragePool count_include_pad=1 / =0 / no padding, GlobalAveragePool, Flatten axis 1 "
        "and 2. Opset 17.")


def m_ops_gemm_matmul():
    n = oh.make_node
    B1, C1 = randn(5, 4, scale=0.5), randn(5)
    B2, C2 = randn(4, 5, scale=0.5), randn(1, 5)
    Q = randn(5, 4, 6, scale=0.5)
    W = randn(4, 2, scale=0.5)
    nodes = [
        n("Gemm", ["a", "B1", "C1"], ["gemm_tb"], transB=1, alpha=0.5, beta=2.0),   # [N,5]
        n("Gemm", ["at", "B2", "C2"], ["gemm_ta"], transA=1),                        # [6,5]
        n("Gemm", ["a", "B1"], ["gemm_noc"], transB=1),                              # [N,5]
        n("Gemm", ["at", "a6"], ["gemm_tab"], transA=1, transB=1, alpha=-1.5),      # [6,6]
        n("MatMul", ["p", "Q"], ["mm_bcast"]),                                       # [2,5,3,6]
        n("MatMul", ["p3", "W"], ["mm_3d2d"]),                                       # [N,3,2]
    ]
    F = TP.FLOAT
    ins = [vi("a", F, ["N", 4]), vi("at", F, [4, 6]), vi("a6", F, [6, 4]), vi("p", F, [2, 1, 3, 4]),
           vi("p3", F, ["N", 3, 4])]
    outs = [vi("gemm_tb", F, ["N", 5]), vi("gemm_ta", F, [6, 5]), vi("gemm_noc", F, ["N", 5]),
            vi("gemm_tab", F, [6, 6]), vi("mm_bcast", F, [2, 5, 3, 6]), vi("mm_3d2d", F, ["N", 3, 2])]
    m = model(nodes, ins, outs,
              [init("B1", B1), init("C1", C1), init("B2", B2), init("C2", C2), init("Q", Q),
               init("W", W)])
    add("ops_gemm_matmul", m,
        {"a": randn(3, 4), "at": randn(4, 6), "a6": randn(6, 4), "p": randn(2, 1, 3, 4),
         "p3": randn(3, 3, 4)},
        "Gemm transB+alpha+beta with C[5]; transA with C[1,5]; no C; transA+transB with a "
        "negative alpha. MatMul batched with broadcast ([2,1,3,4] x [5,4,6] -> [2,5,3,6]) and "
        "3-D x 2-D. Opset 17.")


def m_ops_elementwise():
    n = oh.make_node
    const_t = nph.from_array(np.array([0.25, -0.5, 1.0, 2.0], np.float32), "const_val")
    nodes = [
        n("Constant", [], ["k"], value=const_t),            # tensor-valued Constant
        n("Constant", [], ["kf"], value_float=1.5),         # scalar via value_float
        n("Add", ["a", "b"], ["add"]),                      # [N,3,4] + [3,1]
        n("Sub", ["a", "c"], ["sub"]),                      # [N,3,4] - [4]
        n("Mul", ["a", "b"], ["mul"]),
        n("Div", ["a", "d"], ["div"]),                      # d: positive init [1,3,1]
        n("Pow", ["p", "e"], ["pow"]),                      # p > 0, e = [2, .5, 3, -1]
        n("Pow", ["a", "two"], ["square"]),                 # PyTorch's x**2 (scalar exponent)
        n("Add", ["a", "k"], ["add_const"]),
        n("Mul", ["a", "kf"], ["mul_const_float"]),
        n("LeakyRelu", ["a"], ["leaky"], alpha=0.1),
        n("Sigmoid", ["a"], ["sigmoid"]),
        n("Tanh", ["a"], ["tanh"]),
        n("HardSigmoid", ["a"], ["hardsigmoid"], alpha=1.0 / 6, beta=0.5),
        n("HardSwish", ["a"], ["hardswish"]),
        n("Identity", ["a"], ["identity"]),
        n("Dropout", ["a", "ratio"], ["dropout"]),          # inference: identity
    ]
    F = TP.FLOAT
    names = ["add", "sub", "mul", "div", "pow", "square", "add_const", "mul_const_float", "leaky",
             "sigmoid", "tanh", "hardsigmoid", "hardswish", "identity", "dropout"]
    inits = [init("d", uniform(0.5, 2.0, 1, 3, 1)),
             init("e", np.array([2.0, 0.5, 3.0, -1.0], np.float32)),
             init("two", np.array(2.0, np.float32)), init("ratio", np.array(0.3, np.float32))]
    m = model(nodes,
              [vi("a", F, ["N", 3, 4]), vi("b", F, [3, 1]), vi("c", F, [4]), vi("p", F, ["N", 3, 4])],
              [vi(x, F, ["N", 3, 4]) for x in names], inits)
    a = randn(2, 3, 4, scale=2.0)
    a[0, 0, :] = [-3.0, 3.0, 0.0, -2.999]  # HardSwish/HardSigmoid breakpoints
    add("ops_elementwise", m,
        {"a": a, "b": randn(3, 1), "c": randn(4), "p": uniform(0.25, 3.0, 2, 3, 4)},
        "Broadcasting Add/Sub/Mul/Div/Pow (tensor and scalar exponent), Constant (value tensor "
        "and value_float), LeakyRelu, Sigmoid, Tanh, HardSigmoid(1/6, 0.5), HardSwish, Identity, "
        "Dropout(ratio input; identity at inference). Opset 17.")


def m_ops_softmax_shape():
    n = oh.make_node
    table = randn(10, 4)
    nodes = [
        n("Softmax", ["x"], ["softmax"], axis=-1),
        n("LogSoftmax", ["x"], ["logsoftmax_ax1"], axis=1),
        n("Softmax", ["x"], ["softmax_default"]),                     # default axis -1 (opset 13+)
        n("Transpose", ["x"], ["transposed"], perm=[0, 2, 1]),
        n("Transpose", ["x"], ["transposed_default"]),                # default: reverse dims
        n("Concat", ["x", "x2"], ["concat"], axis=1),
        n("Gather", ["x", "gidx"], ["gather_ax1"], axis=1),            # idx [4, -1] (negative!)
        n("Gather", ["table", "tokens"], ["embedding"], axis=0),       # [N,3] -> [N,3,4]
        n("ReduceMean", ["x"], ["mean_keep"], axes=[-1], keepdims=1),
        n("ReduceMean", ["x"], ["mean_nokeep"], axes=[1], keepdims=0),
        n("ReduceMean", ["x"], ["mean_all"]),                          # all axes, keepdims=1
    ]
    F = TP.FLOAT
    outs = [vi("softmax", F, ["N", 5, 6]), vi("logsoftmax_ax1", F, ["N", 5, 6]),
            vi("softmax_default", F, ["N", 5, 6]), vi("transposed", F, ["N", 6, 5]),
            vi("transposed_default", F, [6, 5, "N"]), vi("concat", F, ["N", 7, 6]),
            vi("gather_ax1", F, ["N", 2, 6]), vi("embedding", F, ["N", 3, 4]),
            vi("mean_keep", F, ["N", 5, 1]), vi("mean_nokeep", F, ["N", 6]),
            vi("mean_all", F, [1, 1, 1])]
    m = model(nodes, [vi("x", F, ["N", 5, 6]), vi("x2", F, ["N", 2, 6]),
                      vi("tokens", TP.INT64, ["N", 3])], outs,
              [init("table", table), const_i64("gidx", [4, -1])])
    add("ops_softmax_shape", m,
        {"x": randn(2, 5, 6, scale=3.0), "x2": randn(2, 2, 6),
         "tokens": rng.integers(0, 10, (2, 3)).astype(np.int64)},
        "Softmax (axis -1 and default), LogSoftmax axis 1 (opset-13+ single-axis semantics), "
        "Transpose (perm and default), Concat, Gather (axis 1 with a negative index; axis 0 "
        "embedding lookup with i64 token input), ReduceMean (keepdims 1/0, all axes). Opset 17.")


def m_resnet_block():
    # A small ResNet: every graph pass has something to do (see src/passes/).
    n = oh.make_node
    inits = []

    def conv(name, x, c_out, c_in, k, stride=1, bias=False):
        W = randn(c_out, c_in, k, k, scale=(2.0 / (c_in * k * k)) ** 0.5)
        inits.append(init(name + "_W", W))
        ins = [x, name + "_W"]
        if bias:
            inits.append(init(name + "_B", randn(c_out, scale=0.1)))
            ins.append(name + "_B")
        return n("Conv", ins, [name], name=name, kernel_shape=[k, k], strides=[stride, stride],
                 pads=[k // 2] * 4)

    def bn(name, x, c):
        for p, arr in [("scale", uniform(0.5, 1.5, c)), ("bias", randn(c, scale=0.1)),
                       ("mean", randn(c, scale=0.1)), ("var", uniform(0.5, 1.5, c))]:
            inits.append(init(f"{name}_{p}", arr))
        return n("BatchNormalization", [x] + [f"{name}_{p}" for p in ("scale", "bias", "mean", "var")],
                 [name], name=name, epsilon=1e-5)

    nodes = [
        conv("stem", "x", 8, 4, 3, bias=True), bn("stem_bn", "stem", 8), n("Relu", ["stem_bn"], ["h0"], name="stem_relu"),
        # block 1: identity shortcut
        conv("b1c1", "h0", 8, 8, 3), bn("b1bn1", "b1c1", 8), n("Relu", ["b1bn1"], ["b1r1"], name="b1_relu1"),
        conv("b1c2", "b1r1", 8, 8, 3), bn("b1bn2", "b1c2", 8),
        n("Add", ["b1bn2", "h0"], ["b1sum"], name="b1_add"), n("Relu", ["b1sum"], ["h1"], name="b1_relu2"),
        # block 2: stride 2 with a 1x1 downsample shortcut (Add operands in the other order)
        conv("b2c1", "h1", 16, 8, 3, stride=2), bn("b2bn1", "b2c1", 16), n("Relu", ["b2bn1"], ["b2r1"], name="b2_relu1"),
        conv("b2c2", "b2r1", 16, 16, 3), bn("b2bn2", "b2c2", 16),
        conv("b2ds", "h1", 16, 8, 1, stride=2), bn("b2dsbn", "b2ds", 16),
        n("Add", ["b2dsbn", "b2bn2"], ["b2sum"], name="b2_add"), n("Relu", ["b2sum"], ["h2"], name="b2_relu2"),
        # head: Conv-Clip (ReLU6), Dropout, pooling, the PyTorch flatten idiom, Identity, Gemm
        conv("head", "h2", 16, 16, 1, bias=True),
        n("Clip", ["head", "clip_min", "clip_max"], ["head6"], name="head_relu6"),
        n("Dropout", ["head6"], ["head_drop"], name="dropout"),
        n("GlobalAveragePool", ["head_drop"], ["pool"], name="pool"),
        n("Shape", ["pool"], ["pool_shape"], name="shape"),
        n("Gather", ["pool_shape", "zero"], ["batch"], name="gather", axis=0),
        n("Unsqueeze", ["batch", "axes0"], ["batch1"], name="unsqueeze"),
        n("Concat", ["batch1", "minus1"], ["flat_shape"], name="concat", axis=0),
        n("Reshape", ["pool", "flat_shape"], ["flat"], name="flatten"),
        n("Identity", ["flat"], ["flat_id"], name="identity"),
        n("Gemm", ["flat_id", "fc_W", "fc_B"], ["logits"], name="fc", transB=1),
    ]
    inits += [init("clip_min", np.float32(0.0)), init("clip_max", np.float32(6.0)),
              const_i64("zero", 0), const_i64("axes0", [0]), const_i64("minus1", [-1]),
              init("fc_W", randn(10, 16, scale=0.25)), init("fc_B", randn(10, scale=0.1))]
    m = model(nodes, [vi("x", TP.FLOAT, [1, 4, 10, 10])], [vi("logits", TP.FLOAT, [1, 10])], inits)
    add("resnet_block", m, {"x": randn(1, 4, 10, 10)},
        "A small ResNet (static batch 1): Conv-BN-Relu stem; a basic block with an identity "
        "shortcut; a stride-2 block with a 1x1 Conv-BN downsample shortcut (Add operands swapped); "
        "head Conv-Clip(0,6 as inputs)-Dropout-GlobalAveragePool, Shape-Gather-Unsqueeze-Concat-"
        "Reshape flatten, Identity, Gemm. Every graph pass (src/passes/) fires on it. Opset 17.")


def m_layer_norm_decomposed():
    # What torch exports below opset 17 and tf2onnx writes for Keras: LayerNorm
    # spelled out (passes/fuse_layer_norm.cc), followed by a Transpose pair
    # and a Reshape chain (passes/eliminate_transpose.cc, eliminate_reshape.cc).
    n = oh.make_node
    d = 16
    inits = [init("W", randn(d, d, scale=d ** -0.5)),
             init("two", np.float32(2.0)), init("eps", np.float32(1e-5)), init("eps_tf", np.float32(1e-3)),
             init("gamma1", uniform(0.5, 1.5, d)), init("beta1", randn(d, scale=0.1)),
             init("gamma2", uniform(0.5, 1.5, d)), init("beta2", randn(d, scale=0.1)),
             const_i64("shape_rows", [10, d]), const_i64("shape_split", [0, 4, -1])]
    nodes = [
        n("MatMul", ["x", "W"], ["h"], name="proj"), n("Add", ["h", "x"], ["res"], name="residual"),
        # torch (opset 13): Pow and Div, gamma and beta
        n("ReduceMean", ["res"], ["ln1_mean"], name="ln1_mean", axes=[-1]),
        n("Sub", ["res", "ln1_mean"], ["ln1_d"], name="ln1_sub"),
        n("Pow", ["ln1_d", "two"], ["ln1_sq"], name="ln1_pow"),
        n("ReduceMean", ["ln1_sq"], ["ln1_var"], name="ln1_var", axes=[-1]),
        n("Add", ["ln1_var", "eps"], ["ln1_var_eps"], name="ln1_add_eps"),
        n("Sqrt", ["ln1_var_eps"], ["ln1_std"], name="ln1_sqrt"),
        n("Div", ["ln1_d", "ln1_std"], ["ln1_norm"], name="ln1_div"),
        n("Mul", ["ln1_norm", "gamma1"], ["ln1_scaled"], name="ln1_gamma"),
        n("Add", ["ln1_scaled", "beta1"], ["ln1"], name="ln1_beta"),
        # Keras (tf2onnx): Mul(d, d), Reciprocal then Mul
        n("ReduceMean", ["ln1"], ["ln2_mean"], name="ln2_mean", axes=[2]),
        n("Sub", ["ln1", "ln2_mean"], ["ln2_d"], name="ln2_sub"),
        n("Mul", ["ln2_d", "ln2_d"], ["ln2_sq"], name="ln2_square"),
        n("ReduceMean", ["ln2_sq"], ["ln2_var"], name="ln2_var", axes=[2]),
        n("Add", ["eps_tf", "ln2_var"], ["ln2_var_eps"], name="ln2_add_eps"),
        n("Sqrt", ["ln2_var_eps"], ["ln2_std"], name="ln2_sqrt"),
        n("Reciprocal", ["ln2_std"], ["ln2_inv"], name="ln2_reciprocal"),
        n("Mul", ["ln2_inv", "ln2_d"], ["ln2_norm"], name="ln2_mul"),
        n("Mul", ["gamma2", "ln2_norm"], ["ln2_scaled"], name="ln2_gamma"),
        n("Add", ["ln2_scaled", "beta2"], ["ln2"], name="ln2_beta"),
        # a layout round trip, then a Reshape chain whose 0 copies dim 0 of [10, 16] (not x's 2)
        n("Transpose", ["ln2"], ["t1"], name="to_channels_first", perm=[0, 2, 1]),
        n("Transpose", ["t1"], ["t2"], name="to_channels_last", perm=[0, 2, 1]),
        n("Reshape", ["t2", "shape_rows"], ["rows"], name="to_rows"),
        n("Reshape", ["rows", "shape_split"], ["y"], name="to_blocks"),
    ]
    m = model(nodes, [vi("x", TP.FLOAT, [2, 5, d])], [vi("y", TP.FLOAT, [10, 4, 4])], inits, opset=13)
    add("layer_norm_decomposed", m, {"x": randn(2, 5, d)},
        "Two decomposed LayerNorms over the last dim (opset 13, so FastServe fuses them into "
        "fastserve.FusedLayerNorm): torch's ReduceMean-Sub-Pow-ReduceMean-Add-Sqrt-Div-Mul-Add and "
        "Keras's Mul(d,d) / Reciprocal-Mul form with eps first and gamma first; then a Transpose "
        "pair that cancels and Reshape [10,16] -> [0,4,-1] (the 0 copies dim 0 of [10,16], not of x).")


# ---------------------------------------------------------------- run & write
def make_session(path, level):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    so.graph_optimization_level = level
    so.log_severity_level = 3  # silence "initializer appears in graph inputs" warnings
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def reference_outputs(m, path, feeds):
    try:
        from onnx.reference import ReferenceEvaluator
        return ReferenceEvaluator(path).run(None, feeds)
    except Exception as e:  # reference evaluator lacks a few corner cases; only a cross-check
        return e


def main():
    for fn in [m_init_raw_data, m_init_typed_fields, m_init_external_data, m_dims_symbolic_static,
               m_opset_variants, m_invalid, m_cast_chain, m_shape_arith, m_ops_conv_pool,
               m_ops_gemm_matmul, m_ops_elementwise, m_ops_softmax_shape, m_resnet_block,
               m_layer_norm_decomposed]:
        fn()

    os.makedirs(MODEL_DIR, exist_ok=True)
    readme = ["# tests/data/models/", "",
              "Small hand-built ONNX models for the reader/kernel tests, written by",
              "`tools/make_test_models.py` (onnx.helper); goldens for the valid ones are in",
              "`tests/golden/<name>/` (see tests/golden/README.md). Regenerate with:", "",
              "    tools/setup_venv.sh && .venv/bin/python tools/make_test_models.py", "",
              "| model | valid | size (bytes) | inputs -> outputs | what it tests |",
              "| --- | --- | --- | --- | --- |"]
    failures = 0
    for name, spec in MODELS.items():
        m = spec["model"]
        path = os.path.join(MODEL_DIR, name + ".onnx")
        onnx.save(m, path)
        for fname, blob in EXTRA_FILES.get(name, {}).items():
            with open(os.path.join(MODEL_DIR, fname), "wb") as f:
                f.write(blob)
        size = os.path.getsize(path)
        assert size < 100_000, (name, size)
        io = (", ".join(i.name for i in m.graph.input) + " -> " +
              ", ".join(o.name for o in m.graph.output))
        gdir = os.path.join(GOLDEN_DIR, name)
        if os.path.isdir(gdir):
            shutil.rmtree(gdir)
        if spec["invalid"]:
            # Invalid models: no goldens; note whether ORT rejects it.
            try:
                make_session(path, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
                verdict = "ORT loads it"
            except Exception as e:
                verdict = "ORT rejects it: " + str(e).splitlines()[0][:100]
            print(f"{name:28s} invalid ({size} B); {verdict}")
            readme.append(f"| `{name}.onnx` | no | {size} | {io} | {spec['doc']} |")
            continue

        onnx.checker.check_model(path, full_check=True)
        feeds = spec["inputs"]
        sess = make_session(path, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        feed_names = [i.name for i in sess.get_inputs()]
        assert sorted(feed_names) == sorted(feeds), (name, feed_names, list(feeds))
        outs = sess.run(None, feeds)
        # Cross-checks: fully optimized ORT and the onnx reference evaluator.
        outs_opt = make_session(path, ort.GraphOptimizationLevel.ORT_ENABLE_ALL).run(None, feeds)
        ref = reference_outputs(m, path, feeds)
        errs = []
        for o, oo in zip(outs, outs_opt):
            errs.append(float(np.max(np.abs(o.astype(np.float64) - oo.astype(np.float64)))) if o.size else 0.0)
        ref_err = "n/a (" + type(ref).__name__ + ")" if isinstance(ref, Exception) else \
            f"{max(float(np.max(np.abs(np.asarray(r, np.float64) - o.astype(np.float64)))) for r, o in zip(ref, outs)):.2e}"

        os.makedirs(gdir)
        for i, inp in enumerate(m.graph.input):
            if inp.name in feeds:  # initializers listed as inputs are not fed
                save_npy(os.path.join(gdir, f"input_{i}_{sanitize(inp.name)}.npy"), feeds[inp.name])
        for i, (out, val) in enumerate(zip(m.graph.output, outs)):
            save_npy(os.path.join(gdir, f"output_{i}_{sanitize(out.name)}.npy"), val)
        print(f"{name:28s} ok ({size} B); {len(outs)} outputs; "
              f"|ORT - ORT(opt)| max {max(errs):.2e}; |ORT - onnx.reference| max {ref_err}")
        if max(errs) > 1e-4:
            failures += 1
            print("   WARNING: optimized ORT differs")
        readme.append(f"| `{name}.onnx` | yes | {size} | {io} | {spec['doc']} |")

    readme += ["", "External data files: `init_external_data.bin` (used by init_external_data.onnx) "
               "and `bad_external_out_of_range.bin` (64 zero bytes).",
               "", "All valid models pass `onnx.checker.check_model(full_check=True)` and load in "
               f"onnxruntime {ort.__version__}.", ""]
    with open(os.path.join(MODEL_DIR, "README.md"), "w") as f:
        f.write("\n".join(readme))
    print(f"wrote {len(MODELS)} models to {os.path.relpath(MODEL_DIR, ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
