"""Time opening and slicing the Zarr export of each local NWB file, with zarr and with pynwb (hdmf-zarr).

The Zarr counterpart of ``time_local_file_reading`` and ``time_local_slicing``; the slices have the same
names, so the limit report sets them against the same ``PreadLimit``. Skipped on ``--nwb-target=dandi``
and without the optional ``zarr`` extra.
"""

from __future__ import annotations

from ._format_bases import _LocalFileRead, _LocalSlice

#: Precision-driven sampling (native runner), as in the HDF5 modules: sample each combination until the
#: median's 95 % interval is within +-5 %, or this many seconds are spent. asv's runner keeps ``repeat``.
precision_target = 0.05
time_budget = 1.5


class ZarrLocalFileReadBenchmark(_LocalFileRead):
    """Open the store: zarr, local disk."""

    method = "ZarrLocal"


class ZarrPynwbLocalFileReadBenchmark(_LocalFileRead):
    """Open the store: pynwb through hdmf-zarr, local disk."""

    method = "ZarrPynwbLocal"


class ZarrLocalContinuousSliceBenchmark(_LocalSlice):
    """Slice: zarr, local disk."""

    method = "ZarrLocal"


class ZarrPynwbLocalContinuousSliceBenchmark(_LocalSlice):
    """Slice: pynwb through hdmf-zarr, local disk."""

    method = "ZarrPynwbLocal"
