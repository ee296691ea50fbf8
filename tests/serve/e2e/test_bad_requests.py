# Bad infer requests over HTTP: each one gets 400 with a JSON error that names
# the tensor at fault (the model's tensors have distinctive names:
# "pixels_in" -> "scores_out"), a too-large body gets 413, and the server
# keeps serving correct answers afterwards.
import json

import numpy as np
import pytest
import requests

import serve_harness as h

IN = "pixels_in"


@pytest.fixture(scope="module")
def env(pool, tmp_path_factory):
    d = tmp_path_factory.mktemp("repo_bad")
    model = h.make_affine_model(d / "affine.onnx")
    repo = d / "repo"
    h.add_model(repo, "affine", model)
    h.add_model(repo, "tiny", h.TINY)
    srv = pool.start("bad", ["--model-repository", repo, "--max-request-bytes", 65536])
    return srv, model


def post_infer(srv, model="affine", **kw):
    return requests.post(srv.url(f"/v2/models/{model}/infer"), timeout=h.HTTP_TIMEOUT, **kw)


def assert_still_serving(srv, model_path):
    r = requests.get(srv.url("/v2/health/ready"), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)
    x = np.arange(8, dtype=np.float32).reshape(2, 4) / 8
    r = post_infer(srv, json=h.json_infer_body(x, name=IN))
    assert r.status_code == 200, h.describe(r)
    outs, _ = h.decode_infer_response(r)
    h.assert_logits_close(outs["scores_out"], h.ort_run(model_path, x, IN), "affine after a bad request")


def assert_400_naming(r, *names):
    assert r.status_code == 400, h.describe(r)
    msg = h.error_message(r)
    for n in names:
        assert n in msg, f"400 error does not name {n!r}: {msg!r}"
    return msg


def test_good_request_matches_ort(env):
    srv, model = env
    assert_still_serving(srv, model)


def test_malformed_json(env):
    srv, model = env
    r = post_infer(srv, data=b'{"inputs": [{"name": "pixels_in", "shape": [1, 4], ',
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 400, h.describe(r)
    h.error_message(r)
    assert_still_serving(srv, model)


def test_not_an_object(env):
    srv, model = env
    r = post_infer(srv, data=b"[1, 2, 3]", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, h.describe(r)
    h.error_message(r)
    assert_still_serving(srv, model)


def test_wrong_shape(env):
    srv, model = env
    x = np.zeros((1, 5), dtype=np.float32)
    assert_400_naming(post_infer(srv, json=h.json_infer_body(x, name=IN)), IN)
    assert_still_serving(srv, model)


def test_wrong_rank_on_image_model(env):
    srv, model = env
    x = np.zeros((1, 1, 28, 27), dtype=np.float32)
    msg = assert_400_naming(post_infer(srv, model="tiny", json=h.json_infer_body(x)), "input")
    assert "27" in msg or "28" in msg, f"the error does not say which dim is wrong: {msg!r}"
    assert_still_serving(srv, model)


def test_data_count_does_not_match_shape(env):
    srv, model = env
    body = {"inputs": [{"name": IN, "shape": [2, 4], "datatype": "FP32", "data": [1.0, 2.0, 3.0]}]}
    assert_400_naming(post_infer(srv, json=body), IN)
    assert_still_serving(srv, model)


def test_wrong_datatype(env):
    srv, model = env
    body = {"inputs": [{"name": IN, "shape": [1, 4], "datatype": "INT32", "data": [1, 2, 3, 4]}]}
    assert_400_naming(post_infer(srv, json=body), IN)
    assert_still_serving(srv, model)


def test_unknown_datatype_name(env):
    srv, model = env
    body = {"inputs": [{"name": IN, "shape": [1, 4], "datatype": "FLOAT99", "data": [1, 2, 3, 4]}]}
    assert_400_naming(post_infer(srv, json=body), IN)
    assert_still_serving(srv, model)


def test_unknown_input(env):
    srv, model = env
    body = {"inputs": [{"name": "bogus_tensor", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}
    assert_400_naming(post_infer(srv, json=body), "bogus_tensor")
    assert_still_serving(srv, model)


def test_missing_input(env):
    srv, model = env
    assert_400_naming(post_infer(srv, json={"inputs": []}), IN)
    assert_still_serving(srv, model)


def test_unknown_output(env):
    srv, model = env
    x = np.zeros((1, 4), dtype=np.float32)
    assert_400_naming(post_infer(srv, json=h.json_infer_body(x, name=IN, outputs=["no_such_output"])),
                      "no_such_output")
    assert_still_serving(srv, model)


def test_binary_size_disagrees_with_shape(env):
    srv, model = env
    x = np.zeros((1, 4), dtype=np.float32)
    # Declares shape [1, 4] (16 bytes) but sends and declares 12 bytes.
    hj = json.dumps({"inputs": [{"name": IN, "shape": [1, 4], "datatype": "FP32",
                                 "parameters": {"binary_data_size": 12}}]}).encode()
    body = hj + x[:, :3].tobytes()
    r = post_infer(srv, data=body, headers={"Inference-Header-Content-Length": str(len(hj))})
    assert_400_naming(r, IN)
    assert_still_serving(srv, model)


def test_binary_body_shorter_than_declared(env):
    srv, model = env
    x = np.zeros((1, 4), dtype=np.float32)
    hj = json.dumps({"inputs": [{"name": IN, "shape": [1, 4], "datatype": "FP32",
                                 "parameters": {"binary_data_size": 16}}]}).encode()
    body = hj + x.tobytes()[:10]
    r = post_infer(srv, data=body, headers={"Inference-Header-Content-Length": str(len(hj))})
    assert_400_naming(r, IN)
    assert_still_serving(srv, model)


def test_binary_body_longer_than_declared(env):
    srv, model = env
    x = np.zeros((1, 4), dtype=np.float32)
    body, headers = h.binary_infer_request(x, name=IN, output=None, extra=b"\0" * 8)
    r = post_infer(srv, data=body, headers=headers)
    assert r.status_code == 400, h.describe(r)
    h.error_message(r)
    assert_still_serving(srv, model)


def test_header_length_past_body(env):
    srv, model = env
    hj = json.dumps({"inputs": []}).encode()
    r = post_infer(srv, data=hj, headers={"Inference-Header-Content-Length": str(len(hj) + 100)})
    assert_400_naming(r, "Inference-Header-Content-Length")
    assert_still_serving(srv, model)


def test_body_over_max_request_bytes(env):
    srv, model = env
    x = np.zeros((1, 100_000), dtype=np.float32)  # 400 kB > --max-request-bytes 65536
    body, headers = h.binary_infer_request(x, name=IN, output=None)
    r = post_infer(srv, data=body, headers=headers)
    assert r.status_code == 413, h.describe(r)
    assert_still_serving(srv, model)
