"""Time opening an NWB file remotely: with h5py (the file object only) and with pynwb (the whole NWBFile).

Every method streams from the local streaming server (or DANDI with ``--nwb-target=dandi``) at each
latency; a sample is one open of a file nothing was cached for. One class per HDF5 streaming method,
``<Method>FileReadBenchmark`` (``H5pyFsspecHttpsNoCache`` ... ``PynwbRos3``, see ``_hdf5_methods``).
"""

from __future__ import annotations

from ._bases import _one_class_per_method, _RemoteFileRead
from ._hdf5_methods import _H5PY_REMOTE, _PYNWB_REMOTE
from .params import LATENCIES_MS, REMOTE_FILES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 2.0

globals().update(
    _one_class_per_method(__name__, _RemoteFileRead, _H5PY_REMOTE + _PYNWB_REMOTE, params=(REMOTE_FILES, LATENCIES_MS))
)
