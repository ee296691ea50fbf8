#!/usr/bin/env python3
"""Serving throughput and latency, dynamic batching off vs on: `fastserve bench --server` against
one `fastserve serve`, written as a table into docs/serving.md.

    make bench-serve       # builds and exports the zoo, then the line below
    python3 bench/serve/serve_table.py --fastserve-bin build/release/fastserve \
        [--duration 10] [--rounds 3] [--write docs/serving.md] [--json FILE]

One server (`--threads 2`, one instance per model) serves the Fashion-MNIST CNN and resnet18
(zoo/, `make zoo`; skipped with a note when missing) each twice: batching off (max_batch_size 32,
no dynamic_batching block) and on (dynamic_batching, max_queue_delay 2 ms), plus the tiny CNN
(--model, no batching: the server-overhead case). Rows: closed loop at concurrency 1, 8, 16 for
the CNNs, 1 and 4 for the tiny CNN, and for resnet18 an open-loop row (--rate, Poisson arrivals,
at most 16 in flight) at --rate-fraction of the batching-off throughput at C=16 in round 1.
Rounds interleave: the off and on runs of one load are back to back, their order alternating
from round to round. A cell is the median over the rounds. Without --write the section is only
printed; with it, the text between <!-- serve-bench:begin --> and <!-- serve-bench:end --> is
replaced (appended at the end of the file when the markers are absent; nothing else is touched).
Standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_proc as sp  # noqa: E402

BEGIN, END = "<!-- serve-bench:begin -->", "<!-- serve-bench:end -->"
NEW_DOC = "# Serving\n"
METRICS = ["requests_per_s", "p50_ms", "p90_ms", "p99_ms", "queue_p50_ms", "compute_p50_ms", "overhead_p50_us"]


# ---- pure functions (tested by test_serve_table.py) ------------------------------------------

def extract(report):
    """The numbers of one `fastserve bench --server --json` report that the table uses."""
    st = report.get("server_timing") or {}
    lat = report.get("latency_ms") or {}

    def get(d, *keys):
        for k in keys:
            d = d.get(k) if isinstance(d, dict) else None
        return d

    overhead = get(st, "overhead_ms", "server_p50")
    return {"requests_per_s": get(report, "throughput", "requests_per_s"), "p50_ms": lat.get("p50"),
            "p90_ms": lat.get("p90"), "p99_ms": lat.get("p99"), "queue_p50_ms": get(st, "queue_ms", "p50"),
            "compute_p50_ms": get(st, "compute_ms", "p50"),
            "overhead_p50_us": None if overhead is None else 1000.0 * overhead,
            "requests": report.get("requests", 0), "failures": get(report, "failures", "total") or 0,
            "failures_by_reason": get(report, "failures", "by_reason") or {}, "unsent": report.get("unsent") or 0}


def summarize(runs):
    """Medians over the rounds of one row's runs; runs that errored are counted, not used."""
    ok = [r for r in runs if "error" not in r]
    out = {"rounds": len(ok), "errors": [r["error"] for r in runs if "error" in r]}
    for m in METRICS:
        vals = [r[m] for r in ok if r.get(m) is not None]
        out[m] = statistics.median(vals) if vals else None
    out["failures"] = sum(r.get("failures", 0) for r in ok)
    out["requests"] = sum(r.get("requests", 0) for r in ok)
    out["unsent"] = sum(r.get("unsent", 0) for r in ok)
    reasons = {}
    for r in ok:
        for k, n in (r.get("failures_by_reason") or {}).items():
            reasons[k] = reasons.get(k, 0) + n
    out["failures_by_reason"] = reasons
    return out


def fmt(v, kind):
    if v is None:
        return "n/a"
    if kind == "rps":
        return f"{v:.0f}" if v >= 100 else f"{v:.1f}"
    if kind == "us":
        return f"{v:.0f}"
    if kind == "ratio":
        return f"{v:.2f}×"
    return f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 10 else f"{v:.1f}"  # ms


def ratio(a, b):
    return a / b if a is not None and b else None


