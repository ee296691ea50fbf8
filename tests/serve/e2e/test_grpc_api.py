# Every RPC of inference.GRPCInferenceService, through grpcio stubs generated
# at test time from proto/grpc_service.proto: health, metadata, ModelInfer
# (raw and typed contents, checked against ONNX Runtime), config, statistics,
# the repository calls, and the status codes of errors.
import numpy as np
import pytest

import serve_harness as h

SPARE_CONFIG = """
max_batch_size: 4
dynamic_batching { max_queue_delay_microseconds: 700 preferred_batch_size: [4] }
instance_group [{ count: 1, kind: KIND_CPU }]
"""


@pytest.fixture(scope="module")
def env(pool, tmp_path_factory):
    d = tmp_path_factory.mktemp("repo_grpc")
    affine = h.make_affine_model(d / "affine.onnx")
    repo = d / "repo"
    h.add_model(repo, "tiny", h.TINY)
    h.add_model(repo, "spare", h.TINY, config=SPARE_CONFIG)
    h.add_model(repo, "affine", affine)
    return pool.start("grpc", ["--model-repository", repo]), affine


@pytest.fixture
def api(env, grpc_api, make_stub):
    srv, affine = env
    grpc, pb, _, cfg = grpc_api
    return grpc, pb, cfg, make_stub(srv), affine


def infer_request(pb, model, x, input_name="input", version="", request_id="", outputs=()):
    req = pb.ModelInferRequest(model_name=model, model_version=version, id=request_id)
    t = req.inputs.add()
    t.name, t.datatype = input_name, "FP32"
    t.shape.extend(x.shape)
    req.raw_input_contents.append(np.ascontiguousarray(x, dtype="<f4").tobytes())
    for o in outputs:
        req.outputs.add().name = o
    return req


def output_array(resp, i=0):
    o = resp.outputs[i]
    assert o.datatype == "FP32", o
    return np.frombuffer(resp.raw_output_contents[i], dtype="<f4").reshape(list(o.shape))


def expect_error(grpc, fn, code, *names):
    with pytest.raises(grpc.RpcError) as ei:
        fn()
    err = ei.value
    assert err.code() == code, f"expected {code}, got {err.code()}: {err.details()!r}"
    for n in names:
        assert n in (err.details() or ""), f"{code} details do not name {n!r}: {err.details()!r}"
    return err.details()


def test_server_live_ready(api):
    grpc, pb, cfg, stub, _ = api
    assert stub.ServerLive(pb.ServerLiveRequest()).live is True
    assert stub.ServerReady(pb.ServerReadyRequest()).ready is True


def test_model_ready(api):
    grpc, pb, cfg, stub, _ = api
    assert stub.ModelReady(pb.ModelReadyRequest(name="tiny")).ready is True
    assert stub.ModelReady(pb.ModelReadyRequest(name="tiny", version="1")).ready is True
    # An unknown model is not ready: either ready=false or NOT_FOUND.
    try:
        assert stub.ModelReady(pb.ModelReadyRequest(name="no_such_model")).ready is False
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND, (e.code(), e.details())


def test_server_metadata(api):
    grpc, pb, cfg, stub, _ = api
    md = stub.ServerMetadata(pb.ServerMetadataRequest())
    assert md.name and md.version, md
    assert "binary_tensor_data" in md.extensions and "model_repository" in md.extensions, md


def test_model_metadata(api):
    grpc, pb, cfg, stub, _ = api
    md = stub.ModelMetadata(pb.ModelMetadataRequest(name="tiny"))
    assert md.name == "tiny" and list(md.versions) == ["1"] and md.platform == "onnxruntime_onnx", md
    assert [(t.name, t.datatype, list(t.shape)) for t in md.inputs] == [("input", "FP32", [-1, 1, 28, 28])], md
    assert [(t.name, t.datatype, list(t.shape)) for t in md.outputs] == [("logits", "FP32", [-1, 10])], md
    expect_error(grpc, lambda: stub.ModelMetadata(pb.ModelMetadataRequest(name="no_such_model")),
                 grpc.StatusCode.NOT_FOUND, "no_such_model")


