"""Track the network traffic of slicing a dataset of a remote NWB file, by every streaming method.

The same classes and parameters as ``time_remote_slicing`` (``ContinuousSlice``): the file is opened in
``setup`` and only the slice is tracked. Each sample is a dict of network statistics measured by the method
chosen with ``NWB_BENCHMARKS_NETWORK`` (``library`` by default, ``proxy`` or ``tshark``).
"""

from __future__ import annotations

from typing import Any

from pytest_nwb_benchmarks.nwb import (
    close_opened,
    get_object_by_name,
    network_activity_tracker,
    network_statistics_result,
    plan_network_tracking,
    read_hdf5_h5py_fsspec_https_no_cache,
    read_hdf5_h5py_fsspec_https_with_cache,
    read_hdf5_h5py_fsspec_s3_no_cache,
    read_hdf5_h5py_fsspec_s3_with_cache,
    read_hdf5_h5py_remfile_no_cache,
    read_hdf5_h5py_remfile_with_cache,
    read_hdf5_h5py_ros3,
    read_hdf5_pynwb_fsspec_https_no_cache,
    read_hdf5_pynwb_fsspec_https_with_cache,
    read_hdf5_pynwb_fsspec_s3_no_cache,
    read_hdf5_pynwb_fsspec_s3_with_cache,
    read_hdf5_pynwb_remfile_no_cache,
    read_hdf5_pynwb_remfile_with_cache,
    read_hdf5_pynwb_ros3,
    require_ros3,
    resolve_asset,
    resolve_slice_case,
)

from . import time_remote_slicing as _timed
from .params import REMOTE_SLICES


