"""Time opening and slicing the Zarr export of each local NWB file, with zarr and with pynwb (hdmf-zarr).

The Zarr counterpart of ``time_local_file_reading`` and ``time_local_slicing``; the slices have the same
names, so the limit report sets them against the same ``PreadLimit``. Skipped on ``--nwb-target=dandi``
and without the optional ``zarr`` extra.
"""

from __future__ import annotations

from ._format_bases import _LocalFileRead, _LocalSlice


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
