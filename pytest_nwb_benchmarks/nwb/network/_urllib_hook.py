"""The ``library`` tracking method's hook in the standard library's ``urllib.request`` (lindi reads with it).

lindi fetches its reference files (``.lindi.json`` whole, ``.lindi.tar`` by ranges) with
``urllib.request.urlopen`` and its chunks with ``requests``; without this hook the first would be invisible.
``AbstractHTTPHandler.do_open`` is wrapped: one request and one new connection per call (urllib keeps no
connection alive), the time until the response headers arrived, and the body bytes the caller reads.
Bytes the server sent that were never read are not counted (lindi reads every response whole).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def _request_size(request: Any) -> int:
    selector = request.selector or "/"
    size = len(f"{request.get_method()} {selector} HTTP/1.1\r\n")
    headers = {**request.unredirected_hdrs, **request.headers}
    if "Host" not in headers:
        size += len(f"Host: {request.host}\r\n")
    size += sum(len(f"{name}: {value}\r\n") for name, value in headers.items()) + 2
    data = request.data
    return size + (len(data) if isinstance(data, (bytes, bytearray)) else 0)


def patch_urllib(
    patch: Callable[[str, Any, str, Any], None], recorder_of: Callable[[], Any], record_type: type
) -> None:
    """Wrap ``urllib.request.AbstractHTTPHandler.do_open`` so that it reports to the active recorder.

    Parameters
    ----------
    patch : callable
        ``_library_hooks._patch`` (records the original for uninstalling).
    recorder_of : callable
        Returns the active ``LibraryRecorder`` or ``None``.
    record_type : type
        ``RequestRecord``.
    """
    import urllib.request

    original = urllib.request.AbstractHTTPHandler.do_open

    def counting_do_open(handler: Any, http_class: Any, request: Any, **kwargs: Any) -> Any:
        recorder = recorder_of()
        if recorder is None:
            return original(handler, http_class, request, **kwargs)
        record = record_type(
            library="urllib",
            method=request.get_method(),
            url=request.full_url,
            started=time.perf_counter(),
            bytes_uploaded=_request_size(request),
        )
        recorder.add_request(record)
        recorder.add_connection()
        response = original(handler, http_class, request, **kwargs)
        record.headers_seconds = time.perf_counter() - record.started
        _count_reads(response, lambda count: recorder.add_body_bytes(record, count))
        return response

    patch("urllib.AbstractHTTPHandler.do_open", urllib.request.AbstractHTTPHandler, "do_open", counting_do_open)


def _count_reads(response: Any, add: Callable[[int], None]) -> None:
    # http.client's read(amt) calls self.readinto: count the outer call only.
    original_read, original_readinto = response.read, response.readinto
    inside_read = [False]

    def read(*args: Any, **kwargs: Any) -> bytes:
        inside_read[0] = True
        try:
            data = original_read(*args, **kwargs)
        finally:
            inside_read[0] = False
        add(len(data))
        return data

    def readinto(buffer: Any) -> int:
        count = original_readinto(buffer)
        if not inside_read[0]:
            add(count or 0)
        return count

    response.read, response.readinto = read, readinto