def test_model_infer_raw_matches_ort(api):
    grpc, pb, cfg, stub, _ = api
    x = h.images(3, seed=31)
    resp = stub.ModelInfer(infer_request(pb, "tiny", x, request_id="grpc-1"), timeout=30)
    assert resp.model_name == "tiny" and resp.model_version == "1" and resp.id == "grpc-1", resp
    assert [o.name for o in resp.outputs] == ["logits"] and list(resp.outputs[0].shape) == [3, 10]
    h.assert_logits_close(output_array(resp), h.ort_run(h.TINY, x), "gRPC raw infer")


def test_model_infer_versioned_and_requested_output(api):
    grpc, pb, cfg, stub, _ = api
    x = h.images(1, seed=32)
    resp = stub.ModelInfer(infer_request(pb, "tiny", x, version="1", outputs=["logits"]), timeout=30)
    h.assert_logits_close(output_array(resp), h.ort_run(h.TINY, x), "gRPC infer version 1")


def test_model_infer_typed_contents(api):
    grpc, pb, cfg, stub, _ = api
    x = h.images(2, seed=33)
    req = pb.ModelInferRequest(model_name="tiny")
    t = req.inputs.add()
    t.name, t.datatype = "input", "FP32"
    t.shape.extend(x.shape)
    t.contents.fp32_contents.extend(x.reshape(-1).tolist())
    resp = stub.ModelInfer(req, timeout=30)
    h.assert_logits_close(output_array(resp), h.ort_run(h.TINY, x), "gRPC typed-contents infer")


def test_model_infer_errors(api):
    grpc, pb, cfg, stub, affine = api
    bad_shape = infer_request(pb, "affine", np.zeros((1, 5), np.float32), input_name="pixels_in")
    expect_error(grpc, lambda: stub.ModelInfer(bad_shape, timeout=30), grpc.StatusCode.INVALID_ARGUMENT, "pixels_in")

    short = infer_request(pb, "affine", np.zeros((1, 4), np.float32), input_name="pixels_in")
    short.raw_input_contents[0] = short.raw_input_contents[0][:10]
    expect_error(grpc, lambda: stub.ModelInfer(short, timeout=30), grpc.StatusCode.INVALID_ARGUMENT, "pixels_in")

    unknown_in = infer_request(pb, "affine", np.zeros((1, 4), np.float32), input_name="bogus_tensor")
    expect_error(grpc, lambda: stub.ModelInfer(unknown_in, timeout=30), grpc.StatusCode.INVALID_ARGUMENT,
                 "bogus_tensor")

    wrong_type = infer_request(pb, "affine", np.zeros((1, 4), np.float32), input_name="pixels_in")
    wrong_type.inputs[0].datatype = "INT32"
    expect_error(grpc, lambda: stub.ModelInfer(wrong_type, timeout=30), grpc.StatusCode.INVALID_ARGUMENT,
                 "pixels_in")

    expect_error(grpc, lambda: stub.ModelInfer(infer_request(pb, "no_such_model", h.images(1, 0)), timeout=30),
                 grpc.StatusCode.NOT_FOUND, "no_such_model")
    # Still serving, and right.
    x = np.arange(4, dtype=np.float32).reshape(1, 4)
    resp = stub.ModelInfer(infer_request(pb, "affine", x, input_name="pixels_in"), timeout=30)
    assert resp.outputs[0].name == "scores_out"
    h.assert_logits_close(output_array(resp), h.ort_run(affine, x, "pixels_in"), "gRPC affine after errors")


