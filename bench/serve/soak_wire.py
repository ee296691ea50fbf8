"""Wire-level clients for soak.py: one kept-alive HTTP/1.1 connection, raw socket exchanges
(half-close, reset, waiting for the server's close) and gRPC ModelInfer messages encoded and
decoded by hand in the protobuf wire format, so that no generated stubs are needed. Standard
library only; GrpcClient needs the `grpc` module."""
import http.client
import socket
import struct

from serve_proc import HOST

GRPC_INFER = "/inference.GRPCInferenceService/ModelInfer"


# ---- HTTP on one kept-alive connection -------------------------------------------------------

class HttpConnection:
    """One kept-alive HTTP/1.1 connection; exchange() gives (outcome, status, headers, body)."""

    def __init__(self, port, timeout):
        self.port, self.timeout, self.conn = port, timeout, None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def exchange(self, method, path, body=None, headers=None):
        for _ in range(2):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.close()
                return f"http {resp.status}", resp.status, resp.headers, data
            except socket.timeout:
                self.close()
                return "hang", None, None, b""
            except (http.client.RemoteDisconnected, ConnectionError) as e:
                self.close()
                if fresh:  # on a kept-alive one the server may have closed it in between: retry once
                    return ("closed" if isinstance(e, http.client.RemoteDisconnected) else "reset"), None, None, b""
            except (OSError, http.client.HTTPException) as e:
                self.close()
                return f"error {type(e).__name__}", None, None, b""
        return "closed", None, None, b""


# ---- raw sockets -----------------------------------------------------------------------------

def raw_exchange(port, data, timeout, half_close=False, drop=False):
    """Sends `data` on a new connection and reads until the server closes it. half_close: shut
    our side for writing after the data. drop: reset the connection (SO_LINGER 0) right after
    sending instead of reading. Returns (outcome, first bytes of the answer)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    buf = b""
    try:
        s.connect((HOST, port))
        try:
            s.sendall(data)
            if drop:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return "sent", b""
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionError, OSError):
            pass  # the server may refuse before it has read everything: read what it said
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if _complete_http_answer(buf):
                    # Every request here asks for (or cannot but get) a closed connection: the
                    # server must close it now, not hold it (and a worker) until a timeout.
                    s.settimeout(CLOSE_GRACE_S)
        except ConnectionResetError:
            if not buf.startswith(b"HTTP/"):
                return "reset", buf[:200]
    except socket.timeout:
        if _complete_http_answer(buf):
            return f"http {_status(buf)} left open", buf[:200]
        return "hang", buf[:200]
    except OSError as e:
        return f"error {type(e).__name__}", buf[:200]
    finally:
        s.close()
    if buf.startswith(b"HTTP/1."):
        status = _status(buf)
        return (f"http {status}" if status else "malformed answer"), buf[:200]
    return "closed", buf[:200]


CLOSE_GRACE_S = 3.0


def _status(buf):
    try:
        return int(buf.split(b" ", 2)[1])
    except (ValueError, IndexError):
        return None


def _complete_http_answer(buf):
    """True when buf holds a whole HTTP/1.x answer with a Content-Length body."""
    end = buf.find(b"\r\n\r\n")
    if not buf.startswith(b"HTTP/1.") or end < 0:
        return False
    for line in buf[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(buf) >= end + 4 + int(value.strip())
            except ValueError:
                return False
    return False


def http_head(method, path, content_length=None, extra=()):
    lines = [f"{method} {path} HTTP/1.1", "Host: soak", "Connection: close"]
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}")
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# ---- gRPC messages by hand (protobuf wire format) --------------------------------------------

def _varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _len_field(num, payload):
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def grpc_infer_message(model, inputs, raw=(), outputs=()):
    """A ModelInferRequest: inputs = [(name, datatype, shape)], raw = raw_input_contents."""
    msg = _len_field(1, model.encode())
    for name, dtype, shape in inputs:
        tensor = _len_field(1, name.encode()) + _len_field(2, dtype.encode()) + \
            _len_field(3, b"".join(_varint(d) for d in shape))
        msg += _len_field(5, tensor)
    for name in outputs:
        msg += _len_field(6, _len_field(1, name.encode()))
    for r in raw:
        msg += _len_field(7, r)
    return msg


def parse_fields(data):
    """[(field number, wire type, value)] of one message; value is an int or bytes."""
    out, i = [], 0
    while i < len(data):
        key, i = read_varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = read_varint(data, i)
        elif wire == 2:
            ln, i = read_varint(data, i)
            val, i = data[i:i + ln], i + ln
        elif wire == 1:
            val, i = data[i:i + 8], i + 8
        elif wire == 5:
            val, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        out.append((num, wire, val))
    return out


def read_varint(data, i):
    shift = n = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


class GrpcClient:
    """Raw-bytes unary calls of ModelInfer (no generated stubs needed)."""

    def __init__(self, target, timeout):
        import grpc
        self.grpc, self.timeout = grpc, timeout
        self.channel = grpc.insecure_channel(target)
        self.infer = self.channel.unary_unary(GRPC_INFER)

    def call(self, message):
        """(outcome, answer bytes or the status text)."""
        try:
            return "grpc OK", self.infer(message, timeout=self.timeout)
        except self.grpc.RpcError as e:
            code = e.code().name
            return ("hang" if code == "DEADLINE_EXCEEDED" else f"grpc {code}"), (e.details() or "").encode()

    def close(self):
        self.channel.close()


def grpc_available():
    try:
        import grpc  # noqa: F401
        return True
    except ImportError:
        return False
