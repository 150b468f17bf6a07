"""Finding ASV-style benchmarks and turning each parameter combination into a case and a pytest item."""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "._benchmark": ["Benchmark"],
        "._benchmark_types": ["BENCHMARK_TYPES", "BenchmarkType", "SkipNotImplemented"],
        "._case": ["Case", "CaseRunner", "Outcome", "Runner"],
        "._discovery": ["discover_benchmarks"],
        "._items": ["BenchmarkItem"],
        "._params": ["BenchmarkDefinitionError"],
    },
)
__all__ = __dir__()
