#!/usr/bin/env python3
"""Our FP32 GEMM vs oneDNN and Eigen: runs bench/kernels/gemm_bench.cc and writes the table.

    make bench-gemm        # builds fastserve_bench, then the line below
    python3 bench/kernels/gemm_table.py --bench build/release/bench/fastserve_bench \
        [--repetitions 5] [--min-time 0.2] [--filter REGEX] [--no-doc] [--json FILE]

Every implementation of a shape runs back to back in one process (the bench's shape-major order),
so drift hits them alike. A cell is the median GFLOP/s over the repetitions. "ours" is the better
of ours_prepacked (the weight operand packed once, as a session runs it) and ours_plain; the ratio
column is ours / oneDNN (above 1: ours is faster). Writes the section between <!-- gemm:begin -->
and <!-- gemm:end --> of docs/benchmarks.md (added at the end when missing). Standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
BEGIN, END = "<!-- gemm:begin -->", "<!-- gemm:end -->"
IMPLS = ["ours_prepacked", "ours_plain", "onednn", "eigen"]


def cpu_summary():
    model, flags = "unknown CPU", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown CPU":
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = " ".join(x for x in ["avx2", "fma", "avx512f", "avx512_vnni"] if x in flags) or "no avx2"
    return f"{model}, {os.cpu_count()} logical CPUs, ISA: {isa}; Linux {platform.release()}"


def run_bench(args):
    cmd = [args.bench, f"--benchmark_filter={args.filter}", f"--benchmark_min_time={args.min_time}",
           f"--benchmark_repetitions={args.repetitions}", "--benchmark_report_aggregates_only=true",
           "--benchmark_format=json"]
    if not args.quiet:
        print("running:", " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit(f"gemm_table: {args.bench} exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return cmd, json.loads(proc.stdout)


def parse_peaks(report):
    """{threads: (isa, GFLOP/s)}: the best FMA peak the host ran (fma_peak_bench.cc)."""
    peaks = {}
    peak_re = re.compile(r"^fma_peak/(\w+)/threads:(\d+)")
    for b in report.get("benchmarks", []):
        if b.get("aggregate_name") != "median" or b.get("error_occurred"):
            continue
        m = peak_re.match(b["name"])
        if m and b.get("GFLOP/s"):
            t, g = int(m.group(2)), b["GFLOP/s"] / 1e9
            if t not in peaks or g > peaks[t][1]:
                peaks[t] = (m.group(1), g)
    return peaks


def parse(report):
    """{(shape, threads): {impl: GFLOP/s}} from the medians, plus the microkernel label."""
    cells, label = {}, ""
    name_re = re.compile(r"^gemm_f32/(\d+x\d+x\d+)/threads:(\d+)/(\w+)/")
    for b in report.get("benchmarks", []):
        if b.get("aggregate_name") != "median":
            continue
        m = name_re.match(b["name"])
        if not m:
            continue
        shape, threads, impl = m.group(1), int(m.group(2)), m.group(3)
        gflops = b.get("GFLOP/s")
        if gflops is None:
            continue
        cells.setdefault((shape, threads), {})[impl] = gflops / 1e9
        if impl.startswith("ours") and b.get("label"):
            label = b["label"].split()[0]
    return cells, label


def table(cells, threads):
    rows = ["| M×N×K | ours prepacked | ours plain | oneDNN | Eigen | ours / oneDNN |",
            "|---|---:|---:|---:|---:|---:|"]
    worst = None
    for (shape, t), c in cells.items():
        if t != threads:
            continue
        fmt = lambda k: f"{c[k]:.1f}" if k in c else "n/a"
        ours = max(c.get("ours_prepacked", 0.0), c.get("ours_plain", 0.0))
        ratio = f"{ours / c['onednn']:.2f}" if "onednn" in c and c["onednn"] > 0 else "n/a"
        if ratio != "n/a":
            r = ours / c["onednn"]
            worst = r if worst is None else min(worst, r)
        rows.append(f"| {shape} | {fmt('ours_prepacked')} | {fmt('ours_plain')} | {fmt('onednn')} | "
                    f"{fmt('eigen')} | {ratio} |")
    return rows, worst


def section(cells, label, cmd, args, peaks=None):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [BEGIN, "## FP32 GEMM vs oneDNN and Eigen (kernels/cpu/gemm/)", "",
           "Written by `bench/kernels/gemm_table.py` (`make bench-gemm`) from `bench/kernels/gemm_bench.cc`.",
           "",
           f"- Date: {now}. Command: `{' '.join(os.path.relpath(c, ROOT) if os.path.isabs(c) else c for c in cmd)}`",
           f"- Machine: {cpu_summary()}; 1-minute load average {os.getloadavg()[0]:.1f} at the end.",
           f"- Ours: microkernel `{label or 'n/a'}`. oneDNN: `dnnl_sgemm` (Debian libdnnl 2.6, OpenMP); "
           "Eigen: row-major maps, OpenMP. Row-major, alpha 1, beta 0.",
           "- Cells: median GFLOP/s (2·M·N·K per call) over the repetitions. Shapes: square, an im2col "
           "ResNet conv, an encoder projection, a batch-64 classifier, a batch-1 FC (memory-bound), then "
           "ResNet-50 / MobileNetV2 conv layers in our conv orientation (W[M, K] × cols[K, N]).",
           ""]
    threads = sorted({t for (_, t) in cells})
    for t in threads:
        rows, worst = table(cells, t)
        out += [f"### {t} thread{'s' if t > 1 else ''}", ""] + rows + [""]
        if worst is not None:
            out += [f"Lowest ours / oneDNN ratio at {t} thread{'s' if t > 1 else ''}: {worst:.2f}.", ""]
        if peaks and t in peaks:
            isa, peak = peaks[t]
            big = cells.get(("1024x1024x1024", t), {})
            ours = max(big.get("ours_prepacked", 0.0), big.get("ours_plain", 0.0))
            line = f"Measured FP32 FMA peak ({isa}, `fma_peak_bench.cc`): {peak:.1f} GFLOP/s"
            if ours > 0:
                line += f"; ours at 1024³: {ours:.1f} = {100 * ours / peak:.0f}% of it"
            out += [line + ".", ""]
    out.append(END)
    return "\n".join(out) + "\n"


def write_doc(text):
    doc = open(DOC).read() if os.path.exists(DOC) else "# Benchmarks\n"
    if BEGIN in doc and END in doc:
        a, b = doc.index(BEGIN), doc.index(END) + len(END)
        doc = doc[:a] + text.rstrip("\n") + doc[b:]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    with open(DOC, "w") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "release", "bench", "fastserve_bench"))
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--min-time", default="0.2")
    ap.add_argument("--filter", default="gemm_f32/|fma_peak/")
    ap.add_argument("--no-doc", action="store_true", help="print the section, leave docs/benchmarks.md alone")
    ap.add_argument("--json", help="also write the raw Google Benchmark report here")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(args.bench):
        sys.exit(f"gemm_table: {args.bench} not found (make bench-gemm builds it)")
    cmd, report = run_bench(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    cells, label = parse(report)
    if not cells:
        sys.exit("gemm_table: the bench reported no gemm_f32 results (filter matched nothing?)")
    text = section(cells, label, cmd, args, parse_peaks(report))
    if args.no_doc:
        print(text)
    else:
        write_doc(text)
        if not args.quiet:
            print(text)
            print(f"wrote {os.path.relpath(DOC, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
