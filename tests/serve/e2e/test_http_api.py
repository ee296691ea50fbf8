# Every HTTP endpoint of `fastserve serve` (KServe v2 + Triton extensions),
# driven with `requests`: health, metadata, config, statistics, infer in JSON
# and with the binary tensor extension (checked against ONNX Runtime),
# classify, the repository extension, request ids, Server-Timing, /metrics
# and the JSON log on stderr.
import json
import re
import time

import numpy as np
import pytest
import requests

import serve_harness as h

SPARE_CONFIG = """
name: "spare"
platform: "onnxruntime_onnx"
max_batch_size: 4
input [{ name: "input" data_type: TYPE_FP32 dims: [1, 28, 28] }]
output [{ name: "logits" data_type: TYPE_FP32 dims: [10] }]
dynamic_batching {
  max_queue_delay_microseconds: 500
  preferred_batch_size: [2, 4]
}
instance_group [{ count: 1, kind: KIND_CPU }]
"""


@pytest.fixture(scope="module")
def srv(pool, tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo_api")
    h.add_model(repo, "tiny", h.TINY)  # no config.pbtxt: completed automatically
    h.add_model(repo, "spare", h.TINY, config=SPARE_CONFIG)
    return pool.start("api", ["--model-repository", repo, "--model", f"fashion={h.FASHION}"])


def get(srv, path, **kw):
    return requests.get(srv.url(path), timeout=h.HTTP_TIMEOUT, **kw)


def post(srv, path, **kw):
    return requests.post(srv.url(path), timeout=h.HTTP_TIMEOUT, **kw)


def stats_of(srv, model, version="1"):
    r = get(srv, f"/v2/models/{model}/versions/{version}/stats")
    assert r.status_code == 200, h.describe(r)
    body = r.json()
    rows = [s for s in body["model_stats"] if s["name"] == model and s["version"] == version]
    assert len(rows) == 1, f"stats of {model} v{version}: {body}"
    return rows[0]


# ---- health and metadata ------------------------------------------------------

def test_health_live_and_ready(srv):
    for path in ("/v2/health/live", "/v2/health/ready"):
        r = get(srv, path)
        assert r.status_code == 200, h.describe(r)


def test_server_metadata(srv):
    r = get(srv, "/v2")
    assert r.status_code == 200, h.describe(r)
    body = r.json()
    assert isinstance(body.get("name"), str) and body["name"], body
    assert isinstance(body.get("version"), str) and body["version"], body
    ext = body.get("extensions")
    assert isinstance(ext, list) and all(isinstance(e, str) for e in ext), body
    for e in ("binary_tensor_data", "model_repository", "statistics", "model_configuration"):
        assert e in ext, f"extension {e!r} not advertised: {ext}"


@pytest.mark.parametrize("path", ["/v2/models/tiny", "/v2/models/tiny/versions/1"])
def test_model_metadata(srv, path):
    r = get(srv, path)
    assert r.status_code == 200, h.describe(r)
    body = r.json()
    assert body["name"] == "tiny", body
    assert body["versions"] == ["1"], body
    assert body["platform"] == "onnxruntime_onnx", body
    assert body["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 28, 28]}], body
    assert body["outputs"] == [{"name": "logits", "datatype": "FP32", "shape": [-1, 10]}], body


def test_explicit_model_metadata(srv):
    body = get(srv, "/v2/models/fashion").json()
    assert body["name"] == "fashion" and body["versions"] == ["1"], body
    assert [i["name"] for i in body["inputs"]] == ["input"], body
    assert [o["name"] for o in body["outputs"]] == ["logits"], body


@pytest.mark.parametrize("path", ["/v2/models/no_such_model", "/v2/models/tiny/versions/7",
                                  "/v2/models/no_such_model/config", "/v2/models/no_such_model/stats"])
def test_unknown_model_is_404(srv, path):
    r = get(srv, path)
    assert r.status_code == 404, h.describe(r)
    msg = h.error_message(r)
    assert "no_such_model" in msg or "7" in msg, f"error does not name the model/version: {msg!r}"


def test_model_ready(srv):
    for path in ("/v2/models/tiny/ready", "/v2/models/tiny/versions/1/ready", "/v2/models/fashion/ready"):
        r = get(srv, path)
        assert r.status_code == 200, h.describe(r)
    r = get(srv, "/v2/models/no_such_model/ready")
    assert r.status_code == 404, h.describe(r)
    r = get(srv, "/v2/models/tiny/versions/9/ready")
    assert r.status_code != 200, h.describe(r)


def test_unknown_route_is_404_json(srv):
    r = get(srv, "/v2/nothing/here")
    assert r.status_code == 404, h.describe(r)
    h.error_message(r)


# ---- config -------------------------------------------------------------------

def test_config_completed_automatically(srv):
    r = get(srv, "/v2/models/tiny/config")
    assert r.status_code == 200, h.describe(r)
    c = r.json()
    assert c["name"] == "tiny", c
    assert c["platform"] == "onnxruntime_onnx", c
    assert c["max_batch_size"] == 32, c
    assert "dynamic_batching" in c, f"no dynamic_batching in the automatic config: {c}"
    assert [(i["name"], i["data_type"], i["dims"]) for i in c["input"]] == [("input", "TYPE_FP32", [1, 28, 28])], c
    assert [(o["name"], o["data_type"], o["dims"]) for o in c["output"]] == [("logits", "TYPE_FP32", [10])], c
    assert c["instance_group"][0]["kind"] == "KIND_CPU", c


def test_config_from_pbtxt(srv):
    r = get(srv, "/v2/models/spare/versions/1/config")
    assert r.status_code == 200, h.describe(r)
    c = r.json()
    assert c["name"] == "spare" and c["max_batch_size"] == 4, c
    db = c["dynamic_batching"]
    assert db["max_queue_delay_microseconds"] == 500, c
    assert db["preferred_batch_size"] == [2, 4], c
    assert c["instance_group"][0]["count"] == 1 and c["instance_group"][0]["kind"] == "KIND_CPU", c
    assert c["version_policy"] == {"latest": {"num_versions": 1}}, c


# ---- infer ----------------------------------------------------------------------

def test_infer_json_flat_matches_ort(srv):
    x = h.images(2, seed=1)
    r = post(srv, "/v2/models/tiny/infer", json=h.json_infer_body(x, request_id="req-json-1"))
    assert r.status_code == 200, h.describe(r)
    outs, body = h.decode_infer_response(r)
    assert body["model_name"] == "tiny" and body["model_version"] == "1", body
    assert body["id"] == "req-json-1", body
    out = body["outputs"][0]
    assert (out["name"], out["datatype"], out["shape"]) == ("logits", "FP32", [2, 10]), out
    h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), "tiny JSON infer")


