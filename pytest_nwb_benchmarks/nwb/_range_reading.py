"""Reading given byte ranges as fast as Python can: the physical limit's reference readers.

With plain HTTP range requests (:class:`HttpRangeFetcher`) or with ``os.preadv`` on a local file
(:func:`pread_into`), into buffers allocated beforehand (:func:`range_buffers`). Ranges are ``(offset,
length)`` pairs, as :func:`._byte_ranges.needed_byte_ranges` returns them.
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pytest_nwb_benchmarks.nwb._byte_ranges import total_bytes


def range_buffers(ranges: Sequence[tuple[int, int]]) -> list[memoryview]:
    """Allocate one writable buffer per range, as consecutive slices of a single ``bytearray``.

    Every page is touched here, so that the timed reads (the limit benchmarks make the buffers in
    ``setup``) neither allocate nor take page faults on fresh memory: a new ``bytes`` object per
    range did both, and made the "limit" slower than h5py reading into its own array.

    Parameters
    ----------
    ranges : sequence of (int, int)
        ``(offset, length)`` pairs.

    Returns
    -------
    list of memoryview
        ``buffers[i]`` has ``ranges[i]``'s length.
    """
    size = total_bytes(ranges)
    raw = bytearray(size)
    # bytearray's zeroed memory may be mapped lazily: touch every page now, outside any timed region
    for page in range(0, size, mmap.PAGESIZE):
        raw[page] = 1
    storage = memoryview(raw)
    buffers, position = [], 0
    for _, length in ranges:
        buffers.append(storage[position : position + length])
        position += length
    return buffers


def pread_into(fd: int, ranges: Sequence[tuple[int, int]], buffers: Sequence[memoryview]) -> int:
    """Read each range of an open file into its buffer (``os.preadv``; seek and ``readv`` where missing).

    Parameters
    ----------
    fd : int
        A file descriptor open for reading.
    ranges : sequence of (int, int)
        ``(offset, length)`` pairs.
    buffers : sequence of memoryview
        One writable buffer per range, of its length (:func:`range_buffers`).

    Returns
    -------
    int
        Number of bytes read.

    Raises
    ------
    OSError
        If a range lies past the end of the file.
    """
    preadv = getattr(os, "preadv", None)
    received = 0
    for (offset, length), view in zip(ranges, buffers):
        done = 0
        while done < length:
            # a read may return fewer bytes than asked for; keep going until the range is complete
            if preadv is not None:
                count = preadv(fd, [view[done:length]], offset + done)
            else:  # pragma: no cover - platforms without preadv
                os.lseek(fd, offset + done, os.SEEK_SET)
                count = os.readv(fd, [view[done:length]])
            if not count:
                raise OSError(f"range ({offset}, {length}) runs past the end of the file")
            done += count
        received += done
    return received


def read_ranges_pread(path: str | Path, ranges: Iterable[tuple[int, int]]) -> int:
    """Read each range of a local file into fresh buffers (a convenience around :func:`pread_into`).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    ranges : iterable of (int, int)
        ``(offset, length)`` pairs.

    Returns
    -------
    int
        As :func:`pread_into`, which raises the same ``OSError`` (here naming the file).
    """
    ranges = list(ranges)
    fd = os.open(path, os.O_RDONLY)
    try:
        return pread_into(fd, ranges, range_buffers(ranges))
    except OSError as error:
        raise OSError(f"{path}: {error}") from None
    finally:
        os.close(fd)


class HttpRangeFetcher:
    """Fetches byte ranges of one URL with plain HTTP ``Range`` GETs on keep-alive connections.

    It talks urllib3 directly and reads each body straight into a preallocated buffer: the least
    a Python HTTP client can do per request. With ``connections`` above 1, the ranges of one call
    are requested at once, each on its own connection, so that the latency is paid about once
    rather than once per range (a reader whose read-ahead fetches several ranges in one request
    pays it fewer times than a one-range-at-a-time fetch would). :meth:`connect` opens the
    connections and starts the threads (in ``setup``).

    Parameters
    ----------
    url : str
        The file's URL (already redirected: a redirect per request would not be the limit).
    connections : int
        How many ranges may be in flight at once.
    timeout : float
        Seconds to wait for the server.
    """

    def __init__(self, url: str, connections: int = 1, timeout: float = 60.0) -> None:
        import urllib3

        self.url = url
        self.path = url[url.index("/", url.index("//") + 2) :] if url.count("/") > 2 else "/"
        self.connections = max(1, int(connections))
        self.pool = urllib3.connection_from_url(
            url, maxsize=self.connections, block=True, timeout=timeout, retries=False
        )
        self._executor: ThreadPoolExecutor | None = None
        if self.connections > 1:
            self._executor = ThreadPoolExecutor(max_workers=self.connections, thread_name_prefix="range-fetch")

    def _head(self, _: object = None) -> int:
        response = self.pool.urlopen("HEAD", self.path, preload_content=True, release_conn=True)
        if response.status >= 400:
            raise OSError(f"HEAD {self.url} answered HTTP {response.status}")
        return response.status

    def connect(self) -> None:
        """Open every connection now (HEAD requests that must succeed) and start the threads."""
        if self._executor is None:
            self._head()
            return
        # Requests in flight together make the pool open as many connections, and the executor as many threads.
        barrier = threading.Barrier(self.connections)

        def opened(_: int) -> int:
            barrier.wait(timeout=60)
            return self._head()

        list(self._executor.map(opened, range(self.connections)))

    def _fetch_one(self, offset: int, length: int, view: memoryview, path: str | None = None) -> int:
        # A range of the fetcher's URL (206 expected), or with ``path`` a whole object of the same server (200).
        if path is None:
            header = f"bytes={offset}-{offset + length - 1}"
            request_path, headers, expected = self.path, {"Range": header}, 206
        else:
            header = f"object {path}"
            request_path, headers, expected = path, {}, 200
        response = self.pool.urlopen("GET", request_path, headers=headers, preload_content=False, decode_content=False)
        try:
            done = 0
            if response.status == expected:
                while done < length:
                    count = response.readinto(view[done:length])
                    if not count:
                        break
                    done += count
            extra = len(response.read(decode_content=False))
        finally:
            response.release_conn()
        if response.status != expected or done != length or extra:
            raise OSError(
                f"request for {header} to {self.url} got HTTP {response.status} with "
                f"{done + extra} bytes; expected {expected} with {length} bytes"
            )
        return done

    def fetch_into(self, ranges: Sequence[tuple[int, int]], buffers: Sequence[memoryview]) -> int:
        """Fetch each range into its buffer: in order, or all at once with several connections.

        Parameters
        ----------
        ranges : sequence of (int, int)
            ``(offset, length)`` pairs.
        buffers : sequence of memoryview
            One writable buffer per range, of its length.

        Returns
        -------
        int
            Number of body bytes received.

        Raises
        ------
        OSError
            If the server answers with anything but exactly the requested bytes.
        """
        return self._fetch_all([offset for offset, _ in ranges], [length for _, length in ranges], buffers)

    def fetch_objects_into(self, paths: Sequence[str], sizes: Sequence[int], buffers: Sequence[memoryview]) -> int:
        """Fetch whole objects of the same server (Zarr chunks) into their buffers, as :meth:`fetch_into` does ranges.

        Parameters
        ----------
        paths : sequence of str
            The objects' paths on the server (``/store.zarr/data/0.0``).
        sizes : sequence of int
            Their sizes in bytes.
        buffers : sequence of memoryview
            One writable buffer per object, of its size.

        Returns
        -------
        int
            As :meth:`fetch_into`, which raises the same ``OSError`` (here for an object's bytes).
        """
        return self._fetch_all([0] * len(paths), list(sizes), buffers, list(paths))

    def _fetch_all(
        self,
        offsets: list[int],
        lengths: list[int],
        buffers: Sequence[memoryview],
        paths: list[str] | None = None,
    ) -> int:
        paths_or_none: list[str | None] = list(paths) if paths is not None else [None] * len(offsets)
        if self._executor is None or len(offsets) < 2:
            return sum(map(self._fetch_one, offsets, lengths, buffers, paths_or_none))
        return sum(self._executor.map(self._fetch_one, offsets, lengths, buffers, paths_or_none))

    def close(self) -> None:
        """Stop the threads and close the connections."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self.pool.close()
