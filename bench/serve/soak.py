#!/usr/bin/env python3
"""Soak test of `fastserve serve`: mixed valid and invalid traffic for a while, watching memory.

    make soak              # builds, then the line below
    python3 bench/serve/soak.py --fastserve-bin build/release/fastserve [--duration 600] [--json FILE]

One server (loopback, free ports) serves models/tiny_cnn.onnx as "tiny" (--model, no batching)
and models/fashion_mnist_cnn.onnx as "fashion_b" from a repository with dynamic batching
(max_batch_size 32, max_queue_delay 2 ms). For --duration seconds, at the same time:

- valid load: `fastserve bench --server ... --concurrency 4 --rate R --json` processes one after
  the other in slices, rotating over HTTP binary, HTTP JSON and gRPC, both models, batch 1 and 4.
  Open loop at a modest rate (--rate per process), so that the load never saturates the machine
  and the Python side is not starved;
- valid Python requests (HTTP JSON, HTTP binary, gRPC when the grpc module is there) whose logits
  are compared with `fastserve run` on the same inputs;
- --invalid-threads threads cycling through bench/serve/soak_cases.py: malformed JSON, wrong
  shapes and datatypes, unknown models / inputs / outputs, binary size mismatches, bodies past
  --max-request-bytes, truncated and stalled bodies, disconnects mid-request and before the
  answer, garbage on the HTTP, gRPC and metrics ports, invalid gRPC messages. After a 4xx on a
  kept-alive connection, one time in three a valid request follows on that same connection.

The server's VmRSS, threads and open fds are sampled every --sample-seconds. Reported: RSS after
the warm-up (the first 10% of the run, at least 30 s, at most half) and at the end, the growth,
valid requests and failures, invalid requests by case and by answer, and whether the server is
alive and ready at the end. Exit code 0 only if RSS grew <= --max-rss-growth-pct, no valid
request failed, every invalid request got an accepted answer (a 4xx, or for garbage, truncation
and disconnects a connection close; never a 5xx, a 2xx or a hang), and the server never crashed
(alive and ready at the end, exit code 0 on SIGTERM). The server runs as shipped (it fixes
glibc's mmap threshold itself, src/serve/server.cc); --fixed-mmap-threshold also sets it through
the environment. Standard library only.
"""
import argparse
import array
import datetime
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_proc as sp  # noqa: E402
import soak_cases as sc  # noqa: E402
import soak_wire as sw  # noqa: E402

# Valid load slices: (model, protocol, batch) in turn.
SLICES = [(sc.TINY, "http", None), (sc.BATCHED, "grpc", None), (sc.BATCHED, "json", None), (sc.TINY, "grpc", None),
          (sc.BATCHED, "http", 4), (sc.TINY, "json", None), (sc.BATCHED, "http", None), (sc.BATCHED, "grpc", 4)]
MAX_EXAMPLES = 12       # valid failures kept for the report
MAX_CASE_EXAMPLES = 2   # badly answered requests kept per invalid case
# glibc raises its mmap threshold (up to 32 MiB) after the first large free; from then on request
# bodies of ~1 MB come from per-thread arenas, and each HTTP worker keeps a few MB of them. That
# is bounded, but it fills worker by worker over many minutes and reads as growth; it also hides
# a real leak. A fixed threshold returns large blocks to the system when freed, so that RSS
# follows what the server holds. The server sets it itself (mallopt); --fixed-mmap-threshold
# sets it through the environment too, for servers built before that.
FIXED_MMAP_THRESHOLD = {"MALLOC_MMAP_THRESHOLD_": "131072"}


