"""A counting reverse proxy on 127.0.0.1, in its own process, for network-tracking runs only.

A client whose URLs point at the proxy instead of the real server has every request forwarded to the
target base URL and every byte counted on the way, whatever the client is (requests, aiohttp, libcurl in
h5py's ros3 driver). The extra hop costs time, so timing benchmarks never go through it.

Run directly: ``python -m pytest_nwb_benchmarks.nwb.network._proxy --target http://127.0.0.1:8000`` prints
``{"url": ..., "pid": ...}`` on one line once it listens. From Python use :class:`CountingProxy`.
Counters are read with ``GET /__counting_proxy__/stats`` and zeroed (returning the previous values) with
``GET`` or ``POST /__counting_proxy__/reset``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

CONTROL_PREFIX = "/__counting_proxy__/"
_CHUNK = 256 * 1024
_IDLE_WAIT_S = 10.0
# offset of tcpi_bytes_acked (u64) in Linux's struct tcp_info (include/uapi/linux/tcp.h)
_TCPI_BYTES_ACKED_OFFSET = 120
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


class ProxyError(RuntimeError):
    """The counting proxy could not start, or does not answer."""


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
        acked_before = _bytes_acked(self.connection)
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
            # it: the body bytes its kernel acknowledged. What was still queued here never left, and what
            # the target pushed into this proxy's buffers would not have been sent without the proxy.
            acked = _bytes_acked(self.connection)
            if acked is not None and acked_before is not None:
                downloaded = max(0, min(delivered, acked - acked_before - header_bytes))
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


def _bytes_acked(sock: socket.socket) -> int | None:
    """Bytes this socket has sent that the peer acknowledged (Linux ``TCP_INFO.tcpi_bytes_acked``)."""
    if not hasattr(socket, "TCP_INFO"):
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    except OSError:
        return None
    if len(info) < _TCPI_BYTES_ACKED_OFFSET + 8:  # a kernel older than 4.1
        return None
    return int.from_bytes(info[_TCPI_BYTES_ACKED_OFFSET : _TCPI_BYTES_ACKED_OFFSET + 8], sys.byteorder)


# --- the parent side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProxyInfo:
    """Where a running counting proxy listens, and how to read its counters.

    Attributes
    ----------
    url : str
        The proxy's base URL (``http://127.0.0.1:PORT``).
    target : str
        The base URL it forwards to.
    pid : int
        The proxy process id.
    """

    url: str
    target: str
    pid: int

    def _control(self, action: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"{self.url}{CONTROL_PREFIX}{action}", timeout=30) as answer:
                return json.loads(answer.read())
        except OSError as error:
            raise ProxyError(f"the counting proxy at {self.url} (pid {self.pid}) does not answer: {error}") from error

    def stats(self) -> dict[str, Any]:
        """The counters: ``totals``, ``paths`` (per URL path) and ``request_latencies_seconds``."""
        return self._control("stats")

    def reset_stats(self) -> dict[str, Any]:
        """Zero the counters and return their previous values."""
        return self._control("reset")

    def rewrite(self, url: str) -> str:
        """Route a URL on the target through the proxy.

        Raises
        ------
        ValueError
            If ``url`` does not start with the proxy's target.
        """
        if not url.startswith(self.target):
            raise ValueError(f"{url!r} is not on the proxy's target {self.target!r}")
        return self.url + url[len(self.target) :]


class CountingProxy:
    """Start and stop a counting reverse proxy process.

    Parameters
    ----------
    target_base_url : str
        The base URL to forward to, e.g. the streaming server's ``http://127.0.0.1:PORT``.

    Examples
    --------
    >>> with CountingProxy("http://127.0.0.1:8000") as proxy:  # doctest: +SKIP
    ...     requests.get(proxy.url + "/files/small/ecephys_uncompressed.nwb", headers={"Range": "bytes=0-99"})
    ...     proxy.stats()["totals"]["requests"]
    1
    """

    def __init__(self, target_base_url: str) -> None:
        parts = urlsplit(target_base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"the proxy target must be an http(s) base URL such as http://127.0.0.1:8000, not {target_base_url!r}"
            )
        self.target = target_base_url.rstrip("/")
        self._process: subprocess.Popen[str] | None = None
        self._info: ProxyInfo | None = None

    @property
    def info(self) -> ProxyInfo:
        """The running proxy's :class:`ProxyInfo` (picklable, for child processes)."""
        if self._info is None:
            raise ProxyError("the counting proxy is not running; call start() first")
        return self._info

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return self.info.url

    @property
    def pid(self) -> int:
        """The proxy process id."""
        return self.info.pid

    def start(self, timeout: float = 30.0) -> CountingProxy:
        """Start the proxy process and wait until it listens.

        Raises
        ------
        ProxyError
            If the process exits or does not report its address within ``timeout`` seconds.
        """
        if self._process is not None:
            raise ProxyError(f"the counting proxy for {self.target} is already running at {self.url}")
        command = [sys.executable, "-m", "pytest_nwb_benchmarks.nwb.network._proxy", "--target", self.target]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = _read_line(process, timeout)
        if not line:
            process.kill()
            _, err = process.communicate(timeout=10)
            raise ProxyError(
                f"the counting proxy for {self.target} did not start (exit code {process.returncode}): {err.strip()}"
            )
        announced = json.loads(line)
        self._process = process
        self._info = ProxyInfo(url=announced["url"], target=self.target, pid=process.pid)
        return self

    def stats(self) -> dict[str, Any]:
        """The proxy's counters (see :meth:`ProxyInfo.stats`)."""
        return self.info.stats()

    def reset_stats(self) -> dict[str, Any]:
        """Zero the proxy's counters and return their previous values."""
        return self.info.reset_stats()

    def is_alive(self) -> bool:
        """Whether the proxy process runs."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the proxy process (idempotent)."""
        process, self._process = self._process, None
        self._info = None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return result[0].strip() if result else ""


def _exit_with_parent() -> None:
    # A benchmark whose setup fails after starting the proxy never reaches teardown; the proxy must not
    # outlive the process that started it.
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """Run a counting proxy until terminated.

    Parameters
    ----------
    argv : list of str, optional
        ``--target URL [--port N]``.

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(prog="python -m pytest_nwb_benchmarks.nwb.network._proxy")
    parser.add_argument("--target", required=True, help="base URL to forward to")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    try:
        server = _ProxyServer(("127.0.0.1", args.port), args.target)
    except (ValueError, OSError) as error:
        print(f"counting proxy: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"url": server.own_url, "pid": os.getpid()}), flush=True)
    _exit_with_parent()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
