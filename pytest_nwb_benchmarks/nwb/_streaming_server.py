"""The local streaming server: the files under one folder over HTTP on 127.0.0.1, in its own process.

It stands in for DANDI and S3 when the machine is offline. One listening port per configured latency (every
request to the port of latency L waits L ms before it is answered), and the same layout on every port:

* ``/files/<relative path>``: the file, plain HTTP(S)-style (HEAD, GET, every Range form, 206, 416).
* ``/<bucket>/<relative path>``: the same file as a path-style S3 object, for s3fs and the ros3 driver
  (anonymous; ``GET /<bucket>?list-type=2`` lists keys; missing keys get S3's XML error).
* ``/api/assets/<relative path>/download/``: a 302 redirect to ``/files/<relative path>``, like DANDI's API.
* ``/__stats__``: exact counters per file (requests, HEAD/GET/range requests, body bytes, redirects) and totals;
  ``/__stats__/reset`` zeroes them and returns the values it cleared. ``/__alive__`` answers a ping.

Run it with ``python -m pytest_nwb_benchmarks.nwb._streaming_server --root DIR [--latencies 0,20]``: once
listening it prints one JSON line (a :class:`ServerInfo`) on stdout. :class:`StreamingServer` does that for
you from the parent process; :func:`current_server` finds a running one from child processes through the
environment variable ``NWB_BENCHMARKS_SERVER``.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape

from pytest_nwb_benchmarks.nwb._s3_listing import MAX_KEYS, ListingError, list_objects, servable_parts

__all__ = [
    "DEFAULT_BUCKET",
    "DEFAULT_LATENCIES_MS",
    "SERVER_ENV",
    "ServerInfo",
    "StreamingServer",
    "StreamingServerUnavailable",
    "current_server",
    "main",
]

SERVER_ENV = "NWB_BENCHMARKS_SERVER"
DEFAULT_BUCKET = "nwb-benchmarks"
DEFAULT_LATENCIES_MS: tuple[int, ...] = (0, 20)

_HOST = "127.0.0.1"
_COUNTER_NAMES = ("requests", "head_requests", "get_requests", "range_requests", "bytes_sent", "redirects")
_SENDFILE_BLOCK = 8 << 20
_TCP_INFO_BYTES_ACKED = 120  # offset of tcpi_bytes_acked (u64) in Linux's struct tcp_info


def _bytes_acked(connection: socket.socket) -> int | None:
    """Bytes of this connection the peer has acknowledged so far (Linux); None where unknown."""
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        return None
    try:
        info = connection.getsockopt(socket.IPPROTO_TCP, option, 256)
    except OSError:
        return None
    if len(info) < _TCP_INFO_BYTES_ACKED + 8:
        return None
    return struct.unpack_from("<Q", info, _TCP_INFO_BYTES_ACKED)[0]


_RANGE = re.compile(r"^\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*$")
_START_TIMEOUT_S = 30.0


class StreamingServerUnavailable(RuntimeError):
    """The streaming server does not answer (it died, or was never started)."""


# ---------------------------------------------------------------------------------------------------------
# Parent side: where the server is and how to talk to it


@dataclass(frozen=True)
class ServerInfo:
    """Where a running streaming server listens; JSON round-trips through :meth:`to_json`/:meth:`from_json`.

    Attributes
    ----------
    root : str
        The folder whose files are served.
    bucket : str
        The path-style S3 bucket name.
    base_urls : dict of int to str
        ``{latency_ms: "http://127.0.0.1:PORT"}``, one port per latency.
    pid : int
        The server process's id.
    """

    root: str
    bucket: str
    base_urls: dict[int, str] = field(default_factory=dict)
    pid: int = 0

    def to_json(self) -> str:
        """Serialise to JSON (the value of ``NWB_BENCHMARKS_SERVER``).

        Returns
        -------
        str
            One line of JSON.
        """
        payload = {
            "root": self.root,
            "bucket": self.bucket,
            "base_urls": {str(latency): url for latency, url in self.base_urls.items()},
            "pid": self.pid,
        }
        return json.dumps(payload, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ServerInfo:
        """Parse what :meth:`to_json` wrote.

        Parameters
        ----------
        text : str
            The JSON text.

        Returns
        -------
        ServerInfo
            The server description.

        Raises
        ------
        ValueError
            If the text is not such a JSON object.
        """
        try:
            payload = json.loads(text)
            return cls(
                root=str(payload["root"]),
                bucket=str(payload["bucket"]),
                base_urls={int(latency): str(url) for latency, url in payload["base_urls"].items()},
                pid=int(payload["pid"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a streaming server description ({error}): {text[:200]!r}") from None

    @property
    def latencies_ms(self) -> tuple[int, ...]:
        """The configured latencies, in ms, ascending."""
        return tuple(sorted(self.base_urls))

    def base_url(self, latency_ms: int = 0) -> str:
        """Return ``http://127.0.0.1:PORT`` of the port that waits ``latency_ms`` per request.

        Parameters
        ----------
        latency_ms : int
            One of the configured latencies.

        Returns
        -------
        str
            The base URL, without a trailing slash.

        Raises
        ------
        ValueError
            If the server has no port for that latency.
        """
        try:
            return self.base_urls[int(latency_ms)]
        except KeyError:
            configured = ", ".join(str(latency) for latency in self.latencies_ms)
            raise ValueError(
                f"the streaming server has no port with latency {latency_ms} ms (configured: {configured})"
            ) from None

    def http_url(self, relative_path: str, latency_ms: int = 0) -> str:
        """Return the plain HTTP URL of a file: ``<base>/files/<relative path>``."""
        return f"{self.base_url(latency_ms)}/files/{_quote_path(relative_path)}"

    def redirect_url(self, relative_path: str, latency_ms: int = 0) -> str:
        """Return the DANDI-like URL that redirects (302) to :meth:`http_url`."""
        return f"{self.base_url(latency_ms)}/api/assets/{_quote_path(relative_path)}/download/"

    def s3_url(self, relative_path: str) -> str:
        """Return the S3 URL of a file: ``s3://<bucket>/<relative path>`` (pair it with :meth:`s3_endpoint`)."""
        return f"s3://{self.bucket}/{relative_path.lstrip('/')}"

    def s3_endpoint(self, latency_ms: int = 0) -> str:
        """Return the endpoint URL for s3fs (``endpoint_url``) or ros3 (``AWS_ENDPOINT_URL``)."""
        return self.base_url(latency_ms)

    def stats(self) -> dict[str, Any]:
        """Return the server's counters (``GET /__stats__``).

        Returns
        -------
        dict
            ``{"paths": {relative path: counters}, "totals": counters + connections and other requests}``.

        Raises
        ------
        StreamingServerUnavailable
            If the server does not answer.
        """
        return self._get_json("/__stats__")

    def reset_stats(self) -> dict[str, Any]:
        """Zero the server's counters and return the values they had (``/__stats__/reset``).

        Returns
        -------
        dict
            The counters before the reset, as :meth:`stats` returns them.

        Raises
        ------
        StreamingServerUnavailable
            If the server does not answer.
        """
        return self._get_json("/__stats__/reset", method="POST")

    def check_alive(self, timeout: float = 5.0) -> None:
        """Raise :class:`StreamingServerUnavailable` unless the server answers a ping.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the answer.

        Raises
        ------
        StreamingServerUnavailable
            With a message naming the server's URL and process id.
        """
        self._get_json("/__alive__", timeout=timeout)

    def describe(self) -> str:
        """Name the server for error messages: its URL(s) and process id."""
        urls = ", ".join(f"{url} ({latency} ms)" for latency, url in sorted(self.base_urls.items()))
        return f"the NWB streaming server at {urls or '<no ports>'} (pid {self.pid}, serving {self.root})"

    def _get_json(self, path: str, method: str = "GET", timeout: float = 10.0) -> dict[str, Any]:
        # The stats live in the server process, shared by every port; ask the first.
        url = self.base_url(self.latencies_ms[0]) + path if self.base_urls else ""
        try:
            request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except (OSError, ValueError) as error:
            raise StreamingServerUnavailable(f"{self.describe()} does not answer {path}: {error}") from None