class Tally:
    """Counters shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.valid = {}          # transport -> {"ok": n, "failed": n}
        self.valid_examples = []
        self.invalid = {}        # case -> {outcome: n}
        self.bad = {}            # case -> count of unaccepted outcomes
        self.bad_examples = []
        self.slices = []

    def valid_result(self, transport, error, what):
        with self.lock:
            c = self.valid.setdefault(transport, {"ok": 0, "failed": 0})
            c["failed" if error else "ok"] += 1
            if error and len(self.valid_examples) < MAX_EXAMPLES:
                self.valid_examples.append(f"{what}: {error}")

    def invalid_result(self, case, outcome, ok, detail):
        with self.lock:
            by = self.invalid.setdefault(case.name, {})
            by[outcome] = by.get(outcome, 0) + 1
            if not ok:
                self.bad[case.name] = self.bad.get(case.name, 0) + 1
                if self.bad[case.name] <= MAX_CASE_EXAMPLES:
                    self.bad_examples.append(f"{case.name} (wants {case.accept}): got {outcome}; {detail}")


def make_references(binary, workdir, seed):
    """Seeded inputs per (model, batch) and `fastserve run`'s logits for them."""
    inputs = sc.seeded_inputs(seed)
    paths = {sc.TINY: sp.TINY, sc.BATCHED: sp.FASHION}
    outputs = {}
    for (model, batch), values in inputs.items():
        x = os.path.join(workdir, f"ref_{model}_{batch}_in.npy")
        y = os.path.join(workdir, f"ref_{model}_{batch}_out.npy")
        sp.write_npy(x, values, (batch, *sc.IMAGE))
        proc = subprocess.run([binary, "run", "--model", paths[model], "--input", x, "--output", y, "--threads", "1",
                               "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
        if proc.returncode != 0:
            sys.exit(f"soak: `fastserve run` on {x} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
        outputs[(model, batch)], _ = sp.read_npy(y)
    return sc.References(inputs, outputs)


def bench_loop(args, server, warm_end, deadline, stop, tally):
    k = 0
    while not stop.is_set() and args.rate > 0:
        now = time.monotonic()
        left = deadline - now
        if left < 2.0:
            return
        model, protocol, batch = SLICES[k % len(SLICES)]
        k += 1
        # Every kind of slice runs once within the warm-up, so that the RSS after it includes
        # what each code path keeps (threads, buffers, allocator arenas) and only growth remains.
        d = min(args.slice_seconds, left)
        if k <= len(SLICES):
            d = min(d, max(1.0, (warm_end - now) / (len(SLICES) - k + 1)))
        cmd = sp.bench_command(args.fastserve_bin, server, model, 4, d, protocol, rate=args.rate, batch=batch,
                               warmup_s=0)
        report, error = sp.run_bench(cmd, timeout=d + 60)
        entry = {"model": model, "protocol": protocol, "batch": batch or 1, "duration_s": round(d, 1)}
        if error:
            entry["error"] = error
        else:
            entry.update(requests=report["requests"], successes=report["successes"],
                         failures=report["failures"]["total"], by_reason=report["failures"]["by_reason"],
                         unsent=report.get("unsent", 0), requests_per_s=report["throughput"]["requests_per_s"],
                         p99_ms=report["latency_ms"]["p99"])
        with tally.lock:
            tally.slices.append(entry)
        if not args.quiet:
            shown = entry.get("error") or (f"{entry['requests']} requests, {entry['failures']} failed, "
                                           f"p99 {entry['p99_ms']:.2f} ms")
            print(f"[soak] bench {model} {protocol}{' batch ' + str(batch) if batch else ''} {d:.0f} s: {shown}",
                  file=sys.stderr, flush=True)


def check_valid(refs, key, transport, http, grpc):
    if transport == "grpc":
        model, batch = key
        msg = sw.grpc_infer_message(model, [("input", "FP32", [batch, *sc.IMAGE])],
                                    [array.array("f", refs.inputs[key]).tobytes()])
        outcome, data = grpc.call(msg)
        return sc.check_grpc_answer(refs, key, data) if outcome == "grpc OK" else f"{outcome}: {data[:300]!r}"
    method, path, body, headers = sc.valid_http_request(refs, key, transport == "binary")
    outcome, status, resp_headers, data = http.exchange(method, path, body, headers)
    if status is None:
        return outcome
    return sc.check_http_answer(refs, key, status, resp_headers, data)


def valid_loop(args, server, refs, stop, tally):
    http = sw.HttpConnection(server.http_port, args.request_timeout)
    grpc = sw.GrpcClient(server.grpc_target, args.request_timeout) if args.grpc_cases else None
    transports = ["json", "binary"] + (["grpc"] if grpc else [])
    k = 0
    try:
        while not stop.is_set() and args.valid_pause >= 0:
            key = refs.keys[k % len(refs.keys)]
            transport = transports[(k // len(refs.keys)) % len(transports)]
            k += 1
            err = check_valid(refs, key, transport, http, grpc)
            tally.valid_result(transport, err, f"{transport} {key[0]} batch {key[1]}")
            stop.wait(args.valid_pause)
    finally:
        http.close()
        if grpc:
            grpc.close()


def invalid_loop(tid, args, server, refs, stop, tally):
    ctx = sc.Context(server.http_port, server.grpc_port, server.metrics_port, args.max_request_bytes,
                     args.seed * 1000 + tid, args.request_timeout)
    cases = [c for c in sc.catalogue(args.grpc_cases) if re.search(args.cases, c.name)]
    http = sw.HttpConnection(server.http_port, args.request_timeout)
    grpc = sw.GrpcClient(server.grpc_target, args.request_timeout) if args.grpc_cases else None
    rng = random.Random(args.seed * 7 + tid)
    cycle = 0
    try:
        while not stop.is_set():
            for case in cases:
                if stop.is_set():
                    break
                if case.every > 1 and cycle % case.every != tid % case.every:
                    continue
                if case.kind == "http":
                    method, path, body, headers = case.run(ctx)
                    outcome, status, _, data = http.exchange(method, path, body, headers)
                    detail = f"{method} {path} body[:120]={(body or b'')[:120]!r} -> {data[:300]!r}"
                elif case.kind == "grpc":
                    outcome, data = grpc.call(case.run(ctx))
                    detail = f"ModelInfer -> {data[:300]!r}"
                else:
                    outcome, head = case.run(ctx)
                    detail = f"answer[:200]={head!r}"
                tally.invalid_result(case, outcome, sc.accepted(outcome, case.accept), detail)
                if case.kind == "http" and sc.is_4xx(outcome) and rng.random() < 1 / 3:
                    key = refs.keys[rng.randrange(len(refs.keys))]
                    binary = rng.random() < 0.5
                    err = check_valid(refs, key, "binary" if binary else "json", http, None)
                    tally.valid_result("after_error", err, f"after {case.name}: {key[0]} batch {key[1]}")
                stop.wait(args.invalid_pause)
            cycle += 1
    finally:
        http.close()
        if grpc:
            grpc.close()


def sampler_loop(args, server, t0, stop, samples, crash):
    while True:
        st = sp.proc_status(server.pid) if server.running() else None
        if st is None:
            crash["at_s"] = round(time.monotonic() - t0, 1)
            crash["returncode"] = server.proc.poll()
            stop.set()
            return
        st["t_s"] = round(time.monotonic() - t0, 1)
        samples.append(st)
        if stop.wait(args.sample_seconds):
            return


def rss_summary(samples, warm_s):
    base = next((s for s in samples if s["t_s"] >= warm_s), samples[-1] if samples else None)
    end = samples[-1] if samples else None
    if not base or not end or not base.get("rss_kb"):
        return {"error": "no RSS samples"}
    growth = 100.0 * (end["rss_kb"] - base["rss_kb"]) / base["rss_kb"]
    return {"warmup_s": warm_s, "after_warmup": base, "end": end, "growth_pct": round(growth, 2),
            "peak_rss_kb": max(s["rss_kb"] for s in samples), "samples": len(samples),
            "series_t_rss_threads_fds": [[s["t_s"], s["rss_kb"], s["threads"], s["fds"]] for s in samples]}


def log_levels(path):
    counts = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    level = json.loads(line).get("level", "?")
                except (ValueError, AttributeError):
                    level = "not-json"
                counts[level] = counts.get(level, 0) + 1
    except OSError:
        pass
    return counts


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fastserve-bin", default=os.path.join(sp.ROOT, "build", "release", "fastserve"))
    ap.add_argument("--duration", type=float, default=600.0, help="seconds of traffic (default 600)")
    ap.add_argument("--json", metavar="FILE", help="write the whole report here")
    ap.add_argument("--rate", type=float, default=200.0,
                    help="requests/s of each `fastserve bench` process (open loop, <= 4 in flight; default 200; "
                         "0 = no bench load)")
    ap.add_argument("--slice-seconds", type=float, default=0.0,
                    help="length of one bench process (default: duration / 12, within 5..30 s)")
    ap.add_argument("--invalid-threads", type=int, default=2)
    ap.add_argument("--cases", default="", metavar="REGEX",
                    help="only the invalid cases whose name matches (to bisect a growth); default all")
    ap.add_argument("--invalid-pause", type=float, default=0.01, help="seconds between invalid requests of a thread")
    ap.add_argument("--valid-pause", type=float, default=0.02,
                    help="seconds between checked valid requests (< 0: none)")
    ap.add_argument("--max-request-bytes", type=int, default=1 << 20, help="the server's --max-request-bytes")
    ap.add_argument("--request-timeout", type=float, default=20.0, help="no answer nor close in this long = a hang")
    ap.add_argument("--sample-seconds", type=float, default=2.0)
    ap.add_argument("--fixed-mmap-threshold", action="store_true",
                    help="also set " + " ".join(f"{k}={v}" for k, v in FIXED_MMAP_THRESHOLD.items()) +
                    " in the server's environment (see the top of this file)")
    ap.add_argument("--max-rss-growth-pct", type=float, default=5.0)
    ap.add_argument("--no-grpc-cases", dest="grpc_cases", action="store_false",
                    help="skip the Python gRPC requests (skipped anyway without the grpc module)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", help="keep the repository, references and server log here (default: a temp dir)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.duration < 4:
        ap.error("--duration must be >= 4 s")
    if not args.slice_seconds:
        args.slice_seconds = min(30.0, max(5.0, args.duration / 12))
    args.fastserve_bin = os.path.abspath(args.fastserve_bin)
    if not os.access(args.fastserve_bin, os.X_OK):
        ap.error(f"{args.fastserve_bin} is not an executable (make build)")
    if args.grpc_cases and not sw.grpc_available():
        print("[soak] note: no grpc module in this Python: the Python gRPC requests are skipped "
              "(gRPC still gets `fastserve bench --grpc` load and raw garbage)", file=sys.stderr)
        args.grpc_cases = False
    return args


def run(args, workdir):
    refs = make_references(args.fastserve_bin, workdir, args.seed)
    repo = os.path.join(workdir, "repo")
    sp.add_model(repo, sc.BATCHED, sp.FASHION, sp.BATCHING_ON)
    # 24 HTTP workers: cpp-httplib holds one per open connection (the default, 8 on 2 cores, is
    # about what the load itself keeps open), and a case that gets an answer but no close (see
    # soak_cases.py) holds one for the 60 s keep-alive timeout.
    env = dict(os.environ)
    if args.fixed_mmap_threshold:
        env.update(FIXED_MMAP_THRESHOLD)
    server = sp.Server(args.fastserve_bin, workdir, "soak",
                       ["--model", f"{sc.TINY}={sp.TINY}", "--model-repository", repo, "--threads", "1",
                        "--http-threads", "24", "--max-request-bytes", str(args.max_request_bytes),
                        "--drain-timeout-ms", "5000", "--log-level", "warn"], env=env)
    warm_s = min(max(30.0, 0.1 * args.duration), 0.5 * args.duration)
    stop, samples, crash, tally = threading.Event(), [], {}, Tally()
    t0 = time.monotonic()
    deadline = t0 + args.duration
    try:
        threads = [threading.Thread(target=sampler_loop, args=(args, server, t0, stop, samples, crash), daemon=True),
                   threading.Thread(target=bench_loop, args=(args, server, t0 + warm_s, deadline, stop, tally),
                                    daemon=True),
                   threading.Thread(target=valid_loop, args=(args, server, refs, stop, tally), daemon=True)]
        threads += [threading.Thread(target=invalid_loop, args=(i, args, server, refs, stop, tally), daemon=True)
                    for i in range(args.invalid_threads)]
        for t in threads:
            t.start()
        last_note = t0
        while time.monotonic() < deadline and not stop.is_set():
            stop.wait(min(1.0, max(0.0, deadline - time.monotonic())))
            if not args.quiet and time.monotonic() - last_note >= 30 and samples:
                last_note = time.monotonic()
                with tally.lock:
                    sent = sum(sum(v.values()) for v in tally.invalid.values())
                    bad = sum(tally.bad.values())
                print(f"[soak] {last_note - t0:.0f} s: RSS {samples[-1]['rss_kb'] / 1024:.1f} MiB, "
                      f"{sent} invalid sent ({bad} badly answered)", file=sys.stderr, flush=True)
        stop.set()
        for t in threads:
            t.join(timeout=args.slice_seconds + 90)
        hung_threads = [t.name for t in threads if t.is_alive()]
        alive = server.running()
        ready = server.ready() if alive else "not running"
        final_valid = {}
        if alive:
            http = sw.HttpConnection(server.http_port, args.request_timeout)
            for key in refs.keys:
                final_valid[f"{key[0]} batch {key[1]}"] = check_valid(refs, key, "json", http, None) or "ok"
            http.close()
        final = sp.proc_status(server.pid)
        if final:
            final["t_s"] = round(time.monotonic() - t0, 1)
            samples.append(final)
    finally:
        returncode, killed = server.stop()
    return build_report(args, server, refs, tally, samples, crash, warm_s, alive, ready, final_valid, returncode,
                        killed, hung_threads)


def build_report(args, server, refs, tally, samples, crash, warm_s, alive, ready, final_valid, returncode, killed,
                 hung_threads):
    bench_requests = sum(s.get("requests", 0) for s in tally.slices)
    bench_failures = sum(s.get("failures", 0) for s in tally.slices)
    bench_errors = [s for s in tally.slices if "error" in s]
    py_ok = sum(v["ok"] for v in tally.valid.values())
    py_failed = sum(v["failed"] for v in tally.valid.values())
    by_outcome = {}
    for per_case in tally.invalid.values():
        for outcome, n in per_case.items():
            by_outcome[outcome] = by_outcome.get(outcome, 0) + n
    rss = rss_summary(samples, warm_s)
    final_bad = {k: v for k, v in final_valid.items() if v != "ok"}
    checks = [
        ("rss_growth", "growth_pct" in rss and rss["growth_pct"] <= args.max_rss_growth_pct,
         f"{rss.get('growth_pct', 'n/a')}% (limit {args.max_rss_growth_pct}%)"),
        ("valid_failures", bench_failures == 0 and not bench_errors and py_failed == 0 and not final_bad,
         f"bench {bench_failures} failed + {len(bench_errors)} bench runs in error, Python {py_failed} failed, "
         f"final checks {len(final_bad)} failed"),
        ("invalid_answers", sum(tally.bad.values()) == 0 and sum(by_outcome.values()) > 0,
         f"{sum(tally.bad.values())} of {sum(by_outcome.values())} not answered as expected"),
        ("no_crash", not crash and alive and ready == 200 and returncode == 0 and not killed,
         f"alive {alive}, ready {ready}, exit code on SIGTERM {returncode}{' (needed SIGKILL)' if killed else ''}"
         + (f", died at {crash['at_s']} s with {crash['returncode']}" if crash else "")),
    ]
    if hung_threads:
        checks.append(("load_threads_finished", False, f"still running: {hung_threads}"))
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "fastserve": sp.fastserve_version(args.fastserve_bin), "cpu": sp.cpu_model(), "cpus": os.cpu_count(),
        "config": {k: v for k, v in vars(args).items()},
        "server_command": server.cmd,
        "server_env": FIXED_MMAP_THRESHOLD if args.fixed_mmap_threshold else {},
        "rss": rss,
        "valid": {"bench_requests": bench_requests, "bench_failures": bench_failures, "bench_errors": bench_errors,
                  "python_ok": py_ok, "python_failed": py_failed, "python_by_transport": tally.valid,
                  "failure_examples": tally.valid_examples, "final_checks": final_valid,
                  "total": bench_requests + py_ok + py_failed, "failed": bench_failures + py_failed + len(final_bad)},
        "invalid": {"sent": sum(by_outcome.values()), "by_outcome": dict(sorted(by_outcome.items())),
                    "by_case": {k: dict(sorted(v.items())) for k, v in sorted(tally.invalid.items())},
                    "badly_answered": dict(sorted(tally.bad.items())), "bad_examples": tally.bad_examples},
        "bench_slices": tally.slices,
        "server": {"alive_at_end": alive, "ready_at_end": ready, "crash": crash or None,
                   "exit_code_on_sigterm": returncode, "needed_sigkill": killed,
                   "log_lines_by_level": log_levels(server.log_path), "log": server.log_path},
        "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in checks],
        "passed": all(ok for _, ok, _ in checks),
    }


def print_report(rep):
    rss = rep["rss"]
    env = " ".join(f"{k}={v}" for k, v in rep["server_env"].items()) or "none (the server fixes its mmap threshold itself)"
    out = [f"soak: {rep['fastserve']}; {rep['config']['duration']:.0f} s on {rep['cpu']} ({rep['cpus']} CPUs); "
           f"server with {env}"]
    if "error" in rss:
        out.append(f"  RSS: {rss['error']}")
    else:
        a, e = rss["after_warmup"], rss["end"]
        out.append(f"  RSS after warm-up ({a['t_s']:.0f} s): {a['rss_kb'] / 1024:.1f} MiB; "
                   f"at the end ({e['t_s']:.0f} s): {e['rss_kb'] / 1024:.1f} MiB; growth {rss['growth_pct']:+.2f}%; "
                   f"peak {rss['peak_rss_kb'] / 1024:.1f} MiB")
        out.append(f"  threads {a['threads']} -> {e['threads']}, open fds {a['fds']} -> {e['fds']}")
    v = rep["valid"]
    out.append(f"  valid: {v['total']} requests ({v['bench_requests']} by fastserve bench, "
               f"{v['python_ok'] + v['python_failed']} checked by Python), {v['failed']} failed"
               + (f", {len(v['bench_errors'])} bench runs in error" if v["bench_errors"] else ""))
    for ex in v["failure_examples"] + [s["error"] for s in v["bench_errors"]]:
        out.append(f"    ! {ex}")
    inv = rep["invalid"]
    out.append(f"  invalid: {inv['sent']} sent; answers: "
               + ", ".join(f"{k} × {n}" for k, n in inv["by_outcome"].items()))
    for ex in inv["bad_examples"]:
        out.append(f"    ! {ex}")
    s = rep["server"]
    out.append(f"  server: alive {s['alive_at_end']}, ready {s['ready_at_end']}, exit code on SIGTERM "
               f"{s['exit_code_on_sigterm']}; log lines by level {s['log_lines_by_level']}")
    for c in rep["checks"]:
        out.append(f"  [{'ok' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}")
    out.append("soak: PASSED" if rep["passed"] else "soak: FAILED")
    print("\n".join(out), flush=True)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        rep = run(args, os.path.abspath(args.workdir))
    else:
        with tempfile.TemporaryDirectory(prefix="fastserve-soak-") as tmp:
            rep = run(args, tmp)
            rep["server"]["log"] = "(removed with the temp dir; pass --workdir to keep it)"
    print_report(rep)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rep, f, indent=1)
            f.write("\n")
    return 0 if rep["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
