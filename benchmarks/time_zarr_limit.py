"""The Zarr limit of every remote slice: fetch exactly the chunk objects it needs, one plain GET each, all at once.

A Zarr chunk is a whole object, so this is the least any Zarr reader can move for the slice; its time is
set, like every method's, against the HDF5 ``HttpRangeLimit`` of the same slice in the limit report, and its
``track_bytes_needed`` is what the Zarr methods' transferred bytes are divided by.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pytest_nwb_benchmarks.nwb import needed_zarr_chunks, range_buffers, resolve_format_asset, resolve_slice_case

from .params import FORMAT_REMOTE_SLICES, LATENCIES_MS
from .time_physical_limit import _AllAtOnceLimit

#: Precision-driven sampling (native runner), as in the HDF5 modules: sample each combination until the
#: median's 95 % interval is within +-5 %, or this many seconds are spent. asv's runner keeps ``repeat``.
precision_target = 0.05
time_budget = 2.0


class ZarrChunkLimitContinuousSliceBenchmark(_AllAtOnceLimit):
    """Fetch the slice's chunk objects with one plain HTTP GET each, all in flight at once.

    Like ``HttpRangeLimit``, it reads into buffers made in ``setup`` on connections opened there, and
    requests every object at once (up to ``MAX_CONNECTIONS``), so that the latency is paid about once:
    fsspec's Zarr store fetches chunks concurrently too, and a limit a reader beats is no limit.
    """

    params = (FORMAT_REMOTE_SLICES, LATENCIES_MS)

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, selection = resolve_slice_case(slice_case)
        self.asset = resolve_format_asset(asset, "ZarrHttpsConsolidated", latency_ms)
        self.chunks = needed_zarr_chunks(self.asset.local_path, self.asset.dataset_path, selection)
        store_path = urlsplit(self.asset.http_url).path.rstrip("/")
        self.paths = [f"{store_path}/{key}" for key, _ in self.chunks]
        self.sizes = [size for _, size in self.chunks]
        self.ranges = [(0, size) for size in self.sizes]  # one whole object each
        self.buffers = range_buffers(self.ranges)
        # Connect now (HEAD of the store's .zgroup): the methods it is compared with connected while opening it.
        self._connect(f"{self.asset.http_url}/.zgroup")
        if latency_ms == 0:
            # warm the server's page cache and the buffers, as HttpRangeLimit does
            self.fetcher.fetch_objects_into(self.paths, self.sizes, self.buffers)

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.fetcher.fetch_objects_into(self.paths, self.sizes, self.buffers)
