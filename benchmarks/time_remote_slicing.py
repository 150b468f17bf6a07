"""Time slicing a dataset of a remote NWB file, by every way of opening it.

``ContinuousSlice``: the file is opened in ``setup`` (nothing read yet beyond what opening needs) and
only the slice is timed. ``ContinuousSlicePreloaded``: ``setup`` also reads the same slice once, so the
timed read shows what each method's caches save on a repeated read. Each runs at every latency.
"""

from __future__ import annotations

from typing import Any

from pytest_nwb_benchmarks.nwb import (
    close_opened,
    get_object_by_name,
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

from .params import LATENCIES_MS, PRELOADED_SLICES, PYNWB_REMOTE_SLICES, REMOTE_SLICES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 2.0


class H5pyFsspecHttpsNoCacheContinuousSliceBenchmark:
    """Slice through h5py on an fsspec HTTPS file (in-memory read-ahead only)."""

    param_names = ("slice_case", "latency_ms")
    params = (REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_fsspec_https_no_cache(self.asset.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyFsspecHttpsWithCacheContinuousSliceBenchmark:
    """Slice through h5py on fsspec's block cache over HTTPS (fresh disk cache)."""

    param_names = ("slice_case", "latency_ms")
    params = (REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_fsspec_https_with_cache(self.asset.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyFsspecS3NoCacheContinuousSliceBenchmark:
    """Slice through h5py on an s3fs file (in-memory read-ahead only)."""

    param_names = ("slice_case", "latency_ms")
    params = (REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_fsspec_s3_no_cache(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyFsspecS3WithCacheContinuousSliceBenchmark:
    """Slice through h5py on fsspec's block cache over s3fs (fresh disk cache)."""

    param_names = ("slice_case", "latency_ms")
    params = (REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_fsspec_s3_with_cache(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyRemfileNoCacheContinuousSliceBenchmark:
    """Slice through h5py on a remfile (in-memory chunk cache only)."""

    param_names = ("slice_case", "latency_ms")
    params = (REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_remfile_no_cache(self.asset.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyRemfileWithCacheContinuousSliceBenchmark:
    """Slice through h5py on a remfile with a fresh disk cache."""

    param_names = ("slice_case", "latency_ms")
    params = (REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_remfile_with_cache(self.asset.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyRos3ContinuousSliceBenchmark:
    """Slice through h5py on HDF5's ros3 driver."""

    param_names = ("slice_case", "latency_ms")
    params = (REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        require_ros3()
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_ros3(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyFsspecHttpsNoCacheContinuousSlicePreloadedBenchmark:
    """Slice through h5py on an fsspec HTTPS file (in-memory read-ahead only), after reading the same slice once in setup."""

    param_names = ("slice_case", "latency_ms")
    params = (PRELOADED_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_fsspec_https_no_cache(self.asset.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]
        self.data = self.dataset[self.selection]  # the read that fills the caches

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyFsspecHttpsWithCacheContinuousSlicePreloadedBenchmark:
    """Slice through h5py on fsspec's block cache over HTTPS (fresh disk cache), after reading the same slice once in setup."""

    param_names = ("slice_case", "latency_ms")
    params = (PRELOADED_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_fsspec_https_with_cache(self.asset.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]
        self.data = self.dataset[self.selection]  # the read that fills the caches

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyFsspecS3NoCacheContinuousSlicePreloadedBenchmark:
    """Slice through h5py on an s3fs file (in-memory read-ahead only), after reading the same slice once in setup."""

    param_names = ("slice_case", "latency_ms")
    params = (PRELOADED_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_fsspec_s3_no_cache(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]
        self.data = self.dataset[self.selection]  # the read that fills the caches

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyFsspecS3WithCacheContinuousSlicePreloadedBenchmark:
    """Slice through h5py on fsspec's block cache over s3fs (fresh disk cache), after reading the same slice once in setup."""

    param_names = ("slice_case", "latency_ms")
    params = (PRELOADED_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_fsspec_s3_with_cache(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]
        self.data = self.dataset[self.selection]  # the read that fills the caches

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyRemfileNoCacheContinuousSlicePreloadedBenchmark:
    """Slice through h5py on a remfile (in-memory chunk cache only), after reading the same slice once in setup."""

    param_names = ("slice_case", "latency_ms")
    params = (PRELOADED_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_remfile_no_cache(self.asset.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]
        self.data = self.dataset[self.selection]  # the read that fills the caches

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyRemfileWithCacheContinuousSlicePreloadedBenchmark:
    """Slice through h5py on a remfile with a fresh disk cache, after reading the same slice once in setup."""

    param_names = ("slice_case", "latency_ms")
    params = (PRELOADED_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_remfile_with_cache(self.asset.http_url)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]
        self.data = self.dataset[self.selection]  # the read that fills the caches

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class H5pyRos3ContinuousSlicePreloadedBenchmark:
    """Slice through h5py on HDF5's ros3 driver, after reading the same slice once in setup."""

    param_names = ("slice_case", "latency_ms")
    params = (PRELOADED_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        require_ros3()
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_h5py_ros3(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]
        self.data = self.dataset[self.selection]  # the read that fills the caches

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class PynwbFsspecHttpsNoCacheContinuousSliceBenchmark:
    """Slice through pynwb on an fsspec HTTPS file (in-memory read-ahead only)."""

    param_names = ("slice_case", "latency_ms")
    params = (PYNWB_REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_pynwb_fsspec_https_no_cache(self.asset.http_url)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class PynwbFsspecHttpsWithCacheContinuousSliceBenchmark:
    """Slice through pynwb on fsspec's block cache over HTTPS (fresh disk cache)."""

    param_names = ("slice_case", "latency_ms")
    params = (PYNWB_REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_pynwb_fsspec_https_with_cache(self.asset.http_url)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class PynwbFsspecS3NoCacheContinuousSliceBenchmark:
    """Slice through pynwb on an s3fs file (in-memory read-ahead only)."""

    param_names = ("slice_case", "latency_ms")
    params = (PYNWB_REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_pynwb_fsspec_s3_no_cache(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class PynwbFsspecS3WithCacheContinuousSliceBenchmark:
    """Slice through pynwb on fsspec's block cache over s3fs (fresh disk cache)."""

    param_names = ("slice_case", "latency_ms")
    params = (PYNWB_REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_pynwb_fsspec_s3_with_cache(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class PynwbRemfileNoCacheContinuousSliceBenchmark:
    """Slice through pynwb on a remfile (in-memory chunk cache only)."""

    param_names = ("slice_case", "latency_ms")
    params = (PYNWB_REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_pynwb_remfile_no_cache(self.asset.http_url)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class PynwbRemfileWithCacheContinuousSliceBenchmark:
    """Slice through pynwb on a remfile with a fresh disk cache."""

    param_names = ("slice_case", "latency_ms")
    params = (PYNWB_REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_pynwb_remfile_with_cache(self.asset.http_url)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]


class PynwbRos3ContinuousSliceBenchmark:
    """Slice through pynwb on HDF5's ros3 driver."""

    param_names = ("slice_case", "latency_ms")
    params = (PYNWB_REMOTE_SLICES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 5.0)
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too
    timeout = 300

    def setup(self, slice_case: str, latency_ms: int) -> None:
        require_ros3()
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, latency_ms)
        self.opened: tuple = read_hdf5_pynwb_ros3(self.asset.s3_url, self.asset.s3_endpoint)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str, latency_ms: int) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str, latency_ms: int) -> None:
        self.data = self.dataset[self.selection]
