"""Uploading result files and headers to the results server, with retries and an upload tracker.

Public names: :func:`upload_result_files`, :class:`UploadOutcome`, :class:`UploadTracker` and
:class:`UploadTrackerError`. The pytest side (``--nwb-upload``) is the plugin module
``pytest_nwb_benchmarks.upload._upload_plugin``; the command is ``nwb-benchmarks upload``.
"""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "._outcome": ["UploadOutcome"],
        "._tracker": ["UploadTracker", "UploadTrackerError"],
        "._upload": ["upload_result_files"],
    },
)
__all__ = __dir__()
