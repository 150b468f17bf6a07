"""Track the network traffic of opening an NWB file remotely, by every streaming method.

The same classes and parameters as ``time_remote_file_reading``, but each sample is a dict of network
statistics (requests, bytes down and up, connections, per-request latencies; see
:func:`pytest_nwb_benchmarks.network_activity_tracker`) measured by the method chosen with
``NWB_BENCHMARKS_NETWORK`` (``library`` by default; ``proxy`` routes the URLs through a counting proxy,
``tshark`` captures packets). A method that cannot see a reader's traffic skips the benchmark with the reason.
"""

from __future__ import annotations

from pytest_nwb_benchmarks.nwb import (
    close_opened,
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
)

from . import time_remote_file_reading as _timed


class H5pyFsspecHttpsNoCacheFileReadBenchmark:
    """Network traffic of opening the file with h5py on an fsspec HTTPS file (in-memory read-ahead only)."""

    param_names = _timed.H5pyFsspecHttpsNoCacheFileReadBenchmark.param_names
    params = _timed.H5pyFsspecHttpsNoCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "fsspec_https")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_h5py_fsspec_https_no_cache(self.plan.http_url)
        return network_statistics_result(tracker)


class H5pyFsspecHttpsWithCacheFileReadBenchmark:
    """Network traffic of opening the file with h5py on fsspec's block cache over HTTPS (fresh disk cache)."""

    param_names = _timed.H5pyFsspecHttpsWithCacheFileReadBenchmark.param_names
    params = _timed.H5pyFsspecHttpsWithCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "fsspec_https")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_h5py_fsspec_https_with_cache(self.plan.http_url)
        return network_statistics_result(tracker)


class H5pyFsspecS3NoCacheFileReadBenchmark:
    """Network traffic of opening the file with h5py on an s3fs file (in-memory read-ahead only)."""

    param_names = _timed.H5pyFsspecS3NoCacheFileReadBenchmark.param_names
    params = _timed.H5pyFsspecS3NoCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "fsspec_s3")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_h5py_fsspec_s3_no_cache(self.plan.s3_url, self.plan.s3_endpoint)
        return network_statistics_result(tracker)


class H5pyFsspecS3WithCacheFileReadBenchmark:
    """Network traffic of opening the file with h5py on fsspec's block cache over s3fs (fresh disk cache)."""

    param_names = _timed.H5pyFsspecS3WithCacheFileReadBenchmark.param_names
    params = _timed.H5pyFsspecS3WithCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "fsspec_s3")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_h5py_fsspec_s3_with_cache(self.plan.s3_url, self.plan.s3_endpoint)
        return network_statistics_result(tracker)


class H5pyRemfileNoCacheFileReadBenchmark:
    """Network traffic of opening the file with h5py on a remfile (in-memory chunk cache only)."""

    param_names = _timed.H5pyRemfileNoCacheFileReadBenchmark.param_names
    params = _timed.H5pyRemfileNoCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "remfile")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_h5py_remfile_no_cache(self.plan.http_url)
        return network_statistics_result(tracker)


class H5pyRemfileWithCacheFileReadBenchmark:
    """Network traffic of opening the file with h5py on a remfile with a fresh disk cache."""

    param_names = _timed.H5pyRemfileWithCacheFileReadBenchmark.param_names
    params = _timed.H5pyRemfileWithCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "remfile")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_h5py_remfile_with_cache(self.plan.http_url)
        return network_statistics_result(tracker)


class H5pyRos3FileReadBenchmark:
    """Network traffic of opening the file with h5py on HDF5's ros3 driver."""

    param_names = _timed.H5pyRos3FileReadBenchmark.param_names
    params = _timed.H5pyRos3FileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        require_ros3()
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "ros3")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_h5py_ros3(self.plan.s3_url, self.plan.s3_endpoint)
        return network_statistics_result(tracker)


class PynwbFsspecHttpsNoCacheFileReadBenchmark:
    """Network traffic of opening the file with pynwb on an fsspec HTTPS file (in-memory read-ahead only)."""

    param_names = _timed.PynwbFsspecHttpsNoCacheFileReadBenchmark.param_names
    params = _timed.PynwbFsspecHttpsNoCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "fsspec_https")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_pynwb_fsspec_https_no_cache(self.plan.http_url)
        return network_statistics_result(tracker)


class PynwbFsspecHttpsWithCacheFileReadBenchmark:
    """Network traffic of opening the file with pynwb on fsspec's block cache over HTTPS (fresh disk cache)."""

    param_names = _timed.PynwbFsspecHttpsWithCacheFileReadBenchmark.param_names
    params = _timed.PynwbFsspecHttpsWithCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "fsspec_https")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_pynwb_fsspec_https_with_cache(self.plan.http_url)
        return network_statistics_result(tracker)


class PynwbFsspecS3NoCacheFileReadBenchmark:
    """Network traffic of opening the file with pynwb on an s3fs file (in-memory read-ahead only)."""

    param_names = _timed.PynwbFsspecS3NoCacheFileReadBenchmark.param_names
    params = _timed.PynwbFsspecS3NoCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "fsspec_s3")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_pynwb_fsspec_s3_no_cache(self.plan.s3_url, self.plan.s3_endpoint)
        return network_statistics_result(tracker)


class PynwbFsspecS3WithCacheFileReadBenchmark:
    """Network traffic of opening the file with pynwb on fsspec's block cache over s3fs (fresh disk cache)."""

    param_names = _timed.PynwbFsspecS3WithCacheFileReadBenchmark.param_names
    params = _timed.PynwbFsspecS3WithCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "fsspec_s3")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_pynwb_fsspec_s3_with_cache(self.plan.s3_url, self.plan.s3_endpoint)
        return network_statistics_result(tracker)


class PynwbRemfileNoCacheFileReadBenchmark:
    """Network traffic of opening the file with pynwb on a remfile (in-memory chunk cache only)."""

    param_names = _timed.PynwbRemfileNoCacheFileReadBenchmark.param_names
    params = _timed.PynwbRemfileNoCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "remfile")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_pynwb_remfile_no_cache(self.plan.http_url)
        return network_statistics_result(tracker)


class PynwbRemfileWithCacheFileReadBenchmark:
    """Network traffic of opening the file with pynwb on a remfile with a fresh disk cache."""

    param_names = _timed.PynwbRemfileWithCacheFileReadBenchmark.param_names
    params = _timed.PynwbRemfileWithCacheFileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "remfile")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_pynwb_remfile_with_cache(self.plan.http_url)
        return network_statistics_result(tracker)


class PynwbRos3FileReadBenchmark:
    """Network traffic of opening the file with pynwb on HDF5's ros3 driver."""

    param_names = _timed.PynwbRos3FileReadBenchmark.param_names
    params = _timed.PynwbRos3FileReadBenchmark.params  # the same grid as the timing benchmark
    number = 1  # one open per sample: a second one would find the caches warm
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        require_ros3()
        self.plan = plan_network_tracking(resolve_asset(asset, latency_ms), "ros3")
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = read_hdf5_pynwb_ros3(self.plan.s3_url, self.plan.s3_endpoint)
        return network_statistics_result(tracker)
