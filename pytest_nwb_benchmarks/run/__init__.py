"""Running benchmarks: runners, measuring processes, precision, the session's state and recording."""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {"._asv_runner": ["AsvRunner"], "._child_reset": ["register_child_reset"], "._native_runner": ["NativeRunner"]}
    | {"._recorder": ["RunRecorder"], "._session": ["BenchSession", "bench_session", "results_dir"]},
)
__all__ = __dir__()
