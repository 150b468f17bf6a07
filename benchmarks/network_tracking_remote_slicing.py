"""Track the network traffic of slicing a dataset of a remote NWB file, by every streaming method.

The same classes and parameters as ``time_remote_slicing`` (``ContinuousSlice``): the file is opened in
``setup`` and only the slice is tracked. Each sample is a dict of network statistics measured by the method
chosen with ``NWB_BENCHMARKS_NETWORK`` (``library`` by default, ``proxy`` or ``tshark``).
"""

from __future__ import annotations

from pytest_nwb_benchmarks.nwb import (
    close_opened,
    network_activity_tracker,
    read_hdf5_h5py_remfile_no_cache,
    resolve_asset,
    resolve_slice_case,
)

from ._bases import _one_class_per_method, _TrackedSlice
from ._hdf5_methods import _H5PY_REMOTE, _PYNWB_REMOTE
from .params import LATENCIES_MS, PYNWB_REMOTE_SLICES, REMOTE_SLICES

globals().update(
    _one_class_per_method(__name__, _TrackedSlice, _H5PY_REMOTE, params=(REMOTE_SLICES, LATENCIES_MS)),
    **_one_class_per_method(__name__, _TrackedSlice, _PYNWB_REMOTE, params=(PYNWB_REMOTE_SLICES, LATENCIES_MS)),
)


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
        self.asset = resolve_asset(asset, LATENCIES_MS[0])  # the first latency the server was given
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
