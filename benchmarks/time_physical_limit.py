"""The physical limit of every slice: read exactly the bytes HDF5 needs for it, and nothing else.

``setup`` works out the byte ranges from the dataset's chunk layout
(:func:`~pytest_nwb_benchmarks._byte_ranges.needed_byte_ranges`); the timed part fetches them with plain
HTTP range requests on one keep-alive connection (``HttpRangeLimit``, at each latency, same parameters as
``time_remote_slicing``) or with ``os.pread`` from the local file (``PreadLimit``, same parameters as
``time_local_slicing``). No decompression is done: it is the transfer alone. The limit report divides
every method's time by these, and ``track_bytes_needed`` gives the bytes a perfect reader would move.
"""

from __future__ import annotations

import requests

from pytest_nwb_benchmarks._assets import ResolvedAsset, resolve_asset, resolve_slice_case
from pytest_nwb_benchmarks._byte_ranges import needed_byte_ranges, read_ranges_http, read_ranges_pread, total_bytes
from pytest_nwb_benchmarks._readers import close_opened, read_hdf5_h5py_local, read_hdf5_h5py_remfile_no_cache

from .params import LATENCIES_MS, LOCAL_SLICES, REMOTE_SLICES


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


class HttpRangeLimitContinuousSliceBenchmark:
    """Fetch the slice's byte ranges with one plain HTTP range GET each."""

    param_names = ("slice_case", "latency_ms")
    params = (REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.ranges = byte_ranges_of(self.asset, selection)
        self.session = requests.Session()
        # Connect now: the methods it is compared with opened their connection while opening the file.
        self.session.head(self.asset.http_url, timeout=60).raise_for_status()

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.session.close()

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        read_ranges_http(self.session, self.asset.http_url, self.ranges)

    def track_bytes_needed(self, slice_case: str, latency_ms: int) -> int:
        return total_bytes(self.ranges)

    track_bytes_needed.unit = "bytes"  # type: ignore[attr-defined]

    def track_ranges_needed(self, slice_case: str, latency_ms: int) -> int:
        return len(self.ranges)

    track_ranges_needed.unit = "requests"  # type: ignore[attr-defined]


class PreadLimitContinuousSliceBenchmark:
    """Read the slice's byte ranges from the local file with ``os.pread``."""

    param_names = ("slice_case",)
    params = (LOCAL_SLICES,)
    rounds = 1
    repeat = (1, 5, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 120

    def setup(self, slice_case: str) -> None:
        asset, selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, remote=False)
        self.ranges = byte_ranges_of(self.asset, selection)

    def time_slice(self, slice_case: str) -> None:
        read_ranges_pread(self.asset.local_path, self.ranges)

    def track_bytes_needed(self, slice_case: str) -> int:
        return total_bytes(self.ranges)

    track_bytes_needed.unit = "bytes"  # type: ignore[attr-defined]
