#!/usr/bin/env python3
"""Writes the ONNX backend node tests as files for tests/conformance.

The pip onnx wheel ships the node test *cases* (onnx/backend/test/case/node:
the model and numpy-computed inputs/outputs of each) but no longer the data
files, so they are generated here, in the layout onnx's own tools write:
<out>/<test>/model.onnx and <out>/<test>/test_data_set_N/{input,output}_J.pb.
<out>/MANIFEST.tsv lists each test's default-domain opset and op types (the
runner uses it to count tests whose ops FastServe lists as supported), and
<out>/ONNX_VERSION records the onnx version (the Makefile regenerates on a
change). The output appears atomically (written beside, then renamed).

Usage: make_onnx_node_tests.py --out build/onnx-node-tests
"""
import argparse, os, shutil, warnings
import numpy as np
import onnx
from onnx import numpy_helper
import onnx.backend.test.case.node as node_cases

def to_proto(value, vi):
    t = vi.type
    if t.HasField("sequence_type"):
        return numpy_helper.from_list(value, vi.name)
    if t.HasField("optional_type"):
        return numpy_helper.from_optional(value, vi.name)
    if t.HasField("map_type"):
        return numpy_helper.from_dict(value, vi.name)
    if isinstance(value, onnx.TensorProto):
        return value
    return numpy_helper.from_array(np.asarray(value), vi.name)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    cases = node_cases.collect_testcases()
    tmp = a.out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for case in cases:
        d = os.path.join(tmp, case.name)
        os.makedirs(d)
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            sd = os.path.join(d, f"test_data_set_{i}")
            os.makedirs(sd)
            for kind, values, infos in (("input", inputs, case.model.graph.input),
                                        ("output", outputs, case.model.graph.output)):
                for j, v in enumerate(values):
                    with open(os.path.join(sd, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(to_proto(v, infos[j]).SerializeToString())
    with open(os.path.join(tmp, "MANIFEST.tsv"), "w") as f:
        for case in cases:
            opset = next((o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx")), 0)
            ops = sorted({(n.domain + ":" if n.domain not in ("", "ai.onnx") else "") + n.op_type
                          for n in case.model.graph.node})
            f.write(f"{case.name}\t{opset}\t{' '.join(ops)}\n")
    with open(os.path.join(tmp, "ONNX_VERSION"), "w") as f:
        f.write(onnx.__version__ + "\n")
    shutil.rmtree(a.out, ignore_errors=True)
    os.rename(tmp, a.out)
    print(f"make_onnx_node_tests: {len(cases)} tests from onnx {onnx.__version__} in {a.out}")

if __name__ == "__main__":
    main()
