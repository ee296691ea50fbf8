# Helpers for the `fastserve serve` end-to-end tests: starting the real binary
# on loopback ports (and always stopping it), building model repositories,
# ONNX Runtime references, the v2 binary tensor format, Prometheus text and
# PNG decoding. The tests themselves are the test_*.py files beside this one.
import json
import os
import re
import shutil
import signal
import subprocess
import time
import zlib
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[3]
MODELS = REPO_ROOT / "models"
TINY = MODELS / "tiny_cnn.onnx"
FASHION = MODELS / "fashion_mnist_cnn.onnx"
LABELS = MODELS / "fashion_mnist_labels.txt"
SAMPLES = MODELS / "samples"
BINARY = os.environ.get("FASTSERVE_BINARY", str(REPO_ROOT / "build" / "release" / "fastserve"))
HOST = "127.0.0.1"

# Logits of FastServe and ONNX Runtime on the same input may differ by this much.
LOGIT_TOL = 1e-4
HTTP_TIMEOUT = 30

# Nothing here may go through a proxy: every target is on loopback.
for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


# ---- the server process -----------------------------------------------------

def _die_with_parent():
    """In the child before exec: SIGKILL the server if pytest itself dies
    (a ctest timeout, ^C), so that no server outlives the run."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class ServerStartError(RuntimeError):
    pass


class Server:
    """One `fastserve serve` process on free loopback ports.

    Started with --port 0 --grpc-port 0 --metrics-port 0 --ports-file F; the
    ports are read back from F. stderr (the JSON log) goes to a file next to F.
    """

    def __init__(self, workdir, name, args, wait_ready=True, start_timeout=30.0):
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ports_file = self.workdir / f"{name}.ports"
        self.log_path = self.workdir / f"{name}.stderr.log"
        if self.ports_file.exists():
            self.ports_file.unlink()
        self.cmd = [BINARY, "serve", "--host", HOST, "--port", "0", "--grpc-port", "0",
                    "--metrics-port", "0", "--ports-file", str(self.ports_file),
                    "--log-level", "info"] + [str(a) for a in args]
        if "--threads" not in args:
            self.cmd += ["--threads", "1"]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=self._log, cwd=str(self.workdir), preexec_fn=_die_with_parent)
        self.returncode = None
        try:
            self._wait_ports(start_timeout)
            if wait_ready:
                self._wait_ready(start_timeout)
        except BaseException:
            self.kill()
            raise

    # -- start-up
    def _wait_ports(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(
                    f"{self.name}: fastserve serve exited with code {self.proc.returncode} before "
                    f"writing {self.ports_file}\ncommand: {' '.join(self.cmd)}\nstderr:\n{self.log_tail()}")
            if self.ports_file.exists():
                text = self.ports_file.read_text()
                m = re.fullmatch(r"http=(\d+) grpc=(\d+) metrics=(\d+)\n", text)
                if m:
                    self.http_port, self.grpc_port, self.metrics_port = (int(g) for g in m.groups())
                    assert min(self.http_port, self.grpc_port, self.metrics_port) > 0, text
                    return
                if text.endswith("\n"):
                    raise ServerStartError(f"{self.name}: ports file {self.ports_file} has {text!r}, "
                                           "expected 'http=P1 grpc=P2 metrics=P3\\n'")
            time.sleep(0.02)
        raise ServerStartError(f"{self.name}: no ports file after {timeout} s\ncommand: {' '.join(self.cmd)}\n"
                               f"stderr:\n{self.log_tail()}")

    def _wait_ready(self, timeout):
        import requests
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(f"{self.name}: exited with code {self.proc.returncode}\n{self.log_tail()}")
            try:
                r = requests.get(self.url("/v2/health/ready"), timeout=2)
                last = r.status_code
                if r.status_code == 200:
                    return
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.05)
        raise ServerStartError(f"{self.name}: /v2/health/ready never 200 (last: {last})\n{self.log_tail()}")

    # -- addresses
    def url(self, path):
        return f"http://{HOST}:{self.http_port}{path}"

    def metrics_url(self):
        return f"http://{HOST}:{self.metrics_port}/metrics"

    @property
    def grpc_target(self):
        return f"{HOST}:{self.grpc_port}"

    # -- logs
    def log_text(self):
        self._log.flush()
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    # -- stopping
    def running(self):
        return self.proc.poll() is None

    def terminate(self):
        """Sends SIGTERM (the graceful path) without waiting."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout):
        self.returncode = self.proc.wait(timeout=timeout)
        return self.returncode

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.returncode = self.proc.returncode
        self._log.close()
        return self.returncode

    def kill(self):
        if self.running():
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.returncode = self.proc.returncode
        if not self._log.closed:
            self._log.close()


