"""Time opening and slicing each NWB file through its LINDI reference file, the chunks streamed from HDF5.

lindi's h5py-like file, and pynwb on top of it; the reference file fetched as ``.lindi.json`` or
``.lindi.tar`` from the server at the latency of the benchmark, or read from disk:
``Lindi{H5py,Pynwb}{RemoteJson,RemoteTar,DiskJson}{FileRead,ContinuousSlice}Benchmark``. The slices are
those of ``time_remote_slicing``: the byte ranges are the HDF5 file's own, so ``HttpRangeLimit`` is their
limit.
"""

from __future__ import annotations

from ._bases import _CHEAP_ROUNDS, _one_class_per_method, _RemoteFileRead, _RemoteSlice
from ._format_bases import _LINDI
from .params import FORMAT_REMOTE_FILES, FORMAT_REMOTE_SLICES, LATENCIES_MS

#: Precision-driven sampling (native runner), as in the HDF5 modules: sample each combination until the
#: median's 95 % interval is within +-5 %, or this many seconds are spent. asv's runner keeps ``repeat``.
precision_target = 0.05
time_budget = 2.0

_CLASSES = {
    **_one_class_per_method(__name__, _RemoteFileRead, _LINDI, params=(FORMAT_REMOTE_FILES, LATENCIES_MS)),
    **_one_class_per_method(__name__, _RemoteSlice, _LINDI, params=(FORMAT_REMOTE_SLICES, LATENCIES_MS)),
}
for _name, _class in _CLASSES.items():
    if "DiskJson" in _name:
        _class.rounds = _CHEAP_ROUNDS  # the reference file is read from disk: a second process is cheap
globals().update(_CLASSES)
