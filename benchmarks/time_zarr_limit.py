"""The Zarr limit of every remote slice: fetch exactly the chunk objects it needs, one plain GET each.

A Zarr chunk is a whole object, so this is the least any Zarr reader can move for the slice; its time is
set, like every method's, against the HDF5 ``HttpRangeLimit`` of the same slice in the limit report, and its
``track_bytes_needed`` is what the Zarr methods' transferred bytes are divided by.
"""

from __future__ import annotations

import requests

from pytest_nwb_benchmarks._assets import resolve_slice_case
from pytest_nwb_benchmarks._byte_ranges import needed_zarr_chunks, read_objects_http
from pytest_nwb_benchmarks._format_methods import resolve_format_asset

from .params import FORMAT_REMOTE_SLICES, LATENCIES_MS


class ZarrChunkLimitContinuousSliceBenchmark:
    """Fetch the slice's chunk objects with one plain HTTP GET each, on one keep-alive connection."""

    param_names = ("slice_case", "latency_ms")
    params = (FORMAT_REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, selection = resolve_slice_case(slice_case)
        self.asset = resolve_format_asset(asset, "ZarrHttpsConsolidated", latency_ms)
        self.chunks = needed_zarr_chunks(self.asset.local_path, self.asset.dataset_path, selection)
        self.urls = [f"{self.asset.http_url}/{key}" for key, _ in self.chunks]
        self.session = requests.Session()
        # Connect now: the methods it is compared with opened their connection while opening the store.
        self.session.get(f"{self.asset.http_url}/.zgroup", timeout=60).raise_for_status()

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.session.close()

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        read_objects_http(self.session, self.urls)

    def track_bytes_needed(self, slice_case: str, latency_ms: int) -> int:
        return sum(size for _, size in self.chunks)

    track_bytes_needed.unit = "bytes"  # type: ignore[attr-defined]

    def track_ranges_needed(self, slice_case: str, latency_ms: int) -> int:
        return len(self.chunks)

    track_ranges_needed.unit = "requests"  # type: ignore[attr-defined]
