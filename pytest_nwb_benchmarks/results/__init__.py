"""Result files: their format, names, headers, and the reduction of asv and pytest-benchmark output.

Names are imported on first use: :mod:`pytest_nwb_benchmarks.collect` imports the parameter key
rules from here in every measuring process, which must not pay for the rest.
"""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "._keys": ["benchmark_location", "params_key", "readable_param", "repr_without_address"],
        "._file_names": ["ACCEPTED_PATTERNS", "TIMESTAMP_FORMAT", "InvalidFileName", "ParsedFileName"]
        + ["environment_file_name", "machine_file_name", "parse_file_name", "result_file_name"],
        "._friendly_names": ["machine_friendly_name", "random_friendly_name"],
        "._schema": ["SCHEMA_FILES", "first_schema_error", "load_schema", "schema_validator"],
        "._model": ["FIXED_KEYS", "RESULT_FILE_VERSION", "EnvironmentHeader", "InvalidContent", "MachineHeader"]
        + ["ResultFile", "check_content", "is_named_sample_value", "is_number", "normalise_timestamp"],
        "._json_files": ["dump_json", "load_json_text", "replace_json_file", "write_new_json_file"],
        "._result_files": ["InvalidResultFile", "iter_result_files", "read_header_file", "read_result_file"]
        + ["write_header_file", "write_result_file"],
        "._machine": ["collect_machine_header", "ensure_machine_header", "machine_hash"],
        "._environment": ["collect_environment_header", "ensure_environment_header", "environment_hash"],
        "._reduce_asv": ["AsvResultsError", "ReducedResults", "reduce_asv_results"],
        "._reduce": ["find_asv_results_files", "load_asv_results", "reduce_asv_results_file"],
        "._pytest_benchmark": ["PytestBenchmarkFileError", "reduce_pytest_benchmark"],
        "._pytest_benchmark_export": ["export_result_file", "to_pytest_benchmark"],
    },
)
__all__ = __dir__()
