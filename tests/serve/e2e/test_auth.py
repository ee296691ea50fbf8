# API keys (--api-key-file): 401 without a key or with a wrong one, 200 with
# a valid key (Authorization: Bearer or X-API-Key), 429 + Retry-After once a
# rate=1 burst=1 key has spent its token, health open to everyone; gRPC the
# same with UNAUTHENTICATED.
import time

import numpy as np
import pytest
import requests

import serve_harness as h

KEYS = """# e2e keys
alpha-key-123 name=alice
slow-key-456 name=bob rate=1 burst=1
"""


@pytest.fixture(scope="module")
def srv(pool, tmp_path_factory):
    d = tmp_path_factory.mktemp("auth")
    (d / "keys.txt").write_text(KEYS)
    repo = d / "repo"
    h.add_model(repo, "tiny", h.TINY)
    return pool.start("auth", ["--model-repository", repo, "--api-key-file", d / "keys.txt"])


def infer(srv, headers, seed=0):
    x = h.images(1, seed=seed)
    r = requests.post(srv.url("/v2/models/tiny/infer"), json=h.json_infer_body(x), headers=headers,
                      timeout=h.HTTP_TIMEOUT)
    return r, x


def test_health_needs_no_key(srv):
    for path in ("/v2/health/live", "/v2/health/ready"):
        r = requests.get(srv.url(path), timeout=h.HTTP_TIMEOUT)
        assert r.status_code == 200, h.describe(r)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key"}, {"X-API-Key": "wrong-key"},
                                     {"Authorization": "alpha-key-123"}, {"Authorization": "Bearer "}])
def test_infer_without_valid_key_is_401(srv, headers):
    r, _ = infer(srv, headers)
    assert r.status_code == 401, h.describe(r)
    h.error_message(r)
    assert r.headers.get("X-Request-ID"), h.describe(r)


def scrape(srv):
    r = requests.get(srv.metrics_url(), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)
    return h.parse_metrics(r.text)


def test_auth_failures_are_counted(srv):
    m0 = scrape(srv)
    for headers in ({}, {"X-API-Key": "nope"}, {"Authorization": "Bearer nope"}):
        assert infer(srv, headers)[0].status_code == 401
    m1 = scrape(srv)
    d = h.metric(m1, "fastserve_auth_failures_total") - h.metric(m0, "fastserve_auth_failures_total")
    assert d == 3, f"fastserve_auth_failures_total grew by {d} after 3 refused requests"


def test_metadata_without_key_is_401(srv):
    r = requests.get(srv.url("/v2/models/tiny"), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 401, h.describe(r)


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer alpha-key-123"}, {"X-API-Key": "alpha-key-123"}])
def test_infer_with_key_is_200(srv, headers):
    r, x = infer(srv, headers, seed=51)
    assert r.status_code == 200, h.describe(r)
    outs, _ = h.decode_infer_response(r)
    h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), "infer with an API key")


def test_rate_limited_key_gets_429(srv):
    headers = {"Authorization": "Bearer slow-key-456"}
    m0 = scrape(srv)
    t0 = time.monotonic()
    resps = [infer(srv, headers, seed=60 + i)[0] for i in range(3)]
    elapsed = time.monotonic() - t0
    codes = [r.status_code for r in resps]
    if elapsed < 0.9:  # no token can have come back yet
        assert codes == [200, 429, 429], (codes, [h.describe(r) for r in resps])
    else:
        assert codes[0] == 200 and 429 in codes, (codes, elapsed)
    for r in resps:
        if r.status_code == 429:
            ra = r.headers.get("Retry-After")
            assert ra is not None and ra.isdigit() and int(ra) >= 1, h.describe(r)
            h.error_message(r)
    limited = codes.count(429)
    d = h.metric(scrape(srv), "fastserve_rate_limited_total") - h.metric(m0, "fastserve_rate_limited_total")
    assert d == limited, f"fastserve_rate_limited_total grew by {d} after {limited} 429s"
    # Other keys are not affected, and health stays open.
    assert infer(srv, {"X-API-Key": "alpha-key-123"})[0].status_code == 200
    assert requests.get(srv.url("/v2/health/ready"), timeout=h.HTTP_TIMEOUT).status_code == 200
    # The token comes back.
    time.sleep(1.1)
    r, _ = infer(srv, headers, seed=70)
    assert r.status_code == 200, h.describe(r)


def test_grpc_auth(srv, grpc_api, make_stub):
    grpc, pb, _, _ = grpc_api
    stub = make_stub(srv)
    assert stub.ServerLive(pb.ServerLiveRequest()).live is True
    assert stub.ServerReady(pb.ServerReadyRequest()).ready is True
    x = h.images(1, seed=80)
    req = pb.ModelInferRequest(model_name="tiny")
    t = req.inputs.add()
    t.name, t.datatype = "input", "FP32"
    t.shape.extend(x.shape)
    req.raw_input_contents.append(x.tobytes())
    for md in ([], [("authorization", "Bearer wrong-key")]):
        with pytest.raises(grpc.RpcError) as ei:
            stub.ModelInfer(req, metadata=md, timeout=30)
        assert ei.value.code() == grpc.StatusCode.UNAUTHENTICATED, (md, ei.value.code(), ei.value.details())
    for md in ([("authorization", "Bearer alpha-key-123")], [("x-api-key", "alpha-key-123")]):
        resp = stub.ModelInfer(req, metadata=md, timeout=30)
        got = np.frombuffer(resp.raw_output_contents[0], dtype="<f4").reshape(list(resp.outputs[0].shape))
        h.assert_logits_close(got, h.ort_run(h.TINY, x), f"gRPC infer with {md[0][0]}")