def table(rows):
    """rows: [{"model", "batching" ("off"/"on"), "load", "summary", "pair" (the off summary of
    the same load, for an "on" row)}] -> markdown lines."""
    head = ["model", "batching", "load", "req/s", "p50 ms", "p90 ms", "p99 ms", "queue p50 ms",
            "compute p50 ms", "overhead p50 µs", "on/off req/s", "on/off p99"]
    out = ["| " + " | ".join(head) + " |", "|---|---|---|" + "---:|" * (len(head) - 3)]
    for row in rows:
        s = row["summary"]
        pair = row.get("pair")
        r_tput = fmt(ratio(s["requests_per_s"], pair["requests_per_s"]), "ratio") if pair else ""
        r_p99 = fmt(ratio(s["p99_ms"], pair["p99_ms"]), "ratio") if pair else ""
        out.append("| " + " | ".join([
            row["model"], row["batching"], row["load"], fmt(s["requests_per_s"], "rps"), fmt(s["p50_ms"], "ms"),
            fmt(s["p90_ms"], "ms"), fmt(s["p99_ms"], "ms"), fmt(s["queue_p50_ms"], "ms"),
            fmt(s["compute_p50_ms"], "ms"), fmt(s["overhead_p50_us"], "us"), r_tput, r_p99]) + " |")
    return out


def problem_lines(rows):
    """Footnotes for rows with failed requests, unsent open-loop requests or bench errors."""
    out = []
    for row in rows:
        s, what = row["summary"], f"{row['model']} batching {row['batching']}, {row['load']}"
        if s["failures"]:
            reasons = ", ".join(f"{k} × {n}" for k, n in sorted(s["failures_by_reason"].items()))
            out.append(f"- {what}: {s['failures']} of {s['requests']} requests failed ({reasons}).")
        if s["unsent"]:
            out.append(f"- {what}: {s['unsent']} arrivals not sent (the in-flight cap was reached).")
        for e in sorted(set(s["errors"])):
            out.append(f"- {what}: a round failed: {e}")
    return out


