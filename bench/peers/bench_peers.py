#!/usr/bin/env python3
"""fastserve vs ONNX Runtime vs PyTorch on the zoo models (make zoo), side by side.

    make bench-peers                                   # = the line below, after make zoo and make build
    .venv/bin/python bench/peers/bench_peers.py --fastserve-bin build/release/fastserve \
        [--threads 1,2] [--batch 1] [--seq 128] [--rounds 5] [--warmup 10] [--iterations 50] [--json FILE]

For each thread count, R rounds; each round runs every model on every peer once, each run in a
fresh process (fastserve `bench`, or peer_worker.py for ORT / PyTorch) with W warm-up and I timed
runs. The peer order rotates from round to round and the rounds interleave, so drift (turbo,
neighbours, page cache) hits all peers alike. A peer's number is the median over rounds of that
process's p50 latency; its peak RSS is the process's ru_maxrss (wait4), the Python interpreter
and the library included for the peers. Before the rounds, `fastserve run` computes each model
once on zoo/<name>/input_0.npy and the output is compared with ort_output_0.npy (the ORT_DISABLE_ALL
reference from make_zoo.py). Transformers (inputs with a "seq" dim: bert_base, gpt2_small) run at
--seq tokens on inputs drawn once per model with the zoo's samplers (token ids, 0/1 mask) and
given to every peer from the same .npy files.

Writes the section between <!-- peers:begin --> and <!-- peers:end --> of docs/benchmarks.md
(the rest of the file is kept; --no-doc skips it) and, with --json, every raw number. A peer
that cannot run (fastserve not built, no `bench` command, an unsupported op) shows n/a and why.
"""
import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers_report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer_worker.py")
PEERS = ["fastserve", "ort", "torch"]


def run_child(cmd, env=None, timeout=600):
    """Runs cmd to completion; returns (rc, stdout, stderr, peak RSS in MiB of that process).
    wait4 gives the rusage of exactly this child, where RUSAGE_CHILDREN would be the max
    over every child so far."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # we reaped it; tell Popen
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                usage.ru_maxrss / 1024.0)


def last_line(text):
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def parse_json_output(stdout):
    """The last line of stdout that is a JSON object (logs may precede it)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON object on stdout")


def latency_stats(lat):
    a = np.asarray(lat, np.float64)
    q = np.percentile(a, [50, 90, 99])
    return {"min": float(a.min()), "p50": float(q[0]), "p90": float(q[1]), "p99": float(q[2]),
            "max": float(a.max()), "mean": float(a.mean())}


def max_errors(out, ref):
    """(max abs, max abs / max |ref|), as make_zoo.py."""
    out, ref = np.asarray(out, np.float64), np.asarray(ref, np.float64)
    if out.shape != ref.shape:
        raise ValueError(f"output shape {list(out.shape)} != reference {list(ref.shape)}")
    abs_err = float(np.max(np.abs(out - ref)))
    return abs_err, abs_err / float(np.max(np.abs(ref)))


