# Triton's perf_analyzer (the load generator Triton users already run)
# against the server over HTTP and gRPC: it must finish its concurrency sweep
# (exit 0) and report a throughput for each level. tools/setup_venv.sh puts
# it at .venv/bin/perf_analyzer when it can; FASTSERVE_PERF_ANALYZER names
# another one. Skipped, with the reason, when there is none that runs.
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import serve_harness as h

RUN_TIMEOUT = 180


def find_perf_analyzer():
    """(path, None) of a perf_analyzer that runs, else (None, why not)."""
    candidates = [os.environ.get("FASTSERVE_PERF_ANALYZER"), str(Path(sys.prefix) / "bin" / "perf_analyzer"),
                  str(h.REPO_ROOT / ".venv" / "bin" / "perf_analyzer"), shutil.which("perf_analyzer")]
    tried = []
    for c in candidates:
        if not c or c in tried:
            continue
        tried.append(c)
        if not os.access(c, os.X_OK):
            continue
        try:
            r = subprocess.run([c, "--version"], capture_output=True, text=True, timeout=30)
        except OSError as e:
            return None, f"{c}: {e}"
        if r.returncode == 0:
            return c, None
        return None, f"`{c} --version` exited {r.returncode}: {(r.stdout + r.stderr).strip()[-400:]}"
    return None, f"no perf_analyzer (looked at {', '.join(tried)}; tools/setup_venv.sh installs one)"


PERF_ANALYZER, WHY_NOT = find_perf_analyzer()


@pytest.fixture(scope="module", autouse=True)
def need_perf_analyzer(pytestconfig):
    """Skips the module (before any server starts) and says why on the terminal,
    past pytest's capture, so that the reason shows without -rs."""
    if PERF_ANALYZER is None:
        capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\ntest_perf_analyzer: SKIP: {WHY_NOT}", flush=True)
        pytest.skip(WHY_NOT)


@pytest.fixture(scope="module")
def srv(pool, tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo_perf_analyzer") / "repo"
    h.add_model(repo, "tiny", h.TINY)
    return pool.start("perf_analyzer", ["--model-repository", repo])


def run_perf_analyzer(srv, protocol, port):
    # --stability-percentage 100: a window counts as stable when the last
    # three differ by at most 2x; the default 10 % makes a busy 2-core machine
    # (a build next door) abort the sweep for reasons that are not the
    # server's.
    cmd = [PERF_ANALYZER, "-m", "tiny", "-u", f"{h.HOST}:{port}", "-i", protocol,
           "--concurrency-range", "1:2", "--measurement-interval", "1000", "--stability-percentage", "100"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}:\n{out[-3000:]}\nserver:\n{srv.log_tail()}"
    levels = {int(c): float(t) for c, t in
              re.findall(r"^Concurrency: (\d+), throughput: ([0-9.]+) infer/sec", out, re.MULTILINE)}
    assert set(levels) == {1, 2}, f"no throughput line per concurrency level in:\n{out[-3000:]}"
    for c, t in levels.items():
        assert t > 0, f"concurrency {c}: throughput {t} infer/sec\n{out[-3000:]}"
    # What the server said it did, from its statistics (perf_analyzer reads them).
    served = [int(n) for n in re.findall(r"Successful request count: (\d+)", out)]
    assert served and all(n > 0 for n in served), f"server-side request counts {served}:\n{out[-3000:]}"
    assert srv.running(), f"server died under perf_analyzer:\n{srv.log_tail()}"
    return levels


def test_perf_analyzer_http(srv):
    levels = run_perf_analyzer(srv, "http", srv.http_port)
    print(f"perf_analyzer http: {levels}")


def test_perf_analyzer_grpc(srv):
    levels = run_perf_analyzer(srv, "grpc", srv.grpc_port)
    print(f"perf_analyzer grpc: {levels}")
