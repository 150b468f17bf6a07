"""Track the network traffic of opening and slicing the Zarr stores and LINDI files, by every streaming method.

The same class names and grids as ``time_zarr_remote`` and ``time_lindi_remote``; each sample is a dict of
network statistics (see ``network_tracking_remote_file_reading``). LINDI under the ``proxy`` method skips:
its reference file names the server's own URLs, which the proxy never sees.
"""

from __future__ import annotations

from ._bases import _ColdSamples, _one_class_per_method, _TrackedFileRead, _TrackedSlice
from ._format_bases import _LINDI, _ZARR_REMOTE
from .params import FORMAT_REMOTE_FILES, FORMAT_REMOTE_SLICES, LATENCIES_MS


# The Zarr/LINDI tracking keeps the cold-sample settings of the timed classes (the HDF5 one sets number only).
class _ColdTrackedFileRead(_TrackedFileRead, _ColdSamples):
    pass


class _ColdTrackedSlice(_TrackedSlice, _ColdSamples):
    pass


globals().update(
    _one_class_per_method(
        __name__, _ColdTrackedFileRead, _ZARR_REMOTE + _LINDI, params=(FORMAT_REMOTE_FILES, LATENCIES_MS)
    ),
    **_one_class_per_method(
        __name__, _ColdTrackedSlice, _ZARR_REMOTE + _LINDI, params=(FORMAT_REMOTE_SLICES, LATENCIES_MS)
    ),
)