def test_model_config(api):
    grpc, pb, cfg, stub, _ = api
    c = stub.ModelConfig(pb.ModelConfigRequest(name="tiny")).config
    assert c.name == "tiny" and c.platform == "onnxruntime_onnx" and c.max_batch_size == 32, c
    assert c.HasField("dynamic_batching"), c
    assert [(i.name, cfg.DataType.Name(i.data_type), list(i.dims)) for i in c.input] == \
        [("input", "TYPE_FP32", [1, 28, 28])], c
    assert [(o.name, cfg.DataType.Name(o.data_type), list(o.dims)) for o in c.output] == \
        [("logits", "TYPE_FP32", [10])], c
    s = stub.ModelConfig(pb.ModelConfigRequest(name="spare", version="1")).config
    assert s.max_batch_size == 4, s
    assert s.dynamic_batching.max_queue_delay_microseconds == 700, s
    assert list(s.dynamic_batching.preferred_batch_size) == [4], s
    assert s.instance_group[0].count == 1, s
    assert cfg.ModelInstanceGroup.Kind.Name(s.instance_group[0].kind) == "KIND_CPU", s
    expect_error(grpc, lambda: stub.ModelConfig(pb.ModelConfigRequest(name="no_such_model")),
                 grpc.StatusCode.NOT_FOUND, "no_such_model")


def test_model_statistics(api):
    grpc, pb, cfg, stub, _ = api

    def tiny_stats():
        resp = stub.ModelStatistics(pb.ModelStatisticsRequest(name="tiny", version="1"))
        assert [(s.name, s.version) for s in resp.model_stats] == [("tiny", "1")], resp
        return resp.model_stats[0]

    before = tiny_stats()
    stub.ModelInfer(infer_request(pb, "tiny", h.images(2, 34)), timeout=30)
    stub.ModelInfer(infer_request(pb, "tiny", h.images(1, 35)), timeout=30)
    after = tiny_stats()
    assert after.inference_count - before.inference_count == 3, (before, after)
    assert after.execution_count - before.execution_count == 2, (before, after)
    assert after.inference_stats.success.count - before.inference_stats.success.count == 2, (before, after)
    assert after.last_inference >= before.last_inference and after.last_inference > 0
    every = stub.ModelStatistics(pb.ModelStatisticsRequest())
    assert {"tiny", "spare", "affine"} <= {s.name for s in every.model_stats}, every
    expect_error(grpc, lambda: stub.ModelStatistics(pb.ModelStatisticsRequest(name="no_such_model")),
                 grpc.StatusCode.NOT_FOUND, "no_such_model")


def test_repository_index_unload_load(api):
    grpc, pb, cfg, stub, _ = api
    rows = {m.name: m for m in stub.RepositoryIndex(pb.RepositoryIndexRequest()).models}
    assert rows["tiny"].state == "READY" and rows["tiny"].version == "1", rows
    assert rows["spare"].state == "READY", rows

    stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="spare"))
    assert stub.ModelReady(pb.ModelReadyRequest(name="spare")).ready is False
    rows = {m.name: m for m in stub.RepositoryIndex(pb.RepositoryIndexRequest()).models}
    assert rows["spare"].state == "UNAVAILABLE", rows
    ready_rows = {m.name for m in stub.RepositoryIndex(pb.RepositoryIndexRequest(ready=True)).models}
    assert "spare" not in ready_rows and "tiny" in ready_rows, ready_rows
    try:
        stub.ModelInfer(infer_request(pb, "spare", h.images(1, 36)), timeout=30)
        raise AssertionError("ModelInfer on an unloaded model succeeded")
    except grpc.RpcError as e:
        assert e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND), (e.code(), e.details())

    stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="spare"))
    assert stub.ModelReady(pb.ModelReadyRequest(name="spare")).ready is True
    x = h.images(2, seed=37)
    resp = stub.ModelInfer(infer_request(pb, "spare", x), timeout=30)
    h.assert_logits_close(output_array(resp), h.ort_run(h.TINY, x), "gRPC spare after reload")
    try:
        stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="no_such_model"))
        raise AssertionError("RepositoryModelLoad of a model not in the repository succeeded")
    except grpc.RpcError as e:
        assert e.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT), (e.code(), e.details())
        assert "no_such_model" in (e.details() or ""), e.details()
