"""The NWB suite's support: settings, data, readers, the streaming server, limits and network tracking.

The benchmarks in ``benchmarks/`` import from here only. Names are imported lazily, so that a
measuring process that imports this package pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_PUBLIC_NAMES: dict[str, str] = {
    "NETWORK_METHODS": "pytest_nwb_benchmarks.nwb._settings",
    "PROFILES": "pytest_nwb_benchmarks.nwb._settings",
    "SETTINGS_ENV": "pytest_nwb_benchmarks.nwb._settings",
    "SuiteSettings": "pytest_nwb_benchmarks.nwb._settings",
    "TARGETS": "pytest_nwb_benchmarks.nwb._settings",
    "current_settings": "pytest_nwb_benchmarks.nwb._settings",
    "parse_latencies": "pytest_nwb_benchmarks.nwb._settings",
    "ResolvedAsset": "pytest_nwb_benchmarks.nwb._assets",
    "asset_names": "pytest_nwb_benchmarks.nwb._assets",
    "current_target": "pytest_nwb_benchmarks.nwb._assets",
    "resolve_asset": "pytest_nwb_benchmarks.nwb._assets",
    "resolve_slice_case": "pytest_nwb_benchmarks.nwb._assets",
    "slice_cases": "pytest_nwb_benchmarks.nwb._assets",
    "HttpRangeFetcher": "pytest_nwb_benchmarks.nwb._range_reading",
    "needed_byte_ranges": "pytest_nwb_benchmarks.nwb._byte_ranges",
    "needed_zarr_chunks": "pytest_nwb_benchmarks.nwb._byte_ranges",
    "pread_into": "pytest_nwb_benchmarks.nwb._range_reading",
    "range_buffers": "pytest_nwb_benchmarks.nwb._range_reading",
    "total_bytes": "pytest_nwb_benchmarks.nwb._byte_ranges",
    "dataset_of": "pytest_nwb_benchmarks.nwb._format_methods",
    "open_with": "pytest_nwb_benchmarks.nwb._format_methods",
    "resolve_format_asset": "pytest_nwb_benchmarks.nwb._format_methods",
    "tracking_reader": "pytest_nwb_benchmarks.nwb._format_methods",
    "limit_report": "pytest_nwb_benchmarks.nwb._limit_report",
    "ensure_all_lindi_files": "pytest_nwb_benchmarks.nwb._lindi_files",
    "remove_published_lindi": "pytest_nwb_benchmarks.nwb._lindi_files",
    "ensure_all_nwb_files": "pytest_nwb_benchmarks.nwb._nwb_files",
    "nwb_root": "pytest_nwb_benchmarks.nwb._nwb_files",
    "FSSPEC_BLOCK_SIZE": "pytest_nwb_benchmarks.nwb._readers",
    "REMFILE_BYTES_PER_THREAD": "pytest_nwb_benchmarks.nwb._readers",
    "REMFILE_CHUNK_INCREMENT_FACTOR": "pytest_nwb_benchmarks.nwb._readers",
    "REMFILE_MAX_CHUNK_SIZE": "pytest_nwb_benchmarks.nwb._readers",
    "REMFILE_MAX_THREADS": "pytest_nwb_benchmarks.nwb._readers",
    "REMFILE_MIN_CHUNK_SIZE": "pytest_nwb_benchmarks.nwb._readers",
    "S3FS_BLOCK_SIZE": "pytest_nwb_benchmarks.nwb._readers",
    "close_opened": "pytest_nwb_benchmarks.nwb._readers",
    "get_object_by_name": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_h5py_fsspec_https_no_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_h5py_fsspec_https_with_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_h5py_fsspec_s3_no_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_h5py_fsspec_s3_with_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_h5py_local": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_h5py_remfile_no_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_h5py_remfile_with_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_h5py_ros3": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_pynwb_fsspec_https_no_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_pynwb_fsspec_https_with_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_pynwb_fsspec_s3_no_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_pynwb_fsspec_s3_with_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_pynwb_local": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_pynwb_remfile_no_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_pynwb_remfile_with_cache": "pytest_nwb_benchmarks.nwb._readers",
    "read_hdf5_pynwb_ros3": "pytest_nwb_benchmarks.nwb._readers",
    "reader_settings": "pytest_nwb_benchmarks.nwb._readers",
    "require_ros3": "pytest_nwb_benchmarks.nwb._readers",
    "SERVER_ENV": "pytest_nwb_benchmarks.nwb._server_info",
    "ServerInfo": "pytest_nwb_benchmarks.nwb._server_info",
    "StreamingServer": "pytest_nwb_benchmarks.nwb._streaming_server",
    "current_server": "pytest_nwb_benchmarks.nwb._streaming_server",
    "ensure_all_zarr_stores": "pytest_nwb_benchmarks.nwb._zarr_files",
    "zarr_available": "pytest_nwb_benchmarks.nwb._zarr_files",
    "close_zarr_opened": "pytest_nwb_benchmarks.nwb._zarr_readers",
    "network_activity_tracker": "pytest_nwb_benchmarks.nwb.network",
    "network_statistics_result": "pytest_nwb_benchmarks.nwb.network",
    "plan_network_tracking": "pytest_nwb_benchmarks.nwb.network",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC_NAMES))


__all__ = sorted(_PUBLIC_NAMES)
