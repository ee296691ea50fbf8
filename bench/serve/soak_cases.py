"""What soak.py sends besides `fastserve bench`: the catalogue of invalid requests (HTTP on a
kept-alive connection, raw bytes on a socket, gRPC messages encoded by hand) with the answer
each may get, and the valid requests whose answers are checked against `fastserve run`.
Standard library only; the gRPC cases need the `grpc` module and are skipped without it."""
import array
import json
import random
import re
import sys

import soak_wire
from soak_wire import grpc_infer_message, http_head, raw_exchange

# The models soak.py serves: TINY by --model (no batching), BATCHED from a repository with
# dynamic batching (max_batch_size 32). Both: input "input" FP32 [B,1,28,28] -> "logits" [B,10].
TINY, BATCHED = "tiny", "fashion_b"
MODELS = (TINY, BATCHED)
IMAGE = (1, 28, 28)
PIXELS = 28 * 28
CLASSES = 10
MAX_BATCH = 32

# What an answer may be, per case.
ACCEPT_4XX = "4xx"                # an HTTP 4xx answer and nothing else
ACCEPT_4XX_OR_CLOSE = "4xx|close"  # a 4xx, or the server closing the connection without one
ACCEPT_SENT = "sent"              # we drop the connection ourselves: nothing to wait for
ACCEPT_GRPC_ERROR = "grpc error"  # a gRPC status that blames the client
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # what an HTTP/2 connection opens with
GRPC_CLIENT_CODES = {"INVALID_ARGUMENT", "NOT_FOUND", "OUT_OF_RANGE", "FAILED_PRECONDITION",
                     "RESOURCE_EXHAUSTED", "UNIMPLEMENTED"}


def is_4xx(outcome):
    """An HTTP 4xx answer after which the connection behaved ("http 400", not "http 400 left open")."""
    return re.fullmatch(r"http 4\d\d", outcome) is not None


def accepted(outcome, policy):
    if policy == ACCEPT_4XX:
        return is_4xx(outcome)
    if policy == ACCEPT_4XX_OR_CLOSE:
        return is_4xx(outcome) or outcome in ("closed", "reset")
    if policy == ACCEPT_SENT:
        return outcome == "sent"
    if policy == ACCEPT_GRPC_ERROR:
        return outcome.startswith("grpc ") and outcome[5:] in GRPC_CLIENT_CODES
    raise ValueError(policy)


# ---- valid requests and their references -----------------------------------------------------

class References:
    """Fixed inputs per (model, batch) and the outputs `fastserve run` gave for them; request
    bodies are built once."""

    def __init__(self, inputs, outputs):
        self.inputs = inputs    # {(model, batch): flat list}
        self.outputs = outputs  # {(model, batch): flat list}
        self.keys = sorted(inputs)
        self.json_bodies = {k: json.dumps({"inputs": [{"name": "input", "shape": [k[1], *IMAGE], "datatype": "FP32",
                                                       "data": v}]}).encode() for k, v in inputs.items()}
        self.binary_bodies = {}
        for k, v in inputs.items():
            header = json.dumps({"inputs": [{"name": "input", "shape": [k[1], *IMAGE], "datatype": "FP32",
                                             "parameters": {"binary_data_size": 4 * len(v)}}],
                                 "outputs": [{"name": "logits", "parameters": {"binary_data": True}}]}).encode()
            self.binary_bodies[k] = (header + array.array("f", v).tobytes(), len(header))


def seeded_inputs(seed, batches=(1, 3)):
    rng = random.Random(seed)
    return {(m, b): [round(rng.gauss(0.0, 1.0), 4) for _ in range(b * PIXELS)] for m in MODELS for b in batches}


def valid_http_request(refs, key, binary):
    model = key[0]
    if binary:
        body, hlen = refs.binary_bodies[key]
        headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(hlen)}
    else:
        body, headers = refs.json_bodies[key], {"Content-Type": "application/json"}
    return "POST", f"/v2/models/{model}/infer", body, headers


