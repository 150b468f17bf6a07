"""Uploading result files and headers to the results server, with retries and an upload tracker.

Public names: :func:`upload_result_files`, :class:`UploadOutcome`, :class:`UploadTracker` and
:class:`UploadTrackerError`. The pytest side (``--nwb-upload``) is the plugin module
``pytest_nwb_benchmarks.upload._upload_plugin``; the command is ``nwb-benchmarks upload``.
"""

from __future__ import annotations

from pytest_nwb_benchmarks.upload._outcome import UploadOutcome
from pytest_nwb_benchmarks.upload._tracker import UploadTracker, UploadTrackerError
from pytest_nwb_benchmarks.upload._upload import upload_result_files

__all__ = ["UploadOutcome", "UploadTracker", "UploadTrackerError", "upload_result_files"]
