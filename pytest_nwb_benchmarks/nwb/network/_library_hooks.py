"""Library-level accounting of HTTP traffic inside this process, without any privilege.

While a :class:`LibraryRecorder` is installed, three client libraries report what they do (the standard
library's ``urllib.request``, which lindi uses for its reference files, in ``_urllib_hook``):

* ``requests`` / ``urllib3`` (remfile, the DANDI API): ``requests.adapters.HTTPAdapter.send`` is wrapped
  to count each request (each redirect hop too), its size on the wire (request line, headers and body),
  the time until the response headers arrived, and the response body bytes taken from the socket;
  urllib3's ``HTTPConnection.connect`` is wrapped to count the TCP connections it opens.
* ``aiohttp`` (fsspec HTTP, s3fs through aiobotocore): every ``ClientSession`` that makes a request while
  the recorder is installed gets a ``TraceConfig`` (taken out again on uninstall) that counts requests,
  request body chunks, new connections and the time until the response headers arrived. Response body
  bytes are counted where aiohttp's parser hands them to a response's ``StreamReader``: the trace's own
  chunk signal fires only for ``read()`` of a whole body, which aiobotocore does not use.

The hooks are removed when the recorder is uninstalled, so timing runs never carry them. Clients that do
not go through these libraries (h5py's ros3 driver is C code using libcurl) are invisible here.
"""

from __future__ import annotations

import array
import fcntl
import socket
import termios
import threading
import time
from dataclasses import dataclass, field
from typing import Any

# What one request looked like; the tracker turns a list of these into statistics.


@dataclass
class RequestRecord:
    """One HTTP request seen by a library hook.

    Attributes
    ----------
    library : str
        ``"requests"``, ``"aiohttp"`` or ``"urllib"``.
    method : str
        The HTTP method.
    url : str
        The requested URL.
    started : float
        ``time.perf_counter()`` when the request was handed to the library.
    headers_seconds : float or None
        Seconds from ``started`` until the response headers arrived (None if they never did).
    bytes_uploaded : int
        Request line, headers and body, as the library sent them (an estimate of the wire size: header
        order and casing can differ by a few bytes).
    bytes_downloaded : int
        Response body bytes received by this process.
    """

    library: str
    method: str
    url: str
    started: float
    headers_seconds: float | None = None
    bytes_uploaded: int = 0
    bytes_downloaded: int = 0


@dataclass
class LibraryRecorder:
    """Collects what the hooks report while it is installed.

    Attributes
    ----------
    requests : list of RequestRecord
        Every request seen, in the order they started.
    connections_opened : int
        New TCP connections opened by urllib3 or aiohttp.
    stream_bytes_downloaded : int
        Response body bytes aiohttp's parser delivered (counted per reader, not per request: aiohttp
        gives no cheap link from a body chunk back to its request).
    """

    requests: list[RequestRecord] = field(default_factory=list)
    connections_opened: int = 0
    stream_bytes_downloaded: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # requests.Response objects whose body is counted when they are closed, or when tracking stops
    _open_streams: dict[int, tuple[Any, RequestRecord]] = field(default_factory=dict, repr=False)

    def add_request(self, record: RequestRecord) -> None:
        """Record a request that just started."""
        with self._lock:
            self.requests.append(record)

    def add_connection(self) -> None:
        """Record a new TCP connection."""
        with self._lock:
            self.connections_opened += 1

    def add_body_bytes(self, record: RequestRecord, count: int) -> None:
        """Add response body bytes to a request's record."""
        with self._lock:
            record.bytes_downloaded += count

    def add_stream_bytes(self, count: int) -> None:
        """Add response body bytes delivered by aiohttp's parser."""
        with self._lock:
            self.stream_bytes_downloaded += count

    def settle_open_streams(self) -> None:
        """Count the body bytes of ``requests`` responses that were not closed yet."""
        with self._lock:
            pending = list(self._open_streams.values())
            self._open_streams.clear()
        for response, record in pending:
            _settle_requests_response(response, record, self)


# --- the process-wide installation ---------------------------------------------------------------

_install_lock = threading.Lock()
_active: LibraryRecorder | None = None
_originals: dict[str, Any] = {}


def active_recorder() -> LibraryRecorder | None:
    """The recorder the hooks currently report to, if any."""
    return _active


