# Triton's own Python client (tritonclient.http and tritonclient.grpc)
# against the server, unchanged: health, metadata, config, infer (binary and
# JSON tensors on HTTP, checked against ONNX Runtime), async_infer,
# statistics, the repository calls and an error that names the input.
import importlib
import queue
import sys

import numpy as np
import pytest

import serve_harness as h

httpclient = pytest.importorskip("tritonclient.http", reason="tritonclient is not installed (tools/setup_venv.sh)")
from tritonclient.utils import InferenceServerException  # noqa: E402


def import_tritonclient_grpc():
    """tritonclient.grpc, its generated modules put in a descriptor pool of their own.

    They define grpc_service.proto / model_config.proto and the inference.*
    messages, and so do the stubs that conftest.py generates from our proto/;
    protobuf's default pool holds one definition per name, so whichever came
    second would fail to import ("duplicate file name model_config.proto").
    The modules that import registers other files from (the well-known
    types, json_format, grpc) are imported first, so only Triton's two files
    go to the private pool."""
    if "tritonclient.grpc" in sys.modules:
        return sys.modules["tritonclient.grpc"]
    import grpc  # noqa: F401
    from google.protobuf import descriptor_pool, json_format  # noqa: F401
    for wkt in ("any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers", "descriptor"):
        importlib.import_module(f"google.protobuf.{wkt}_pb2")
    private, default = descriptor_pool.DescriptorPool(), descriptor_pool.Default
    descriptor_pool.Default = lambda: private
    try:
        return importlib.import_module("tritonclient.grpc")
    finally:
        descriptor_pool.Default = default


try:
    grpcclient = import_tritonclient_grpc()
except ImportError as e:
    pytest.skip(f"tritonclient.grpc does not import ({e}; tools/setup_venv.sh)", allow_module_level=True)

# A model only the statistics tests send to, and one only the load/unload
# tests unload, so the other tests never see their effects.
MODELS = ("tiny", "stats_http", "stats_grpc", "spare_http", "spare_grpc")


@pytest.fixture(scope="module")
def srv(pool, tmp_path_factory):
    repo = tmp_path_factory.mktemp("repo_tritonclient") / "repo"
    for name in MODELS:
        h.add_model(repo, name, h.TINY)
    return pool.start("tritonclient", ["--model-repository", repo])


@pytest.fixture
def http(srv):
    c = httpclient.InferenceServerClient(f"{h.HOST}:{srv.http_port}", concurrency=2,
                                         connection_timeout=h.HTTP_TIMEOUT, network_timeout=h.HTTP_TIMEOUT)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def grpc_client(srv):
    c = grpcclient.InferenceServerClient(srv.grpc_target)
    try:
        yield c
    finally:
        c.close()


def http_input(x, binary_data=True, name="input"):
    i = httpclient.InferInput(name, list(x.shape), "FP32")
    i.set_data_from_numpy(x, binary_data=binary_data)
    return i


def grpc_input(x, name="input"):
    i = grpcclient.InferInput(name, list(x.shape), "FP32")
    i.set_data_from_numpy(x)
    return i


def check_logits(result, x, what):
    got = result.as_numpy("logits")
    assert got is not None, f"{what}: no output 'logits' in {result.get_response()}"
    assert got.dtype == np.float32, f"{what}: logits dtype {got.dtype}"
    h.assert_logits_close(got, h.ort_run(h.TINY, x), what)


# ---- HTTP ---------------------------------------------------------------------

def test_http_health(http):
    assert http.is_server_live()
    assert http.is_server_ready()
    assert http.is_model_ready("tiny")
    assert http.is_model_ready("tiny", "1")
    assert not http.is_model_ready("no_such_model")


def test_http_server_metadata(http):
    md = http.get_server_metadata()
    assert md["name"] == "fastserve", md
    assert isinstance(md["version"], str) and md["version"], md
    for ext in ("binary_tensor_data", "model_repository", "statistics", "model_configuration"):
        assert ext in md["extensions"], md


