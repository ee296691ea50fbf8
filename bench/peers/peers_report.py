"""The "Model latency vs peers" section of docs/benchmarks.md: what machine, which versions,
and one table per thread count (used by bench_peers.py)."""
import importlib.metadata
import os
import platform
import subprocess

BEGIN = "<!-- peers:begin -->"
END = "<!-- peers:end -->"
ISA_FLAGS = ["avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"]
PEER_NAMES = {"fastserve": "fastserve", "ort": "ORT", "torch": "PyTorch"}
NEW_DOC = """# Benchmarks

Measured numbers, each section written by the script it names: re-run the script rather than
editing a section by hand. Compare numbers only within one section (one run, one machine).

"""


def cpu_info():
    model, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown":
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, flags


def package_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def git_sha(root):
    try:
        sha = subprocess.run(["git", "-C", root, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def autogroup_nice():
    try:
        with open("/proc/self/autogroup") as f:
            return int(f.read().split("nice")[1])
    except (OSError, IndexError, ValueError):
        return None


def environment(root, fastserve_version):
    model, flags = cpu_info()
    return {
        "cpu": model,
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "isa": {f: f in flags for f in ISA_FLAGS},
        "kernel": platform.release(),
        "python": platform.python_version(),
        "numpy": package_version("numpy"),
        "onnxruntime": package_version("onnxruntime"),
        "torch": package_version("torch"),
        "torchvision": package_version("torchvision"),
        "fastserve_git": git_sha(root),
        "fastserve_version": fastserve_version,
        "allocator": os.environ.get("LD_PRELOAD") or "glibc malloc (no LD_PRELOAD)",
        "nice": os.nice(0),
        # With sched_autogroup on, a process's nice only ranks it within its session; what it gets
        # against other sessions' builds is the autogroup's nice (write -20 to /proc/self/autogroup
        # in a fresh setsid session to shield a run on a busy machine).
        "autogroup_nice": autogroup_nice(),
    }


def fmt_ms(v):
    return f"{v:.3g}" if v < 0.1 else f"{v:.2f}" if v < 10 else f"{v:.1f}"


def fmt_err(v):
    return f"{v:.1e}"


def first_ok(runs, key):
    for r in runs:
        if key in r and r[key] is not None:
            return r[key]
    return None


def table(by_model, models, peers):
    head = ["model", "fastserve p50 ms", "ORT p50 ms", "PyTorch p50 ms", "fastserve/ORT", "fastserve/PyTorch",
            "fastserve peak RSS", "ORT peak RSS", "max rel err vs ORT"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    reasons = {}

    def cell(m, peer, key, fmt):
        if peer not in peers:
            return "–"
        s = by_model[m]["summary"][peer]
        if "error" in s:
            reasons.setdefault(s["error"], set()).add((f"{PEER_NAMES[peer]} latency", m))
            return "n/a"
        return fmt(s[key])

    for m in models:
        summ = by_model[m]["summary"]
        p50 = {p: summ[p].get("p50_ms") if p in summ else None for p in ["fastserve", "ort", "torch"]}
        ratio = [f"{p50['fastserve'] / p50[p]:.2f}" if p50["fastserve"] and p50[p] else "n/a" for p in ["ort", "torch"]]
        check = by_model[m]["fastserve_check"]
        if "error" in check:
            reasons.setdefault(check["error"], set()).add(("error", m))
        rows.append("| " + " | ".join([
            m, cell(m, "fastserve", "p50_ms", fmt_ms), cell(m, "ort", "p50_ms", fmt_ms),
            cell(m, "torch", "p50_ms", fmt_ms), ratio[0], ratio[1],
            cell(m, "fastserve", "peak_rss_mb", lambda v: f"{v:.0f} MiB"),
            cell(m, "ort", "peak_rss_mb", lambda v: f"{v:.0f} MiB"),
            "n/a" if "error" in check else fmt_err(check["max_rel"])]) + " |")
    return rows, reasons


def spread_line(by_model, models, peers):
    parts = []
    for p in peers:
        spreads = [(s["p50_round_max_ms"] / s["p50_round_min_ms"], m) for m in models
                   for s in [by_model[m]["summary"][p]] if "error" not in s]
        if spreads:
            worst, model = max(spreads)
            parts.append(f"{PEER_NAMES[p]} {worst:.2f}× ({model})")
    return ("Round-to-round spread, largest max/min of a peer's per-round p50: " + ", ".join(parts) + ".") \
        if parts else ""


def peer_err_line(by_model, models, peers):
    parts = []
    for p in [p for p in ["ort", "torch"] if p in peers]:
        errs = [f"{m} {s['ref_err']['max_rel']:.1e}" for m in models
                for s in [by_model[m]["summary"][p]] if s.get("ref_err")]
        if errs:
            label = "ORT_ENABLE_ALL" if p == "ort" else "PyTorch"
            parts.append(f"{label} {', '.join(errs)}")
    return ("For scale, the peers' own max rel error vs the same reference: " + "; ".join(parts) + ".") \
        if parts else ""


def render_section(raw, command, started, models, args):
    env = raw["environment"]
    isa_on = [f for f, on in env["isa"].items() if on]
    isa_off = [f for f, on in env["isa"].items() if not on]
    any_runs = [r for t in raw["by_threads"].values() for m in t.values() for runs in m["runs"].values() for r in runs]
    ort_v = env["onnxruntime"] or "?"
    torch_v = first_ok([r for r in any_runs if r.get("peer") == "torch"], "version") or env["torch"] or "?"
    rss_import = {p: first_ok([r for r in any_runs if r.get("peer") == p], "rss_after_import_mb")
                  for p in ["ort", "torch"]}
    load = f"{env['loadavg_start'][0]:.1f} at the start, {env['loadavg_end'][0]:.1f} at the end"
    lines = [
        BEGIN,
        "## Model latency vs peers",
        "",
        "Written by `bench/peers/bench_peers.py` (`make bench-peers`); models from `tools/make_zoo.py`",
        "(`make zoo`: torchvision CNNs and ViT-tiny, BERT-base / GPT-2-small shaped transformers at",
        "batch 1 and sequence `--seq` (128), all with random weights; CNN BatchNorm statistics re-estimated).",
        "",
        f"- Date: {started.strftime('%Y-%m-%d %H:%M')} UTC. Command: `{command}`",
        f"- Machine: {env['cpu']}, {env['cpu_count']} logical CPUs ({env['cpus_usable']} usable), "
        f"ISA: {' '.join(isa_on) or 'none of ' + ', '.join(ISA_FLAGS)}"
        f"{' (no ' + ', '.join(isa_off) + ')' if isa_off else ''}; Linux {env['kernel']}; "
        f"1-minute load average {load}; niceness {env['nice']}"
        + (f", autogroup nice {env['autogroup_nice']}." if env["autogroup_nice"] is not None else "."),
        f"- Versions: fastserve {env['fastserve_git']}"
        f"{' (`' + env['fastserve_version'] + '`)' if env['fastserve_version'] != 'n/a' else ' (not built)'}, "
        f"ONNX Runtime {ort_v}, "
        f"PyTorch {torch_v} (torchvision {env['torchvision'] or '?'}), Python {env['python']}, "
        f"NumPy {env['numpy']}; allocator: {env['allocator']} for every process.",
        f"- Method: batch {args.batch}. Every run is a fresh process with {args.warmup} warm-up and "
        f"{args.iterations} timed runs; its p50 is kept. {args.rounds} rounds, interleaved (each round runs "
        "every model on every peer, the peer order rotating), and the table gives the median of the "
        "per-round p50s. fastserve: `fastserve bench`; ORT: intra_op = threads, inter_op = 1, sequential, "
        "ORT_ENABLE_ALL; PyTorch: eager, `inference_mode`, `set_num_threads(threads)`, "
        "OPENBLAS_NUM_THREADS=1. Ratios are fastserve's latency over the peer's (below 1: fastserve is faster).",
        "- Peak RSS is the process's ru_maxrss; for ORT it includes Python and NumPy"
        + (f" ({rss_import['ort']:.0f} MiB after the imports)." if rss_import["ort"] else "."),
        "- Error: max |fastserve − ref| / max |ref| for `zoo/<model>/input_0.npy`, where ref is ORT's output with "
        "graph optimizations disabled (`ort_output_0.npy`).",
    ]
    for threads in args.threads:
        by_model = raw["by_threads"][str(threads)]
        rows, reasons = table(by_model, models, args.peers)
        lines += ["", f"### {threads} thread{'s' if threads > 1 else ''}", ""] + rows + [""]
        extra = [spread_line(by_model, models, args.peers), peer_err_line(by_model, models, args.peers)]
        lines += [x for x in extra if x]
        for reason, where in sorted(reasons.items()):
            cols = sorted({c for c, _ in where})
            names = sorted({m for _, m in where})
            which = "every model" if len(names) == len(models) else ", ".join(names)
            lines.append(f"- n/a in {' and '.join(cols)} for {which}: {reason}")
    lines += ["", END]
    return "\n".join(lines)


def update_doc(path, section):
    """Replaces the text between the markers (inclusive), or appends the section."""
    text = NEW_DOC
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    begin, end = text.find(BEGIN), text.find(END)
    if begin >= 0 and end > begin:
        text = text[:begin] + section + text[end + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