def compare(refs, key, shape, values):
    """None when `values` of `shape` match the reference, else what is wrong."""
    want = refs.outputs[key]
    if list(shape) != [key[1], CLASSES]:
        return f"output shape {list(shape)}, want [{key[1]}, {CLASSES}]"
    if len(values) != len(want):
        return f"{len(values)} output values, want {len(want)}"
    tol = 1e-4 * max(1.0, max(abs(w) for w in want))
    err = max(abs(a - b) for a, b in zip(values, want))
    return None if err <= tol else f"max abs error {err:.3g} vs `fastserve run` > {tol:.3g}"


def check_http_answer(refs, key, status, headers, data):
    """None when an infer answer is right, else a description."""
    if status != 200:
        return f"HTTP {status}: {data[:300]!r}"
    try:
        hlen = headers.get("Inference-Header-Content-Length")
        header = json.loads(data[:int(hlen)] if hlen is not None else data)
        rest = data[int(hlen):] if hlen is not None else b""
        out = next(o for o in header["outputs"] if o["name"] == "logits")
        if out.get("datatype") != "FP32":
            return f"logits datatype {out.get('datatype')}"
        size = (out.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            values = array.array("f")
            values.frombytes(rest[:int(size)])
            if sys.byteorder != "little":
                values.byteswap()
        else:
            values = out["data"]
        return compare(refs, key, out["shape"], list(values))
    except (ValueError, KeyError, TypeError, StopIteration) as e:
        return f"unreadable answer ({e!r}): {data[:300]!r}"


def check_grpc_answer(refs, key, data):
    """None when a ModelInferResponse (bytes) holds the right logits, else a description."""
    try:
        fields = soak_wire.parse_fields(data)
        outs = [soak_wire.parse_fields(v) for n, _, v in fields if n == 5]
        raws = [v for n, _, v in fields if n == 6]
        for k, out in enumerate(outs):
            name = next((v for n, _, v in out if n == 1), b"").decode()
            if name != "logits":
                continue
            shape = []
            for n, wire, v in out:
                if n == 3:
                    if wire == 0:
                        shape.append(v)
                    else:
                        j = 0
                        while j < len(v):
                            d, j = soak_wire.read_varint(v, j)
                            shape.append(d)
            values = array.array("f")
            values.frombytes(raws[k])
            if sys.byteorder != "little":
                values.byteswap()
            return compare(refs, key, shape, list(values))
        return "no logits output in the gRPC answer"
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        return f"unreadable gRPC answer: {e!r}"


# ---- the invalid cases -----------------------------------------------------------------------

class Case:
    """kind: "http" (run(ctx) -> (method, path, body, headers), sent on the kept-alive
    connection), "raw" (run(ctx) -> (outcome, answer head), its own socket) or "grpc"
    (run(ctx) -> message bytes). every: run once in that many passes over the catalogue."""

    def __init__(self, name, kind, accept, run, every=1):
        self.name, self.kind, self.accept, self.run, self.every = name, kind, accept, run, every


def _json_infer(model, inputs, outputs=None, extra=None):
    body = {"inputs": inputs}
    if outputs is not None:
        body["outputs"] = [{"name": o} for o in outputs]
    if extra:
        body.update(extra)
    return ("POST", f"/v2/models/{model}/infer", json.dumps(body).encode(), {"Content-Type": "application/json"})


def _tensor(shape, data, name="input", datatype="FP32"):
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}


