"""The streaming server's request side: HTTP files, path-style S3 objects, DANDI-style redirects, counters.

Runs inside the server process that :mod:`._streaming_server` starts; one :class:`_Server` per latency,
all sharing one :class:`_Counters`.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from pytest_nwb_benchmarks.nwb._s3_listing import MAX_KEYS, ListingError, list_objects, servable_parts
from pytest_nwb_benchmarks.nwb._server_info import _quote_path
from pytest_nwb_benchmarks.nwb._tcp_info import bytes_transmitted as _bytes_transmitted

_HOST = "127.0.0.1"
_COUNTER_NAMES = ("requests", "head_requests", "get_requests", "range_requests", "bytes_sent", "redirects")
_SENDFILE_BLOCK = 8 << 20
_RANGE = re.compile(r"^\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*$")

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
            left_before = _bytes_transmitted(self.connection)
            self.end_headers()
            if head or length == 0:
                return
            sent = 0
            try:
                sent = self._sendfile(stream, start, length)
            finally:
                if sent < length and left_before is not None:
                    # The client hung up part way (remfile's size probe does): what sendfile queued
                    # includes a send buffer that never crossed; TCP_INFO says what left the socket.
                    left_after = _bytes_transmitted(self.connection)
                    if left_after is not None:
                        sent = max(0, min(sent, left_after - left_before - header_bytes))
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
def serving(root: Path, latencies_ms: tuple[int, ...], bucket: str) -> Iterator[dict[int, _Server]]:
    """Serve ``root`` on one port per latency (each in its own thread) until the block ends."""
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