def test_infer_json_nested_and_versioned_path(srv):
    x = h.images(1, seed=2)
    r = post(srv, "/v2/models/tiny/versions/1/infer", json=h.json_infer_body(x, nested=True, outputs=["logits"]))
    assert r.status_code == 200, h.describe(r)
    outs, _ = h.decode_infer_response(r)
    h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), "tiny nested-JSON infer")


def test_infer_binary_in_and_out_matches_ort_and_json(srv):
    x = h.images(3, seed=3)
    body, headers = h.binary_infer_request(x)
    r = post(srv, "/v2/models/fashion/infer", data=body, headers=headers)
    assert r.status_code == 200, h.describe(r)
    assert "Inference-Header-Content-Length" in r.headers, h.describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/octet-stream"), h.describe(r)
    outs, header = h.decode_infer_response(r)
    assert header["outputs"][0]["parameters"]["binary_data_size"] == 3 * 10 * 4, header
    ref = h.ort_run(h.FASHION, x)
    h.assert_logits_close(outs["logits"], ref, "fashion binary infer")

    rj = post(srv, "/v2/models/fashion/infer", json=h.json_infer_body(x))
    assert rj.status_code == 200, h.describe(rj)
    outs_j, _ = h.decode_infer_response(rj)
    h.assert_logits_close(outs_j["logits"], ref, "fashion JSON infer")
    err = h.max_abs_err(outs_j["logits"], outs["logits"])
    assert err <= h.LOGIT_TOL, f"JSON and binary answers differ by {err:.3g}"