def _quote_path(relative_path: str) -> str:
    return quote(relative_path.lstrip("/"), safe="/")


def current_server() -> ServerInfo | None:
    """Return the server the session started, from env ``NWB_BENCHMARKS_SERVER``, or ``None``.

    Returns
    -------
    ServerInfo or None
        The server description, or ``None`` when the variable is unset or empty.

    Raises
    ------
    ValueError
        If the variable is set to something that is not a server description.
    """
    text = os.environ.get(SERVER_ENV, "").strip()
    if not text:
        return None
    try:
        return ServerInfo.from_json(text)
    except ValueError as error:
        raise ValueError(f"environment variable {SERVER_ENV} is malformed: {error}") from None


class StreamingServer:
    """Start and stop the streaming server in a child process.

    Parameters
    ----------
    root : pathlib.Path
        The folder whose files are served.
    latencies_ms : tuple of int
        One listening port per latency; each request to a port waits that long before it is answered.
    bucket : str
        The path-style S3 bucket name.

    Examples
    --------
    >>> with StreamingServer(root) as server:  # doctest: +SKIP
    ...     url = server.info.http_url("small/ecephys_gzip.nwb", latency_ms=20)
    """

    def __init__(
        self, root: Path, latencies_ms: tuple[int, ...] = DEFAULT_LATENCIES_MS, bucket: str = DEFAULT_BUCKET
    ) -> None:
        self.root = Path(root).resolve()
        self.latencies_ms = _check_latencies(latencies_ms)
        self.bucket = _check_bucket(bucket)
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._info: ServerInfo | None = None

    @property
    def info(self) -> ServerInfo:
        """The running server's description.

        Raises
        ------
        StreamingServerUnavailable
            If the server has not been started.
        """
        if self._info is None:
            raise StreamingServerUnavailable(f"the NWB streaming server for {self.root} has not been started")
        return self._info

    @property
    def pid(self) -> int | None:
        """The server process's id, or ``None`` before :meth:`start`."""
        return self._process.pid if self._process is not None else None

    def is_alive(self) -> bool:
        """Whether the server process is running."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = _START_TIMEOUT_S) -> StreamingServer:
        """Start the server process and wait until every port listens.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the server to report its ports.

        Returns
        -------
        StreamingServer
            ``self``.

        Raises
        ------
        FileNotFoundError
            If the root folder does not exist.
        StreamingServerUnavailable
            If the process dies or does not report its ports in time; the message includes its stderr.
        """
        if self.is_alive():
            return self
        if not self.root.is_dir():
            raise FileNotFoundError(f"the streaming server's root folder does not exist: {self.root}")
        command = [
            sys.executable,
            "-m",
            "pytest_nwb_benchmarks.nwb._streaming_server",
            "--root",
            str(self.root),
            "--latencies",
            ",".join(str(latency) for latency in self.latencies_ms),
            "--bucket",
            self.bucket,
            "--parent-pid",
            str(os.getpid()),
        ]
        env = dict(os.environ)
        # Make the package importable in the child even when it is not installed.
        package_parent = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        try:
            line = self._read_ready_line(timeout)
            self._info = ServerInfo.from_json(line)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_ready_line(self, timeout: float) -> str:
        assert self._process is not None and self._process.stdout is not None
        deadline = time.monotonic() + timeout
        buffer = b""
        stdout = self._process.stdout
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StreamingServerUnavailable(
                    f"the NWB streaming server (pid {self._process.pid}) did not report its ports within "
                    f"{timeout:.0f} s{self._stderr_tail()}"
                )
            ready, _, _ = select.select([stdout], [], [], min(remaining, 0.2))
            if ready:
                chunk = os.read(stdout.fileno(), 4096)
                if not chunk:
                    self._process.wait(timeout=5)
                    raise StreamingServerUnavailable(
                        f"the NWB streaming server (pid {self._process.pid}) exited with code "
                        f"{self._process.returncode} before listening{self._stderr_tail()}"
                    )
                buffer += chunk
        return buffer.split(b"\n", 1)[0].decode()

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return f"; its stderr ends with:\n{text[-2000:]}" if text else ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server process (SIGTERM, then SIGKILL after ``timeout`` seconds); idempotent.

        Parameters
        ----------
        timeout : float
            Seconds to wait for a clean exit.
        """
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=timeout)
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> StreamingServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_alive() else "stopped"
        return f"StreamingServer(root={str(self.root)!r}, latencies_ms={self.latencies_ms}, pid={self.pid}, {state})"


