# Graceful shutdown: requests are queued on a model whose batcher waits
# 300 ms; SIGTERM arrives while they wait. Every queued request still gets
# 200 with the right answer, /v2/health/ready answers 503 while the server
# drains (and a new infer is refused with 503), and the process exits 0.
import threading
import time

import requests

import serve_harness as h

N = 4
CONFIG = """
max_batch_size: 8
dynamic_batching { max_queue_delay_microseconds: 300000 }
instance_group [{ count: 1, kind: KIND_CPU }]
"""


def test_sigterm_drains_queued_requests_and_exits_0(fpool, tmp_path):
    repo = tmp_path / "repo"
    h.add_model(repo, "slow", h.TINY, config=CONFIG)
    srv = fpool.start("shutdown", ["--model-repository", repo, "--drain-timeout-ms", 10000, "--http-threads", 16])
    xs = [h.images(1, seed=700 + i) for i in range(N)]
    refs = [h.ort_run(h.TINY, x) for x in xs]
    # One warm request (the first may pay one-off costs), answered after the delay.
    r = requests.post(srv.url("/v2/models/slow/infer"), json=h.json_infer_body(xs[0]), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)

    results, errors = [None] * N, []
    sent = threading.Barrier(N + 1)

    def client(i):
        try:
            sent.wait(timeout=10)
            results[i] = requests.post(srv.url("/v2/models/slow/infer"), json=h.json_infer_body(xs[i]),
                                       timeout=h.HTTP_TIMEOUT)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    sent.wait(timeout=10)
    time.sleep(0.1)  # the requests are now queued: the batch runs 300 ms after the first arrived
    t_term = time.monotonic()
    srv.terminate()

    ready_codes, late_infer = [], None
    while srv.running() and time.monotonic() - t_term < 15:
        try:
            ready_codes.append(requests.get(srv.url("/v2/health/ready"), timeout=2).status_code)
            if late_infer is None:
                late_infer = requests.post(srv.url("/v2/models/slow/infer"), json=h.json_infer_body(xs[0]), timeout=5)
        except requests.RequestException:
            ready_codes.append("refused")
        time.sleep(0.01)
    for t in threads:
        t.join(timeout=30)
    code = srv.wait(timeout=15)

    assert not errors, f"queued requests failed at shutdown: {errors}\n{srv.log_tail()}"
    for i, r in enumerate(results):
        assert r.status_code == 200, h.describe(r)
        h.assert_logits_close(h.decode_infer_response(r)[0]["logits"], refs[i], f"queued request {i}")
    assert 503 in ready_codes, f"/v2/health/ready during the drain: {ready_codes[:20]}"
    assert 200 not in ready_codes, f"/v2/health/ready said 200 after SIGTERM: {ready_codes[:20]}"
    if late_infer is not None:
        assert late_infer.status_code == 503, h.describe(late_infer)
        h.error_message(late_infer)
    assert code == 0, f"exit code {code} after SIGTERM\n{srv.log_tail()}"
