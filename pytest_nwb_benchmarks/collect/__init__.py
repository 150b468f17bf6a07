"""Finding ASV-style benchmarks and turning each parameter combination into a case and a pytest item."""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

_EXPORTS = {
    "BENCHMARK_TYPES": "._benchmark_types",
    "Benchmark": "._benchmark",
    "BenchmarkDefinitionError": "._params",
    "BenchmarkItem": "._items",
    "BenchmarkType": "._benchmark_types",
    "Case": "._case",
    "CaseRunner": "._case",
    "Outcome": "._case",
    "Runner": "._case",
    "SkipNotImplemented": "._benchmark_types",
    "benchmark_location": "._items",
    "discover_benchmarks": "._discovery",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