def _check_latencies(latencies_ms: tuple[int, ...] | list[int]) -> tuple[int, ...]:
    try:
        values = tuple(int(latency) for latency in latencies_ms)
    except (TypeError, ValueError):
        raise ValueError(f"latencies must be whole milliseconds, got {latencies_ms!r}") from None
    if not values or any(latency < 0 for latency in values) or len(set(values)) != len(values):
        raise ValueError(f"latencies must be distinct, non-negative milliseconds, got {latencies_ms!r}")
    return values


def _check_bucket(bucket: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket) or bucket in ("files", "api"):
        raise ValueError(f"invalid S3 bucket name {bucket!r} (lowercase letters, digits, '.', '-'; not files/api)")
    return bucket


# ---------------------------------------------------------------------------------------------------------
# Server side: counters


class _Counters:
    """Per-file request and byte counters, exact, shared by every port's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: dict[str, dict[str, int]] = {}
        self._connections = 0
        self._other_requests = 0

    def add(self, path: str, **increments: int) -> None:
        with self._lock:
            counters = self._paths.setdefault(path, dict.fromkeys(_COUNTER_NAMES, 0))
            for name, value in increments.items():
                counters[name] += value

    def connection(self) -> None:
        with self._lock:
            self._connections += 1

    def other_request(self) -> None:
        with self._lock:
            self._other_requests += 1

    def snapshot(self, reset: bool = False) -> dict[str, Any]:
        with self._lock:
            paths = {path: dict(counters) for path, counters in sorted(self._paths.items())}
            totals = {name: sum(counters[name] for counters in paths.values()) for name in _COUNTER_NAMES}
            totals["connections"] = self._connections
            totals["other_requests"] = self._other_requests
            if reset:
                self._paths.clear()
                self._connections = 0
                self._other_requests = 0
        return {"paths": paths, "totals": totals}


# ---------------------------------------------------------------------------------------------------------
# Server side: HTTP


class _Server(ThreadingHTTPServer):
    """One listening port: shares the root and counters, adds its own latency."""

    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops connections under parallel clients

    def __init__(self, root: Path, bucket: str, latency_ms: int, counters: _Counters) -> None:
        self.root = root
        self.bucket = bucket
        self.latency_s = latency_ms / 1000.0
        self.counters = counters
        super().__init__((_HOST, 0), _Handler)

    @property
    def base_url(self) -> str:
        return f"http://{_HOST}:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-transfer (remfile's size probe does) is normal, not an error.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # TCP_NODELAY: small responses otherwise stall ~40 ms on delayed ACKs
    server: _Server
    server_version = "NWBBenchmarksStreamingServer/1"

    def setup(self) -> None:
        super().setup()
        # A connection is counted at its first measured request, so that the harness's own stats requests
        # (each on a fresh connection) do not show up in the counters they read.
        self._connection_counted = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        pass  # quiet: the counters are the record

    def do_HEAD(self) -> None:  # noqa: N802 - the base class's naming
        self._dispatch(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch(head=False)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = unquote(urlsplit(self.path).path)
        if path.rstrip("/") == "/__stats__/reset":
            self._send_json(self.server.counters.snapshot(reset=True))
        else:
            self.server.counters.other_request()
            self._send_text(HTTPStatus.METHOD_NOT_ALLOWED, f"POST is only accepted on /__stats__/reset, not {path}")

    # -- routing -----------------------------------------------------------------------------------------

    def _dispatch(self, head: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        # Harness endpoints answer at once: they are not part of what is measured.
        if path.rstrip("/") == "/__stats__":
            return self._send_json(self.server.counters.snapshot(), head=head)
        if path.rstrip("/") == "/__stats__/reset":
            return self._send_json(self.server.counters.snapshot(reset=True), head=head)
        if path.rstrip("/") == "/__alive__":
            return self._send_json({"pid": os.getpid(), "root": str(self.server.root)}, head=head)

        if not self._connection_counted:
            self._connection_counted = True
            self.server.counters.connection()
        if self.server.latency_s:
            time.sleep(self.server.latency_s)
        bucket_prefix = f"/{self.server.bucket}"
        if path.startswith("/files/"):
            return self._serve_file(path[len("/files/") :], head, s3=False)
        if path.startswith("/api/assets/") and path.endswith("/download/"):
            return self._redirect(path[len("/api/assets/") : -len("/download/")])
        if path in (bucket_prefix, bucket_prefix + "/"):
            return self._list_bucket(parse_qs(split.query), head)
        if path.startswith(bucket_prefix + "/"):
            return self._serve_file(path[len(bucket_prefix) + 1 :], head, s3=True)
        self.server.counters.other_request()
        first_segment = path.lstrip("/").split("/", 1)[0]
        if first_segment and first_segment not in ("files", "api") and not first_segment.startswith((".", "_")):
            # A path-style S3 request for another bucket: answer as S3 would, so S3 clients report it plainly.
            return self._send_s3_error(HTTPStatus.NOT_FOUND, "NoSuchBucket", head, bucket=first_segment)
        return self._send_text(HTTPStatus.NOT_FOUND, f"nothing is served at {path}", head=head)

    def _resolve(self, relative_path: str) -> Path | None:
        """The served file for ``relative_path``, or ``None`` (missing, hidden outside a Zarr store, or outside the root)."""
        parts = [part for part in relative_path.split("/") if part]
        if not servable_parts(parts):
            return None
        candidate = self.server.root.joinpath(*parts)
        try:
            candidate.resolve().relative_to(self.server.root)
        except (OSError, ValueError):
            return None
        return candidate if candidate.is_file() else None

    # -- files -------------------------------------------------------------------------------------------

    def _serve_file(self, relative_path: str, head: bool, s3: bool) -> None:
        relative_path = relative_path.strip("/")
        file_path = self._resolve(relative_path)
        if file_path is None:
            self.server.counters.other_request()
            if s3:
                return self._send_s3_error(HTTPStatus.NOT_FOUND, "NoSuchKey", head, key=relative_path)
            return self._send_text(HTTPStatus.NOT_FOUND, f"no such file: {relative_path}", head=head)
        with open(file_path, "rb") as stream:
            stat = os.fstat(stream.fileno())
            size = stat.st_size
            status, start, length, error = _parse_range(self.headers.get("Range"), size)
            counts = {"requests": 1, "head_requests" if head else "get_requests": 1}
            if status == HTTPStatus.PARTIAL_CONTENT:
                counts["range_requests"] = 1
            self.server.counters.add(relative_path, **counts)
            if error is not None:
                if status == HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE:
                    extra = {"Content-Range": f"bytes */{size}"}
                    if s3:
                        return self._send_s3_error(status, "InvalidRange", head, key=relative_path, headers=extra)
                    return self._send_text(status, error, head=head, headers=extra)
                return self._send_text(status, error, head=head)
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"')
            self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
            if status == HTTPStatus.PARTIAL_CONTENT:
                self.send_header("Content-Range", f"bytes {start}-{start + length - 1}/{size}")
            header_bytes = sum(len(line) for line in getattr(self, "_headers_buffer", [])) + 2
            acked_before = _bytes_acked(self.connection)
            self.end_headers()
            if head or length == 0:
                return
            sent = 0
            try:
                sent = self._sendfile(stream, start, length)
            finally:
                if sent < length and acked_before is not None:
                    # The client hung up part way (remfile's size probe does): what sendfile queued
                    # includes socket buffers that never crossed; the peer's acknowledgements say what did.
                    acked_after = _bytes_acked(self.connection)
                    if acked_after is not None:
                        sent = max(0, min(sent, acked_after - acked_before - header_bytes))
                self.server.counters.add(relative_path, bytes_sent=sent)

    def _sendfile(self, stream: IO[bytes], start: int, length: int) -> int:
        """Send ``length`` bytes from ``start`` zero-copy; return how many were sent before any failure."""
        out_fd, in_fd = self.connection.fileno(), stream.fileno()
        sent = 0
        try:
            while sent < length:
                count = os.sendfile(out_fd, in_fd, start + sent, min(_SENDFILE_BLOCK, length - sent))
                if count == 0:  # the file shrank under us
                    break
                sent += count
        except OSError:
            # The client hung up (EPIPE, ECONNRESET, ...): what left so far is what counts.
            self.close_connection = True
        if sent < length:
            self.close_connection = True  # the response is short: this connection can't carry another
        return sent

    def _redirect(self, relative_path: str) -> None:
        relative_path = relative_path.strip("/")
        if self._resolve(relative_path) is None:
            self.server.counters.other_request()
            return self._send_text(HTTPStatus.NOT_FOUND, f"no such asset: {relative_path}")
        self.server.counters.add(relative_path, redirects=1)
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", f"{self.server.base_url}/files/{_quote_path(relative_path)}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    # -- S3 ----------------------------------------------------------------------------------------------

    def _list_bucket(self, query: dict[str, list[str]], head: bool) -> None:
        """ListObjectsV2 (prefix, delimiter, max-keys, continuation-token, start-after); see ``_s3_listing``."""
        self.server.counters.other_request()
        prefix = query.get("prefix", [""])[0]
        delimiter = query.get("delimiter", [""])[0]
        token = query.get("continuation-token", [""])[0]
        try:
            max_keys = int(query.get("max-keys", [str(MAX_KEYS)])[0])
            page = list_objects(self.server.root, prefix, delimiter, max_keys, token, query.get("start-after", [""])[0])
        except (ValueError, ListingError):
            return self._send_s3_error(HTTPStatus.BAD_REQUEST, "InvalidArgument", head)
        entries = [
            f"<Contents><Key>{escape(key)}</Key><LastModified>"
            f"{time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(stat.st_mtime))}</LastModified>"
            f'<ETag>"{stat.st_size:x}-{stat.st_mtime_ns:x}"</ETag><Size>{stat.st_size}</Size>'
            f"<StorageClass>STANDARD</StorageClass></Contents>"
            for key, stat in page.keys
        ]
        common = [f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in page.prefixes]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>{escape(self.server.bucket)}</Name><Prefix>{escape(prefix)}</Prefix>"
            f"<Delimiter>{escape(delimiter)}</Delimiter><MaxKeys>{min(max_keys, MAX_KEYS)}</MaxKeys>"
            f"<KeyCount>{len(entries) + len(common)}</KeyCount>"
            f"<IsTruncated>{'true' if page.is_truncated else 'false'}</IsTruncated>"
            + (f"<ContinuationToken>{escape(token)}</ContinuationToken>" if token else "")
            + (f"<NextContinuationToken>{escape(page.next_token)}</NextContinuationToken>" if page.next_token else "")
            + "".join(entries)
            + "".join(common)
            + "</ListBucketResult>"
        )
        self._send_body(HTTPStatus.OK, body.encode(), "application/xml", head)

    def _send_s3_error(
        self,
        status: HTTPStatus,
        code: str,
        head: bool,
        key: str = "",
        bucket: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        messages = {
            "NoSuchKey": "The specified key does not exist.",
            "NoSuchBucket": "The specified bucket does not exist.",
            "InvalidRange": "The requested range is not satisfiable.",
            "InvalidArgument": "Invalid argument.",
        }
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><Error>'
            f"<Code>{code}</Code><Message>{messages.get(code, code)}</Message>"
            + (f"<Key>{escape(key)}</Key>" if key else "")
            + f"<BucketName>{escape(bucket or self.server.bucket)}</BucketName>"
            "</Error>"
        )
        self._send_body(status, body.encode(), "application/xml", head, headers)

    # -- small responses ---------------------------------------------------------------------------------

    def _send_json(self, payload: dict[str, Any], head: bool = False) -> None:
        self._send_body(HTTPStatus.OK, json.dumps(payload).encode(), "application/json", head)

    def _send_text(
        self, status: HTTPStatus, text: str, head: bool = False, headers: dict[str, str] | None = None
    ) -> None:
        self._send_body(status, (text + "\n").encode(), "text/plain; charset=utf-8", head, headers)

    def _send_body(
        self, status: HTTPStatus, body: bytes, content_type: str, head: bool, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


def _parse_range(header: str | None, size: int) -> tuple[HTTPStatus, int, int, str | None]:
    """Interpret a Range header against a file of ``size`` bytes.

    Returns
    -------
    tuple
        ``(status, start, length, error)``: 200 for the whole file, 206 for a satisfiable single range,
        416 when it cannot be satisfied, 400 when it is malformed (``error`` then says why).
    """
    if header is None:
        return HTTPStatus.OK, 0, size, None
    if "," in header:
        # Several ranges would need multipart/byteranges; the whole file is an allowed answer.
        return HTTPStatus.OK, 0, size, None
    match = _RANGE.match(header)
    if match is None:
        return HTTPStatus.BAD_REQUEST, 0, 0, f"malformed Range header {header!r} (expected bytes=a-b, a- or -n)"
    first, last = match.groups()
    unsatisfiable = HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE
    if not first:
        if not last:
            return HTTPStatus.BAD_REQUEST, 0, 0, f"malformed Range header {header!r} (no bounds)"
        suffix = int(last)
        if suffix == 0 or size == 0:
            return unsatisfiable, 0, 0, f"range {header!r} is empty or the file is empty ({size} bytes)"
        length = min(suffix, size)
        return HTTPStatus.PARTIAL_CONTENT, size - length, length, None
    start = int(first)
    if last and int(last) < start:
        return HTTPStatus.BAD_REQUEST, 0, 0, f"malformed Range header {header!r} (last byte before first)"
    if start >= size:
        return unsatisfiable, 0, 0, f"range {header!r} starts at or past the end of the file ({size} bytes)"
    end = min(int(last), size - 1) if last else size - 1
    return HTTPStatus.PARTIAL_CONTENT, start, end - start + 1, None


# ---------------------------------------------------------------------------------------------------------
# The server process


@contextlib.contextmanager
def _serving(root: Path, latencies_ms: tuple[int, ...], bucket: str) -> Iterator[dict[int, _Server]]:
    counters = _Counters()
    servers = {latency: _Server(root, bucket, latency, counters) for latency in latencies_ms}
    threads = [
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        for server in servers.values()
    ]
    for thread in threads:
        thread.start()
    try:
        yield servers
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Run the streaming server until SIGTERM/SIGINT or until the parent process is gone.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (``--root DIR [--latencies 0,20] [--bucket NAME] [--parent-pid PID]``).

    Returns
    -------
    int
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nwb_benchmarks.nwb._streaming_server",
        description="Serve a folder over HTTP and path-style S3 on 127.0.0.1, one port per latency.",
    )
    parser.add_argument("--root", required=True, type=Path, help="folder whose files are served")
    parser.add_argument("--latencies", default="0,20", help="comma-separated latencies in ms, one port each")
    parser.add_argument("--bucket", default=DEFAULT_BUCKET, help="path-style S3 bucket name")
    parser.add_argument("--parent-pid", type=int, default=0, help="exit when this process is gone")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not root.is_dir():
        parser.error(f"--root {root} is not a folder")
    try:
        latencies = _check_latencies([part for part in args.latencies.split(",") if part.strip()])
        bucket = _check_bucket(args.bucket)
    except ValueError as error:
        parser.error(str(error))

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with _serving(root, latencies, bucket) as servers:
        info = ServerInfo(
            root=str(root),
            bucket=bucket,
            base_urls={latency: server.base_url for latency, server in servers.items()},
            pid=os.getpid(),
        )
        sys.stdout.write(info.to_json() + "\n")
        sys.stdout.flush()
        # Nothing more goes to stdout; detach from the pipe so a parent that stops reading can't block us.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        while not stop.wait(0.5):
            if args.parent_pid and (os.getppid() != args.parent_pid or not _process_exists(args.parent_pid)):
                break  # orphaned: the session that started us is gone
    return 0


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    sys.exit(main())
