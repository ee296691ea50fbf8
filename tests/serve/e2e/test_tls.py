# --tls-cert / --tls-key: HTTPS and gRPC over TLS with a self-signed
# certificate made here by the openssl CLI (inference checked against ONNX
# Runtime), plain HTTP and plain gRPC to the TLS ports failing cleanly while
# the server keeps serving, and start-up refusing a key that does not match
# its certificate (or a file that is not PEM) with an error naming the file.
import shutil
import subprocess
import time

import numpy as np
import pytest
import requests

import serve_harness as h

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="no openssl CLI to make a test certificate")


def openssl(*args, cwd):
    r = subprocess.run([OPENSSL, *args], capture_output=True, text=True, timeout=120, cwd=str(cwd))
    assert r.returncode == 0, f"openssl {' '.join(args)} failed:\n{r.stdout}{r.stderr}"


def make_cert(d, name):
    """(cert, key) PEM paths: a self-signed RSA certificate for 127.0.0.1 / localhost."""
    cert, key = d / f"{name}.cert.pem", d / f"{name}.key.pem"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", cwd=d)
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = make_cert(d, "server")
    other_key = d / "other.key.pem"
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(other_key), cwd=d)
    return {"dir": d, "cert": cert, "key": key, "other_key": other_key}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    r = tmp_path_factory.mktemp("repo_tls") / "repo"
    h.add_model(r, "tiny", h.TINY)
    return r


class TlsServer:
    def __init__(self, srv, cert):
        self.srv, self.cert = srv, cert

    def url(self, path):
        return f"https://{h.HOST}:{self.srv.http_port}{path}"

    def get(self, path, **kw):
        return requests.get(self.url(path), verify=str(self.cert), timeout=h.HTTP_TIMEOUT, **kw)

    def post(self, path, **kw):
        return requests.post(self.url(path), verify=str(self.cert), timeout=h.HTTP_TIMEOUT, **kw)


@pytest.fixture(scope="module")
def tls(pool, certs, repo):
    srv = pool.start("tls", ["--model-repository", repo, "--tls-cert", certs["cert"], "--tls-key", certs["key"]],
                     wait_ready=False)
    t = TlsServer(srv, certs["cert"])
    # The harness polls readiness over plain HTTP; this server speaks HTTPS.
    deadline, last = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        assert srv.running(), f"TLS server exited with code {srv.proc.returncode}:\n{srv.log_tail()}"
        try:
            r = t.get("/v2/health/ready")
            last = r.status_code
            if r.status_code == 200:
                return t
        except requests.RequestException as e:
            last = repr(e)
        time.sleep(0.05)
    raise AssertionError(f"HTTPS /v2/health/ready never 200 (last: {last})\n{srv.log_tail()}")


def secure_channel(grpc, tls):
    creds = grpc.ssl_channel_credentials(root_certificates=tls.cert.read_bytes())
    channel = grpc.secure_channel(tls.srv.grpc_target, creds, options=[("grpc.enable_http_proxy", 0)])
    grpc.channel_ready_future(channel).result(timeout=15)
    return channel


def assert_https_serves(tls, seed):
    x = h.images(2, seed=seed)
    r = tls.post("/v2/models/tiny/infer", json=h.json_infer_body(x))
    assert r.status_code == 200, h.describe(r)
    outs, _ = h.decode_infer_response(r)
    h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), "HTTPS JSON infer")


# ---- HTTPS --------------------------------------------------------------------

def test_https_health_and_metadata(tls):
    assert tls.get("/v2/health/live").status_code == 200
    r = tls.get("/v2")
    assert r.status_code == 200 and r.json()["name"] == "fastserve", h.describe(r)
    r = tls.get("/v2/models/tiny")
    assert r.status_code == 200 and r.json()["inputs"][0]["name"] == "input", h.describe(r)


def test_https_infer_json_matches_ort(tls):
    assert_https_serves(tls, seed=1)


def test_https_infer_binary_matches_ort(tls):
    x = h.images(8, seed=2)
    body, headers = h.binary_infer_request(x)
    r = tls.post("/v2/models/tiny/infer", data=body, headers=headers)
    assert r.status_code == 200, h.describe(r)
    outs, _ = h.decode_infer_response(r)
    h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), "HTTPS binary infer")


def test_https_keep_alive_session(tls):
    """Several requests on one TLS connection."""
    with requests.Session() as s:
        for i in range(5):
            x = h.images(1, seed=10 + i)
            # verify= on each call: a Session's own verify loses to $REQUESTS_CA_BUNDLE.
            r = s.post(tls.url("/v2/models/tiny/infer"), json=h.json_infer_body(x), verify=str(tls.cert),
                       timeout=h.HTTP_TIMEOUT)
            assert r.status_code == 200, h.describe(r)
            outs, _ = h.decode_infer_response(r)
            h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), f"HTTPS keep-alive request {i}")