def test_http_model_metadata(http):
    md = http.get_model_metadata("tiny")
    assert md["name"] == "tiny" and md["versions"] == ["1"], md
    assert md["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 1, 28, 28]}], md
    assert md["outputs"] == [{"name": "logits", "datatype": "FP32", "shape": [-1, 10]}], md
    assert http.get_model_metadata("tiny", model_version="1")["name"] == "tiny"


def test_http_model_config(http):
    cfg = http.get_model_config("tiny")
    assert cfg["name"] == "tiny", cfg
    assert cfg["max_batch_size"] == 32, cfg
    assert [(t["name"], t["data_type"], t["dims"]) for t in cfg["input"]] == [("input", "TYPE_FP32", [1, 28, 28])], cfg
    assert [(t["name"], t["data_type"], t["dims"]) for t in cfg["output"]] == [("logits", "TYPE_FP32", [10])], cfg


@pytest.mark.parametrize("binary_data", [True, False], ids=["binary", "json"])
def test_http_infer_matches_ort(http, binary_data):
    x = h.images(3, seed=11)
    out = httpclient.InferRequestedOutput("logits", binary_data=binary_data)
    r = http.infer("tiny", [http_input(x, binary_data)], outputs=[out], request_id=f"tc-{binary_data}")
    resp = r.get_response()
    assert resp["model_name"] == "tiny" and resp["model_version"] == "1", resp
    assert resp.get("id") == f"tc-{binary_data}", resp
    (o,) = resp["outputs"]
    assert o["shape"] == [3, 10] and o["datatype"] == "FP32", o
    # The output came in the form asked for.
    assert ("binary_data_size" in (o.get("parameters") or {})) == binary_data, o
    assert ("data" in o) == (not binary_data), o
    check_logits(r, x, f"tritonclient.http infer binary_data={binary_data}")


def test_http_infer_binary_in_json_out_and_no_outputs_named(http):
    x = h.images(1, seed=12)
    r = http.infer("tiny", [http_input(x, True)], outputs=[httpclient.InferRequestedOutput("logits", binary_data=False)])
    check_logits(r, x, "binary in, JSON out")
    # No outputs named: every output comes back.
    r = http.infer("tiny", [http_input(x, False)], model_version="1")
    check_logits(r, x, "JSON in, default outputs")


def test_http_async_infer(http):
    xs = [h.images(n, seed=20 + n) for n in (1, 2, 4)]
    pending = [http.async_infer("tiny", [http_input(x)], outputs=[httpclient.InferRequestedOutput("logits")])
               for x in xs]
    for x, p in zip(xs, pending):
        check_logits(p.get_result(timeout=h.HTTP_TIMEOUT), x, f"tritonclient.http async_infer batch {len(x)}")


def test_http_inference_statistics(http):
    def success(stats):
        (s,) = [m for m in stats["model_stats"] if m["name"] == "stats_http" and m["version"] == "1"]
        return s["inference_stats"]["success"]["count"], s["inference_count"]

    before = success(http.get_inference_statistics("stats_http"))
    for n in (1, 3):
        x = h.images(n, seed=30 + n)
        check_logits(http.infer("stats_http", [http_input(x)]), x, "stats_http")
    after = success(http.get_inference_statistics("stats_http", model_version="1"))
    assert after[0] - before[0] == 2, f"success count {before[0]} -> {after[0]} after 2 requests"
    assert after[1] - before[1] == 4, f"inference_count {before[1]} -> {after[1]} after 4 items"
    # Without a model name: every model's statistics.
    names = {m["name"] for m in http.get_inference_statistics()["model_stats"]}
    assert set(MODELS) <= names, names


def test_http_repository_index(http):
    index = http.get_model_repository_index()
    by_name = {m["name"]: m for m in index}
    assert set(MODELS) <= set(by_name), index
    assert by_name["tiny"]["state"] == "READY", by_name["tiny"]


def test_http_unload_and_load(http):
    x = h.images(1, seed=40)
    http.unload_model("spare_http")
    assert not http.is_model_ready("spare_http")
    with pytest.raises(InferenceServerException) as ei:
        http.infer("spare_http", [http_input(x)])
    assert ei.value.status() in ("404", "503"), (ei.value.status(), ei.value.message())
    assert http.is_model_ready("tiny"), "unloading spare_http affected tiny"
    http.load_model("spare_http")
    assert http.is_model_ready("spare_http")
    check_logits(http.infer("spare_http", [http_input(x)]), x, "spare_http after load")


def test_http_wrong_input_name_is_an_error_naming_it(http):
    x = h.images(1, seed=50)
    with pytest.raises(InferenceServerException) as ei:
        http.infer("tiny", [http_input(x, name="pixels_wrong")])
    assert ei.value.status() == "400", (ei.value.status(), ei.value.message())
    assert "pixels_wrong" in ei.value.message(), ei.value.message()
    assert http.is_server_ready()


def test_http_unknown_model_is_an_error(http):
    with pytest.raises(InferenceServerException) as ei:
        http.infer("no_such_model", [http_input(h.images(1, seed=51))])
    assert ei.value.status() == "404", (ei.value.status(), ei.value.message())
    assert "no_such_model" in ei.value.message(), ei.value.message()


# ---- gRPC ---------------------------------------------------------------------

def test_grpc_health(grpc_client):
    assert grpc_client.is_server_live()
    assert grpc_client.is_server_ready()
    assert grpc_client.is_model_ready("tiny")
    assert grpc_client.is_model_ready("tiny", "1")
    # Triton's client raises on NOT_FOUND or returns False on ready=false.
    try:
        assert not grpc_client.is_model_ready("no_such_model")
    except InferenceServerException as e:
        assert e.status() == "StatusCode.NOT_FOUND", (e.status(), e.message())


def test_grpc_server_metadata(grpc_client):
    md = grpc_client.get_server_metadata()
    assert md.name == "fastserve" and md.version, md
    for ext in ("binary_tensor_data", "model_repository", "statistics", "model_configuration"):
        assert ext in md.extensions, md
    assert grpc_client.get_server_metadata(as_json=True)["name"] == "fastserve"


def test_grpc_model_metadata(grpc_client):
    md = grpc_client.get_model_metadata("tiny")
    assert md.name == "tiny" and list(md.versions) == ["1"], md
    assert [(t.name, t.datatype, list(t.shape)) for t in md.inputs] == [("input", "FP32", [-1, 1, 28, 28])], md
    assert [(t.name, t.datatype, list(t.shape)) for t in md.outputs] == [("logits", "FP32", [-1, 10])], md


def test_grpc_model_config(grpc_client):
    cfg = grpc_client.get_model_config("tiny").config
    assert cfg.name == "tiny" and cfg.max_batch_size == 32, cfg
    assert [(t.name, list(t.dims)) for t in cfg.input] == [("input", [1, 28, 28])], cfg
    assert [(t.name, list(t.dims)) for t in cfg.output] == [("logits", [10])], cfg
    # TYPE_FP32 is 11 in Triton's DataType enum.
    assert cfg.input[0].data_type == 11 and cfg.output[0].data_type == 11, cfg
    assert grpc_client.get_model_config("tiny", as_json=True)["config"]["input"][0]["data_type"] == "TYPE_FP32"


@pytest.mark.parametrize("batch", [1, 5])
def test_grpc_infer_matches_ort(grpc_client, batch):
    x = h.images(batch, seed=60 + batch)
    r = grpc_client.infer("tiny", [grpc_input(x)], outputs=[grpcclient.InferRequestedOutput("logits")],
                          request_id=f"tc-grpc-{batch}")
    resp = r.get_response()
    assert resp.model_name == "tiny" and resp.model_version == "1", resp
    assert resp.id == f"tc-grpc-{batch}", resp
    assert [(o.name, o.datatype, list(o.shape)) for o in resp.outputs] == [("logits", "FP32", [batch, 10])], resp
    check_logits(r, x, f"tritonclient.grpc infer batch {batch}")
    # No outputs named: every output comes back.
    check_logits(grpc_client.infer("tiny", [grpc_input(x)], model_version="1"), x, "gRPC default outputs")


def test_grpc_async_infer(grpc_client):
    xs = [h.images(n, seed=70 + n) for n in (1, 2, 4)]
    done = queue.Queue()
    for i, x in enumerate(xs):
        # Triton's client calls callback(result=..., error=...) by keyword.
        grpc_client.async_infer("tiny", [grpc_input(x)],
                                callback=lambda result, error, i=i: done.put((i, result, error)),
                                outputs=[grpcclient.InferRequestedOutput("logits")])
    seen = set()
    for _ in xs:
        i, result, error = done.get(timeout=h.HTTP_TIMEOUT)
        assert error is None, f"async_infer {i}: {error}"
        check_logits(result, xs[i], f"tritonclient.grpc async_infer batch {len(xs[i])}")
        seen.add(i)
    assert seen == set(range(len(xs)))


def test_grpc_inference_statistics(grpc_client):
    def success(stats):
        (s,) = [m for m in stats.model_stats if m.name == "stats_grpc" and m.version == "1"]
        return s.inference_stats.success.count, s.inference_count

    before = success(grpc_client.get_inference_statistics("stats_grpc"))
    for n in (2, 3):
        x = h.images(n, seed=80 + n)
        check_logits(grpc_client.infer("stats_grpc", [grpc_input(x)]), x, "stats_grpc")
    after = success(grpc_client.get_inference_statistics("stats_grpc", model_version="1"))
    assert after[0] - before[0] == 2, f"success count {before[0]} -> {after[0]} after 2 requests"
    assert after[1] - before[1] == 5, f"inference_count {before[1]} -> {after[1]} after 5 items"
    names = {m.name for m in grpc_client.get_inference_statistics().model_stats}
    assert set(MODELS) <= names, names


def test_grpc_repository_index(grpc_client):
    index = grpc_client.get_model_repository_index()
    by_name = {m.name: m for m in index.models}
    assert set(MODELS) <= set(by_name), index
    assert by_name["tiny"].state == "READY", by_name["tiny"]


def test_grpc_unload_and_load(grpc_client):
    x = h.images(2, seed=90)
    grpc_client.unload_model("spare_grpc")
    assert not grpc_client.is_model_ready("spare_grpc")
    with pytest.raises(InferenceServerException) as ei:
        grpc_client.infer("spare_grpc", [grpc_input(x)])
    assert ei.value.status() in ("StatusCode.NOT_FOUND", "StatusCode.UNAVAILABLE"), \
        (ei.value.status(), ei.value.message())
    assert grpc_client.is_model_ready("tiny"), "unloading spare_grpc affected tiny"
    grpc_client.load_model("spare_grpc")
    assert grpc_client.is_model_ready("spare_grpc")
    check_logits(grpc_client.infer("spare_grpc", [grpc_input(x)]), x, "spare_grpc after load")


def test_grpc_wrong_input_name_is_an_error_naming_it(grpc_client):
    x = h.images(1, seed=100)
    with pytest.raises(InferenceServerException) as ei:
        grpc_client.infer("tiny", [grpc_input(x, name="pixels_wrong")])
    assert ei.value.status() == "StatusCode.INVALID_ARGUMENT", (ei.value.status(), ei.value.message())
    assert "pixels_wrong" in ei.value.message(), ei.value.message()
    assert grpc_client.is_server_ready()


def test_grpc_unknown_model_is_an_error(grpc_client):
    with pytest.raises(InferenceServerException) as ei:
        grpc_client.infer("no_such_model", [grpc_input(h.images(1, seed=101))])
    assert ei.value.status() == "StatusCode.NOT_FOUND", (ei.value.status(), ei.value.message())
    assert "no_such_model" in ei.value.message(), ei.value.message()
