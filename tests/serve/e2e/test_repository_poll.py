# Repository polling (--repository-poll-ms 200): a model copied into the
# repository becomes ready by itself and answers correctly, a new version of
# a served model replaces the old one, and a removed model is unloaded.
import os
import shutil
import time

import pytest
import requests

import serve_harness as h


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        ok, last = cond()
        if ok:
            return last
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s (last: {last})")


@pytest.fixture(scope="module")
def env(pool, tmp_path_factory):
    d = tmp_path_factory.mktemp("poll")
    repo = d / "repo"
    h.add_model(repo, "tiny", h.TINY)
    srv = pool.start("poll", ["--model-repository", repo, "--repository-poll-ms", 200])
    return srv, repo, d


def move_in(d, repo, name, model, version):
    """Builds <name>/<version>/model.onnx outside the repository, then renames it in (atomic)."""
    staging = d / f"staging_{name}_{version}"
    (staging / str(version)).mkdir(parents=True)
    shutil.copyfile(model, staging / str(version) / "model.onnx")
    target = repo / name
    if target.exists():
        os.rename(staging / str(version), target / str(version))
    else:
        os.rename(staging, target)


def ready(srv, path):
    def cond():
        r = requests.get(srv.url(path), timeout=h.HTTP_TIMEOUT)
        return r.status_code == 200, r.status_code
    return cond


def test_copied_in_model_becomes_ready(env):
    srv, repo, d = env
    assert requests.get(srv.url("/v2/models/newcomer/ready"), timeout=h.HTTP_TIMEOUT).status_code != 200
    move_in(d, repo, "newcomer", h.FASHION, 1)
    wait_for(ready(srv, "/v2/models/newcomer/ready"), 10, "the copied-in model 'newcomer' did not become ready")
    x = h.images(2, seed=600)
    r = requests.post(srv.url("/v2/models/newcomer/infer"), json=h.json_infer_body(x), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)
    h.assert_logits_close(h.decode_infer_response(r)[0]["logits"], h.ort_run(h.FASHION, x), "polled-in model")
    rows = requests.post(srv.url("/v2/repository/index"), json={}, timeout=h.HTTP_TIMEOUT).json()
    assert any(row["name"] == "newcomer" and row["state"] == "READY" for row in rows), rows


def test_new_version_replaces_old(env):
    srv, repo, d = env
    move_in(d, repo, "tiny", h.FASHION, 2)

    def versions():
        md = requests.get(srv.url("/v2/models/tiny"), timeout=h.HTTP_TIMEOUT).json()
        return md.get("versions") == ["2"], md
    wait_for(versions, 10, "version 2 of 'tiny' did not replace version 1")
    x = h.images(1, seed=601)
    r = requests.post(srv.url("/v2/models/tiny/infer"), json=h.json_infer_body(x), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, h.describe(r)
    outs, body = h.decode_infer_response(r)
    assert body["model_version"] == "2", body
    h.assert_logits_close(outs["logits"], h.ort_run(h.FASHION, x), "polled-in version 2")


def test_removed_model_is_unloaded(env):
    srv, repo, d = env
    shutil.rmtree(repo / "newcomer")

    def gone():
        r = requests.get(srv.url("/v2/models/newcomer/ready"), timeout=h.HTTP_TIMEOUT)
        return r.status_code != 200, r.status_code
    wait_for(gone, 10, "the removed model 'newcomer' was still ready")
    assert requests.get(srv.url("/v2/health/live"), timeout=h.HTTP_TIMEOUT).status_code == 200
