"""pytest-nwb-benchmarks: ASV-style benchmark suites under pytest, and the NWB streaming suite.

Public names are imported lazily, so that ``import pytest_nwb_benchmarks`` stays cheap: the
process that measures a ``peakmem_`` benchmark imports this package, and a heavy import here
would be counted in every measurement.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> private module that defines it
_PUBLIC_NAMES: dict[str, str] = {
    "SkipNotImplemented": "pytest_nwb_benchmarks.collect._discovery",
    "benchmarks_home": "pytest_nwb_benchmarks.utils._paths",
    "cache_dir": "pytest_nwb_benchmarks.utils._paths",
}


def _register(module: str, *names: str) -> None:
    for name in names:
        _PUBLIC_NAMES[name] = module


# One line per room of the house; each names what that module makes public.
_register("pytest_nwb_benchmarks.results._machine", "collect_machine_header")
_register("pytest_nwb_benchmarks.results._environment", "collect_environment_header")
_register("pytest_nwb_benchmarks.results._result_files", "write_result_file", "read_result_file")
_register(
    "pytest_nwb_benchmarks.nwb._nwb_files",
    "ensure_nwb_file",
    "ensure_all_nwb_files",
    "nwb_file_spec",
    "slices_for",
    "NWBFileSpec",
)
_register(
    "pytest_nwb_benchmarks.nwb._streaming_server",
    "StreamingServer",
    "ServerInfo",
    "StreamingServerUnavailable",
    "current_server",
)
_register(
    "pytest_nwb_benchmarks.nwb._readers",
    *(
        f"read_hdf5_{api}_{method}"
        for api in ("h5py", "pynwb")
        for method in (
            "local",
            "fsspec_https_no_cache",
            "fsspec_https_with_cache",
            "fsspec_s3_no_cache",
            "fsspec_s3_with_cache",
            "remfile_no_cache",
            "remfile_with_cache",
            "ros3",
        )
    ),
)
_register("pytest_nwb_benchmarks.nwb._zarr_files", "ensure_zarr_store", "ensure_all_zarr_stores", "zarr_available")
_register("pytest_nwb_benchmarks.nwb._lindi_files", "ensure_lindi_file", "ensure_all_lindi_files", "publish_lindi")
_register(
    "pytest_nwb_benchmarks.nwb._zarr_readers",
    "read_zarr_zarr_local",
    "read_zarr_pynwb_local",
    "read_zarr_zarr_https",
    "read_zarr_pynwb_https",
    "read_zarr_zarr_s3",
    "read_zarr_pynwb_s3",
    "read_lindi_h5py",
    "read_lindi_pynwb",
    "close_zarr_opened",
)
_register("pytest_nwb_benchmarks.nwb.network", "network_activity_tracker", "NetworkTracker")
_register("pytest_nwb_benchmarks.results._reduce_asv", "reduce_asv_results", "ReducedResults", "AsvResultsError")
_register("pytest_nwb_benchmarks.results._reduce", "reduce_asv_results_file")
_register("pytest_nwb_benchmarks.results._pytest_benchmark", "reduce_pytest_benchmark", "PytestBenchmarkFileError")
_register("pytest_nwb_benchmarks.results._pytest_benchmark_export", "export_result_file", "to_pytest_benchmark")
_register("pytest_nwb_benchmarks.report._verdict", "judge_samples", "mann_whitney_p", "Verdict")
_register(
    "pytest_nwb_benchmarks.report._compare",
    "compare_runs",
    "compare_result_files",
    "resolve_run",
    "RunComparison",
    "ComparisonRow",
    "IncomparableRuns",
)
_register("pytest_nwb_benchmarks.report._compare_cli", "format_comparison")
_register("pytest_nwb_benchmarks.report._regressions", "find_steps", "Step")
_register(
    "pytest_nwb_benchmarks.upload",
    "upload_result_files",
    "UploadOutcome",
    "UploadTracker",
    "UploadTrackerError",
)
_register("pytest_nwb_benchmarks.run._precision", "median_interval", "MedianInterval", "PrecisionSettings")
_register("pytest_nwb_benchmarks.run._system_check", "check_system", "SystemCheck")


def __getattr__(name: str) -> Any:
    module = _PUBLIC_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_nwb_benchmarks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC_NAMES))


__all__ = sorted(_PUBLIC_NAMES)
