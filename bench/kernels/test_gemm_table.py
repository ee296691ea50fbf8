#!/usr/bin/env python3
"""Self-check for gemm_table.py (standard library only, no build needed): a fake bench that prints
a Google Benchmark JSON report, run through the whole script into a temporary doc."""
import json
import os
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gemm_table  # noqa: E402


def entry(name, gflops, label="", aggregate="median"):
    return {"name": f"{name}/real_time_{aggregate}", "run_type": "aggregate", "aggregate_name": aggregate,
            "GFLOP/s": gflops * 1e9, "label": label}


REPORT = {"benchmarks": [
    entry("gemm_f32/64x64x64/threads:1/ours_prepacked", 70.0, "gemm_f32__avx2_6x16 B=weights"),
    entry("gemm_f32/64x64x64/threads:1/ours_prepacked", 1.0, aggregate="mean"),  # ignored: not the median
    entry("gemm_f32/64x64x64/threads:1/ours_plain", 60.0, "gemm_f32__avx2_6x16"),
    entry("gemm_f32/64x64x64/threads:1/onednn", 80.0),
    entry("gemm_f32/64x64x64/threads:2/ours_prepacked", 150.0, "gemm_f32__avx2_6x16"),
    entry("gemm_f32/64x64x64/threads:2/onednn", 120.0),
    entry("gemm_f32/64x64x64/threads:2/eigen", 90.0),
    entry("gemm_f32/1024x1024x1024/threads:1/ours_plain", 90.0),
    entry("fma_peak/avx2/threads:1", 100.0),
    entry("fma_peak/avx512/threads:1", 0.0),  # skipped on this host: no counter value
]}


class GemmTableTest(unittest.TestCase):
    def test_parse_keeps_medians_and_the_label(self):
        cells, label = gemm_table.parse(REPORT)
        self.assertEqual(label, "gemm_f32__avx2_6x16")
        self.assertAlmostEqual(cells[("64x64x64", 1)]["ours_prepacked"], 70.0)
        self.assertNotIn("eigen", cells[("64x64x64", 1)])

    def test_ratio_is_best_ours_over_onednn_and_missing_cells_say_na(self):
        cells, _ = gemm_table.parse(REPORT)
        rows, worst = gemm_table.table(cells, 1)
        self.assertIn("| 64x64x64 | 70.0 | 60.0 | 80.0 | n/a | 0.88 |", rows)
        self.assertAlmostEqual(worst, 70.0 / 80.0)
        rows2, worst2 = gemm_table.table(cells, 2)
        self.assertIn("| 64x64x64 | 150.0 | n/a | 120.0 | 90.0 | 1.25 |", rows2)
        self.assertAlmostEqual(worst2, 1.25)

    def test_peak_line_gives_the_1024_cube_share(self):
        peaks = gemm_table.parse_peaks(REPORT)
        self.assertEqual(peaks[1][0], "avx2")
        self.assertAlmostEqual(peaks[1][1], 100.0)
        cells, label = gemm_table.parse(REPORT)
        text = gemm_table.section(cells, label, ["bench"], None, peaks)
        self.assertIn("ours at 1024³: 90.0 = 90% of it", text)

    def test_whole_run_replaces_only_its_section(self):
        with tempfile.TemporaryDirectory() as tmp:
            bench = os.path.join(tmp, "fake_bench")
            with open(bench, "w") as f:
                f.write("#!/usr/bin/env python3\nimport json\nprint(json.dumps(%r))\n" % (REPORT,))
            os.chmod(bench, os.stat(bench).st_mode | stat.S_IEXEC)
            doc = os.path.join(tmp, "benchmarks.md")
            with open(doc, "w") as f:
                f.write("# Benchmarks\n\nkeep me\n\n" + gemm_table.BEGIN + "\nold\n" + gemm_table.END + "\n\ntail\n")
            saved = gemm_table.DOC, sys.argv
            try:
                gemm_table.DOC = doc
                sys.argv = ["gemm_table.py", "--bench", bench, "--quiet"]
                gemm_table.main()
            finally:
                gemm_table.DOC, sys.argv = saved
            text = open(doc).read()
            self.assertIn("keep me", text)
            self.assertIn("tail", text)
            self.assertNotIn("\nold\n", text)
            self.assertIn("### 2 threads", text)
            self.assertEqual(text.count(gemm_table.BEGIN), 1)

    def test_failing_bench_exits_with_its_message(self):
        with tempfile.TemporaryDirectory() as tmp:
            bench = os.path.join(tmp, "bad_bench")
            with open(bench, "w") as f:
                f.write("#!/bin/sh\necho boom >&2\nexit 3\n")
            os.chmod(bench, 0o755)
            saved = sys.argv
            try:
                sys.argv = ["gemm_table.py", "--bench", bench, "--quiet", "--no-doc"]
                with self.assertRaises(SystemExit) as ctx:
                    gemm_table.main()
            finally:
                sys.argv = saved
            self.assertIn("exited 3", str(ctx.exception.code))
            self.assertIn("boom", str(ctx.exception.code))


if __name__ == "__main__":
    unittest.main()
