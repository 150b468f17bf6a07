"""Result files: their format, names, headers, and the reduction of asv and pytest-benchmark output.

Names are imported on first use: :mod:`pytest_nwb_benchmarks.collect` imports the parameter key
rules from here in every measuring process, which must not pay for the rest.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the private module that defines it
_MODULES: dict[str, str] = {
    **dict.fromkeys(["benchmark_location", "params_key", "readable_param", "repr_without_address"], "_keys"),
    **dict.fromkeys(
        [
            "ACCEPTED_PATTERNS",
            "TIMESTAMP_FORMAT",
            "InvalidFileName",
            "ParsedFileName",
            "environment_file_name",
            "machine_file_name",
            "parse_file_name",
            "result_file_name",
        ],
        "_file_names",
    ),
    **dict.fromkeys(["machine_friendly_name", "random_friendly_name"], "_friendly_names"),
    **dict.fromkeys(["SCHEMA_FILES", "first_schema_error", "load_schema", "schema_validator"], "_schema"),
    **dict.fromkeys(
        [
            "FIXED_KEYS",
            "RESULT_FILE_VERSION",
            "EnvironmentHeader",
            "InvalidContent",
            "MachineHeader",
            "ResultFile",
            "check_content",
            "is_named_sample_value",
            "is_number",
            "normalise_timestamp",
        ],
        "_model",
    ),
    **dict.fromkeys(["dump_json", "load_json_text", "replace_json_file", "write_new_json_file"], "_json_files"),
    **dict.fromkeys(
        [
            "InvalidResultFile",
            "iter_result_files",
            "read_header_file",
            "read_result_file",
            "write_header_file",
            "write_result_file",
        ],
        "_result_files",
    ),
    **dict.fromkeys(["collect_machine_header", "ensure_machine_header", "machine_hash"], "_machine"),
    **dict.fromkeys(["collect_environment_header", "ensure_environment_header", "environment_hash"], "_environment"),
    **dict.fromkeys(["AsvResultsError", "ReducedResults", "reduce_asv_results"], "_reduce_asv"),
    **dict.fromkeys(["find_asv_results_files", "load_asv_results", "reduce_asv_results_file"], "_reduce"),
    **dict.fromkeys(["PytestBenchmarkFileError", "reduce_pytest_benchmark"], "_pytest_benchmark"),
    **dict.fromkeys(["export_result_file", "to_pytest_benchmark"], "_pytest_benchmark_export"),
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
