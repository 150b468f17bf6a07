"""Time opening and slicing each NWB file through its LINDI reference file, the chunks streamed from HDF5.

lindi's h5py-like file, and pynwb on top of it; the reference file fetched as ``.lindi.json`` or
``.lindi.tar`` from the server at the latency of the benchmark, or read from disk. The slices are those of
``time_remote_slicing``: the byte ranges are the HDF5 file's own, so ``HttpRangeLimit`` is their limit.
"""

from __future__ import annotations

from ._format_bases import _RemoteFileRead, _RemoteSlice

#: Precision-driven sampling (native runner), as in the HDF5 modules: sample each combination until the
#: median's 95 % interval is within +-5 %, or this many seconds are spent. asv's runner keeps ``repeat``.
precision_target = 0.05
time_budget = 2.0


class LindiH5pyRemoteJsonFileReadBenchmark(_RemoteFileRead):
    """Open the file: lindi's h5py-like file, the .lindi.json fetched from the server; chunks from the server."""

    method = "LindiH5pyRemoteJson"


class LindiH5pyRemoteTarFileReadBenchmark(_RemoteFileRead):
    """Open the file: lindi's h5py-like file, the .lindi.tar read by range requests; chunks from the server."""

    method = "LindiH5pyRemoteTar"


class LindiH5pyDiskJsonFileReadBenchmark(_RemoteFileRead):
    """Open the file: lindi's h5py-like file, the .lindi.json read from disk; chunks from the server."""

    method = "LindiH5pyDiskJson"


class LindiPynwbRemoteJsonFileReadBenchmark(_RemoteFileRead):
    """Open the file: pynwb on lindi, the .lindi.json fetched from the server; chunks from the server."""

    method = "LindiPynwbRemoteJson"


class LindiPynwbRemoteTarFileReadBenchmark(_RemoteFileRead):
    """Open the file: pynwb on lindi, the .lindi.tar read by range requests; chunks from the server."""

    method = "LindiPynwbRemoteTar"


class LindiPynwbDiskJsonFileReadBenchmark(_RemoteFileRead):
    """Open the file: pynwb on lindi, the .lindi.json read from disk; chunks from the server."""

    method = "LindiPynwbDiskJson"


class LindiH5pyRemoteJsonContinuousSliceBenchmark(_RemoteSlice):
    """Slice: lindi's h5py-like file, the .lindi.json fetched from the server; chunks from the server."""

    method = "LindiH5pyRemoteJson"


class LindiH5pyRemoteTarContinuousSliceBenchmark(_RemoteSlice):
    """Slice: lindi's h5py-like file, the .lindi.tar read by range requests; chunks from the server."""

    method = "LindiH5pyRemoteTar"


class LindiH5pyDiskJsonContinuousSliceBenchmark(_RemoteSlice):
    """Slice: lindi's h5py-like file, the .lindi.json read from disk; chunks from the server."""

    method = "LindiH5pyDiskJson"


class LindiPynwbRemoteJsonContinuousSliceBenchmark(_RemoteSlice):
    """Slice: pynwb on lindi, the .lindi.json fetched from the server; chunks from the server."""

    method = "LindiPynwbRemoteJson"


class LindiPynwbRemoteTarContinuousSliceBenchmark(_RemoteSlice):
    """Slice: pynwb on lindi, the .lindi.tar read by range requests; chunks from the server."""

    method = "LindiPynwbRemoteTar"


class LindiPynwbDiskJsonContinuousSliceBenchmark(_RemoteSlice):
    """Slice: pynwb on lindi, the .lindi.json read from disk; chunks from the server."""

    method = "LindiPynwbDiskJson"
