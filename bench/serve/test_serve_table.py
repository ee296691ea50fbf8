#!/usr/bin/env python3
"""Self-check for serve_table.py's pure parts (standard library only, no build, no server):
reading a bench report, medians over rounds, the table cells and ratios, and replacing the
marked section of a doc without touching the rest."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_table as st  # noqa: E402


def report(rps, p50, p90, p99, queue=0.01, compute=0.2, overhead=0.03, failures=0, unsent=0, requests=1000):
    """The parts of a `fastserve bench --server --json` object that serve_table reads."""
    return {"requests": requests, "unsent": unsent,
            "failures": {"total": failures, "by_reason": {"HTTP 503": failures} if failures else {}},
            "throughput": {"requests_per_s": rps},
            "latency_ms": {"p50": p50, "p90": p90, "p99": p99},
            "server_timing": {"queue_ms": {"p50": queue}, "compute_ms": {"p50": compute},
                              "overhead_ms": {"server_p50": overhead}}}


META = {"date": "2026-01-02 03:04 UTC", "command": "python3 bench/serve/serve_table.py --duration 3",
        "machine": "Test CPU, 2 logical CPUs", "version": "fastserve abc (`fastserve 0.1.0`)", "threads": 2,
        "http_threads": 20, "duration": 3.0, "warmup_s": 1.0, "rounds": 3, "rate_fraction": 0.7, "open_cap": 16}


class ExtractAndSummarize(unittest.TestCase):
    def test_extract_reads_the_server_split_and_turns_overhead_into_microseconds(self):
        x = st.extract(report(100.0, 1.0, 2.0, 3.0, queue=0.5, compute=0.25, overhead=0.04))
        self.assertEqual(x["requests_per_s"], 100.0)
        self.assertEqual((x["p50_ms"], x["p90_ms"], x["p99_ms"]), (1.0, 2.0, 3.0))
        self.assertEqual((x["queue_p50_ms"], x["compute_p50_ms"]), (0.5, 0.25))
        self.assertAlmostEqual(x["overhead_p50_us"], 40.0)

    def test_extract_without_server_timing_gives_none_not_an_error(self):
        r = report(10.0, 1.0, 2.0, 3.0)
        del r["server_timing"]
        x = st.extract(r)
        self.assertIsNone(x["queue_p50_ms"])
        self.assertIsNone(x["overhead_p50_us"])

    def test_summary_is_the_median_over_rounds_and_skips_failed_rounds(self):
        runs = [st.extract(report(100.0, 1.0, 2.0, 9.0)), st.extract(report(300.0, 3.0, 4.0, 5.0, failures=2)),
                st.extract(report(200.0, 2.0, 3.0, 7.0)), {"error": "`fastserve bench` exit 1: boom"}]
        s = st.summarize(runs)
        self.assertEqual(s["requests_per_s"], 200.0)
        self.assertEqual(s["p99_ms"], 7.0)
        self.assertEqual(s["rounds"], 3)
        self.assertEqual(s["failures"], 2)
        self.assertEqual(s["failures_by_reason"], {"HTTP 503": 2})
        self.assertEqual(s["errors"], ["`fastserve bench` exit 1: boom"])

    def test_summary_of_only_failed_rounds_is_all_none(self):
        s = st.summarize([{"error": "x"}])
        self.assertIsNone(s["requests_per_s"])
        self.assertEqual(s["rounds"], 0)


class Table(unittest.TestCase):
    def rows(self):
        off = st.summarize([st.extract(report(1000.0, 1.0, 1.5, 2.0, overhead=0.025))])
        on = st.summarize([st.extract(report(2500.0, 2.5, 3.0, 3.0, queue=2.0, overhead=2.1))])
        na = st.summarize([{"error": "x"}])
        return [{"model": "cnn", "batching": "off", "load": "C=8", "summary": off},
                {"model": "cnn", "batching": "on", "load": "C=8", "summary": on, "pair": off},
                {"model": "big", "batching": "on", "load": "C=1", "summary": na, "pair": off}]

    def test_on_rows_carry_the_ratio_to_their_off_row(self):
        lines = st.table(self.rows())
        self.assertEqual(lines[0].count("|"), 13)
        self.assertIn("| cnn | off | C=8 | 1000 | 1.00 | 1.50 | 2.00 | 0.010 | 0.200 | 25 |  |  |", lines)
        self.assertIn("| cnn | on | C=8 | 2500 | 2.50 | 3.00 | 3.00 | 2.00 | 0.200 | 2100 | 2.50× | 1.50× |", lines)

    def test_missing_numbers_say_na(self):
        lines = st.table(self.rows())
        self.assertIn("| big | on | C=1 | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |", lines)

    def test_small_throughput_keeps_a_decimal(self):
        self.assertEqual(st.fmt(15.44, "rps"), "15.4")
        self.assertEqual(st.fmt(1234.5, "rps"), "1234")
        self.assertEqual(st.fmt(0.0123, "ms"), "0.012")
        self.assertEqual(st.fmt(45.67, "ms"), "45.7")

    def test_failures_unsent_and_errors_become_footnotes(self):
        s = st.summarize([st.extract(report(10.0, 1.0, 2.0, 3.0, failures=1, unsent=4)), {"error": "bench hung"}])
        lines = st.problem_lines([{"model": "m", "batching": "off", "load": "open 7/s", "summary": s}])
        self.assertEqual(len(lines), 3)
        self.assertIn("1 of 1000 requests failed (HTTP 503 × 1)", lines[0])
        self.assertIn("4 arrivals not sent", lines[1])
        self.assertIn("bench hung", lines[2])

    def test_section_has_markers_method_and_notes(self):
        text = st.render_section(META, self.rows(), ["resnet18 skipped: zoo/resnet18/model.onnx is missing."])
        self.assertTrue(text.startswith(st.BEGIN + "\n"))
        self.assertTrue(text.endswith(st.END + "\n"))
        self.assertIn("`python3 bench/serve/serve_table.py --duration 3`", text)
        self.assertIn("Test CPU, 2 logical CPUs", text)
        self.assertIn("--http-threads 20", text)
        self.assertIn("at most 16 in flight, R = 70% of resnet18's batching-off throughput at C=16", text)
        self.assertIn("- resnet18 skipped", text)


class ReplaceSection(unittest.TestCase):
    SECTION = st.BEGIN + "\nnew table\n" + st.END + "\n"

    def test_replaces_only_between_the_markers(self):
        doc = "# Serving\n\nintro\n\n" + st.BEGIN + "\nold table\n" + st.END + "\n\n## After\n\nkeep\n"
        out = st.replace_section(doc, self.SECTION)
        self.assertEqual(out, "# Serving\n\nintro\n\n" + st.BEGIN + "\nnew table\n" + st.END + "\n\n## After\n\nkeep\n")

    def test_appends_at_the_end_when_the_markers_are_absent(self):
        out = st.replace_section("# Serving\n\nintro\n\n\n", self.SECTION)
        self.assertEqual(out, "# Serving\n\nintro\n\n" + self.SECTION)

    def test_an_end_marker_before_the_begin_marker_is_not_a_section(self):
        doc = "a " + st.END + " b\n"
        out = st.replace_section(doc, self.SECTION)
        self.assertTrue(out.startswith(doc.rstrip("\n")))
        self.assertEqual(out.count(st.BEGIN), 1)

    def test_running_twice_keeps_one_section(self):
        once = st.replace_section("# Serving\n", self.SECTION)
        twice = st.replace_section(once, self.SECTION.replace("new", "newer"))
        self.assertEqual(twice.count(st.BEGIN), 1)
        self.assertIn("newer table", twice)
        self.assertNotIn("\nnew table", twice)

    def test_write_doc_creates_a_missing_file_and_keeps_an_existing_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "docs", "serving.md")
            st.write_doc(path, self.SECTION)
            with open(path) as f:
                self.assertEqual(f.read(), st.NEW_DOC + "\n" + self.SECTION)
            with open(path, "w") as f:
                f.write("# Mine\n\n" + st.BEGIN + "\nx\n" + st.END + "\ntail\n")
            st.write_doc(path, self.SECTION)
            with open(path) as f:
                self.assertEqual(f.read(), "# Mine\n\n" + st.BEGIN + "\nnew table\n" + st.END + "\ntail\n")


class BuildRows(unittest.TestCase):
    def test_off_then_on_per_load_and_tiny_rows_without_a_pair(self):
        runs = {("cnn", "on", "C=1"): [st.extract(report(50.0, 1, 2, 3))],
                ("cnn", "off", "C=1"): [st.extract(report(100.0, 1, 2, 3))],
                ("cnn", "off", "C=8"): [st.extract(report(400.0, 1, 2, 3))],
                ("cnn", "on", "C=8"): [st.extract(report(800.0, 1, 2, 6))],
                ("tiny_cnn", "off", "C=1"): [st.extract(report(9000.0, 1, 2, 3))]}
        order = list(runs)  # round 2 may run "on" first; the table still shows off first
        rows = st.build_rows(runs, order)
        self.assertEqual([(r["model"], r["batching"], r["load"]) for r in rows],
                         [("cnn", "off", "C=1"), ("cnn", "on", "C=1"), ("cnn", "off", "C=8"), ("cnn", "on", "C=8"),
                          ("tiny_cnn", "off", "C=1")])
        self.assertEqual(rows[1]["pair"]["requests_per_s"], 100.0)
        self.assertNotIn("pair", rows[4])
        self.assertIn("| cnn | on | C=8 | 800 | 1.00 | 2.00 | 6.00 | 0.010 | 0.200 | 30 | 2.00× | 2.00× |",
                      st.table(rows))


if __name__ == "__main__":
    unittest.main()
