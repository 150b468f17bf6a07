"""Time opening an NWB file remotely: with h5py (the file object only) and with pynwb (the whole NWBFile).

Every method streams from the local streaming server (or DANDI with ``--nwb-target=dandi``) at each
latency; a sample is one open of a file nothing was cached for.
"""

from __future__ import annotations

from pytest_nwb_benchmarks.nwb import (
    close_opened,
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

from .params import LATENCIES_MS, REMOTE_FILES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 2.0


class H5pyFsspecHttpsNoCacheFileReadBenchmark:
    """Open the file with h5py on an fsspec HTTPS file (in-memory read-ahead only)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_h5py_fsspec_https_no_cache(self.asset.http_url)


class H5pyFsspecHttpsWithCacheFileReadBenchmark:
    """Open the file with h5py on fsspec's block cache over HTTPS (fresh disk cache)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_h5py_fsspec_https_with_cache(self.asset.http_url)


class H5pyFsspecS3NoCacheFileReadBenchmark:
    """Open the file with h5py on an s3fs file (in-memory read-ahead only)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_h5py_fsspec_s3_no_cache(self.asset.s3_url, self.asset.s3_endpoint)


class H5pyFsspecS3WithCacheFileReadBenchmark:
    """Open the file with h5py on fsspec's block cache over s3fs (fresh disk cache)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_h5py_fsspec_s3_with_cache(self.asset.s3_url, self.asset.s3_endpoint)


class H5pyRemfileNoCacheFileReadBenchmark:
    """Open the file with h5py on a remfile (in-memory chunk cache only)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_h5py_remfile_no_cache(self.asset.http_url)


class H5pyRemfileWithCacheFileReadBenchmark:
    """Open the file with h5py on a remfile with a fresh disk cache."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_h5py_remfile_with_cache(self.asset.http_url)


class H5pyRos3FileReadBenchmark:
    """Open the file with h5py on HDF5's ros3 driver."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        require_ros3()
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_h5py_ros3(self.asset.s3_url, self.asset.s3_endpoint)


class PynwbFsspecHttpsNoCacheFileReadBenchmark:
    """Open the NWBFile with pynwb on an fsspec HTTPS file (in-memory read-ahead only)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_pynwb_fsspec_https_no_cache(self.asset.http_url)


class PynwbFsspecHttpsWithCacheFileReadBenchmark:
    """Open the NWBFile with pynwb on fsspec's block cache over HTTPS (fresh disk cache)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_pynwb_fsspec_https_with_cache(self.asset.http_url)


class PynwbFsspecS3NoCacheFileReadBenchmark:
    """Open the NWBFile with pynwb on an s3fs file (in-memory read-ahead only)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_pynwb_fsspec_s3_no_cache(self.asset.s3_url, self.asset.s3_endpoint)


class PynwbFsspecS3WithCacheFileReadBenchmark:
    """Open the NWBFile with pynwb on fsspec's block cache over s3fs (fresh disk cache)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_pynwb_fsspec_s3_with_cache(self.asset.s3_url, self.asset.s3_endpoint)


class PynwbRemfileNoCacheFileReadBenchmark:
    """Open the NWBFile with pynwb on a remfile (in-memory chunk cache only)."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_pynwb_remfile_no_cache(self.asset.http_url)


class PynwbRemfileWithCacheFileReadBenchmark:
    """Open the NWBFile with pynwb on a remfile with a fresh disk cache."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_pynwb_remfile_with_cache(self.asset.http_url)


class PynwbRos3FileReadBenchmark:
    """Open the NWBFile with pynwb on HDF5's ros3 driver."""

    param_names = ("asset", "latency_ms")
    params = (REMOTE_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, asset: str, latency_ms: int) -> None:
        require_ros3()
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = ()

    def teardown(self, asset: str, latency_ms: int) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str, latency_ms: int) -> None:
        self.opened = read_hdf5_pynwb_ros3(self.asset.s3_url, self.asset.s3_endpoint)
