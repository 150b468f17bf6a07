"""Time slicing a dataset of a local NWB file, opened in ``setup`` with h5py or pynwb.

The baseline for ``time_remote_slicing``; ``PreadLimitContinuousSliceBenchmark`` in
``time_physical_limit`` reads exactly the bytes these slices need. Skipped on ``--nwb-target=dandi``.
"""

from __future__ import annotations

from typing import Any

from pytest_nwb_benchmarks.nwb import (
    close_opened,
    get_object_by_name,
    read_hdf5_h5py_local,
    read_hdf5_pynwb_local,
    resolve_asset,
    resolve_slice_case,
)

from .params import LOCAL_SLICES, PYNWB_LOCAL_SLICES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 1.5


class H5pyLocalContinuousSliceBenchmark:
    """Slice through h5py."""

    param_names = ("slice_case",)
    params = (LOCAL_SLICES,)
    rounds = 1
    repeat = (1, 5, 10.0)
    number = 1  # one call per sample: h5py's chunk cache would serve a second one
    min_run_count = 1
    warmup_time = 0.0
    timeout = 120

    def setup(self, slice_case: str) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, remote=False)
        self.opened: tuple = read_hdf5_h5py_local(self.asset.local_path)
        self.dataset: Any = self.opened[0][self.asset.dataset_path]

    def teardown(self, slice_case: str) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str) -> None:
        self.data = self.dataset[self.selection]


class PynwbLocalContinuousSliceBenchmark:
    """Slice through pynwb."""

    param_names = ("slice_case",)
    params = (PYNWB_LOCAL_SLICES,)
    rounds = 1
    repeat = (1, 5, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 120

    def setup(self, slice_case: str) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = resolve_asset(asset, remote=False)
        self.opened: tuple = read_hdf5_pynwb_local(self.asset.local_path)
        self.dataset: Any = get_object_by_name(self.opened[0], self.asset.object_name).data

    def teardown(self, slice_case: str) -> None:
        self.dataset = self.data = None
        close_opened(getattr(self, "opened", ()))

    def time_slice(self, slice_case: str) -> None:
        self.data = self.dataset[self.selection]
