"""Shared shapes of the Zarr and LINDI benchmarks: each concrete class names its method, nothing else.

The classes here start with an underscore, so neither asv nor the plugin collects them; the modules
``time_zarr_*``, ``time_lindi_*`` and ``network_tracking_formats`` subclass them once per method (see
:mod:`pytest_nwb_benchmarks.nwb._format_methods`), with the same timing settings as the HDF5 benchmarks:
one call per sample on cold caches.
"""

from __future__ import annotations

from typing import Any

from pytest_nwb_benchmarks.nwb import (
    close_zarr_opened,
    dataset_of,
    network_statistics_result,
    open_with,
    plan_network_tracking,
    resolve_format_asset,
    resolve_slice_case,
    tracking_reader,
)

from .params import FORMAT_LOCAL_FILES, FORMAT_LOCAL_SLICES, FORMAT_REMOTE_FILES, FORMAT_REMOTE_SLICES, LATENCIES_MS


class _Cold:
    method = ""  # set by each concrete class: one of ZARR_METHODS / LINDI_METHODS
    rounds = 1
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def _close(self) -> None:
        self.dataset = self.data = None
        close_zarr_opened(getattr(self, "opened", ()))


class _RemoteFileRead(_Cold):
    param_names = ("asset", "latency_ms")
    params = (FORMAT_REMOTE_FILES, LATENCIES_MS)
    repeat = (1, 3, 10.0)

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_format_asset(asset, self.method, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        self._close()

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = open_with(self.asset)


class _RemoteSlice(_Cold):
    param_names = ("slice_case", "latency_ms")
    params = (FORMAT_REMOTE_SLICES, LATENCIES_MS)
    repeat = (1, 3, 5.0)

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_format_asset(asset, self.method, latency_ms)
        self.opened: tuple = open_with(self.asset)
        self.dataset: Any = dataset_of(self.opened, self.asset)

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self._close()

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class _LocalFileRead(_Cold):
    param_names = ("asset",)
    params = (FORMAT_LOCAL_FILES,)
    repeat = (1, 5, 10.0)
    timeout = 120

    def setup(self, asset: str) -> None:
        self.asset = resolve_format_asset(asset, self.method)
        self.opened: tuple = ()

    def teardown(self, asset: str) -> None:
        self._close()

    def time_read(self, asset: str) -> None:
        self.opened = open_with(self.asset)


class _LocalSlice(_Cold):
    param_names = ("slice_case",)
    params = (FORMAT_LOCAL_SLICES,)
    repeat = (1, 5, 10.0)
    timeout = 120

    def setup(self, slice_case: str) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_format_asset(asset, self.method)
        self.opened: tuple = open_with(self.asset)
        self.dataset: Any = dataset_of(self.opened, self.asset)

    def teardown(self, slice_case: str) -> None:
        self._close()

    def time_slice(self, slice_case: str) -> None:
        self.data = self.dataset[self.selection]


class _TrackedFileRead(_Cold):
    """Network traffic of one open (the same grid as the timed file reads)."""

    param_names = _RemoteFileRead.param_names
    params = _RemoteFileRead.params

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_format_asset(asset, self.method, latency_ms)
        self.plan = plan_network_tracking(self.asset, tracking_reader(self.method))
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        self._close()
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = open_with(self.asset, self.plan.http_url, self.plan.s3_endpoint)
        return network_statistics_result(tracker)


class _TrackedSlice(_Cold):
    """Network traffic of one slice of a file opened in ``setup`` (the same grid as the timed slices)."""

    param_names = _RemoteSlice.param_names
    params = _RemoteSlice.params

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_format_asset(asset, self.method, latency_ms)
        self.plan = plan_network_tracking(self.asset, tracking_reader(self.method))
        self.opened: tuple = open_with(self.asset, self.plan.http_url, self.plan.s3_endpoint)
        self.dataset: Any = dataset_of(self.opened, self.asset)

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self._close()
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)
