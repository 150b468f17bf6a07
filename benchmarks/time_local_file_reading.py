"""Time opening an NWB file from local disk: with h5py (the file object only) and with pynwb (the NWBFile).

The baseline for the remote openings in ``time_remote_file_reading``: ``H5pyLocalFileReadBenchmark`` and
``PynwbLocalFileReadBenchmark``. Skipped on ``--nwb-target=dandi``, which has no local copy.
"""

from __future__ import annotations

from ._bases import _LocalFileRead, _one_class_per_method
from ._hdf5_methods import _H5PY_LOCAL, _PYNWB_LOCAL
from .params import LOCAL_FILES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 1.5

globals().update(_one_class_per_method(__name__, _LocalFileRead, _H5PY_LOCAL + _PYNWB_LOCAL, params=(LOCAL_FILES,)))
