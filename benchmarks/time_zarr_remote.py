"""Time opening and slicing the Zarr export of each NWB file, streamed over HTTP and the pseudo-S3.

zarr directly and pynwb through hdmf-zarr, each with consolidated metadata (``.zmetadata``) and without.
hdmf-zarr without consolidated metadata cannot work over plain HTTP (it lists folders): that class skips
with the reason. The slices are those of ``time_remote_slicing``, so the limit report sets them against the
same ``HttpRangeLimit``; ``ZarrChunkLimitContinuousSliceBenchmark`` in ``time_zarr_limit`` fetches the chunk
objects a slice needs.
"""

from __future__ import annotations

from ._format_bases import _RemoteFileRead, _RemoteSlice

#: Precision-driven sampling (native runner), as in the HDF5 modules: sample each combination until the
#: median's 95 % interval is within +-5 %, or this many seconds are spent. asv's runner keeps ``repeat``.
precision_target = 0.05
time_budget = 2.0


class ZarrHttpsConsolidatedFileReadBenchmark(_RemoteFileRead):
    """Open the store: zarr, plain HTTP, consolidated metadata."""

    method = "ZarrHttpsConsolidated"


class ZarrHttpsUnconsolidatedFileReadBenchmark(_RemoteFileRead):
    """Open the store: zarr, plain HTTP, metadata object by object."""

    method = "ZarrHttpsUnconsolidated"


class ZarrS3ConsolidatedFileReadBenchmark(_RemoteFileRead):
    """Open the store: zarr, the pseudo-S3, consolidated metadata."""

    method = "ZarrS3Consolidated"


class ZarrS3UnconsolidatedFileReadBenchmark(_RemoteFileRead):
    """Open the store: zarr, the pseudo-S3, metadata object by object."""

    method = "ZarrS3Unconsolidated"


class ZarrPynwbHttpsConsolidatedFileReadBenchmark(_RemoteFileRead):
    """Open the store: pynwb through hdmf-zarr, plain HTTP, consolidated metadata."""

    method = "ZarrPynwbHttpsConsolidated"


class ZarrPynwbHttpsUnconsolidatedFileReadBenchmark(_RemoteFileRead):
    """Open the store: pynwb through hdmf-zarr, plain HTTP, metadata object by object."""

    method = "ZarrPynwbHttpsUnconsolidated"


class ZarrPynwbS3ConsolidatedFileReadBenchmark(_RemoteFileRead):
    """Open the store: pynwb through hdmf-zarr, the pseudo-S3, consolidated metadata."""

    method = "ZarrPynwbS3Consolidated"


class ZarrPynwbS3UnconsolidatedFileReadBenchmark(_RemoteFileRead):
    """Open the store: pynwb through hdmf-zarr, the pseudo-S3, metadata object by object."""

    method = "ZarrPynwbS3Unconsolidated"


class ZarrHttpsConsolidatedContinuousSliceBenchmark(_RemoteSlice):
    """Slice: zarr, plain HTTP, consolidated metadata."""

    method = "ZarrHttpsConsolidated"


class ZarrHttpsUnconsolidatedContinuousSliceBenchmark(_RemoteSlice):
    """Slice: zarr, plain HTTP, metadata object by object."""

    method = "ZarrHttpsUnconsolidated"


class ZarrS3ConsolidatedContinuousSliceBenchmark(_RemoteSlice):
    """Slice: zarr, the pseudo-S3, consolidated metadata."""

    method = "ZarrS3Consolidated"


class ZarrS3UnconsolidatedContinuousSliceBenchmark(_RemoteSlice):
    """Slice: zarr, the pseudo-S3, metadata object by object."""

    method = "ZarrS3Unconsolidated"


class ZarrPynwbHttpsConsolidatedContinuousSliceBenchmark(_RemoteSlice):
    """Slice: pynwb through hdmf-zarr, plain HTTP, consolidated metadata."""

    method = "ZarrPynwbHttpsConsolidated"


class ZarrPynwbHttpsUnconsolidatedContinuousSliceBenchmark(_RemoteSlice):
    """Slice: pynwb through hdmf-zarr, plain HTTP, metadata object by object."""

    method = "ZarrPynwbHttpsUnconsolidated"


class ZarrPynwbS3ConsolidatedContinuousSliceBenchmark(_RemoteSlice):
    """Slice: pynwb through hdmf-zarr, the pseudo-S3, consolidated metadata."""

    method = "ZarrPynwbS3Consolidated"


class ZarrPynwbS3UnconsolidatedContinuousSliceBenchmark(_RemoteSlice):
    """Slice: pynwb through hdmf-zarr, the pseudo-S3, metadata object by object."""

    method = "ZarrPynwbS3Unconsolidated"