class H5pyFsspecHttpsNoCacheContinuousSliceBenchmark:
    """Network traffic of slicing through h5py on an fsspec HTTPS file (in-memory read-ahead only)."""

    param_names = _timed.H5pyFsspecHttpsNoCacheContinuousSliceBenchmark.param_names
    params = _timed.H5pyFsspecHttpsNoCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "fsspec_https")
        self.opened: tuple = read_hdf5_h5py_fsspec_https_no_cache(self.plan.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class H5pyFsspecHttpsWithCacheContinuousSliceBenchmark:
    """Network traffic of slicing through h5py on fsspec's block cache over HTTPS (fresh disk cache)."""

    param_names = _timed.H5pyFsspecHttpsWithCacheContinuousSliceBenchmark.param_names
    params = _timed.H5pyFsspecHttpsWithCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "fsspec_https")
        self.opened: tuple = read_hdf5_h5py_fsspec_https_with_cache(self.plan.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class H5pyFsspecS3NoCacheContinuousSliceBenchmark:
    """Network traffic of slicing through h5py on an s3fs file (in-memory read-ahead only)."""

    param_names = _timed.H5pyFsspecS3NoCacheContinuousSliceBenchmark.param_names
    params = _timed.H5pyFsspecS3NoCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "fsspec_s3")
        self.opened: tuple = read_hdf5_h5py_fsspec_s3_no_cache(self.plan.s3_url, self.plan.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class H5pyFsspecS3WithCacheContinuousSliceBenchmark:
    """Network traffic of slicing through h5py on fsspec's block cache over s3fs (fresh disk cache)."""

    param_names = _timed.H5pyFsspecS3WithCacheContinuousSliceBenchmark.param_names
    params = _timed.H5pyFsspecS3WithCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "fsspec_s3")
        self.opened: tuple = read_hdf5_h5py_fsspec_s3_with_cache(self.plan.s3_url, self.plan.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class H5pyRemfileNoCacheContinuousSliceBenchmark:
    """Network traffic of slicing through h5py on a remfile (in-memory chunk cache only)."""

    param_names = _timed.H5pyRemfileNoCacheContinuousSliceBenchmark.param_names
    params = _timed.H5pyRemfileNoCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "remfile")
        self.opened: tuple = read_hdf5_h5py_remfile_no_cache(self.plan.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class H5pyRemfileWithCacheContinuousSliceBenchmark:
    """Network traffic of slicing through h5py on a remfile with a fresh disk cache."""

    param_names = _timed.H5pyRemfileWithCacheContinuousSliceBenchmark.param_names
    params = _timed.H5pyRemfileWithCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "remfile")
        self.opened: tuple = read_hdf5_h5py_remfile_with_cache(self.plan.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class H5pyRos3ContinuousSliceBenchmark:
    """Network traffic of slicing through h5py on HDF5's ros3 driver."""

    param_names = _timed.H5pyRos3ContinuousSliceBenchmark.param_names
    params = _timed.H5pyRos3ContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        require_ros3()
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "ros3")
        self.opened: tuple = read_hdf5_h5py_ros3(self.plan.s3_url, self.plan.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class PynwbFsspecHttpsNoCacheContinuousSliceBenchmark:
    """Network traffic of slicing through pynwb on an fsspec HTTPS file (in-memory read-ahead only)."""

    param_names = _timed.PynwbFsspecHttpsNoCacheContinuousSliceBenchmark.param_names
    params = _timed.PynwbFsspecHttpsNoCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "fsspec_https")
        self.opened: tuple = read_hdf5_pynwb_fsspec_https_no_cache(self.plan.http_url)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class PynwbFsspecHttpsWithCacheContinuousSliceBenchmark:
    """Network traffic of slicing through pynwb on fsspec's block cache over HTTPS (fresh disk cache)."""

    param_names = _timed.PynwbFsspecHttpsWithCacheContinuousSliceBenchmark.param_names
    params = _timed.PynwbFsspecHttpsWithCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "fsspec_https")
        self.opened: tuple = read_hdf5_pynwb_fsspec_https_with_cache(self.plan.http_url)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class PynwbFsspecS3NoCacheContinuousSliceBenchmark:
    """Network traffic of slicing through pynwb on an s3fs file (in-memory read-ahead only)."""

    param_names = _timed.PynwbFsspecS3NoCacheContinuousSliceBenchmark.param_names
    params = _timed.PynwbFsspecS3NoCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "fsspec_s3")
        self.opened: tuple = read_hdf5_pynwb_fsspec_s3_no_cache(self.plan.s3_url, self.plan.s3_endpoint)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class PynwbFsspecS3WithCacheContinuousSliceBenchmark:
    """Network traffic of slicing through pynwb on fsspec's block cache over s3fs (fresh disk cache)."""

    param_names = _timed.PynwbFsspecS3WithCacheContinuousSliceBenchmark.param_names
    params = _timed.PynwbFsspecS3WithCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "fsspec_s3")
        self.opened: tuple = read_hdf5_pynwb_fsspec_s3_with_cache(self.plan.s3_url, self.plan.s3_endpoint)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class PynwbRemfileNoCacheContinuousSliceBenchmark:
    """Network traffic of slicing through pynwb on a remfile (in-memory chunk cache only)."""

    param_names = _timed.PynwbRemfileNoCacheContinuousSliceBenchmark.param_names
    params = _timed.PynwbRemfileNoCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "remfile")
        self.opened: tuple = read_hdf5_pynwb_remfile_no_cache(self.plan.http_url)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class PynwbRemfileWithCacheContinuousSliceBenchmark:
    """Network traffic of slicing through pynwb on a remfile with a fresh disk cache."""

    param_names = _timed.PynwbRemfileWithCacheContinuousSliceBenchmark.param_names
    params = _timed.PynwbRemfileWithCacheContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "remfile")
        self.opened: tuple = read_hdf5_pynwb_remfile_with_cache(self.plan.http_url)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class PynwbRos3ContinuousSliceBenchmark:
    """Network traffic of slicing through pynwb on HDF5's ros3 driver."""

    param_names = _timed.PynwbRos3ContinuousSliceBenchmark.param_names
    params = _timed.PynwbRos3ContinuousSliceBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one slice per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        require_ros3()
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.plan = plan_network_tracking(self.asset, "ros3")
        self.opened: tuple = read_hdf5_pynwb_ros3(self.plan.s3_url, self.plan.s3_endpoint)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


class RemfileTrackingOverheadBenchmark:
    """Time a timing-sized operation (open a file with remfile and read one slice) with and without tracking.

    Not a network statistic: this measures what the default ``library`` method adds to the operation it
    tracks, so that its cost is known rather than assumed. Only the network-tracking benchmarks wrap their
    operation in a tracker; the timing benchmarks never do.
    """

    param_names = ("slice_case", "tracking")
    params = (REMOTE_SLICES[:1], ["off", "library"])
    rounds = 2
    repeat = (5, 20, 20.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 5
    warmup_time = 0.0
    timeout = 300

    def setup(self, slice_case: str, tracking: str) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, 0)
        self.opened: tuple = ()

    def teardown(self, slice_case: str, tracking: str) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_open_and_slice(self, slice_case: str, tracking: str) -> None:
        if tracking == "off":
            self.opened = read_hdf5_h5py_remfile_no_cache(self.asset.http_url)
            self.opened[0][self.asset.dataset_path][self.selection]
            return
        with network_activity_tracker(tracking):
            self.opened = read_hdf5_h5py_remfile_no_cache(self.asset.http_url)
            self.opened[0][self.asset.dataset_path][self.selection]
