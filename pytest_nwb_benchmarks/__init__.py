"""pytest-nwb-benchmarks: ASV-style benchmark suites under pytest, and the NWB streaming suite.

Public names are imported lazily, so that ``import pytest_nwb_benchmarks`` stays cheap: the
process that measures a ``peakmem_`` benchmark imports this package, and a heavy import here
would be counted in every measurement.
"""

from pytest_nwb_benchmarks.nwb import _HDF5_READERS
from pytest_nwb_benchmarks.utils._lazy import lazy_exports

__version__ = "0.1.0"

_ZARR_READERS = [f"read_zarr_{api}_{where}" for where in ("local", "https", "s3") for api in ("zarr", "pynwb")]

# One entry per room of the house; each names what that module makes public at the top level.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".collect._discovery": ["SkipNotImplemented"],
        ".utils._paths": ["benchmarks_home", "cache_dir"],
        ".results._machine": ["collect_machine_header"],
        ".results._environment": ["collect_environment_header"],
        ".results._result_files": ["write_result_file", "read_result_file"],
        ".nwb._nwb_files": ["ensure_nwb_file", "ensure_all_nwb_files", "nwb_file_spec", "slices_for", "NWBFileSpec"],
        ".nwb._streaming_server": ["StreamingServer", "ServerInfo", "StreamingServerUnavailable", "current_server"],
        ".nwb._readers": _HDF5_READERS,
        ".nwb._zarr_files": ["ensure_zarr_store", "ensure_all_zarr_stores", "zarr_available"],
        ".nwb._lindi_files": ["ensure_lindi_file", "ensure_all_lindi_files", "publish_lindi"],
        ".nwb._zarr_readers": [*_ZARR_READERS, "read_lindi_h5py", "read_lindi_pynwb", "close_zarr_opened"],
        ".nwb.network": ["network_activity_tracker", "NetworkTracker"],
        ".results._reduce_asv": ["reduce_asv_results", "ReducedResults", "AsvResultsError"],
        ".results._reduce": ["reduce_asv_results_file"],
        ".results._pytest_benchmark": ["reduce_pytest_benchmark", "PytestBenchmarkFileError"],
        ".results._pytest_benchmark_export": ["export_result_file", "to_pytest_benchmark"],
        ".report._verdict": ["judge_samples", "mann_whitney_p", "Verdict"],
        ".report._compare": ["compare_runs", "compare_result_files", "resolve_run", "RunComparison"]
        + ["ComparisonRow", "IncomparableRuns"],
        ".report._compare_cli": ["format_comparison"],
        ".report._regressions": ["find_steps", "Step"],
        ".upload": ["upload_result_files", "UploadOutcome", "UploadTracker", "UploadTrackerError"],
        ".run._precision": ["median_interval", "MedianInterval", "PrecisionSettings"],
        ".run._system_check": ["check_system", "SystemCheck"],
    },
)
__all__ = __dir__()
