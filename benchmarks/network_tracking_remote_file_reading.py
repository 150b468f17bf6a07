"""Track the network traffic of opening an NWB file remotely, by every streaming method.

The same classes and parameters as ``time_remote_file_reading``, but each sample is a dict of network
statistics (requests, bytes down and up, connections, per-request latencies; see
:func:`pytest_nwb_benchmarks.network_activity_tracker`) measured by the method chosen with
``NWB_BENCHMARKS_NETWORK`` (``library`` by default; ``proxy`` routes the URLs through a counting proxy,
``tshark`` captures packets). A method that cannot see a reader's traffic skips the benchmark with the reason.
"""

from __future__ import annotations

from ._bases import _one_class_per_method, _TrackedFileRead
from ._hdf5_methods import _H5PY_REMOTE, _PYNWB_REMOTE
from .params import LATENCIES_MS, REMOTE_FILES

globals().update(
    _one_class_per_method(__name__, _TrackedFileRead, _H5PY_REMOTE + _PYNWB_REMOTE, params=(REMOTE_FILES, LATENCIES_MS))
)
