"""The physical limit of every slice: read exactly the bytes HDF5 needs for it, and nothing else.

``setup`` works out the byte ranges from the dataset's chunk layout
(:func:`~pytest_nwb_benchmarks.nwb._byte_ranges.needed_byte_ranges`), opens the connection or the file,
allocates one buffer per range and reads the ranges once into them (so the page cache and the buffers'
memory are as warm as a reader's after its own ``setup``). The timed part fetches them again, into
those buffers, with plain HTTP range requests, all in flight at once on keep-alive connections opened in
``setup`` (``HttpRangeLimit``, at each latency, same parameters as ``time_remote_slicing``) or with ``os.preadv`` (``PreadLimit``, same
parameters as ``time_local_slicing``). No decompression is done: it is the transfer alone. The limit
report divides every method's time by these, and ``track_bytes_needed`` gives the bytes a perfect reader
would move. ``tests/test_physical_limit.py`` checks that no reader beats its limit by more than the noise.
"""

from __future__ import annotations

import os
from typing import Any

from pytest_nwb_benchmarks.nwb import (
    HttpRangeFetcher,
    ResolvedAsset,
    close_opened,
    needed_byte_ranges,
    pread_into,
    range_buffers,
    read_hdf5_h5py_local,
    read_hdf5_h5py_remfile_no_cache,
    resolve_asset,
    resolve_slice_case,
    total_bytes,
)

from ._bases import _CHEAP_ROUNDS, _ColdSamples
from .params import LATENCIES_MS, LOCAL_SLICES, REMOTE_SLICES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 2.0
#: At most this many ranges in flight at once for the HTTP limit.
MAX_CONNECTIONS = 16


def byte_ranges_of(asset: ResolvedAsset, selection: tuple[slice, ...]) -> list[tuple[int, int]]:
    """Open the asset (the local copy when there is one, else remotely) and list the slice's byte ranges."""
    if asset.local_path is not None:
        opened = read_hdf5_h5py_local(asset.local_path)
    else:
        opened = read_hdf5_h5py_remfile_no_cache(asset.http_url)
    try:
        return needed_byte_ranges(opened[0][asset.dataset_path], selection)
    finally:
        close_opened(opened)


class _BytesNeeded:
    """``track_bytes_needed``: the bytes of the ``ranges`` (``(offset, length)`` pairs) made in ``setup``."""

    def track_bytes_needed(self, *params: Any) -> int:
        return total_bytes(self.ranges)

    track_bytes_needed.unit = "bytes"  # type: ignore[attr-defined]


class _AllAtOnceLimit(_BytesNeeded, _ColdSamples):
    """A remote limit: the requests a slice needs, all in flight at once on connections opened in ``setup``.

    Every range or object is requested at once (up to ``MAX_CONNECTIONS``), so that the latency is paid
    about once, as by the best possible reader: a limit a reader beats is no limit.
    """

    param_names = ("slice_case", "latency_ms")
    rounds = _CHEAP_ROUNDS  # setup only computes byte ranges and connects: a second process is cheap
    repeat = (1, 3, 10.0)  # asv's runner; the native one samples to the precision target within the budget
    timeout = 300

    def _connect(self, url: str) -> None:
        """Open the keep-alive connections (the methods compared with it connected while opening the file)."""
        self.fetcher = HttpRangeFetcher(url, connections=min(len(self.ranges), MAX_CONNECTIONS))
        self.fetcher.connect()

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.fetcher.close()

    def track_ranges_needed(self, slice_case: str, latency_ms: int) -> int:
        return len(self.ranges)

    track_ranges_needed.unit = "requests"  # type: ignore[attr-defined]


class HttpRangeLimitContinuousSliceBenchmark(_AllAtOnceLimit):
    """Fetch the slice's byte ranges with one plain HTTP range GET each."""

    params = (REMOTE_SLICES, LATENCIES_MS)

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.ranges = byte_ranges_of(self.asset, selection)
        self.buffers = range_buffers(self.ranges)
        self._connect(self.asset.http_url)
        if latency_ms == 0:
            # warm the server's page cache and the buffers, as a reader's earlier reads warmed its own;
            # at a latency the transfer is dominated by it, and a second round trip per range in setup costs
            self.fetcher.fetch_into(self.ranges, self.buffers)

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.fetcher.fetch_into(self.ranges, self.buffers)


class PreadLimitContinuousSliceBenchmark(_BytesNeeded, _ColdSamples):
    """Read the slice's byte ranges from the local file with ``os.preadv`` into preallocated buffers."""

    param_names = ("slice_case",)
    params = (LOCAL_SLICES,)
    rounds = _CHEAP_ROUNDS
    repeat = (1, 5, 10.0)  # asv's runner; the native one samples to the precision target within the budget
    timeout = 120

    def setup(self, slice_case: str) -> None:
        asset, selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, remote=False)
        self.ranges = byte_ranges_of(self.asset, selection)
        self.buffers = range_buffers(self.ranges)
        # open in setup, as the readers open the file in theirs; one read warms the page cache and the buffers
        self.fd = os.open(self.asset.local_path, os.O_RDONLY)
        pread_into(self.fd, self.ranges, self.buffers)

    def teardown(self, slice_case: str) -> None:
        os.close(self.fd)

    def time_slice(self, slice_case: str) -> None:
        pread_into(self.fd, self.ranges, self.buffers)
