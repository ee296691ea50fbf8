# Dynamic batching: 16 concurrent clients against a repository model with
# dynamic_batching { max_queue_delay_microseconds: 20000 } are served in
# batches of more than one request (statistics and /metrics say so), and each
# client gets exactly its own answer: the one it gets alone, and ONNX
# Runtime's.
import threading

import numpy as np
import pytest
import requests

import serve_harness as h

N = 16
CONFIG = """
max_batch_size: 16
dynamic_batching { max_queue_delay_microseconds: 20000 }
instance_group [{ count: 1, kind: KIND_CPU }]
"""


@pytest.fixture(scope="module")
def srv(pool, tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo_batch")
    h.add_model(repo, "batched", h.FASHION, config=CONFIG)
    return pool.start("batching", ["--model-repository", repo, "--http-threads", 2 * N])


def infer(session, srv, x):
    r = session.post(srv.url("/v2/models/batched/infer"), json=h.json_infer_body(x), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)
    outs, _ = h.decode_infer_response(r)
    return outs["logits"]


def stats(srv):
    r = requests.get(srv.url("/v2/models/batched/versions/1/stats"), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)
    return r.json()["model_stats"][0]


def batch_counts(st):
    return {b["batch_size"]: b["compute_infer"]["count"] for b in st["batch_stats"]}


def scrape(srv):
    return h.parse_metrics(requests.get(srv.metrics_url(), timeout=h.HTTP_TIMEOUT).text)


def run_concurrently(fn, n):
    """Runs fn(i) on n threads released together; returns results in order and re-raises failures."""
    results, errors = [None] * n, []
    barrier = threading.Barrier(n)

    def work(i):
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((i, e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    assert not errors, f"{len(errors)} of {n} clients failed: {errors[:3]}"
    return results


def test_concurrent_http_clients_are_batched_and_get_their_own_answers(srv):
    xs = [h.images(1, seed=100 + i) for i in range(N)]
    with requests.Session() as s:
        alone = [infer(s, srv, x) for x in xs]
    for i, x in enumerate(xs):
        h.assert_logits_close(alone[i], h.ort_run(h.FASHION, x), f"client {i} alone")

    st0, m0 = stats(srv), scrape(srv)

    def client(i):
        with requests.Session() as s:
            return infer(s, srv, xs[i])

    batched = run_concurrently(client, N)
    st1, m1 = stats(srv), scrape(srv)

    for i in range(N):
        err = h.max_abs_err(batched[i], alone[i])
        assert err <= h.LOGIT_TOL, f"client {i}: batched answer differs from its unbatched one by {err:.3g}"
        h.assert_logits_close(batched[i], h.ort_run(h.FASHION, xs[i]), f"client {i} batched")

    items = st1["inference_count"] - st0["inference_count"]
    execs = st1["execution_count"] - st0["execution_count"]
    assert items == N, (st0, st1)
    assert execs < N, f"{N} concurrent requests ran in {execs} batches: no batching (batch_stats {st1['batch_stats']})"
    c0, c1 = batch_counts(st0), batch_counts(st1)
    grown = {b: c1[b] - c0.get(b, 0) for b in c1 if c1[b] - c0.get(b, 0) > 0}
    assert any(b > 1 for b in grown), f"no batch of more than 1 in batch_stats deltas {grown}"
    assert sum(b * n for b, n in grown.items()) == N, f"batch_stats deltas {grown} do not add up to {N} items"

    lab = {"model": "batched", "version": "1"}
    d_sum = h.metric(m1, "fastserve_batch_size_sum", **lab) - h.metric(m0, "fastserve_batch_size_sum", **lab)
    d_cnt = h.metric(m1, "fastserve_batch_size_count", **lab) - h.metric(m0, "fastserve_batch_size_count", **lab)
    assert d_sum == N and d_cnt == execs, f"fastserve_batch_size: sum +{d_sum}, count +{d_cnt}; {execs} batches"
    d_exec = h.metric(m1, "nv_inference_exec_count", **lab) - h.metric(m0, "nv_inference_exec_count", **lab)
    d_items = h.metric(m1, "nv_inference_count", **lab) - h.metric(m0, "nv_inference_count", **lab)
    assert (d_exec, d_items) == (execs, N), f"nv_inference_exec_count +{d_exec}, nv_inference_count +{d_items}"


def test_concurrent_grpc_clients_are_batched(srv, grpc_api, make_stub):
    grpc, pb, _, _ = grpc_api
    stub = make_stub(srv)
    xs = [h.images(1, seed=200 + i) for i in range(N)]
    st0 = stats(srv)

    def request(x):
        req = pb.ModelInferRequest(model_name="batched")
        t = req.inputs.add()
        t.name, t.datatype = "input", "FP32"
        t.shape.extend(x.shape)
        req.raw_input_contents.append(x.tobytes())
        return req

    reqs = [request(x) for x in xs]
    futures = run_concurrently(lambda i: stub.ModelInfer.future(reqs[i], timeout=30), N)
    for i, f in enumerate(futures):
        resp = f.result(timeout=60)
        got = np.frombuffer(resp.raw_output_contents[0], dtype="<f4").reshape(list(resp.outputs[0].shape))
        h.assert_logits_close(got, h.ort_run(h.FASHION, xs[i]), f"gRPC client {i} batched")
    st1 = stats(srv)
    execs = st1["execution_count"] - st0["execution_count"]
    assert st1["inference_count"] - st0["inference_count"] == N
    assert execs < N, f"{N} concurrent gRPC requests ran in {execs} batches"
