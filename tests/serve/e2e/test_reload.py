# Reload under load: clients (HTTP and gRPC) infer in a loop while version 2
# is added to the repository and /load is called, then version 1 is removed
# and /load is called again. Not one request may fail; every answer equals
# ONNX Runtime's for the version that answered it (version 1 is tiny_cnn,
# version 2 fashion_mnist_cnn), and requests sent after a load returned are
# answered by the new version.
import os
import shutil
import threading
import time

import numpy as np
import pytest
import requests

import serve_harness as h

MODEL_OF = {"1": h.TINY, "2": h.FASHION}


@pytest.fixture
def env(fpool, tmp_path):
    repo = tmp_path / "repo"
    h.add_model(repo, "rel", h.TINY, version=1)
    srv = fpool.start("reload", ["--model-repository", repo, "--http-threads", 8])
    return srv, repo, tmp_path


def test_reload_under_load_fails_no_request(env, grpc_api, make_stub):
    srv, repo, tmp = env
    grpc, pb, _, _ = grpc_api
    xs = [h.images(1, seed=500 + i) for i in range(4)]
    refs = {v: [h.ort_run(p, x) for x in xs] for v, p in MODEL_OF.items()}
    stop = threading.Event()
    records, failures = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + 30

    def http_client(k):
        with requests.Session() as s:
            i = 0
            while not stop.is_set() and time.monotonic() < deadline and i < 3000:
                j = (i + k) % len(xs)
                t0 = time.monotonic()
                try:
                    r = s.post(srv.url("/v2/models/rel/infer"), json=h.json_infer_body(xs[j]), timeout=h.HTTP_TIMEOUT)
                    if r.status_code != 200:
                        with lock:
                            failures.append(h.describe(r))
                    else:
                        outs, body = h.decode_infer_response(r)
                        with lock:
                            records.append((t0, body["model_version"], j, outs["logits"], "http"))
                except Exception as e:  # noqa: BLE001 - a failure to report
                    with lock:
                        failures.append(f"HTTP client {k}: {e!r}")
                i += 1

    def grpc_client():
        stub = make_stub(srv)
        i = 0
        while not stop.is_set() and time.monotonic() < deadline and i < 3000:
            j = i % len(xs)
            req = pb.ModelInferRequest(model_name="rel")
            t = req.inputs.add()
            t.name, t.datatype = "input", "FP32"
            t.shape.extend(xs[j].shape)
            req.raw_input_contents.append(xs[j].tobytes())
            t0 = time.monotonic()
            try:
                resp = stub.ModelInfer(req, timeout=30)
                got = np.frombuffer(resp.raw_output_contents[0], dtype="<f4").reshape(list(resp.outputs[0].shape))
                with lock:
                    records.append((t0, resp.model_version, j, got, "grpc"))
            except grpc.RpcError as e:
                with lock:
                    failures.append(f"gRPC: {e.code()} {e.details()}")
            i += 1

    threads = [threading.Thread(target=http_client, args=(k,)) for k in range(3)]
    threads.append(threading.Thread(target=grpc_client))
    for t in threads:
        t.start()
    try:
        time.sleep(0.4)
        # Version 2 appears whole (renamed into place), then is loaded.
        staging = tmp / "staging_v2"
        staging.mkdir()
        shutil.copyfile(h.FASHION, staging / "model.onnx")
        os.rename(staging, repo / "rel" / "2")
        r = requests.post(srv.url("/v2/repository/models/rel/load"), timeout=h.HTTP_TIMEOUT)
        assert r.status_code == 200, h.describe(r)
        first_load_done = time.monotonic()
        time.sleep(0.4)
        md = requests.get(srv.url("/v2/models/rel"), timeout=h.HTTP_TIMEOUT).json()
        assert md["versions"] == ["2"], f"after adding version 2 and /load: {md}"

        shutil.rmtree(repo / "rel" / "1")
        r = requests.post(srv.url("/v2/repository/models/rel/load"), timeout=h.HTTP_TIMEOUT)
        assert r.status_code == 200, h.describe(r)
        time.sleep(0.4)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client hung"

    assert not failures, f"{len(failures)} of {len(failures) + len(records)} requests failed during the reload: " \
                         f"{failures[:3]}"
    by_version = {}
    for t0, version, j, got, via in records:
        by_version[version] = by_version.get(version, 0) + 1
        assert version in MODEL_OF, f"answered by unexpected version {version!r}"
        h.assert_logits_close(got, refs[version][j], f"{via} answer from version {version}")
        if t0 > first_load_done:
            assert version == "2", f"a {via} request sent after /load returned was answered by version {version}"
    assert by_version.get("1", 0) > 0 and by_version.get("2", 0) > 0, f"answers per version: {by_version}"

    md = requests.get(srv.url("/v2/models/rel"), timeout=h.HTTP_TIMEOUT).json()
    assert md["versions"] == ["2"], md
    r = requests.get(srv.url("/v2/models/rel/versions/1/ready"), timeout=h.HTTP_TIMEOUT)
    assert r.status_code != 200, h.describe(r)
    assert requests.get(srv.url("/v2/models/rel/versions/2/ready"), timeout=h.HTTP_TIMEOUT).status_code == 200
