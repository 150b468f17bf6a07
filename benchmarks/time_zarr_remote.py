"""Time opening and slicing the Zarr export of each NWB file, streamed over HTTP and the pseudo-S3.

zarr directly and pynwb through hdmf-zarr, each with consolidated metadata (``.zmetadata``) and without:
``Zarr[Pynwb]{Https,S3}{Consolidated,Unconsolidated}{FileRead,ContinuousSlice}Benchmark``. hdmf-zarr
without consolidated metadata cannot work over plain HTTP (it lists folders): those classes skip with the
reason. The slices are those of ``time_remote_slicing``, so the limit report sets them against the same
``HttpRangeLimit``; ``ZarrChunkLimitContinuousSliceBenchmark`` in ``time_zarr_limit`` fetches the chunk
objects a slice needs.
"""

from __future__ import annotations

from ._bases import _one_class_per_method, _RemoteFileRead, _RemoteSlice
from ._format_bases import _ZARR_REMOTE
from .params import FORMAT_REMOTE_FILES, FORMAT_REMOTE_SLICES, LATENCIES_MS

#: Precision-driven sampling (native runner), as in the HDF5 modules: sample each combination until the
#: median's 95 % interval is within +-5 %, or this many seconds are spent. asv's runner keeps ``repeat``.
precision_target = 0.05
time_budget = 2.0

globals().update(
    _one_class_per_method(__name__, _RemoteFileRead, _ZARR_REMOTE, params=(FORMAT_REMOTE_FILES, LATENCIES_MS)),
    **_one_class_per_method(__name__, _RemoteSlice, _ZARR_REMOTE, params=(FORMAT_REMOTE_SLICES, LATENCIES_MS)),
)
