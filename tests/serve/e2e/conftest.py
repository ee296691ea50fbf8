# Fixtures shared by the `fastserve serve` end-to-end tests: the binary (from
# FASTSERVE_BINARY), pools that start servers and stop every one of them when
# the module or test ends (pass or fail), and the gRPC stubs, generated at
# test time from proto/grpc_service.proto with grpc_tools.protoc.
import importlib
import subprocess
import sys

import pytest

import serve_harness as h


@pytest.fixture(scope="session")
def fastserve_binary():
    p = h.Path(h.BINARY)
    if not p.is_file():
        pytest.fail(f"FASTSERVE_BINARY={h.BINARY}: no such file", pytrace=False)
    r = subprocess.run([str(p), "serve", "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or "--ports-file" not in r.stdout:
        pytest.fail(f"{p} has no `serve` subcommand with --ports-file (`serve --help`: exit {r.returncode}):\n"
                    f"{r.stdout[-1500:]}{r.stderr[-1500:]}", pytrace=False)
    return p


@pytest.fixture(scope="module")
def pool(fastserve_binary, tmp_path_factory):
    """Servers that live for the whole module."""
    p = h.ServerPool(tmp_path_factory.mktemp("servers"))
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def fpool(fastserve_binary, tmp_path):
    """Servers that live for one test."""
    p = h.ServerPool(tmp_path / "servers")
    try:
        yield p
    finally:
        p.close()


@pytest.fixture(scope="session")
def grpc_api(tmp_path_factory):
    """(grpc module, grpc_service_pb2, grpc_service_pb2_grpc, model_config_pb2)."""
    import grpc
    out = tmp_path_factory.mktemp("grpc_stubs")
    proto = h.REPO_ROOT / "proto"
    cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{proto}", f"--python_out={out}",
           f"--grpc_python_out={out}", str(proto / "grpc_service.proto"), str(proto / "model_config.proto")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"protoc failed ({' '.join(cmd)}):\n{r.stdout}{r.stderr}"
    sys.path.insert(0, str(out))
    try:
        pb = importlib.import_module("grpc_service_pb2")
        pb_grpc = importlib.import_module("grpc_service_pb2_grpc")
        cfg = importlib.import_module("model_config_pb2")
    finally:
        sys.path.remove(str(out))
    return grpc, pb, pb_grpc, cfg


def grpc_stub(grpc_api, server):
    grpc, _, pb_grpc, _ = grpc_api
    channel = grpc.insecure_channel(server.grpc_target, options=[("grpc.enable_http_proxy", 0)])
    grpc.channel_ready_future(channel).result(timeout=15)
    return channel, pb_grpc.GRPCInferenceServiceStub(channel)


@pytest.fixture
def make_stub(grpc_api):
    """make_stub(server) -> stub; channels are closed after the test."""
    channels = []

    def make(server):
        channel, stub = grpc_stub(grpc_api, server)
        channels.append(channel)
        return stub

    try:
        yield make
    finally:
        for c in channels:
            c.close()
