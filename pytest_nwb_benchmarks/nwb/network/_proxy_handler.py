"""The counting proxy's request side: forward each request to the target and count every byte both ways.

Runs inside the proxy process that :mod:`._proxy` starts.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from pytest_nwb_benchmarks.nwb._tcp_info import bytes_transmitted as _bytes_transmitted

CONTROL_PREFIX = "/__counting_proxy__/"
_CHUNK = 256 * 1024
_IDLE_WAIT_S = 10.0
# Headers that describe one hop, not the message; they are not forwarded (RFC 9110 section 7.6.1).
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


# --- the counters (inside the proxy process) -----------------------------------------------------


class _Counters:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._in_flight = 0
        self._reset()

    def begin(self) -> None:
        with self._lock:
            self._in_flight += 1

    def end(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    def wait_idle(self, timeout: float) -> None:
        # A client has its last byte a moment before the handler thread records it: wait for the
        # handlers still relaying, so that a snapshot taken right after the client's call is complete.
        with self._lock:
            self._lock.wait_for(lambda: self._in_flight == 0, timeout)

    def _reset(self) -> None:
        self.totals = {
            "requests": 0,
            "head_requests": 0,
            "get_requests": 0,
            "range_requests": 0,
            "bytes_downloaded": 0,
            "bytes_uploaded": 0,
            "bytes_delivered": 0,
            "connections_opened": 0,
            "upstream_connections_opened": 0,
            "aborted_responses": 0,
        }
        self.paths: dict[str, dict[str, int]] = {}
        self.latencies: list[float] = []
        self.log: list[dict[str, Any]] = []

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "totals": dict(self.totals),
                "paths": {path: dict(values) for path, values in self.paths.items()},
                "request_latencies_seconds": list(self.latencies),
                "requests_log": [dict(entry) for entry in self.log],
            }

    def reset(self) -> dict[str, Any]:
        with self._lock:
            previous = {
                "totals": dict(self.totals),
                "paths": {path: dict(values) for path, values in self.paths.items()},
                "request_latencies_seconds": list(self.latencies),
                "requests_log": [dict(entry) for entry in self.log],
            }
            self._reset()
            return previous

    def add(self, path: str | None = None, **increments: int) -> None:
        with self._lock:
            for key, value in increments.items():
                self.totals[key] = self.totals.get(key, 0) + value
            if path is not None:
                counters = self.paths.setdefault(path, {"requests": 0, "bytes_downloaded": 0, "bytes_uploaded": 0})
                for key, value in increments.items():
                    if key in counters:
                        counters[key] += value

    def add_latency(self, seconds: float) -> None:
        with self._lock:
            self.latencies.append(seconds)

    def add_log(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.log.append(entry)


# --- the proxy server (inside the proxy process) -------------------------------------------------


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], target: str) -> None:
        super().__init__(address, _ProxyHandler)
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the proxy target must be an http(s) base URL, not {target!r}")
        self.target = target.rstrip("/")
        self.target_scheme = parts.scheme
        self.target_netloc = parts.netloc
        self.target_prefix = parts.path.rstrip("/")
        self.counters = _Counters()

    @property
    def own_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.counters.add(connections_opened=1)
        return sock, address


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the counters are the record

    def setup(self) -> None:
        super().setup()
        self._upstream: http.client.HTTPConnection | None = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._close_upstream()

    def _close_upstream(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
            self._upstream = None

    def _upstream_connection(self) -> http.client.HTTPConnection:
        if self._upstream is None:
            cls = http.client.HTTPSConnection if self.server.target_scheme == "https" else http.client.HTTPConnection
            self._upstream = cls(self.server.target_netloc, timeout=300)
            self._upstream.connect()
            if self._upstream.sock is not None:
                self._upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.server.counters.add(upstream_connections_opened=1)
        return self._upstream

    # every method goes through the same forwarding
    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def _handle(self) -> None:
        if self.path.startswith(CONTROL_PREFIX):
            self._control()
            return
        self.server.counters.begin()
        try:
            self._forward()
        finally:
            self.server.counters.end()

    def _forward(self) -> None:
        received = time.perf_counter()
        body = self._read_request_body()
        if body is None:
            return
        path = urlsplit(self.path).path
        uploaded = len(self.raw_requestline) + sum(len(f"{k}: {v}\r\n") for k, v in self.headers.items()) + 2
        uploaded += len(body)
        counts = {"requests": 1, "bytes_uploaded": uploaded}
        if self.command == "HEAD":
            counts["head_requests"] = 1
        if self.command == "GET":
            counts["get_requests"] = 1
        if "Range" in self.headers:
            counts["range_requests"] = 1
        self.server.counters.add(path, **counts)

        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP and k.lower() != "host"}
        headers["Host"] = self.server.target_netloc
        try:
            response = self._send_upstream(body, headers)
        except OSError as error:
            self._answer_error(502, f"counting proxy: the target {self.server.target} did not answer: {error}")
            return
        self.server.counters.add_latency(time.perf_counter() - received)
        entry = {"method": self.command, "path": path, "range": self.headers.get("Range"), "status": response.status}
        try:
            entry["bytes_downloaded"] = self._relay(response, path)
        except BaseException as error:
            entry["error"] = repr(error)
            raise
        finally:
            self.server.counters.add_log(entry)

    def _read_request_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._answer_error(501, "counting proxy: chunked request bodies are not supported")
            return None
        length = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(length) if length else b""

    def _send_upstream(self, body: bytes, headers: dict[str, str]) -> http.client.HTTPResponse:
        target = self.server.target_prefix + self.path
        for attempt in (1, 2):
            connection = self._upstream_connection()
            try:
                connection.request(self.command, target, body=body or None, headers=headers)
                return connection.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # a kept-alive upstream connection the server had closed: retry once on a new one
                self._close_upstream()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _relay(self, response: http.client.HTTPResponse, path: str) -> int:
        unknown_length = response.getheader("Content-Length") is None and self.command != "HEAD"
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            lowered = name.lower()
            if lowered in _HOP_BY_HOP or (unknown_length and lowered == "content-length"):
                continue
            if lowered == "location" and value.startswith(self.server.target):
                value = self.server.own_url + value[len(self.server.target) :]
            self.send_header(name, value)
        if unknown_length:
            # a body of unknown length is read whole, then sent with its length (keeps the client simple)
            payload = response.read()
            self.send_header("Content-Length", str(len(payload)))
            chunks: Any = iter([payload])
        else:
            body_expected = self.command != "HEAD" and response.status not in (204, 304)
            if not body_expected:
                # http.client keeps a bodiless response "open" until read, and refuses the next request on
                # this upstream connection until then
                response.read()
            chunks = iter(lambda: response.read(_CHUNK), b"") if body_expected else iter(())
        header_bytes = sum(len(line) for line in getattr(self, "_headers_buffer", [])) + 2
        left_before = _bytes_transmitted(self.connection)
        self.end_headers()
        received = delivered = 0
        complete = True
        for chunk in chunks:
            received += len(chunk)
            try:
                self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                complete = False
                break
            delivered += len(chunk)
        if complete:
            self.server.counters.add(path, bytes_downloaded=received, bytes_delivered=delivered)
        else:
            # The client hung up mid-body (remfile's size probe does). What it downloaded is what reached
            # it: the body bytes that left this socket for it. What was still queued here never left, and
            # what the target pushed into this proxy's buffers would not have been sent without the proxy.
            left = _bytes_transmitted(self.connection)
            if left is not None and left_before is not None:
                downloaded = max(0, min(delivered, left - left_before - header_bytes))
            else:
                downloaded = delivered
            self.server.counters.add(path, bytes_downloaded=downloaded, bytes_delivered=downloaded, aborted_responses=1)
            self._close_upstream()
            self.close_connection = True
            return downloaded
        if response.will_close:
            self._close_upstream()
            self.close_connection = True
        return received

    def _answer_error(self, status: int, message: str) -> None:
        payload = message.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _control(self) -> None:
        action = self.path[len(CONTROL_PREFIX) :].split("?")[0].strip("/")
        self.server.counters.wait_idle(_IDLE_WAIT_S)
        if action == "stats":
            data = self.server.counters.snapshot()
        elif action == "reset":
            data = self.server.counters.reset()
        else:
            self._answer_error(404, f"counting proxy: unknown control path {self.path!r}; use stats or reset")
            return
        self._read_request_body()
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
