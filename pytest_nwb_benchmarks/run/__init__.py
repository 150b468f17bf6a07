"""Running benchmarks: runners, measuring processes, precision, the session's state and recording."""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

_EXPORTS = {
    "AsvRunner": "._asv_runner",
    "BenchSession": "._session",
    "NativeRunner": "._native_runner",
    "RunRecorder": "._recorder",
    "bench_session": "._session",
    "register_child_reset": "._child_reset",
    "results_dir": "._session",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
