# Overload: a model whose queue holds one request and whose batcher waits
# 200 ms for a batch to fill. Eight clients at once: some are turned away
# with 429 + Retry-After (RESOURCE_EXHAUSTED over gRPC), the ones admitted get
# right answers, the failures are counted in /metrics, and the server still
# answers afterwards.
import re
import threading

import pytest
import requests

import serve_harness as h

N = 8
CONFIG = """
max_batch_size: 8
dynamic_batching {
  max_queue_delay_microseconds: 200000
  default_queue_policy { max_queue_size: 1 }
}
instance_group [{ count: 1, kind: KIND_CPU }]
"""


@pytest.fixture(scope="module")
def srv(pool, tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo_overload")
    h.add_model(repo, "small_queue", h.TINY, config=CONFIG)
    return pool.start("overload", ["--model-repository", repo, "--http-threads", 2 * N])


def together(fn, n):
    out, errors = [None] * n, []
    barrier = threading.Barrier(n)

    def work(i):
        try:
            barrier.wait(timeout=30)
            out[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((i, e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert not errors, errors[:3]
    return out


def failures(srv):
    m = h.parse_metrics(requests.get(srv.metrics_url(), timeout=h.HTTP_TIMEOUT).text)
    return h.metric(m, "nv_inference_request_failure", model="small_queue", version="1", reason="REJECTED")


def test_queue_full_gives_429_with_retry_after(srv):
    xs = [h.images(1, seed=300 + i) for i in range(N)]
    f0 = failures(srv)
    resps = together(lambda i: requests.post(srv.url("/v2/models/small_queue/infer"),
                                             json=h.json_infer_body(xs[i]), timeout=h.HTTP_TIMEOUT), N)
    codes = [r.status_code for r in resps]
    assert set(codes) <= {200, 429}, [h.describe(r) for r in resps if r.status_code not in (200, 429)]
    rejected = [r for r in resps if r.status_code == 429]
    assert rejected, f"{N} concurrent requests into a queue of 1 were all admitted: {codes}"
    assert 200 in codes, f"every request was rejected: {codes}"
    for r in rejected:
        ra = r.headers.get("Retry-After")
        assert ra is not None and re.fullmatch(r"\d+", ra), f"429 without a delay-seconds Retry-After: {h.describe(r)}"
        h.error_message(r)
    for i, r in enumerate(resps):
        if r.status_code == 200:
            outs, _ = h.decode_infer_response(r)
            h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, xs[i]), f"admitted client {i}")
    assert failures(srv) - f0 == len(rejected), "nv_inference_request_failure{reason=REJECTED} != 429s sent"

    # Still serving.
    assert requests.get(srv.url("/v2/health/ready"), timeout=h.HTTP_TIMEOUT).status_code == 200
    x = h.images(1, seed=399)
    r = requests.post(srv.url("/v2/models/small_queue/infer"), json=h.json_infer_body(x), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)
    h.assert_logits_close(h.decode_infer_response(r)[0]["logits"], h.ort_run(h.TINY, x), "after overload")


def test_queue_full_over_grpc_is_resource_exhausted(srv, grpc_api, make_stub):
    grpc, pb, _, _ = grpc_api
    stub = make_stub(srv)

    def request(i):
        x = h.images(1, seed=400 + i)
        req = pb.ModelInferRequest(model_name="small_queue")
        t = req.inputs.add()
        t.name, t.datatype = "input", "FP32"
        t.shape.extend(x.shape)
        req.raw_input_contents.append(x.tobytes())
        return req

    reqs = [request(i) for i in range(N)]
    futures = together(lambda i: stub.ModelInfer.future(reqs[i], timeout=30), N)
    codes = []
    for f in futures:
        try:
            f.result(timeout=60)
            codes.append(grpc.StatusCode.OK)
        except grpc.RpcError as e:
            codes.append(e.code())
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}, codes
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes, codes
    assert grpc.StatusCode.OK in codes, codes
    assert stub.ServerReady(pb.ServerReadyRequest()).ready is True