class Fastserve:
    """The fastserve binary: availability of its commands, and how each failed."""

    def __init__(self, binary):
        self.binary = binary
        self.bench_error = self._probe("bench")
        self.run_error = self._probe("run")
        self.model_errors = {}  # model path -> why `bench` failed on it; not retried in later rounds

    def _probe(self, command):
        if not os.path.isfile(self.binary) or not os.access(self.binary, os.X_OK):
            return f"{os.path.relpath(self.binary, ROOT)} not found (make build)"
        # `fastserve nosuch --help` prints the top-level help and exits 0 (CLI11), so look for
        # the subcommand's own usage line.
        rc, out, err, _ = run_child([self.binary, command, "--help"], timeout=60)
        if rc != 0 or f"fastserve {command}" not in out:
            rc, _, err, _ = run_child([self.binary, command], timeout=60)
            return f"`fastserve {command}` unavailable: {last_line(err) or f'exit {rc}'}"
        return None

    def version(self):
        if not os.path.isfile(self.binary):
            return "n/a"
        rc, out, _, _ = run_child([self.binary, "--version"], timeout=60)
        return "; ".join(ln.strip() for ln in out.strip().splitlines()) if rc == 0 else "n/a"

    def bench(self, model_path, threads, batch, warmup, iterations, input_files=None):
        cmd = [self.binary, "bench", "--model", model_path, "--threads", str(threads), "--batch", str(batch),
               "--warmup", str(warmup), "--iterations", str(iterations), "--json", "--quiet"]
        for name, path in (input_files or {}).items():
            cmd += ["--input", f"{name}={path}"]
        if model_path in self.model_errors:
            return {"error": self.model_errors[model_path]}
        rc, out, err, rss = run_child(cmd)
        if rc != 0:
            self.model_errors[model_path] = f"`fastserve bench` exit {rc}: {last_line(err)}"
            return {"error": self.model_errors[model_path]}
        try:
            doc = parse_json_output(out)
            res = next(r for r in doc["results"] if r["batch"] == batch)
            return {"p50": res["latency_ms"]["p50"], "latency_ms": res["latency_ms"], "first_ms": res.get("first_ms"),
                    "load_ms": doc.get("compile_ms"), "reported_peak_rss_mb": doc.get("peak_rss_mb"),
                    "isa": doc.get("isa"), "peak_rss_mb": rss}
        except (ValueError, KeyError, StopIteration) as e:
            return {"error": f"unreadable `fastserve bench --json` output: {e}"}

    def check(self, model_dir, threads, ref):
        """Runs the model once on input_0.npy; errors against the reference output."""
        if self.run_error:
            return {"error": self.run_error}
        with tempfile.TemporaryDirectory() as tmp:
            out_path = os.path.join(tmp, "out.npy")
            with open(os.path.join(model_dir, "meta.json")) as f:
                specs = json.load(f)["inputs"]
            cmd = [self.binary, "run", "--model", os.path.join(model_dir, "model.onnx"), "--output", out_path,
                   "--threads", str(threads), "--json", "--input"]
            if len(specs) == 1:
                cmd.append(os.path.join(model_dir, specs[0]["file"]))
            else:
                cmd += [f"{sp['name']}={os.path.join(model_dir, sp['file'])}" for sp in specs]
            rc, _, err, _ = run_child(cmd)
            if rc != 0:
                return {"error": f"`fastserve run` exit {rc}: {last_line(err)}"}
            try:
                abs_err, rel_err = max_errors(np.load(out_path), ref)
            except ValueError as e:
                return {"error": str(e)}
        return {"max_abs": abs_err, "max_rel": rel_err}


def sequence_inputs(model_dir, batch, seq, out_dir):
    """For a model with a "seq" dim: its inputs at (batch, seq), drawn once with the zoo's samplers
    and written as out_dir/<name>.npy, so every peer gets the same data; {} for other models."""
    import make_zoo  # tools/: the samplers the zoo was exported with
    from make_test_models import save_npy

    with open(os.path.join(model_dir, "meta.json")) as f:
        specs = json.load(f)["inputs"]
    if not any("seq" in sp["shape"] for sp in specs):
        return {}
    rng = np.random.default_rng(4242)
    files = {}
    os.makedirs(out_dir, exist_ok=True)
    for sp in specs:
        inp = make_zoo.ZooInput(sp["name"], sp["shape"], sp["dtype"], sp.get("sampler", "normal"), sp.get("high", 0))
        files[sp["name"]] = os.path.join(out_dir, sp["name"] + ".npy")
        save_npy(files[sp["name"]], make_zoo.sample_input(inp, rng, {"batch": batch, "seq": seq}))
    return files


def run_peer(peer, fastserve, model_dir, args, threads, input_files=None):
    if peer == "fastserve":
        if fastserve.bench_error:
            return {"error": fastserve.bench_error}
        return fastserve.bench(os.path.join(model_dir, "model.onnx"), threads, args.batch, args.warmup,
                               args.iterations, input_files)
    if peer == "torch" and input_files and not args.torch_seq:
        return {"error": "skipped (Debian's PyTorch 1.13 took 6.5 s per bert_base run at seq 128 here; --torch-seq runs it)"}
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, WORKER, peer, "--model-dir", model_dir, "--threads", str(threads), "--batch",
           str(args.batch), "--warmup", str(args.warmup), "--iterations", str(args.iterations)]
    if input_files:
        cmd += ["--inputs-dir", os.path.dirname(next(iter(input_files.values())))]
    rc, out, err, rss = run_child(cmd, env=env)
    if rc != 0:
        return {"error": f"{peer} worker exit {rc}: {last_line(err)}"}
    try:
        res = parse_json_output(out)
    except ValueError as e:
        return {"error": f"{peer} worker: {e}"}
    res["latency_ms"] = latency_stats(res.pop("latencies_ms"))
    res["p50"] = res["latency_ms"]["p50"]
    res["peak_rss_mb"] = rss
    return res