def render_section(meta, rows, notes):
    """The whole marked section; meta: date, command, machine, versions, threads, duration,
    warmup_s, rounds, rate_fraction."""
    lines = [
        BEGIN,
        "## Serving throughput and latency: dynamic batching off vs on",
        "",
        "Written by `bench/serve/serve_table.py` (`make bench-serve`); re-run it rather than editing this section.",
        "",
        f"- Date: {meta['date']}. Command: `{meta['command']}`",
        f"- Machine: {meta['machine']}.",
        f"- Version: {meta['version']}.",
        f"- Server: one `fastserve serve`, `--threads {meta['threads']}` (intra-op threads per instance), one "
        f"instance per model, `--http-threads {meta['http_threads']}` (cpp-httplib holds a worker per open "
        "connection: with fewer workers than client connections, the extra connections get no answer). "
        "Batching off: `max_batch_size: 32` and no `dynamic_batching` block (the tiny CNN: "
        "`--model`, no config); on: `max_batch_size: 32` + `dynamic_batching { max_queue_delay_microseconds: 2000 }`.",
        "- Client: `fastserve bench --server` on the same machine (it shares the cores with the server), HTTP with "
        "the binary tensor extension, one random item per request. Load `C=N`: closed loop, N client threads with a "
        f"connection each; `open R/s`: open loop, Poisson arrivals at R requests/s in total, at most "
        f"{meta['open_cap']} in flight, R = "
        f"{meta['rate_fraction']:.0%} of resnet18's batching-off throughput at C={meta['open_cap']} in round 1.",
        f"- Method: {meta['duration']:g} s measured after {meta['warmup_s']:g} s of warm-up per run; {meta['rounds']} "
        "rounds, interleaved (the off and on runs of a load back to back, their order alternating between rounds); "
        "each cell is the median over the rounds. Latency percentiles are the client's (send to whole answer); queue, "
        "compute and overhead are the server's, from its `Server-Timing` header (overhead = total − compute of each "
        "request: queueing, parsing, encoding). The ratios divide the batching-on row by the off row of the same load.",
        "",
    ]
    lines += table(rows) + [""]
    extra = problem_lines(rows) + [f"- {n}" for n in notes]
    if extra:
        lines += extra + [""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def replace_section(text, section):
    """text with the marked section replaced by `section`, or with it appended at the end when
    the markers are absent; the rest of the text is unchanged."""
    if text is None:
        text = NEW_DOC
    begin = text.find(BEGIN)
    end = text.find(END, begin + len(BEGIN)) if begin >= 0 else -1
    if begin >= 0 and end >= 0:
        return text[:begin] + section.rstrip("\n") + text[end + len(END):]
    return text.rstrip("\n") + "\n\n" + section


def write_doc(path, section):
    text = None
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(replace_section(text, section))


# ---- the runs --------------------------------------------------------------------------------

def git_sha():
    try:
        sha = subprocess.run(["git", "-C", sp.ROOT, "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", sp.ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def resnet_batch_dynamic(zoo_dir):
    """True when zoo/resnet18's input has the dynamic "batch" dim (meta.json), False when fixed."""
    try:
        with open(os.path.join(zoo_dir, "meta.json")) as f:
            meta = json.load(f)
        return meta["inputs"][0]["shape"][0] == "batch"
    except (OSError, ValueError, KeyError, IndexError):
        return True  # no metadata: the export always makes it dynamic


class Plan:
    """The models to serve and the rows to run."""

    def __init__(self, args, notes):
        self.models = []   # (served name, onnx path, config text or None for --model)
        self.groups = []   # (label, off name, on name or None, [concurrencies], open-loop row?)
        self.models += [("fashion_off", sp.FASHION, sp.BATCHING_OFF), ("fashion_on", sp.FASHION, sp.BATCHING_ON)]
        self.groups.append(("fashion_mnist_cnn", "fashion_off", "fashion_on", args.concurrency, False))
        resnet = os.path.join(args.zoo, "resnet18", "model.onnx")
        if not os.path.isfile(resnet):
            shown = os.path.relpath(resnet, sp.ROOT) if resnet.startswith(sp.ROOT + os.sep) else resnet
            note = f"resnet18 skipped: {shown} is missing (run `make zoo`)."
            print(f"serve_table: {note}", file=sys.stderr)
            notes.append(note)
        elif resnet_batch_dynamic(os.path.join(args.zoo, "resnet18")):
            self.models += [("resnet18_off", resnet, sp.BATCHING_OFF), ("resnet18_on", resnet, sp.BATCHING_ON)]
            self.groups.append(("resnet18", "resnet18_off", "resnet18_on", args.concurrency, True))
        else:
            notes.append("resnet18's batch dim is fixed: batching on is not possible, only off is measured.")
            self.models.append(("resnet18_off", resnet, "max_batch_size: 0\n"))
            self.groups.append(("resnet18", "resnet18_off", None, args.concurrency, True))
        self.tiny_concurrency = args.tiny_concurrency


def run_cell(args, server, model, concurrency, rate=None):
    cmd = sp.bench_command(args.fastserve_bin, server, model, concurrency, args.duration, "http", rate=rate,
                           warmup_s=args.warmup_seconds)
    report, error = sp.run_bench(cmd, timeout=args.duration + args.warmup_seconds + 120)
    res = {"error": error} if error else extract(report)
    if not args.quiet:
        load = f"open {rate:.1f}/s" if rate else f"C={concurrency}"
        shown = error or (f"{res['requests_per_s']:.1f} req/s, p99 {res['p99_ms']:.2f} ms"
                          + (f", {res['failures']} failed" if res["failures"] else ""))
        print(f"  {model:13s} {load:14s} {shown}", file=sys.stderr, flush=True)
    return res


def measure(args, server, plan):
    """{(group, batching, load): [per-round results]}, the row order, the open-loop rate."""
    runs, order, rate = {}, [], None

    def record(key, res):
        if key not in runs:
            runs[key] = []
            order.append(key)
        runs[key].append(res)

    for r in range(args.rounds):
        if not args.quiet:
            print(f"serve_table: round {r + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for label, off, on, concs, open_loop in plan.groups:
            for c in concs:
                pair = [("off", off), ("on", on)] if on else [("off", off)]
                for batching, name in (pair if r % 2 == 0 else pair[::-1]):
                    record((label, batching, f"C={c}"), run_cell(args, server, name, c))
            if open_loop:
                if rate is None:  # from round 1's saturated batching-off run, then kept for every round
                    first = runs.get((label, "off", f"C={max(concs)}"), [{}])[0]
                    capacity = first.get("requests_per_s")
                    rate = round(args.rate_fraction * capacity, 1) if capacity else None
                if rate:
                    cap = max(concs)
                    pair = [("off", off), ("on", on)] if on else [("off", off)]
                    for batching, name in (pair if r % 2 == 0 else pair[::-1]):
                        record((label, batching, f"open {rate:g}/s"), run_cell(args, server, name, cap, rate))
        for c in plan.tiny_concurrency:
            record(("tiny_cnn", "off", f"C={c}"), run_cell(args, server, "tiny", c))
    return runs, order, rate


def build_rows(runs, order):
    """Table rows in run order, off before on; an on row carries its off row's summary."""
    summaries = {k: summarize(v) for k, v in runs.items()}
    keys = sorted(order, key=lambda k: (order.index((k[0], "off", k[2])) if (k[0], "off", k[2]) in order
                                        else order.index(k), k[1] != "off"))
    rows = []
    for k in keys:
        row = {"model": k[0], "batching": k[1], "load": k[2], "summary": summaries[k]}
        if k[1] == "on" and (k[0], "off", k[2]) in summaries:
            row["pair"] = summaries[(k[0], "off", k[2])]
        rows.append(row)
    return rows


def machine_line(load_start, load_end):
    return (f"{sp.cpu_model()}, {os.cpu_count()} logical CPUs ({len(os.sched_getaffinity(0))} usable); "
            f"Linux {platform.release()}; 1-minute load average {load_start:.1f} at the start, "
            f"{load_end:.1f} at the end")


def int_list(text):
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got '{text}'")
    if not vals or min(vals) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got '{text}'")
    return vals


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fastserve-bin", default=os.path.join(sp.ROOT, "build", "release", "fastserve"))
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds per run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; cells are medians (default 3)")
    ap.add_argument("--warmup-seconds", type=float, default=1.0, help="bench warm-up per run (default 1)")
    ap.add_argument("--write", metavar="DOC", help="write the section into this markdown file (e.g. docs/serving.md)")
    ap.add_argument("--json", metavar="FILE", help="write every raw number here")
    ap.add_argument("--zoo", default=os.path.join(sp.ROOT, "zoo"))
    ap.add_argument("--threads", type=int, default=2, help="server intra-op threads per instance (default 2)")
    ap.add_argument("--concurrency", type=int_list, default=[1, 8, 16], help="CNN closed-loop loads (default 1,8,16)")
    ap.add_argument("--tiny-concurrency", type=int_list, default=[1, 4], help="tiny CNN loads (default 1,4)")
    ap.add_argument("--rate-fraction", type=float, default=0.7,
                    help="resnet18 open-loop rate as a fraction of its batching-off throughput (default 0.7)")
    ap.add_argument("--http-threads", type=int, default=0,
                    help="server HTTP workers (default: the largest concurrency + 4; each open connection holds one)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if not args.http_threads:
        args.http_threads = max(args.concurrency + args.tiny_concurrency) + 4
    if args.rounds < 1 or args.duration <= 0 or args.threads < 1 or not 0 < args.rate_fraction <= 1:
        ap.error("--rounds and --threads must be >= 1, --duration > 0, --rate-fraction in (0, 1]")
    args.fastserve_bin = os.path.abspath(args.fastserve_bin)
    args.zoo = os.path.abspath(args.zoo)
    if not os.access(args.fastserve_bin, os.X_OK):
        ap.error(f"{args.fastserve_bin} is not an executable (make build)")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    notes = []
    plan = Plan(args, notes)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="fastserve-serve-table-") as tmp:
        repo = os.path.join(tmp, "repo")
        for name, path, config in plan.models:
            sp.add_model(repo, name, path, config)
        server_args = ["--model", f"tiny={sp.TINY}", "--model-repository", repo, "--threads", str(args.threads),
                       "--http-threads", str(args.http_threads), "--log-level", "warn"]
        with sp.Server(args.fastserve_bin, tmp, "serve_table", server_args) as server:
            runs, order, rate = measure(args, server, plan)
            server_log = server.log_tail(5)
    load_end = os.getloadavg()[0]
    rows = build_rows(runs, order)
    command = shlex.join(["python3", os.path.relpath(os.path.abspath(__file__), sp.ROOT)]
                         + [os.path.relpath(a, sp.ROOT) if a.startswith(sp.ROOT + os.sep) else a
                            for a in argv])
    meta = {"date": started.strftime("%Y-%m-%d %H:%M UTC"), "command": command,
            "machine": machine_line(load_start, load_end),
            "version": f"fastserve {git_sha()} (`{sp.fastserve_version(args.fastserve_bin)}`)",
            "threads": args.threads, "http_threads": args.http_threads, "duration": args.duration,
            "warmup_s": args.warmup_seconds,
            "rounds": args.rounds, "rate_fraction": args.rate_fraction, "open_cap": max(args.concurrency)}
    section = render_section(meta, rows, notes)
    print(section, end="")
    if args.write:
        write_doc(args.write, section)
        print(f"serve_table: updated {args.write}", file=sys.stderr)
    if args.json:
        raw = {"meta": meta, "config": vars(args), "open_loop_rate": rate, "notes": notes,
               "server_log_tail": server_log,
               "runs": [{"model": k[0], "batching": k[1], "load": k[2], "rounds": v} for k, v in runs.items()],
               "rows": [{k: v for k, v in r.items()} for r in rows]}
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