def install(recorder: LibraryRecorder) -> None:
    """Install the hooks and make ``recorder`` receive their reports.

    Parameters
    ----------
    recorder : LibraryRecorder
        The recorder to report to.

    Raises
    ------
    RuntimeError
        If another recorder is installed: nested library tracking would count every byte twice.
    """
    global _active
    with _install_lock:
        if _active is not None:
            raise RuntimeError(
                "a network tracker with the 'library' method is already active in this process; "
                "stop it before starting another one"
            )
        _patch_requests()
        _patch_aiohttp()
        from pytest_nwb_benchmarks.nwb.network._urllib_hook import patch_urllib

        patch_urllib(_patch, active_recorder, RequestRecord)
        _active = recorder


def uninstall(recorder: LibraryRecorder) -> None:
    """Remove the hooks installed for ``recorder`` and settle what it still holds open."""
    global _active
    with _install_lock:
        if _active is not recorder:
            return
        recorder.settle_open_streams()
        _active = None
        for key, original in list(_originals.items()):
            owner, name = _PATCH_TARGETS[key]
            setattr(owner, name, original)
        _originals.clear()
        for cleanup in _cleanups:
            cleanup()
        _cleanups.clear()


_PATCH_TARGETS: dict[str, tuple[Any, str]] = {}


def _patch(key: str, owner: Any, name: str, replacement: Any) -> None:
    _PATCH_TARGETS[key] = (owner, name)
    _originals[key] = getattr(owner, name)
    setattr(owner, name, replacement)


# --- requests / urllib3 --------------------------------------------------------------------------


def _patch_requests() -> None:
    try:
        import requests.adapters
        import urllib3.connection
    except ImportError:  # neither library in use: nothing of theirs to count
        return

    original_send = requests.adapters.HTTPAdapter.send
    original_connect = urllib3.connection.HTTPConnection.connect

    # The adapter sends exactly one request per call (Session.send follows redirects by calling it again),
    # and returns once the response headers are in, before any body byte is read.
    def counting_send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        recorder = _active
        if recorder is None:
            return original_send(adapter, request, *args, **kwargs)
        record = RequestRecord(
            library="requests",
            method=str(request.method),
            url=str(request.url),
            started=time.perf_counter(),
            bytes_uploaded=_prepared_request_size(request),
        )
        recorder.add_request(record)
        response = original_send(adapter, request, *args, **kwargs)
        record.headers_seconds = time.perf_counter() - record.started
        _watch_response(response, record, recorder)
        return response

    def counting_connect(connection: Any) -> Any:
        result = original_connect(connection)
        recorder = _active
        if recorder is not None:
            recorder.add_connection()
        return result

    _patch("requests.HTTPAdapter.send", requests.adapters.HTTPAdapter, "send", counting_send)
    _patch("urllib3.HTTPConnection.connect", urllib3.connection.HTTPConnection, "connect", counting_connect)


def _prepared_request_size(request: Any) -> int:
    # "GET /path HTTP/1.1\r\n" + "Name: value\r\n" per header + "\r\n" + body
    from urllib.parse import urlsplit

    parts = urlsplit(str(request.url))
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    size = len(f"{request.method} {target} HTTP/1.1\r\n")
    # http.client adds Host itself when the caller did not
    if "Host" not in request.headers:
        size += len(f"Host: {parts.netloc}\r\n")
    size += sum(len(f"{name}: {value}\r\n") for name, value in request.headers.items())
    size += 2
    body = request.body
    if isinstance(body, (bytes, bytearray)):
        size += len(body)
    elif isinstance(body, str):
        size += len(body.encode())
    return size


def _watch_response(response: Any, record: RequestRecord, recorder: LibraryRecorder) -> None:
    # The body is read later (by Session.send, or by the caller for a streamed response) or abandoned: count
    # it when the response is closed, or when tracking stops, whichever comes first. That includes what had
    # reached this process without being read: remfile's size probe reads only the headers and closes, and
    # the bytes the server pushed meanwhile were downloaded all the same.
    original_close = response.close

    def counting_close() -> None:
        with recorder._lock:
            watched = recorder._open_streams.pop(id(response), None)
        if watched is not None:
            _settle_requests_response(response, record, recorder)
        original_close()

    with recorder._lock:
        recorder._open_streams[id(response)] = (response, record)
    response.close = counting_close


