"""Time opening and slicing the Zarr export of each local NWB file, with zarr and with pynwb (hdmf-zarr).

The Zarr counterpart of ``time_local_file_reading`` and ``time_local_slicing``
(``{ZarrLocal,ZarrPynwbLocal}{FileRead,ContinuousSlice}Benchmark``); the slices have the same names, so the
limit report sets them against the same ``PreadLimit``. Skipped on ``--nwb-target=dandi`` and without the
optional ``zarr`` extra.
"""

from __future__ import annotations

from ._bases import _LocalFileRead, _LocalSlice, _one_class_per_method
from ._format_bases import _ZARR_LOCAL
from .params import FORMAT_LOCAL_FILES, FORMAT_LOCAL_SLICES

#: Precision-driven sampling (native runner), as in the HDF5 modules: sample each combination until the
#: median's 95 % interval is within +-5 %, or this many seconds are spent. asv's runner keeps ``repeat``.
precision_target = 0.05
time_budget = 1.5

globals().update(
    _one_class_per_method(__name__, _LocalFileRead, _ZARR_LOCAL, params=(FORMAT_LOCAL_FILES,)),
    **_one_class_per_method(__name__, _LocalSlice, _ZARR_LOCAL, params=(FORMAT_LOCAL_SLICES,)),
)
