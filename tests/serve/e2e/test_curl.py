# `fastserve serve` driven by curl (a subprocess), as a person would try it:
# health, JSON infer and binary infer, with the answers checked against
# ONNX Runtime.
import json
import shutil
import subprocess

import numpy as np
import pytest

import serve_harness as h

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


@pytest.fixture(scope="module")
def srv(pool, tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo_curl")
    h.add_model(repo, "tiny", h.TINY)
    return pool.start("curl", ["--model-repository", repo])


def curl(*args):
    """(status, headers dict (lower-case names), body bytes) of one curl call."""
    cmd = ["curl", "--noproxy", "*", "-sS", "--max-time", "30", "-H", "Expect:", "-D", "-", *args]
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    assert r.returncode == 0, f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.decode(errors='replace')}"
    out = r.stdout
    while True:  # skip interim 1xx answers (100 Continue)
        head, _, body = out.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 1"):
            break
        out = body
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def test_curl_health(srv):
    for path in ("/v2/health/live", "/v2/health/ready", "/v2/models/tiny/ready"):
        status, headers, _ = curl(srv.url(path))
        assert status == 200, (path, status, headers)
        assert headers.get("x-request-id"), (path, headers)


def test_curl_json_infer(srv, tmp_path):
    x = h.images(2, seed=41)
    f = tmp_path / "req.json"
    f.write_text(json.dumps(h.json_infer_body(x)))
    status, headers, body = curl("-X", "POST", "-H", "Content-Type: application/json",
                                 "-H", "X-Request-ID: curl-1", "--data-binary", f"@{f}",
                                 srv.url("/v2/models/tiny/infer"))
    assert status == 200, (status, headers, body[:400])
    assert headers.get("x-request-id") == "curl-1", headers
    assert headers.get("server-timing"), headers
    out = json.loads(body)["outputs"][0]
    got = np.asarray(out["data"], dtype=np.float32).reshape(out["shape"])
    h.assert_logits_close(got, h.ort_run(h.TINY, x), "curl JSON infer")


def test_curl_binary_infer(srv, tmp_path):
    x = h.images(1, seed=42)
    body, headers = h.binary_infer_request(x)
    f = tmp_path / "req.bin"
    f.write_bytes(body)
    status, rh, rbody = curl("-X", "POST", "-H", f"Inference-Header-Content-Length: {headers['Inference-Header-Content-Length']}",
                             "-H", "Content-Type: application/octet-stream", "--data-binary", f"@{f}",
                             srv.url("/v2/models/tiny/infer"))
    assert status == 200, (status, rh, rbody[:400])
    n = int(rh["inference-header-content-length"])
    header = json.loads(rbody[:n])
    out = header["outputs"][0]
    assert out["parameters"]["binary_data_size"] == 40, header
    got = np.frombuffer(rbody[n:n + 40], dtype="<f4").reshape(out["shape"])
    h.assert_logits_close(got, h.ort_run(h.TINY, x), "curl binary infer")


def test_curl_unknown_model(srv):
    status, _, body = curl("-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "{}",
                           srv.url("/v2/models/no_such_model/infer"))
    assert status == 404, (status, body)
    assert "no_such_model" in json.loads(body)["error"], body
