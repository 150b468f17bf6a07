"""The physical limit of a slice: exactly the bytes of the file that HDF5 must read to return it.

:func:`needed_byte_ranges` works them out from the dataset's storage layout (the chunk index, or the
offset of a contiguous dataset). Reading those ranges and nothing else -- with plain HTTP range requests
(:class:`HttpRangeFetcher`) or with ``os.preadv`` on a local file (:func:`pread_into`), into buffers
allocated beforehand -- is the fastest any reader can fetch the slice's bytes, so the suite reports
every method relative to it.

Ranges are ``(offset, length)`` pairs in bytes, sorted by offset, with touching ranges merged.
"""

from __future__ import annotations

import itertools
import mmap
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = [
    "HttpRangeFetcher",
    "merge_ranges",
    "needed_byte_ranges",
    "needed_zarr_chunks",
    "pread_into",
    "range_buffers",
    "read_ranges_pread",
    "total_bytes",
]


def needed_byte_ranges(dataset: Any, selection: Sequence[slice] | slice) -> list[tuple[int, int]]:
    """Return the byte ranges of the file that reading ``dataset[selection]`` needs.

    For a chunked dataset without filters only the touched part of each chunk is counted (HDF5 reads
    those spans directly); with any filter (gzip, shuffle, ...) whole chunks are counted, since a chunk
    must be read entirely to be decoded. Chunks that were never written (fill value) need no bytes.

    Parameters
    ----------
    dataset : h5py.Dataset
        An open dataset.
    selection : tuple of slice, or slice
        A hyperslab with step 1 (``None`` bounds allowed), one slice per dimension or fewer.

    Returns
    -------
    list of (int, int)
        ``(offset, length)`` pairs, sorted and merged where they touch.

    Raises
    ------
    ValueError
        If the selection has a step other than 1, or more slices than the dataset has dimensions.
    """
    shape = tuple(int(n) for n in dataset.shape)
    bounds = _normalise_selection(selection, shape)
    if any(lo >= hi for lo, hi in bounds):
        return []
    itemsize = int(dataset.dtype.itemsize)
    if dataset.chunks is None:
        offset = dataset.id.get_offset()
        if offset is None:  # storage never allocated: everything is the fill value
            return []
        return merge_ranges(_row_major_runs(shape, bounds, itemsize, int(offset)))
    chunks = tuple(int(n) for n in dataset.chunks)
    filtered = dataset.id.get_create_plist().get_nfilters() > 0
    ranges: list[tuple[int, int]] = []
    first = [lo // c for (lo, _), c in zip(bounds, chunks)]
    last = [(hi - 1) // c for (_, hi), c in zip(bounds, chunks)]
    for index in itertools.product(*(range(a, b + 1) for a, b in zip(first, last))):
        origin = tuple(i * c for i, c in zip(index, chunks))
        info = dataset.id.get_chunk_info_by_coord(origin)
        if info.byte_offset is None:  # unallocated chunk
            continue
        if filtered:
            ranges.append((int(info.byte_offset), int(info.size)))
            continue
        # Uncompressed chunks are stored whole (edge chunks too), row-major in the chunk's own shape.
        inner = [(max(lo, o) - o, min(hi, o + c) - o) for (lo, hi), o, c in zip(bounds, origin, chunks)]
        ranges.extend(_row_major_runs(chunks, inner, itemsize, int(info.byte_offset)))
    return merge_ranges(ranges)


def needed_zarr_chunks(store: Path, array_path: str, selection: Sequence[slice] | slice) -> list[tuple[str, int]]:
    """Return the chunk objects of a Zarr v2 array (in a local store) that reading ``selection`` needs.

    A Zarr chunk is one object, fetched and decoded whole, so its whole size counts whatever part of it
    the slice touches. Chunks never written (the fill value) need nothing.

    Parameters
    ----------
    store : pathlib.Path
        The store folder.
    array_path : str
        The array's path inside the store, e.g. ``"acquisition/ElectricalSeries/data"``.
    selection : tuple of slice, or slice
        A hyperslab with step 1.

    Returns
    -------
    list of (str, int)
        ``(key relative to the store, size in bytes)`` pairs, in chunk order.

    Raises
    ------
    ValueError
        If the array has no ``.zarray`` or the selection is not a step-1 hyperslab.
    """
    import json

    folder = Path(store) / array_path
    try:
        meta = json.loads((folder / ".zarray").read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{folder} is not a Zarr v2 array ({error})") from None
    shape, chunks = tuple(meta["shape"]), tuple(meta["chunks"])
    separator = meta.get("dimension_separator") or "."
    bounds = _normalise_selection(selection, shape)
    if any(lo >= hi for lo, hi in bounds):
        return []
    ranges = [range(lo // c, (hi - 1) // c + 1) for (lo, hi), c in zip(bounds, chunks)]
    needed = []
    for index in itertools.product(*ranges):
        key = separator.join(str(i) for i in index) if index else "0"
        path = folder.joinpath(*key.split("/"))
        if path.is_file():
            needed.append((f"{array_path}/{key}", path.stat().st_size))
    return needed


def _normalise_selection(selection: Sequence[slice] | slice, shape: tuple[int, ...]) -> list[tuple[int, int]]:
    if isinstance(selection, slice):
        selection = (selection,)
    selection = tuple(selection)
    if len(selection) > len(shape):
        raise ValueError(f"selection {selection!r} has {len(selection)} slices; the dataset has {len(shape)} dims")
    bounds = []
    for dim, n in enumerate(shape):
        part = selection[dim] if dim < len(selection) else slice(None)
        if not isinstance(part, slice):
            raise ValueError(f"selection {selection!r}: dimension {dim} is {part!r}, expected a slice")
        start, stop, step = part.indices(n)
        if step != 1:
            raise ValueError(f"selection {selection!r}: dimension {dim} has step {step}; only step 1 is supported")
        bounds.append((start, max(start, stop)))
    return bounds


def _row_major_runs(
    block: Sequence[int], bounds: Sequence[tuple[int, int]], itemsize: int, base: int
) -> list[tuple[int, int]]:
    """Contiguous byte runs of the box ``bounds`` inside a row-major ``block`` stored at ``base``."""
    ndim = len(block)
    # The trailing dimensions that the box covers entirely fold into one run with the last partial one.
    split = ndim - 1
    while split > 0 and bounds[split] == (0, block[split]):
        split -= 1
    inner = 1
    for n in block[split + 1 :]:
        inner *= n
    run_len = (bounds[split][1] - bounds[split][0]) * inner * itemsize
    strides = [0] * ndim
    stride = itemsize
    for dim in range(ndim - 1, -1, -1):
        strides[dim] = stride
        stride *= block[dim]
    start_in_split = bounds[split][0] * strides[split]
    runs = []
    for outer in itertools.product(*(range(lo, hi) for lo, hi in bounds[:split])):
        offset = base + start_in_split + sum(i * s for i, s in zip(outer, strides))
        runs.append((offset, run_len))
    return runs


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort ``(offset, length)`` ranges and merge those that overlap or touch.

    Parameters
    ----------
    ranges : iterable of (int, int)
        Ranges in any order.

    Returns
    -------
    list of (int, int)
        Sorted, disjoint, non-touching ranges covering the same bytes.
    """
    merged: list[list[int]] = []
    for offset, length in sorted(ranges):
        if length <= 0:
            continue
        if merged and offset <= merged[-1][0] + merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], offset + length - merged[-1][0])
        else:
            merged.append([offset, length])
    return [(offset, length) for offset, length in merged]


def total_bytes(ranges: Iterable[tuple[int, int]]) -> int:
    """Return the number of bytes in ``ranges`` (assumed disjoint)."""
    return sum(length for _, length in ranges)


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
        Number of bytes read.

    Raises
    ------
    OSError
        If a range lies past the end of the file (the message names the file).
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
            Number of body bytes received.

        Raises
        ------
        OSError
            If the server answers with anything but exactly the object's bytes.
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