def test_infer_binary_in_json_out(srv):
    x = h.images(1, seed=4)
    body, headers = h.binary_infer_request(x, binary_output=False)
    r = post(srv, "/v2/models/tiny/infer", data=body, headers=headers)
    assert r.status_code == 200, h.describe(r)
    outs, header = h.decode_infer_response(r)
    assert "data" in header["outputs"][0], f"binary_data false but no JSON data: {header}"
    h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), "binary in / JSON out")


def test_infer_binary_data_output_request_parameter(srv):
    x = h.images(1, seed=5)
    body = h.json_infer_body(x)
    body["parameters"] = {"binary_data_output": True}
    r = post(srv, "/v2/models/tiny/infer", json=body)
    assert r.status_code == 200, h.describe(r)
    assert "Inference-Header-Content-Length" in r.headers, h.describe(r)
    outs, header = h.decode_infer_response(r)
    assert "binary_data_size" in header["outputs"][0].get("parameters", {}), header
    h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), "binary_data_output")


def test_infer_unknown_model_is_404(srv):
    r = post(srv, "/v2/models/no_such_model/infer", json=h.json_infer_body(h.images(1, 0)))
    assert r.status_code == 404, h.describe(r)
    assert "no_such_model" in h.error_message(r)


# ---- headers ----------------------------------------------------------------------

def test_request_id_echoed(srv):
    x = h.images(1, seed=6)
    r = post(srv, "/v2/models/tiny/infer", json=h.json_infer_body(x), headers={"X-Request-ID": "client-id-42"})
    assert r.status_code == 200, h.describe(r)
    assert r.headers.get("X-Request-ID") == "client-id-42", h.describe(r)
    for path in ("/v2/health/live", "/v2/models/no_such_model"):
        r = get(srv, path, headers={"X-Request-ID": "client-id-43"})
        assert r.headers.get("X-Request-ID") == "client-id-43", h.describe(r)