def _settle_requests_response(response: Any, record: RequestRecord, recorder: LibraryRecorder) -> None:
    raw = getattr(response, "raw", None)
    read = 0
    if raw is not None and hasattr(raw, "tell"):
        try:
            read = int(raw.tell())  # body bytes taken from the socket, before any content decoding
        except Exception:  # a closed or foreign raw object: fall back to the decoded body below
            read = 0
    if read == 0 and getattr(response, "_content_consumed", False) and isinstance(response._content, bytes):
        read = len(response._content)
    unread = _unread_bytes(raw) if raw is not None else 0
    recorder.add_body_bytes(record, read + unread)


def _unread_bytes(raw: Any) -> int:
    """Bytes of a response that reached this process but were not read: buffered or in the socket queue."""
    fp = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's buffered reader
    connection = getattr(raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if fp is None or sock is None or not isinstance(sock, socket.socket):
        return 0
    length = getattr(raw, "length_remaining", None)
    try:
        timeout = sock.gettimeout()
        sock.setblocking(False)  # peek must not wait for more data
        try:
            buffered = len(fp.peek(0) or b"")
        finally:
            sock.settimeout(timeout)
        queued = array.array("i", [0])
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, queued)  # bytes waiting in the kernel's receive queue
        unread = buffered + int(queued[0])
    except (OSError, ValueError, AttributeError):
        return 0
    if isinstance(length, int) and length >= 0:
        unread = min(unread, length)  # never count bytes of a next response on a kept-alive connection
    return unread


# --- aiohttp -------------------------------------------------------------------------------------


def _patch_aiohttp() -> None:
    try:
        import aiohttp
        import aiohttp.streams
    except ImportError:
        return

    original_request = aiohttp.ClientSession._request
    original_feed = aiohttp.streams.StreamReader.feed_data
    trace_config = _make_trace_config(aiohttp)

    def tracing_request(session: Any, *args: Any, **kwargs: Any) -> Any:
        # Sessions opened before tracking started (a file opened in a benchmark's setup) are traced too:
        # the trace config joins the session's list at its first request while tracking, and leaves it
        # when the hooks are removed.
        configs = getattr(session, "_trace_configs", None)
        if isinstance(configs, list) and trace_config not in configs:
            configs.append(trace_config)
            _traced_sessions.append(configs)
        return original_request(session, *args, **kwargs)

    def counting_feed(reader: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
        recorder = _active
        if recorder is not None:
            recorder.add_stream_bytes(len(data))
        return original_feed(reader, data, *args, **kwargs)

    def remove_trace_config() -> None:
        for configs in _traced_sessions:
            while trace_config in configs:
                configs.remove(trace_config)
        _traced_sessions.clear()

    _cleanups.append(remove_trace_config)
    _patch("aiohttp.ClientSession._request", aiohttp.ClientSession, "_request", tracing_request)
    _patch("aiohttp.StreamReader.feed_data", aiohttp.streams.StreamReader, "feed_data", counting_feed)


_traced_sessions: list[list[Any]] = []
_cleanups: list[Any] = []


def _make_trace_config(aiohttp: Any) -> Any:
    config = aiohttp.TraceConfig()

    async def on_request_start(session: Any, context: Any, params: Any) -> None:
        recorder = _active
        context.nwb_record = None
        if recorder is None:
            return
        url = params.url
        target = url.raw_path_qs if hasattr(url, "raw_path_qs") else str(url)
        size = len(f"{params.method} {target} HTTP/1.1\r\n") + 2
        size += sum(len(f"{name}: {value}\r\n") for name, value in params.headers.items())
        record = RequestRecord(
            library="aiohttp",
            method=str(params.method),
            url=str(url),
            started=time.perf_counter(),
            bytes_uploaded=size,
        )
        context.nwb_record = record
        recorder.add_request(record)

    async def on_request_chunk_sent(session: Any, context: Any, params: Any) -> None:
        record = getattr(context, "nwb_record", None)
        if record is not None and _active is not None:
            record.bytes_uploaded += len(params.chunk)

    async def on_request_end(session: Any, context: Any, params: Any) -> None:
        record = getattr(context, "nwb_record", None)
        recorder = _active
        if record is None or recorder is None:
            return
        record.headers_seconds = time.perf_counter() - record.started

    async def on_connection_create_end(session: Any, context: Any, params: Any) -> None:
        recorder = _active
        if recorder is not None:
            recorder.add_connection()

    config.on_request_start.append(on_request_start)
    config.on_request_chunk_sent.append(on_request_chunk_sent)
    config.on_request_end.append(on_request_end)
    config.on_connection_create_end.append(on_connection_create_end)
    config.freeze()
    return config