class ServerPool:
    """Starts servers and guarantees each one is gone when close() runs."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.servers = []

    def start(self, name, args, **kw):
        srv = Server(self.workdir, name, args, **kw)
        self.servers.append(srv)
        return srv

    def close(self):
        for srv in self.servers:
            try:
                srv.stop(timeout=5.0)
            finally:
                srv.kill()


# ---- repositories and models ------------------------------------------------

def add_model(repo, name, onnx_path, version=1, config=None, labels=False):
    """Copies a model into repo/<name>/<version>/model.onnx, with an optional
    config.pbtxt (text) and the Fashion-MNIST labels next to the model."""
    vdir = Path(repo) / name / str(version)
    vdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(onnx_path, vdir / "model.onnx")
    if config is not None:
        (Path(repo) / name / "config.pbtxt").write_text(config)
    if labels:
        # The model's fastserve.labels property is relative to the model's
        # folder: put the file in both candidates.
        shutil.copyfile(LABELS, vdir / LABELS.name)
        shutil.copyfile(LABELS, Path(repo) / name / LABELS.name)
    return vdir


def make_affine_model(path, in_name="pixels_in", out_name="scores_out", k=4, n=3, seed=7):
    """A small ONNX model with distinctive tensor names: out = in @ W + b,
    input FP32 [batch, k], output FP32 [batch, n]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((k, n)).astype(np.float32)
    b = rng.standard_normal((n,)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", [in_name, "W"], ["mm"]), helper.make_node("Add", ["mm", "B"], [out_name])],
        "affine",
        [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, ["batch", k])],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["batch", n])],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="fastserve-e2e")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)


_ORT_SESSIONS = {}


def ort_run(model_path, x, input_name="input"):
    """ONNX Runtime's first output for `x` (the reference)."""
    import onnxruntime as ort
    key = str(model_path)
    if key not in _ORT_SESSIONS:
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        _ORT_SESSIONS[key] = ort.InferenceSession(key, so, providers=["CPUExecutionProvider"])
    sess = _ORT_SESSIONS[key]
    return sess.run(None, {input_name: x})[0]


def images(n, seed):
    """n random FP32 inputs of the Fashion-MNIST models' shape [n,1,28,28]."""
    return np.random.default_rng(seed).standard_normal((n, 1, 28, 28)).astype(np.float32)