def test_request_id_from_traceparent(srv):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    r = get(srv, "/v2/health/ready", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert r.headers.get("X-Request-ID") == trace, h.describe(r)


def test_request_id_generated_when_absent(srv):
    ids = set()
    for _ in range(2):
        r = get(srv, "/v2/health/live")
        rid = r.headers.get("X-Request-ID")
        assert rid, h.describe(r)
        ids.add(rid)
    assert len(ids) == 2, f"two requests got the same generated X-Request-ID {ids}"


def test_server_timing_header(srv):
    r = post(srv, "/v2/models/tiny/infer", json=h.json_infer_body(h.images(1, seed=7)))
    assert r.status_code == 200, h.describe(r)
    st = r.headers.get("Server-Timing")
    assert st, h.describe(r)
    entries = [e.strip() for e in st.split(",")]
    durs = []
    for e in entries:
        parts = [p.strip() for p in e.split(";")]
        assert re.fullmatch(r"[A-Za-z0-9_\-!#$%&'*+.^`|~]+", parts[0]), f"bad Server-Timing entry {e!r} in {st!r}"
        for p in parts[1:]:
            m = re.fullmatch(r"dur=([0-9.]+)", p)
            if m:
                durs.append(float(m.group(1)))
    assert durs, f"Server-Timing {st!r} has no dur= value"


# ---- classify -----------------------------------------------------------------------

def classify_reference(png_path):
    props = h.model_metadata_props(h.FASHION)
    mean = np.float32(props["fastserve.image.mean"])
    std = np.float32(props["fastserve.image.std"])
    px = h.decode_gray_png(png_path).astype(np.float32)
    x = ((px / np.float32(255)) - mean) / std
    logits = h.ort_run(h.FASHION, x.reshape(1, 1, 28, 28).astype(np.float32))[0]
    return logits, h.softmax(logits)


def test_classify_png(srv):
    labels = h.LABELS.read_text().splitlines()
    pngs = sorted(h.SAMPLES.glob("*.png"))
    assert len(pngs) == 10
    for png in pngs:
        logits, probs = classify_reference(png)
        r = post(srv, "/v2/models/fashion/classify?topk=3", data=png.read_bytes(),
                 headers={"Content-Type": "image/png"})
        assert r.status_code == 200, h.describe(r)
        body = r.json()
        assert body["model"] == "fashion" and body["version"] == "1", body
        preds = body["predictions"]
        assert len(preds) == 3, body
        order = list(np.argsort(-probs)[:3])
        assert [p["index"] for p in preds] == order, f"{png.name}: indices {preds} vs ORT's top 3 {order}"
        assert [p["label"] for p in preds] == [labels[i] for i in order], f"{png.name}: {preds}"
        for p in preds:
            i = p["index"]
            assert abs(p["score"] - probs[i]) <= 1e-4, \
                f"{png.name}: score {p['score']} for {i} vs ORT softmax {probs[i]:.6f} (logit {logits[i]:.6f})"


def test_classify_default_topk_and_bad_body(srv):
    png = h.SAMPLES / "sample_0_ankle_boot.png"
    r = post(srv, "/v2/models/fashion/classify?topk=1", data=png.read_bytes())
    assert r.status_code == 200, h.describe(r)
    preds = r.json()["predictions"]
    assert len(preds) == 1 and preds[0]["label"] == "Ankle boot" and preds[0]["index"] == 9, preds
    r = post(srv, "/v2/models/fashion/classify?topk=1", data=b"this is not an image")
    assert r.status_code == 400, h.describe(r)
    h.error_message(r)


# ---- statistics ----------------------------------------------------------------------

def test_model_stats_count_requests(srv):
    before = stats_of(srv, "tiny")
    for seed in range(3):
        r = post(srv, "/v2/models/tiny/infer", json=h.json_infer_body(h.images(1, seed)))
        assert r.status_code == 200, h.describe(r)
    r = post(srv, "/v2/models/tiny/infer", json=h.json_infer_body(h.images(2, 9)))
    assert r.status_code == 200, h.describe(r)
    after = stats_of(srv, "tiny")
    assert after["inference_count"] - before["inference_count"] == 5, (before, after)
    assert after["execution_count"] - before["execution_count"] == 4, (before, after)
    s0, s1 = before["inference_stats"], after["inference_stats"]
    assert s1["success"]["count"] - s0["success"]["count"] == 4, (before, after)
    assert s1["success"]["ns"] > s0["success"]["ns"], (before, after)
    assert s1["compute_infer"]["count"] - s0["compute_infer"]["count"] == 4, (before, after)
    assert s1["fail"]["count"] == s0["fail"]["count"], (before, after)
    now_ms = time.time() * 1000
    assert abs(after["last_inference"] - now_ms) < 60_000, f"last_inference {after['last_inference']} vs now {now_ms}"
    sizes = {b["batch_size"]: b for b in after["batch_stats"]}
    assert 1 in sizes and 2 in sizes, after["batch_stats"]


def test_all_model_stats(srv):
    r = get(srv, "/v2/models/stats")
    assert r.status_code == 200, h.describe(r)
    names = {(s["name"], s["version"]) for s in r.json()["model_stats"]}
    assert {("tiny", "1"), ("fashion", "1"), ("spare", "1")} <= names, names
    r = get(srv, "/v2/models/tiny/stats")
    assert r.status_code == 200, h.describe(r)
    assert [s["name"] for s in r.json()["model_stats"]] == ["tiny"], r.json()


# ---- repository extension ------------------------------------------------------------

def index(srv, ready=None):
    r = post(srv, "/v2/repository/index", json={} if ready is None else {"ready": ready})
    assert r.status_code == 200, h.describe(r)
    return {row["name"]: row for row in r.json()}


def test_repository_index(srv):
    rows = index(srv)
    for name in ("tiny", "spare", "fashion"):
        assert rows[name]["state"] == "READY" and rows[name]["version"] == "1", rows
    assert {"tiny", "spare"} <= set(index(srv, ready=True)), rows


def test_repository_unload_then_load(srv):
    r = post(srv, "/v2/repository/models/spare/unload")
    assert r.status_code == 200, h.describe(r)
    r = get(srv, "/v2/models/spare/ready")
    assert r.status_code != 200, h.describe(r)
    assert index(srv)["spare"]["state"] == "UNAVAILABLE", index(srv)
    assert "spare" not in index(srv, ready=True)
    x = h.images(1, seed=11)
    r = post(srv, "/v2/models/spare/infer", json=h.json_infer_body(x))
    assert r.status_code in (404, 503), h.describe(r)
    h.error_message(r)
    # Other models are untouched.
    assert get(srv, "/v2/models/tiny/ready").status_code == 200

    r = post(srv, "/v2/repository/models/spare/load")
    assert r.status_code == 200, h.describe(r)
    r = get(srv, "/v2/models/spare/ready")
    assert r.status_code == 200, h.describe(r)
    assert index(srv)["spare"]["state"] == "READY"
    r = post(srv, "/v2/models/spare/infer", json=h.json_infer_body(x))
    assert r.status_code == 200, h.describe(r)
    outs, _ = h.decode_infer_response(r)
    h.assert_logits_close(outs["logits"], h.ort_run(h.TINY, x), "spare after reload")


def test_repository_load_unknown_model(srv):
    r = post(srv, "/v2/repository/models/no_such_model/load")
    assert r.status_code in (400, 404), h.describe(r)
    assert "no_such_model" in h.error_message(r)


# ---- metrics ---------------------------------------------------------------------------

def scrape(srv):
    r = requests.get(srv.metrics_url(), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)
    assert r.headers.get("Content-Type", "").startswith("text/plain"), h.describe(r)
    return h.parse_metrics(r.text)


def test_metrics_count_requests(srv):
    lab = {"model": "tiny", "version": "1"}
    m0 = scrape(srv)
    for seed in range(2):
        r = post(srv, "/v2/models/tiny/infer", json=h.json_infer_body(h.images(2, 20 + seed)))
        assert r.status_code == 200, h.describe(r)
    m1 = scrape(srv)

    def delta(name, **labels):
        return h.metric(m1, name, **labels) - h.metric(m0, name, **labels)

    assert delta("nv_inference_request_success", **lab) == 2
    assert delta("nv_inference_count", **lab) == 4
    assert delta("nv_inference_exec_count", **lab) == 2
    assert delta("fastserve_batch_size_count", **lab) == 2
    assert delta("fastserve_batch_size_sum", **lab) == 4
    for stage in ("queue", "compute", "total"):
        assert delta("fastserve_request_duration_seconds_count", stage=stage, **lab) == 2, stage
        assert h.has_metric(m1, "fastserve_request_duration_seconds_bucket", stage=stage, le="+Inf", **lab), stage
    assert h.has_metric(m1, "nv_inference_request_failure", **lab), "no nv_inference_request_failure series for tiny"


# ---- logs ------------------------------------------------------------------------------

def test_stderr_is_json_lines(srv):
    lines = [ln for ln in srv.log_text().splitlines() if ln.strip()]
    assert lines, "the server logged nothing at --log-level info"
    for ln in lines:
        try:
            obj = json.loads(ln)
        except ValueError:
            raise AssertionError(f"stderr line is not JSON: {ln!r}")
        assert isinstance(obj, dict), ln