def _binary_infer(model, shape, declared, payload, hlen_text=None, header_bytes=None):
    header = header_bytes if header_bytes is not None else json.dumps(
        {"inputs": [{"name": "input", "shape": shape, "datatype": "FP32",
                     "parameters": {"binary_data_size": declared}}]}).encode()
    hlen = hlen_text if hlen_text is not None else str(len(header))
    return ("POST", f"/v2/models/{model}/infer", header + payload,
            {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": hlen})


class Context:
    """What the cases need: ports, the size limit, a seeded RNG, and reusable payloads."""

    def __init__(self, http_port, grpc_port, metrics_port, max_request_bytes, seed, timeout):
        self.http_port, self.grpc_port, self.metrics_port = http_port, grpc_port, metrics_port
        self.max_request_bytes, self.timeout = max_request_bytes, timeout
        self.rng = random.Random(seed)
        self.image = [0.25] * PIXELS
        self.image_bytes = array.array("f", self.image).tobytes()

    def model(self):
        return self.rng.choice(MODELS)

    def garbage(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))


def _oversized(ctx):
    # A well-formed binary request whose body is past --max-request-bytes by a random margin.
    n = (ctx.max_request_bytes // 4) + ctx.rng.randint(1, 4096)
    header = json.dumps({"inputs": [{"name": "input", "shape": [1, n], "datatype": "FP32",
                                     "parameters": {"binary_data_size": 4 * n}}]}).encode()
    body = header + b"\0" * (4 * n)
    head = http_head("POST", f"/v2/models/{ctx.model()}/infer", len(body),
                     ["Content-Type: application/octet-stream", f"Inference-Header-Content-Length: {len(header)}"])
    return raw_exchange(ctx.http_port, head + body, ctx.timeout)


def _oversized_chunked(ctx):
    chunk = 65536
    count = ctx.max_request_bytes // chunk + 2
    body = b"".join(b"%x\r\n" % chunk + b"7" * chunk + b"\r\n" for _ in range(count)) + b"0\r\n\r\n"
    head = http_head("POST", f"/v2/models/{ctx.model()}/infer", None,
                     ["Content-Type: application/json", "Transfer-Encoding: chunked"])
    return raw_exchange(ctx.http_port, head + body, ctx.timeout)


def _truncated_body(ctx):
    body = json.dumps({"inputs": [_tensor([1, *IMAGE], ctx.image)]}).encode()
    cut = ctx.rng.randint(1, len(body) - 1)
    head = http_head("POST", f"/v2/models/{ctx.model()}/infer", len(body), ["Content-Type: application/json"])
    return raw_exchange(ctx.http_port, head + body[:cut], ctx.timeout, half_close=True)


def _truncated_headers(ctx):
    head = http_head("POST", f"/v2/models/{ctx.model()}/infer", 4000, ["Content-Type: application/json"])
    return raw_exchange(ctx.http_port, head[:ctx.rng.randint(1, len(head) - 3)], ctx.timeout, half_close=True)


def _stalled_body(ctx):
    # Half the body, then silence with the connection open: the server's read timeout must end it.
    body = json.dumps({"inputs": [_tensor([1, *IMAGE], ctx.image)]}).encode()
    head = http_head("POST", f"/v2/models/{ctx.model()}/infer", len(body), ["Content-Type: application/json"])
    return raw_exchange(ctx.http_port, head + body[:len(body) // 2], ctx.timeout)


def _drop_mid_body(ctx):
    header = json.dumps({"inputs": [{"name": "input", "shape": [1, *IMAGE], "datatype": "FP32",
                                     "parameters": {"binary_data_size": 4 * PIXELS}}]}).encode()
    body = header + ctx.image_bytes
    head = http_head("POST", f"/v2/models/{ctx.model()}/infer", len(body),
                     ["Content-Type: application/octet-stream", f"Inference-Header-Content-Length: {len(header)}"])
    return raw_exchange(ctx.http_port, head + body[:ctx.rng.randint(1, len(body) - 1)], ctx.timeout, drop=True)


def _drop_mid_headers(ctx):
    head = http_head("POST", f"/v2/models/{ctx.model()}/infer", 4000, ["Content-Type: application/json"])
    return raw_exchange(ctx.http_port, head[:ctx.rng.randint(1, len(head) - 3)], ctx.timeout, drop=True)


def _drop_before_answer(ctx):
    # A complete valid request, then a reset: the server computes and writes to a dead socket.
    body = json.dumps({"inputs": [_tensor([1, *IMAGE], ctx.image)]}).encode()
    head = http_head("POST", f"/v2/models/{ctx.model()}/infer", len(body), ["Content-Type: application/json"])
    return raw_exchange(ctx.http_port, head + body, ctx.timeout, drop=True)


def _drop_grpc_mid_call(ctx):
    # The HTTP/2 preface and a SETTINGS frame, then a HEADERS frame cut short, then a reset.
    frames = H2_PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00" + \
        b"\x00\x00\x40\x01\x04\x00\x00\x00\x01" + ctx.garbage(20)
    return raw_exchange(ctx.grpc_port, frames, ctx.timeout, drop=True)


def _garbage(port_attr, half_close, preface=b""):
    def run(ctx):
        return raw_exchange(getattr(ctx, port_attr), preface + ctx.garbage(ctx.rng.randint(1, 4096)), ctx.timeout,
                            half_close=half_close)
    return run


def _raw_text(text, half_close=True):
    def run(ctx):
        return raw_exchange(ctx.http_port, text, ctx.timeout, half_close=half_close)
    return run


def _http1_on_grpc(ctx):
    return raw_exchange(ctx.grpc_port, http_head("POST", "/v2/models/tiny/infer", 2) + b"{}", ctx.timeout)


def _long_uri(ctx):
    return raw_exchange(ctx.http_port, http_head("GET", "/v2/models/" + "a" * 20000), ctx.timeout)


def http_cases():
    img = [0.25] * PIXELS
    img_bytes = array.array("f", img).tobytes()
    C = Case
    return [
        C("malformed_json", "http", ACCEPT_4XX, lambda c: (
            "POST", f"/v2/models/{c.model()}/infer", b'{"inputs": [{"name": "input", "shape": [1, 1, 28, 28], ',
            {"Content-Type": "application/json"})),
        C("json_not_an_object", "http", ACCEPT_4XX, lambda c: (
            "POST", f"/v2/models/{c.model()}/infer", b"[1, 2, 3]", {"Content-Type": "application/json"})),
        C("inputs_not_an_array", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), "nope")),
        C("nan_literal", "http", ACCEPT_4XX, lambda c: (
            "POST", f"/v2/models/{c.model()}/infer",
            b'{"inputs":[{"name":"input","shape":[1,1,28,28],"datatype":"FP32","data":[NaN]}]}',
            {"Content-Type": "application/json"})),
        C("wrong_shape", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), [_tensor([1, 1, 28, 27], img[:756])])),
        C("wrong_rank", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), [_tensor([1, PIXELS], img)])),
        C("data_count_mismatch", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), [_tensor([1, *IMAGE], img[:5])])),
        C("wrong_datatype", "http", ACCEPT_4XX, lambda c: _json_infer(
            c.model(), [_tensor([1, *IMAGE], [1] * PIXELS, datatype="INT32")])),
        C("unknown_datatype", "http", ACCEPT_4XX, lambda c: _json_infer(
            c.model(), [_tensor([1, *IMAGE], img, datatype="FLOAT99")])),
        C("ragged_data", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), [_tensor([1, 2], [[1.0], [2.0, 3.0]])])),
        C("string_data", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), [_tensor([1, *IMAGE], ["a"] * PIXELS)])),
        C("unknown_model", "http", ACCEPT_4XX, lambda c: _json_infer("no_such_model", [_tensor([1, *IMAGE], img)])),
        C("unknown_version", "http", ACCEPT_4XX, lambda c: (
            "POST", f"/v2/models/{c.model()}/versions/7/infer",
            json.dumps({"inputs": [_tensor([1, *IMAGE], img)]}).encode(),
            {"Content-Type": "application/json"})),
        C("unknown_input", "http", ACCEPT_4XX, lambda c: _json_infer(
            c.model(), [_tensor([1, *IMAGE], img, name="bogus")])),
        C("missing_input", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), [])),
        C("duplicate_input", "http", ACCEPT_4XX, lambda c: _json_infer(
            c.model(), [_tensor([1, *IMAGE], img), _tensor([1, *IMAGE], img)])),
        C("unknown_output", "http", ACCEPT_4XX, lambda c: _json_infer(
            c.model(), [_tensor([1, *IMAGE], img)], outputs=["no_such_output"])),
        C("huge_dims", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), [_tensor([1 << 40, *IMAGE], img)])),
        C("overflowing_dims", "http", ACCEPT_4XX, lambda c: _json_infer(
            c.model(), [_tensor([1 << 31, 1 << 31, 28, 28], img)])),
        C("negative_dim", "http", ACCEPT_4XX, lambda c: _json_infer(c.model(), [_tensor([-1, *IMAGE], img)])),
        C("over_max_batch", "http", ACCEPT_4XX, lambda c: _binary_infer(
            BATCHED, [MAX_BATCH + 1, *IMAGE], 4 * PIXELS * (MAX_BATCH + 1), img_bytes * (MAX_BATCH + 1))),
        C("binary_size_mismatch", "http", ACCEPT_4XX, lambda c: _binary_infer(
            c.model(), [1, *IMAGE], 12, img_bytes[:12])),
        C("binary_body_short", "http", ACCEPT_4XX, lambda c: _binary_infer(
            c.model(), [1, *IMAGE], 4 * PIXELS, img_bytes[:c.rng.randint(1, 4 * PIXELS - 1)])),
        C("binary_body_long", "http", ACCEPT_4XX, lambda c: _binary_infer(
            c.model(), [1, *IMAGE], 4 * PIXELS, img_bytes + b"\0" * c.rng.randint(1, 64))),
        C("header_length_past_body", "http", ACCEPT_4XX, lambda c: _binary_infer(
            c.model(), [1, *IMAGE], 4 * PIXELS, img_bytes, hlen_text=str(10 ** 6))),
        C("header_length_not_a_number", "http", ACCEPT_4XX, lambda c: _binary_infer(
            c.model(), [1, *IMAGE], 4 * PIXELS, img_bytes, hlen_text="abc")),
        C("header_length_huge", "http", ACCEPT_4XX, lambda c: _binary_infer(
            c.model(), [1, *IMAGE], 4 * PIXELS, img_bytes, hlen_text="99999999999999999999999")),
        C("header_length_negative", "http", ACCEPT_4XX, lambda c: _binary_infer(
            c.model(), [1, *IMAGE], 4 * PIXELS, img_bytes, hlen_text="-5")),
        C("binary_header_malformed", "http", ACCEPT_4XX, lambda c: _binary_infer(
            c.model(), [1, *IMAGE], 4 * PIXELS, img_bytes, header_bytes=b'{"inputs": [{"name": "inp')),
        C("binary_without_header_length", "http", ACCEPT_4XX, lambda c: (
            "POST", f"/v2/models/{c.model()}/infer",
            json.dumps({"inputs": [{"name": "input", "shape": [1, *IMAGE], "datatype": "FP32",
                                    "parameters": {"binary_data_size": 4 * PIXELS}}]}).encode() + img_bytes,
            {"Content-Type": "application/octet-stream"})),
        C("get_on_infer", "http", ACCEPT_4XX, lambda c: ("GET", f"/v2/models/{c.model()}/infer", None, {})),
        C("unknown_route", "http", ACCEPT_4XX, lambda c: ("POST", "/v2/no/such/route", b"{}", {})),
    ]