def test_plain_http_to_https_port_fails_cleanly(tls):
    for i in range(3):
        with pytest.raises(requests.exceptions.ConnectionError) as ei:
            requests.get(f"http://{h.HOST}:{tls.srv.http_port}/v2/health/ready", timeout=10)
        assert not isinstance(ei.value, requests.exceptions.Timeout), \
            f"plain HTTP to the HTTPS port hung instead of failing: {ei.value!r}"
    assert tls.srv.running(), tls.srv.log_tail()
    assert_https_serves(tls, seed=3)


def test_https_client_that_does_not_trust_the_cert_fails_cleanly(tls):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls.url("/v2/health/ready"), timeout=10)  # the system CAs only
    assert tls.srv.running(), tls.srv.log_tail()
    assert_https_serves(tls, seed=4)


# ---- gRPC over TLS ----------------------------------------------------------------

def test_grpc_tls_infer_matches_ort(tls, grpc_api):
    grpc, pb, pb_grpc, _ = grpc_api
    channel = secure_channel(grpc, tls)
    try:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        assert stub.ServerReady(pb.ServerReadyRequest(), timeout=10).ready is True
        assert stub.ModelReady(pb.ModelReadyRequest(name="tiny"), timeout=10).ready is True
        x = h.images(3, seed=5)
        req = pb.ModelInferRequest(model_name="tiny")
        t = req.inputs.add()
        t.name, t.datatype = "input", "FP32"
        t.shape.extend(x.shape)
        req.raw_input_contents.append(np.ascontiguousarray(x, dtype="<f4").tobytes())
        resp = stub.ModelInfer(req, timeout=h.HTTP_TIMEOUT)
        (o,) = resp.outputs
        assert o.name == "logits" and list(o.shape) == [3, 10], resp
        got = np.frombuffer(resp.raw_output_contents[0], dtype="<f4").reshape(list(o.shape))
        h.assert_logits_close(got, h.ort_run(h.TINY, x), "gRPC over TLS ModelInfer")
    finally:
        channel.close()


def test_plain_grpc_to_tls_port_fails_cleanly(tls, grpc_api):
    grpc, pb, pb_grpc, _ = grpc_api
    channel = grpc.insecure_channel(tls.srv.grpc_target, options=[("grpc.enable_http_proxy", 0)])
    try:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as ei:
            stub.ServerLive(pb.ServerLiveRequest(), timeout=10)
        assert ei.value.code() == grpc.StatusCode.UNAVAILABLE, (ei.value.code(), ei.value.details())
    finally:
        channel.close()
    assert tls.srv.running(), tls.srv.log_tail()
    channel = secure_channel(grpc, tls)
    try:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        assert stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live is True
    finally:
        channel.close()
    assert_https_serves(tls, seed=6)


# ---- start-up refusals ----------------------------------------------------------------

def start_expecting_failure(workdir, repo, cert, key):
    ports = workdir / "refused.ports"
    cmd = [h.BINARY, "serve", "--host", h.HOST, "--port", "0", "--grpc-port", "0", "--metrics-port", "0",
           "--ports-file", str(ports), "--threads", "1", "--model-repository", str(repo),
           "--tls-cert", str(cert), "--tls-key", str(key)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                           preexec_fn=h._die_with_parent)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"`{' '.join(cmd)}` still running after 60 s (it should refuse to start):\n"
                             f"{e.stderr}") from None
    assert not ports.exists(), f"ports file written ({ports.read_text()!r}) by a server that should not start"
    return cmd, r


@pytest.mark.parametrize("case", ["mismatched_key", "key_not_pem", "cert_not_pem", "missing_key"])
def test_bad_tls_files_refuse_to_start_naming_the_file(fastserve_binary, certs, repo, tmp_path, case):
    cert, key = certs["cert"], certs["key"]
    if case == "mismatched_key":
        key = certs["other_key"]
    elif case == "key_not_pem":
        key = tmp_path / "garbage.key"
        key.write_text("this is not a PEM private key\n")
    elif case == "cert_not_pem":
        cert = tmp_path / "garbage.crt"
        cert.write_text("this is not a PEM certificate\n")
    elif case == "missing_key":
        key = tmp_path / "no_such.key.pem"
    named = key if case in ("mismatched_key", "key_not_pem", "missing_key") else cert
    cmd, r = start_expecting_failure(tmp_path, repo, cert, key)
    assert r.returncode != 0, f"`{' '.join(cmd)}` exited 0 with a bad TLS pair:\n{r.stderr[-2000:]}"
    lines = [ln for ln in r.stderr.splitlines() if "error" in ln.lower() and str(named) in ln]
    assert lines, (f"{case}: exit {r.returncode} but no error line naming {named}:\n"
                   f"stdout:\n{r.stdout[-1000:]}\nstderr:\n{r.stderr[-2000:]}")
