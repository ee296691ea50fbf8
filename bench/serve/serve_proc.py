"""Shared by soak.py and serve_table.py: one `fastserve serve` process on free loopback ports
(always stopped), model repositories, `fastserve bench --server` runs, /proc readings and the
.npy format. Standard library only, so the scripts run with any python3."""
import ast
import array
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "127.0.0.1"
TINY = os.path.join(ROOT, "models", "tiny_cnn.onnx")
FASHION = os.path.join(ROOT, "models", "fashion_mnist_cnn.onnx")

# Every target is on loopback: no proxy may sit in between (urllib reads these variables).
for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"

BATCHING_ON = "max_batch_size: 32\ndynamic_batching { max_queue_delay_microseconds: 2000 }\n"
BATCHING_OFF = "max_batch_size: 32\n"


def _die_with_parent():
    """In the child before exec: SIGKILL the server when this script dies (^C, a timeout), so
    that no server outlives the run."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class ServerError(RuntimeError):
    pass


class Server:
    """`fastserve serve ARGS` on --port 0 --grpc-port 0 --metrics-port 0; the ports come back
    through --ports-file. stderr (the JSON log) goes to WORKDIR/NAME.stderr.log. Use as a
    context manager, or call stop() in a finally: the process never outlives the script."""

    def __init__(self, binary, workdir, name, args, start_timeout=60.0, env=None):
        self.workdir = workdir
        self.ports_file = os.path.join(workdir, f"{name}.ports")
        self.log_path = os.path.join(workdir, f"{name}.stderr.log")
        if os.path.exists(self.ports_file):
            os.unlink(self.ports_file)
        self.cmd = [binary, "serve", "--host", HOST, "--port", "0", "--grpc-port", "0", "--metrics-port", "0",
                    "--ports-file", self.ports_file] + [str(a) for a in args]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                     cwd=workdir, env=env, preexec_fn=_die_with_parent)
        self.pid = self.proc.pid
        self.returncode = None
        try:
            self._wait_ports(start_timeout)
            self._wait_ready(start_timeout)
        except BaseException:
            self.kill()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_ports(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"fastserve serve exited with code {self.proc.returncode} before writing "
                                  f"{self.ports_file}\ncommand: {' '.join(self.cmd)}\n{self.log_tail()}")
            try:
                text = open(self.ports_file).read()
            except OSError:
                text = ""
            m = re.fullmatch(r"http=(\d+) grpc=(\d+) metrics=(\d+)\n", text)
            if m:
                self.http_port, self.grpc_port, self.metrics_port = (int(g) for g in m.groups())
                return
            time.sleep(0.02)
        raise ServerError(f"no ports file after {timeout:.0f} s\ncommand: {' '.join(self.cmd)}\n{self.log_tail()}")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"fastserve serve exited with code {self.proc.returncode}\n{self.log_tail()}")
            last = self.ready()
            if last == 200:
                return
            time.sleep(0.05)
        raise ServerError(f"/v2/health/ready never answered 200 (last: {last})\n{self.log_tail()}")

    def ready(self, timeout=5.0):
        """The status of GET /v2/health/ready, or the error's text."""
        try:
            with urllib.request.urlopen(self.url("/v2/health/ready"), timeout=timeout) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError as e:
            return repr(e)

    def url(self, path=""):
        return f"http://{HOST}:{self.http_port}{path}"

    @property
    def grpc_target(self):
        return f"{HOST}:{self.grpc_port}"

    def running(self):
        return self.proc.poll() is None

    def log_tail(self, n=30):
        self._log.flush()
        try:
            with open(self.log_path, errors="replace") as f:
                return "\n".join(f.read().splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout=15.0):
        """SIGTERM (the graceful path), SIGKILL after `timeout`. Returns (exit code, killed)."""
        killed = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                killed = True
        self.returncode = self.proc.returncode
        if not self._log.closed:
            self._log.close()
        return self.returncode, killed

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.returncode = self.proc.returncode
        if not self._log.closed:
            self._log.close()


def add_model(repo, name, onnx_path, config=None):
    """repo/<name>/1/model.onnx (a copy) and repo/<name>/config.pbtxt when `config` is given."""
    vdir = os.path.join(repo, name, "1")
    os.makedirs(vdir, exist_ok=True)
    shutil.copyfile(onnx_path, os.path.join(vdir, "model.onnx"))
    if config is not None:
        with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
            f.write(config)


# ---- fastserve bench --server ---------------------------------------------------------------

def bench_command(binary, server, model, concurrency, duration, protocol="http", rate=None, batch=None,
                  warmup_s=None):
    """The `fastserve bench --server` command line; protocol is http (binary tensors), json or grpc."""
    target = server.grpc_target if protocol == "grpc" else server.url()
    cmd = [binary, "bench", "--server", target, "--model", model, "--concurrency", str(concurrency),
           "--duration", f"{duration:g}", "--json", "--quiet"]
    if protocol == "grpc":
        cmd.append("--grpc")
    elif protocol == "json":
        cmd.append("--json-data")
    if rate is not None:
        cmd += ["--rate", f"{rate:g}"]
    if batch is not None:
        cmd += ["--batch", str(batch)]
    if warmup_s is not None:
        cmd += ["--warmup-seconds", f"{warmup_s:g}"]
    return cmd


def last_json_object(stdout):
    """The last line of stdout that is a JSON object (anything may precede it)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON object on stdout")


def run_bench(cmd, timeout):
    """Runs one bench; returns (report dict or None, error text or None)."""
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None, f"`fastserve bench` still running after {timeout:.0f} s (killed)"
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [""]
        return None, f"`fastserve bench` exit {proc.returncode}: {tail[0][:300]}"
    try:
        return last_json_object(proc.stdout), None
    except ValueError as e:
        return None, f"unreadable `fastserve bench --json` output: {e}"


def fastserve_version(binary):
    try:
        out = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "n/a"
    return "; ".join(ln.strip() for ln in out.strip().splitlines()) or "n/a"


# ---- /proc ------------------------------------------------------------------------------------

def proc_status(pid):
    """{VmRSS_kb, VmHWM_kb, threads, fds} of a live process, None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    out = {"fds": fds}
    for key, name in (("VmRSS", "rss_kb"), ("VmHWM", "hwm_kb"), ("Threads", "threads")):
        m = re.search(rf"^{key}:\s+(\d+)", text, re.M)
        out[name] = int(m.group(1)) if m else None
    return out


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return "unknown CPU"


# ---- .npy (FP32, C order) -------------------------------------------------------------------

def write_npy(path, values, shape):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % dims
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"  # 64-byte aligned data
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(array.array("f", values).tobytes())


def read_npy(path):
    """(flat list of floats, shape) of a little-endian FP32 .npy file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise ValueError(f"{path}: not a .npy file")
    if data[6] == 1:
        hlen, start = struct.unpack("<H", data[8:10])[0], 10
    else:
        hlen, start = struct.unpack("<I", data[8:12])[0], 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    if header["descr"] != "<f4" or header["fortran_order"]:
        raise ValueError(f"{path}: want '<f4' C order, got {header}")
    values = array.array("f")
    values.frombytes(data[start + hlen:])
    if sys.byteorder != "little":
        values.byteswap()
    return values.tolist(), tuple(header["shape"])
