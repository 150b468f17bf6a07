"""Time opening an NWB file from local disk: with h5py (the file object only) and with pynwb (the NWBFile).

The baseline for the remote openings in ``time_remote_file_reading``. Skipped on ``--nwb-target=dandi``,
which has no local copy.
"""

from __future__ import annotations

from pytest_nwb_benchmarks.nwb import close_opened, read_hdf5_h5py_local, read_hdf5_pynwb_local, resolve_asset

from .params import LOCAL_FILES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 1.5


class H5pyLocalFileReadBenchmark:
    """Open the file with h5py."""

    param_names = ("asset",)
    params = (LOCAL_FILES,)
    rounds = 1
    repeat = (1, 5, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 120

    def setup(self, asset: str) -> None:
        self.asset = resolve_asset(asset, remote=False)
        self.opened: tuple = ()

    def teardown(self, asset: str) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str) -> None:
        self.opened = read_hdf5_h5py_local(self.asset.local_path)


class PynwbLocalFileReadBenchmark:
    """Read the NWBFile with pynwb."""

    param_names = ("asset",)
    params = (LOCAL_FILES,)
    rounds = 1
    repeat = (1, 5, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 120

    def setup(self, asset: str) -> None:
        self.asset = resolve_asset(asset, remote=False)
        self.opened: tuple = ()

    def teardown(self, asset: str) -> None:
        close_opened(getattr(self, "opened", ()))

    def time_read(self, asset: str) -> None:
        self.opened = read_hdf5_pynwb_local(self.asset.local_path)