def summarize(runs):
    """Per-round results of one (threads, model, peer) -> the reported numbers."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"error": runs[0]["error"] if runs else "not run"}
    p50s = [r["p50"] for r in ok]
    s = {"p50_ms": statistics.median(p50s), "p50_round_min_ms": min(p50s), "p50_round_max_ms": max(p50s),
         "rounds": len(ok), "peak_rss_mb": max(r["peak_rss_mb"] for r in ok)}
    if ok[0].get("ref_err"):
        s["ref_err"] = ok[0]["ref_err"]
    return s


def discover_models(zoo, names):
    found = sorted(d for d in os.listdir(zoo) if os.path.isfile(os.path.join(zoo, d, "meta.json"))) \
        if os.path.isdir(zoo) else []
    if not found:
        sys.exit(f"bench_peers: no models in {zoo}: run `make zoo` first")
    if not names:
        return found
    missing = [n for n in names if n not in found]
    if missing:
        sys.exit(f"bench_peers: {', '.join(missing)} not in {zoo} (have: {', '.join(found)}); run `make zoo`")
    return names


def int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got '{text}'")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got '{text}'")
    return values


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int_list, default=[2], help="thread counts, e.g. 1,2 (default 2)")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq", type=int, default=128, help="sequence length for transformers (default 128)")
    ap.add_argument("--torch-seq", action="store_true", help="also run PyTorch on the transformers (minutes per run)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians over them (default 5)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed runs per process (default 10)")
    ap.add_argument("--iterations", type=int, default=50, help="timed runs per process (default 50)")
    ap.add_argument("--models", default="", help="comma-separated zoo models (default: all in --zoo)")
    ap.add_argument("--peers", default=",".join(PEERS), help="subset of " + ",".join(PEERS))
    ap.add_argument("--zoo", default=os.path.join(ROOT, "zoo"))
    ap.add_argument("--fastserve-bin", default=os.path.join(ROOT, "build", "release", "fastserve"))
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--no-doc", action="store_true", help="do not touch the doc")
    ap.add_argument("--json", metavar="FILE", help="write every raw number here")
    args = ap.parse_args(argv)
    args.zoo = os.path.abspath(args.zoo)  # children run in the repo root
    args.peers = [p for p in args.peers.split(",") if p]
    if not args.peers or any(p not in PEERS for p in args.peers):
        ap.error(f"--peers: choose from {','.join(PEERS)}")
    if args.batch < 1 or args.seq < 1 or args.rounds < 1 or args.warmup < 0 or args.iterations < 1:
        ap.error("--batch, --seq, --rounds and --iterations must be >= 1, --warmup >= 0")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    models = discover_models(args.zoo, [m for m in args.models.split(",") if m])
    fastserve = Fastserve(os.path.abspath(args.fastserve_bin))
    started = datetime.datetime.now(datetime.timezone.utc)
    env_info = peers_report.environment(ROOT, fastserve.version())
    env_info["loadavg_start"] = os.getloadavg()
    if "fastserve" in args.peers and fastserve.bench_error:
        print(f"fastserve: n/a ({fastserve.bench_error})", file=sys.stderr)

    raw = {"config": {k: v for k, v in vars(args).items()}, "started": started.isoformat(), "environment": env_info,
           "by_threads": {}}
    inputs_tmp = tempfile.TemporaryDirectory()
    input_files = {m: sequence_inputs(os.path.join(args.zoo, m), args.batch, args.seq,
                                      os.path.join(inputs_tmp.name, m)) for m in models}
    for threads in args.threads:
        per_model = {m: {"runs": {p: [] for p in args.peers}} for m in models}
        for m in models:
            model_dir = os.path.join(args.zoo, m)
            ref = np.load(os.path.join(model_dir, "ort_output_0.npy"))
            per_model[m]["fastserve_check"] = fastserve.check(model_dir, threads, ref)
        for r in range(args.rounds):
            order = args.peers[r % len(args.peers):] + args.peers[:r % len(args.peers)]
            for m in models:
                for peer in order:
                    res = run_peer(peer, fastserve, os.path.join(args.zoo, m), args, threads, input_files[m])
                    per_model[m]["runs"][peer].append(res)
                    shown = f"{res['p50']:.2f} ms p50" if "error" not in res else "n/a"
                    print(f"[{threads} thr, round {r + 1}/{args.rounds}] {m:14s} {peer:9s} {shown}", file=sys.stderr)
        for m in models:
            per_model[m]["summary"] = {p: summarize(per_model[m]["runs"][p]) for p in args.peers}
        raw["by_threads"][str(threads)] = per_model

    env_info["loadavg_end"] = os.getloadavg()
    raw["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    command = shlex.join([".venv/bin/python", os.path.relpath(os.path.abspath(__file__), ROOT)] + argv)
    section = peers_report.render_section(raw, command, started, models, args)
    print(section)
    if not args.no_doc:
        peers_report.update_doc(args.doc, section)
        print(f"bench_peers: updated {os.path.relpath(args.doc)}", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
