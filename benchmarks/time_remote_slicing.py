"""Time slicing a dataset of a remote NWB file, by every way of opening it.

``ContinuousSlice``: the file is opened in ``setup`` (nothing read yet beyond what opening needs) and
only the slice is timed. ``ContinuousSlicePreloaded`` (h5py only): ``setup`` also reads the same slice once,
so the timed read shows what each method's caches save on a repeated read. Each runs at every latency, one
class per HDF5 streaming method (see ``_hdf5_methods``): ``<Method>ContinuousSlice[Preloaded]Benchmark``.
"""

from __future__ import annotations

from ._bases import _one_class_per_method, _PreloadedSlice, _RemoteSlice
from ._hdf5_methods import _H5PY_REMOTE, _PYNWB_REMOTE
from .params import LATENCIES_MS, PRELOADED_SLICES, PYNWB_REMOTE_SLICES, REMOTE_SLICES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 2.0

globals().update(
    _one_class_per_method(__name__, _RemoteSlice, _H5PY_REMOTE, params=(REMOTE_SLICES, LATENCIES_MS)),
    **_one_class_per_method(__name__, _RemoteSlice, _PYNWB_REMOTE, params=(PYNWB_REMOTE_SLICES, LATENCIES_MS)),
    **_one_class_per_method(__name__, _PreloadedSlice, _H5PY_REMOTE, params=(PRELOADED_SLICES, LATENCIES_MS)),
)
