"""Time slicing a dataset of a local NWB file, opened in ``setup`` with h5py or pynwb.

The baseline for ``time_remote_slicing``: ``H5pyLocalContinuousSliceBenchmark`` takes every slice,
``PynwbLocalContinuousSliceBenchmark`` the first of each file (pynwb re-reads all metadata in every setup).
``PreadLimitContinuousSliceBenchmark`` in ``time_physical_limit`` reads exactly the bytes these slices need.
Skipped on ``--nwb-target=dandi``.
"""

from __future__ import annotations

from ._bases import _LocalSlice, _one_class_per_method
from ._hdf5_methods import _H5PY_LOCAL, _PYNWB_LOCAL
from .params import LOCAL_SLICES, PYNWB_LOCAL_SLICES

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 1.5

globals().update(
    _one_class_per_method(__name__, _LocalSlice, _H5PY_LOCAL, params=(LOCAL_SLICES,)),
    **_one_class_per_method(__name__, _LocalSlice, _PYNWB_LOCAL, params=(PYNWB_LOCAL_SLICES,)),
)
