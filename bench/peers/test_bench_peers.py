#!/usr/bin/env python3
"""Self-check for bench_peers.py without torch, a build, or the zoo (a few seconds):

    .venv/bin/python bench/peers/test_bench_peers.py

Builds a one-node ONNX "zoo" in a temp folder and a fake `fastserve` (a Python script that
speaks the `bench --json` and `run --output` interfaces), then runs the whole driver with the
fastserve and ORT peers and checks the numbers that land in the doc and the JSON.
"""
import contextlib
import json
import os
import stat
import sys
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_peers  # noqa: E402
import peers_report  # noqa: E402

FAKE_FASTSERVE = """#!{python}
# Fake fastserve: `bench` reports p50 = {p50} ms; `run` writes reference * 1.001 (+0.1% error).
import json, sys
import numpy as np
argv = sys.argv[1:]
if argv == ["--version"]:
    print("fastserve 0.0-fake"); sys.exit(0)
if argv[:1] == ["bench"] and "--help" in argv:
    print("Usage: fastserve bench [OPTIONS]"); sys.exit(0)
if argv[:1] == ["run"] and "--help" in argv:
    print("Usage: fastserve run [OPTIONS]"); sys.exit(0)
opt = {{argv[i]: argv[i + 1] for i in range(1, len(argv) - 1) if argv[i].startswith("--")}}
if argv[0] == "bench":
    if "{fail_model}" and "{fail_model}" in opt["--model"]:
        print("fastserve: error: unsupported op 'Foo' at node 'n0'", file=sys.stderr); sys.exit(4)
    lat = dict(min=1.0, p50={p50}, p90=2.5, p99=3.0, p999=3.0, max=3.0, mean=2.1)
    print("some log line")
    print(json.dumps(dict(model=opt["--model"], threads=int(opt["--threads"]), isa="avx2", kernels={{}},
                          compile_ms=5.0, peak_rss_mb=42.0,
                          results=[dict(batch=int(opt["--batch"]), first_ms=4.0,
                                        iterations=int(opt["--iterations"]), latency_ms=lat,
                                        throughput=dict(runs_per_s=500.0, items_per_s=500.0))])))
    sys.exit(0)
if argv[0] == "run":
    ref = np.load(opt["--model"].replace("model.onnx", "ort_output_0.npy"))
    np.save(opt["--output"], (ref * 1.001).astype(np.float32)); sys.exit(0)
sys.exit(2)
"""


def write_tiny_zoo(zoo, name):
    """zoo/<name>/ with a Relu model and make_zoo.py's files (no torch state)."""
    d = os.path.join(zoo, name)
    os.makedirs(d)
    graph = helper.make_graph([helper.make_node("Relu", ["input"], ["logits"])], "g",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 8])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), os.path.join(d, "model.onnx"))
    x = np.linspace(-1, 2, 8, dtype=np.float32).reshape(1, 8)
    np.save(os.path.join(d, "input_0.npy"), x)
    np.save(os.path.join(d, "ort_output_0.npy"), np.maximum(x, 0))
    meta = {"name": name, "inputs": [{"name": "input", "shape": ["batch", 8], "dtype": "float32",
                                      "file": "input_0.npy"}], "outputs": ["logits"]}
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f)


class BenchPeersTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def fake_fastserve(self, p50, fail_model=""):
        path = os.path.join(self.dir, "fastserve")
        with open(path, "w") as f:
            f.write(FAKE_FASTSERVE.format(python=sys.executable, p50=p50, fail_model=fail_model))
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path

    def test_end_to_end_with_fake_fastserve_and_ort(self):
        zoo = os.path.join(self.dir, "zoo")
        write_tiny_zoo(zoo, "tiny_a")
        write_tiny_zoo(zoo, "tiny_b")
        doc = os.path.join(self.dir, "benchmarks.md")
        with open(doc, "w") as f:
            f.write("# Benchmarks\n\nkeep me\n\n<!-- peers:begin -->\nold\n<!-- peers:end -->\n\n## Later\nkeep too\n")
        raw_path = os.path.join(self.dir, "raw.json")
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            bench_peers.main(["--zoo", zoo, "--fastserve-bin", self.fake_fastserve(2.0, fail_model="tiny_b"),
                              "--peers", "fastserve,ort", "--rounds", "3", "--warmup", "1", "--iterations", "3",
                              "--threads", "1,2", "--doc", doc, "--json", raw_path])
        with open(doc) as f:
            text = f.read()
        self.assertIn("keep me", text)
        self.assertIn("## Later\nkeep too", text)
        self.assertNotIn("\nold\n", text)
        self.assertEqual(text.count("<!-- peers:begin -->"), 1)
        self.assertIn("### 1 thread\n", text)
        self.assertIn("### 2 threads\n", text)
        # tiny_a: fastserve p50 2.00 (fake), error 1e-3 from the fake's 0.1% offset
        row = next(ln for ln in text.splitlines() if ln.startswith("| tiny_a |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        self.assertEqual(cells[1], "2.00")
        self.assertEqual(cells[3], "–")  # PyTorch not selected
        self.assertEqual(cells[8], "1.0e-03")
        # tiny_b: bench fails with an unsupported op -> n/a and the reason under the table
        row_b = next(ln for ln in text.splitlines() if ln.startswith("| tiny_b |"))
        self.assertIn("n/a", row_b)
        self.assertIn("unsupported op 'Foo'", text)
        with open(raw_path) as f:
            raw = json.load(f)
        runs = raw["by_threads"]["2"]["tiny_a"]["runs"]
        self.assertEqual(len(runs["fastserve"]), 3)
        self.assertEqual(len(runs["ort"]), 3)
        self.assertGreater(runs["ort"][0]["peak_rss_mb"], 10)  # wait4 saw the worker's own RSS
        ort_summary = raw["by_threads"]["1"]["tiny_a"]["summary"]["ort"]
        self.assertEqual(ort_summary["rounds"], 3)
        self.assertLess(ort_summary["ref_err"]["max_rel"], 1e-6)  # ORT's Relu is exact

    def test_missing_fastserve_is_na_with_reason(self):
        fs = bench_peers.Fastserve(os.path.join(self.dir, "no_such_binary"))
        self.assertIn("not found", fs.bench_error)
        self.assertIn("not found", fs.check(self.dir, 1, np.zeros(1))["error"])

    def test_summary_is_median_of_round_p50s(self):
        runs = [{"p50": v, "peak_rss_mb": r} for v, r in [(3.0, 10), (1.0, 30), (2.0, 20), (9.0, 5)]]
        s = bench_peers.summarize(runs + [{"error": "x"}])
        self.assertEqual(s["p50_ms"], 2.5)
        self.assertEqual(s["rounds"], 4)
        self.assertEqual(s["peak_rss_mb"], 30)
        self.assertEqual(bench_peers.summarize([{"error": "why"}]), {"error": "why"})

    def test_max_errors_scale_by_reference_max(self):
        abs_err, rel_err = bench_peers.max_errors(np.array([1.0, 0.5]), np.array([2.0, 0.0]))
        self.assertAlmostEqual(abs_err, 1.0)
        self.assertAlmostEqual(rel_err, 0.5)
        with self.assertRaises(ValueError):
            bench_peers.max_errors(np.zeros(3), np.zeros(4))

    def test_update_doc_creates_then_appends(self):
        doc = os.path.join(self.dir, "sub", "b.md")
        peers_report.update_doc(doc, "<!-- peers:begin -->\nA\n<!-- peers:end -->")
        with open(doc) as f:
            self.assertTrue(f.read().startswith("# Benchmarks"))
        with open(doc, "w") as f:
            f.write("# Other\n")
        peers_report.update_doc(doc, "<!-- peers:begin -->\nB\n<!-- peers:end -->")
        with open(doc) as f:
            self.assertEqual(f.read(), "# Other\n\n<!-- peers:begin -->\nB\n<!-- peers:end -->\n")

    def test_threads_list_rejects_zero(self):
        self.assertEqual(bench_peers.int_list("1,2"), [1, 2])
        with self.assertRaises(Exception):
            bench_peers.int_list("0")


if __name__ == "__main__":
    unittest.main()
