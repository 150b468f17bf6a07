"""The NWB suite's support: settings, data, readers, the streaming server, limits and network tracking.

The benchmarks in ``benchmarks/`` import from here only. Names are imported lazily, so that a
measuring process that imports this package pays only for what it uses.
"""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

# One ``read_hdf5_<api>_<method>`` per library and way of opening (the package's top level names them too).
_HDF5_READERS = [
    f"read_hdf5_{api}_{method}"
    for api in ("h5py", "pynwb")
    for method in ("local", "ros3", "remfile_no_cache", "remfile_with_cache")
    + tuple(f"fsspec_{protocol}_{cache}" for protocol in ("https", "s3") for cache in ("no_cache", "with_cache"))
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "._settings": ["NETWORK_METHODS", "PROFILES", "SETTINGS_ENV", "TARGETS", "SuiteSettings"]
        + ["current_settings", "parse_latencies"],
        "._assets": ["ResolvedAsset", "asset_names", "current_target", "resolve_asset", "resolve_slice_case"]
        + ["slice_cases"],
        "._range_reading": ["HttpRangeFetcher", "pread_into", "range_buffers"],
        "._byte_ranges": ["needed_byte_ranges", "needed_zarr_chunks", "total_bytes"],
        "._format_methods": ["dataset_of", "open_with", "resolve_format_asset", "tracking_reader"],
        "._limit_report": ["limit_report"],
        "._lindi_files": ["ensure_all_lindi_files", "remove_published_lindi"],
        "._nwb_files": ["ensure_all_nwb_files", "nwb_root"],
        "._readers": ["close_opened", "get_object_by_name", "reader_settings", "require_ros3", *_HDF5_READERS]
        + ["FSSPEC_BLOCK_SIZE", "S3FS_BLOCK_SIZE", "REMFILE_BYTES_PER_THREAD", "REMFILE_CHUNK_INCREMENT_FACTOR"]
        + ["REMFILE_MAX_CHUNK_SIZE", "REMFILE_MAX_THREADS", "REMFILE_MIN_CHUNK_SIZE"],
        "._server_info": ["SERVER_ENV", "ServerInfo"],
        "._streaming_server": ["StreamingServer", "current_server"],
        "._zarr_files": ["ensure_all_zarr_stores", "zarr_available"],
        "._zarr_readers": ["close_zarr_opened"],
        ".network": ["network_activity_tracker", "network_statistics_result", "plan_network_tracking"],
    },
)
__all__ = __dir__()