def raw_cases():
    C = Case
    return [
        C("oversized_body", "raw", ACCEPT_4XX, _oversized, every=2),
        C("oversized_chunked", "raw", ACCEPT_4XX_OR_CLOSE, _oversized_chunked, every=2),
        C("truncated_body", "raw", ACCEPT_4XX_OR_CLOSE, _truncated_body),
        C("truncated_headers", "raw", ACCEPT_4XX_OR_CLOSE, _truncated_headers),
        C("stalled_body", "raw", ACCEPT_4XX_OR_CLOSE, _stalled_body, every=25),
        # Rarer: a server that answers these but keeps the connection open holds a worker per case.
        C("bad_request_line", "raw", ACCEPT_4XX_OR_CLOSE, _raw_text(b"FOO /\x01 HTTP/9.9\r\n\r\n", half_close=False),
          every=20),
        C("long_uri", "raw", ACCEPT_4XX_OR_CLOSE, _long_uri, every=20),
        C("garbage_on_http", "raw", ACCEPT_4XX_OR_CLOSE, _garbage("http_port", True)),
        C("garbage_on_grpc", "raw", ACCEPT_4XX_OR_CLOSE, _garbage("grpc_port", False)),
        # Random bytes after the preface may read as the start of a long frame, which a server
        # rightly waits for: that variant half-closes. The HEADERS-first one must be refused.
        C("h2_preface_then_garbage", "raw", ACCEPT_4XX_OR_CLOSE, _garbage("grpc_port", True, preface=H2_PREFACE)),
        C("h2_headers_before_settings", "raw", ACCEPT_4XX_OR_CLOSE, _garbage(
            "grpc_port", False, preface=H2_PREFACE + b"\x00\x00\x08\x01\x04\x00\x00\x00\x01" + b"\xff" * 8)),
        C("http1_on_grpc", "raw", ACCEPT_4XX_OR_CLOSE, _http1_on_grpc),
        C("garbage_on_metrics", "raw", ACCEPT_4XX_OR_CLOSE, _garbage("metrics_port", True)),
        C("disconnect_mid_headers", "raw", ACCEPT_SENT, _drop_mid_headers),
        C("disconnect_mid_body", "raw", ACCEPT_SENT, _drop_mid_body),
        C("disconnect_before_answer", "raw", ACCEPT_SENT, _drop_before_answer),
        C("disconnect_grpc_mid_call", "raw", ACCEPT_SENT, _drop_grpc_mid_call),
    ]


