"""Track the network traffic of opening and slicing the Zarr stores and LINDI files, by every streaming method.

The same class names and grids as ``time_zarr_remote`` and ``time_lindi_remote``; each sample is a dict of
network statistics (see ``network_tracking_remote_file_reading``). LINDI under the ``proxy`` method skips:
its reference file names the server's own URLs, which the proxy never sees.
"""

from __future__ import annotations

from ._format_bases import _TrackedFileRead, _TrackedSlice


class ZarrHttpsConsolidatedFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: zarr, plain HTTP, consolidated metadata."""

    method = "ZarrHttpsConsolidated"


class ZarrHttpsUnconsolidatedFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: zarr, plain HTTP, metadata object by object."""

    method = "ZarrHttpsUnconsolidated"


class ZarrS3ConsolidatedFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: zarr, the pseudo-S3, consolidated metadata."""

    method = "ZarrS3Consolidated"


class ZarrS3UnconsolidatedFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: zarr, the pseudo-S3, metadata object by object."""

    method = "ZarrS3Unconsolidated"


class ZarrPynwbHttpsConsolidatedFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: pynwb through hdmf-zarr, plain HTTP, consolidated metadata."""

    method = "ZarrPynwbHttpsConsolidated"


class ZarrPynwbHttpsUnconsolidatedFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: pynwb through hdmf-zarr, plain HTTP, metadata object by object."""

    method = "ZarrPynwbHttpsUnconsolidated"


class ZarrPynwbS3ConsolidatedFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: pynwb through hdmf-zarr, the pseudo-S3, consolidated metadata."""

    method = "ZarrPynwbS3Consolidated"


class ZarrPynwbS3UnconsolidatedFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: pynwb through hdmf-zarr, the pseudo-S3, metadata object by object."""

    method = "ZarrPynwbS3Unconsolidated"


class LindiH5pyRemoteJsonFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: lindi's h5py-like file, the .lindi.json fetched from the server; chunks from the server."""

    method = "LindiH5pyRemoteJson"


class LindiH5pyRemoteTarFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: lindi's h5py-like file, the .lindi.tar read by range requests; chunks from the server."""

    method = "LindiH5pyRemoteTar"


class LindiH5pyDiskJsonFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: lindi's h5py-like file, the .lindi.json read from disk; chunks from the server."""

    method = "LindiH5pyDiskJson"


class LindiPynwbRemoteJsonFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: pynwb on lindi, the .lindi.json fetched from the server; chunks from the server."""

    method = "LindiPynwbRemoteJson"


class LindiPynwbRemoteTarFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: pynwb on lindi, the .lindi.tar read by range requests; chunks from the server."""

    method = "LindiPynwbRemoteTar"


class LindiPynwbDiskJsonFileReadBenchmark(_TrackedFileRead):
    """Network traffic of opening: pynwb on lindi, the .lindi.json read from disk; chunks from the server."""

    method = "LindiPynwbDiskJson"


class ZarrHttpsConsolidatedContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: zarr, plain HTTP, consolidated metadata."""

    method = "ZarrHttpsConsolidated"


class ZarrHttpsUnconsolidatedContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: zarr, plain HTTP, metadata object by object."""

    method = "ZarrHttpsUnconsolidated"


class ZarrS3ConsolidatedContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: zarr, the pseudo-S3, consolidated metadata."""

    method = "ZarrS3Consolidated"


class ZarrS3UnconsolidatedContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: zarr, the pseudo-S3, metadata object by object."""

    method = "ZarrS3Unconsolidated"


class ZarrPynwbHttpsConsolidatedContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: pynwb through hdmf-zarr, plain HTTP, consolidated metadata."""

    method = "ZarrPynwbHttpsConsolidated"


class ZarrPynwbHttpsUnconsolidatedContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: pynwb through hdmf-zarr, plain HTTP, metadata object by object."""

    method = "ZarrPynwbHttpsUnconsolidated"


class ZarrPynwbS3ConsolidatedContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: pynwb through hdmf-zarr, the pseudo-S3, consolidated metadata."""

    method = "ZarrPynwbS3Consolidated"


class ZarrPynwbS3UnconsolidatedContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: pynwb through hdmf-zarr, the pseudo-S3, metadata object by object."""

    method = "ZarrPynwbS3Unconsolidated"


class LindiH5pyRemoteJsonContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: lindi's h5py-like file, the .lindi.json fetched from the server; chunks from the server."""

    method = "LindiH5pyRemoteJson"


class LindiH5pyRemoteTarContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: lindi's h5py-like file, the .lindi.tar read by range requests; chunks from the server."""

    method = "LindiH5pyRemoteTar"


class LindiH5pyDiskJsonContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: lindi's h5py-like file, the .lindi.json read from disk; chunks from the server."""

    method = "LindiH5pyDiskJson"


class LindiPynwbRemoteJsonContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: pynwb on lindi, the .lindi.json fetched from the server; chunks from the server."""

    method = "LindiPynwbRemoteJson"


class LindiPynwbRemoteTarContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: pynwb on lindi, the .lindi.tar read by range requests; chunks from the server."""

    method = "LindiPynwbRemoteTar"


class LindiPynwbDiskJsonContinuousSliceBenchmark(_TrackedSlice):
    """Network traffic of slicing: pynwb on lindi, the .lindi.json read from disk; chunks from the server."""

    method = "LindiPynwbDiskJson"