def max_abs_err(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"shape {got.shape} != reference shape {want.shape}"
    return float(np.max(np.abs(got - want))) if got.size else 0.0


def assert_logits_close(got, want, what):
    err = max_abs_err(got, want)
    assert err <= LOGIT_TOL, f"{what}: max abs error vs ONNX Runtime {err:.3g} > {LOGIT_TOL}"
    return err


# ---- the v2 HTTP infer protocol -----------------------------------------------

def json_infer_body(x, name="input", datatype="FP32", nested=False, outputs=None, request_id=None):
    body = {"inputs": [{"name": name, "shape": list(x.shape), "datatype": datatype,
                        "data": x.tolist() if nested else x.reshape(-1).tolist()}]}
    if outputs is not None:
        body["outputs"] = [{"name": o} for o in outputs]
    if request_id is not None:
        body["id"] = request_id
    return body


def binary_infer_request(x, name="input", output="logits", binary_output=True, declared_size=None,
                         datatype="FP32", extra=b""):
    """(body bytes, headers) of a binary-tensor-extension request."""
    header = {"inputs": [{"name": name, "shape": list(x.shape), "datatype": datatype,
                          "parameters": {"binary_data_size": x.nbytes if declared_size is None else declared_size}}]}
    if output is not None:
        header["outputs"] = [{"name": output, "parameters": {"binary_data": binary_output}}]
    hj = json.dumps(header).encode()
    body = hj + np.ascontiguousarray(x).tobytes() + extra
    return body, {"Inference-Header-Content-Length": str(len(hj)), "Content-Type": "application/octet-stream"}


_NP_TYPES = {"FP32": "<f4", "FP64": "<f8", "INT32": "<i4", "INT64": "<i8", "UINT8": "u1", "INT8": "i1",
             "FP16": "<f2", "BOOL": "?", "UINT16": "<u2", "INT16": "<i2", "UINT32": "<u4", "UINT64": "<u8"}


def decode_infer_response(resp):
    """{output name: ndarray} from a v2 infer response, JSON or binary; plus the JSON header."""
    hlen = resp.headers.get("Inference-Header-Content-Length")
    raw = resp.content
    if hlen is not None:
        hlen = int(hlen)
        header = json.loads(raw[:hlen])
        rest = raw[hlen:]
    else:
        header = json.loads(raw)
        rest = b""
    outs = {}
    offset = 0
    for o in header["outputs"]:
        dt = np.dtype(_NP_TYPES[o["datatype"]])
        params = o.get("parameters") or {}
        if "binary_data_size" in params:
            size = int(params["binary_data_size"])
            assert offset + size <= len(rest), f"output {o['name']}: binary_data_size {size} past the body end"
            arr = np.frombuffer(rest[offset:offset + size], dtype=dt).reshape(o["shape"])
            offset += size
        else:
            arr = np.asarray(o["data"], dtype=dt).reshape(o["shape"])
        outs[o["name"]] = arr
    assert offset == len(rest), f"{len(rest) - offset} bytes after the binary outputs"
    return outs, header


def error_message(resp):
    """The "error" string of a JSON error answer (asserts the format)."""
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"HTTP {resp.status_code}: error body is not JSON: {resp.text[:300]!r}")
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], \
        f"HTTP {resp.status_code}: expected {{\"error\": \"...\"}}, got {body!r}"
    return body["error"]


def describe(resp):
    """A response for assertion messages."""
    req = resp.request
    body = req.body if isinstance(req.body, (bytes, type(None))) else str(req.body).encode()
    shown = (body or b"")[:200]
    return (f"{req.method} {req.url} body[:200]={shown!r} -> HTTP {resp.status_code} "
            f"headers={dict(resp.headers)} body[:400]={resp.content[:400]!r}")


# ---- Prometheus text ------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset(labels)): value}; asserts every line parses."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = frozenset(_LABEL.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric(samples, name, **labels):
    """Sum of the series of `name` whose labels include `labels` (0 when none)."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def has_metric(samples, name, **labels):
    want = set(labels.items())
    return any(n == name and want <= set(ls) for (n, ls) in samples)


# ---- PNG (8-bit grayscale, what models/samples holds) ---------------------------

def decode_gray_png(path):
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height = int.from_bytes(chunk[0:4], "big"), int.from_bytes(chunk[4:8], "big")
            depth, color, interlace = chunk[8], chunk[9], chunk[12]
            assert (depth, color, interlace) == (8, 0, 0), f"{path}: only 8-bit grey non-interlaced PNGs"
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    out = np.zeros((height, width), dtype=np.uint8)
    prev = np.zeros(width, dtype=np.int32)
    stride = width + 1
    for y in range(height):
        f = raw[y * stride]
        line = np.frombuffer(raw[y * stride + 1:(y + 1) * stride], dtype=np.uint8).astype(np.int32)
        cur = np.zeros(width, dtype=np.int32)
        for x in range(width):
            a = cur[x - 1] if x else 0
            b = prev[x]
            c = prev[x - 1] if x else 0
            if f == 0:
                pred = 0
            elif f == 1:
                pred = a
            elif f == 2:
                pred = b
            elif f == 3:
                pred = (a + b) // 2
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            else:
                raise AssertionError(f"{path}: bad PNG filter {f}")
            cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out


def model_metadata_props(path):
    import onnx
    m = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in m.metadata_props}


def softmax(v):
    v = np.asarray(v, dtype=np.float64)
    e = np.exp(v - v.max())
    return e / e.sum()