def grpc_cases():
    raw1 = array.array("f", [0.25] * PIXELS).tobytes()
    C = Case
    return [
        C("grpc_unknown_model", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            "no_such_model", [("input", "FP32", [1, *IMAGE])], [raw1])),
        C("grpc_wrong_shape", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            c.model(), [("input", "FP32", [1, 1, 28, 27])], [raw1[:4 * 756]])),
        C("grpc_wrong_datatype", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            c.model(), [("input", "INT32", [1, *IMAGE])], [raw1])),
        C("grpc_unknown_input", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            c.model(), [("bogus", "FP32", [1, *IMAGE])], [raw1])),
        C("grpc_raw_size_mismatch", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            c.model(), [("input", "FP32", [1, *IMAGE])], [raw1[:c.rng.randint(0, len(raw1) - 1)]])),
        C("grpc_missing_contents", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            c.model(), [("input", "FP32", [1, *IMAGE])])),
        C("grpc_huge_dims", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            c.model(), [("input", "FP32", [1 << 40, *IMAGE])], [raw1])),
        C("grpc_negative_dim", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            c.model(), [("input", "FP32", [-1, *IMAGE])], [raw1])),
        C("grpc_over_max_batch", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            BATCHED, [("input", "FP32", [MAX_BATCH + 1, *IMAGE])], [raw1 * (MAX_BATCH + 1)])),
        C("grpc_unknown_output", "grpc", ACCEPT_GRPC_ERROR, lambda c: grpc_infer_message(
            c.model(), [("input", "FP32", [1, *IMAGE])], [raw1], outputs=["no_such_output"])),
    ]


def catalogue(with_grpc):
    return http_cases() + raw_cases() + (grpc_cases() if with_grpc else [])
