"""Runs the fastserve binary's eval / bench / quantize with --json for the Python tools.

The binary is --fastserve-bin, else $FASTSERVE_BIN, else build/release/fastserve. A binary that
is briefly missing (being relinked) is waited for; a failing command raises FastServeError with
its stderr.
"""
import json
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BIN = os.path.join(ROOT, "build", "release", "fastserve")


class FastServeError(RuntimeError):
    pass


def default_binary():
    return os.environ.get("FASTSERVE_BIN") or DEFAULT_BIN


class FastServe:
    def __init__(self, binary=None, wait_s=120):
        self.binary = binary or default_binary()
        self.wait_s = wait_s

    def check(self):
        """Raise FastServeError unless the binary exists (after 10 s for a relink)."""
        self._wait_for_binary(10)
        return self

    def _wait_for_binary(self, wait_s=None):
        deadline = time.time() + (self.wait_s if wait_s is None else wait_s)
        while not os.access(self.binary, os.X_OK):
            if time.time() > deadline:
                raise FastServeError(
                    f"{self.binary}: not found or not executable (build it with `make build`, "
                    f"or pass --fastserve-bin / set FASTSERVE_BIN)")
            time.sleep(2)

    def describe(self):
        """The binary's path, modification time and `--version` lines (for results files)."""
        self._wait_for_binary()
        p = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        return {"binary": self.binary,
                "mtime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(os.path.getmtime(self.binary))),
                "version": (p.stdout or p.stderr).strip()}

    def run(self, args, parse_json=True):
        """Run `fastserve ARGS`; returns the parsed JSON of stdout (or the CompletedProcess)."""
        for attempt in range(3):
            self._wait_for_binary()
            try:
                p = subprocess.run([self.binary] + args, capture_output=True, text=True)
            except OSError:  # replaced between the check and the exec: try again
                if attempt == 2:
                    raise
                time.sleep(2)
                continue
            break
        if p.returncode != 0:
            raise FastServeError(f"`fastserve {' '.join(args)}` failed (exit {p.returncode}): "
                                 f"{(p.stderr or p.stdout).strip()}")
        if not parse_json:
            return p
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError as e:
            raise FastServeError(f"`fastserve {' '.join(args)}` printed no JSON ({e}): "
                                 f"{p.stdout[:200]!r}") from e

    def eval_accuracy(self, model, threads=0):
        """Accuracy on the 10k Fashion-MNIST test set (`fastserve eval --json`)."""
        r = self.run(["eval", "--model", model, "--dataset", "fashion-mnist", "--json", "-q",
                      "--threads", str(threads)])
        return float(r["accuracy"])

    def bench_p50_ms(self, model, threads=0, duration=2.0):
        """Batch-1 latency p50 in ms (`fastserve bench --json`)."""
        r = self.run(["bench", "--model", model, "--json", "-q", "--batch", "1",
                      "--duration", str(duration), "--threads", str(threads)])
        return float(r["results"][0]["latency_ms"]["p50"])

    def quantize_static(self, model, output):
        """`fastserve quantize --activations static --calibration fashion-mnist`: static INT8 QDQ."""
        args = ["quantize", "--model", model, "--output", output, "--activations", "static",
                "--calibration", "fashion-mnist", "--per-channel", "--quiet"]
        try:
            self.run(args, parse_json=False)
        except FastServeError as e:
            raise FastServeError(
                f"static INT8 quantization is not available from {self.binary}: {e}\n"
                f"  (needs `fastserve quantize --activations static --calibration fashion-mnist`, "
                f"issue 5; rerun with --skip-quantize, or --quantizer qat for the QAT exporter)"
            ) from e
        if not os.path.exists(output):
            raise FastServeError(f"`fastserve {' '.join(args)}` succeeded but wrote no {output}")
        return output
