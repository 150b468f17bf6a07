"""Reports on result files: the run summary, verdicts, comparisons of two runs, regression scans.

Names are imported on first use, so that the plugin's summary does not import NumPy and SciPy.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> the private module that defines it
_MODULES: dict[str, str] = {
    **dict.fromkeys(["SummaryRow", "format_summary", "noise_report"], "_summary"),
    **dict.fromkeys(
        ["ALPHA", "CONFIDENCE", "DEFAULT_THRESHOLD", "VERDICTS", "Verdict", "judge_samples", "mann_whitney_p"],
        "_verdict",
    ),
    **dict.fromkeys(
        [
            "ComparisonRow",
            "IncomparableRuns",
            "RunComparison",
            "compare_result_files",
            "compare_runs",
            "iter_quantities",
            "resolve_run",
        ],
        "_compare",
    ),
    **dict.fromkeys(["format_comparison", "parse_threshold", "select_rows"], "_compare_cli"),
    **dict.fromkeys(["DEFAULT_WINDOW", "Step", "find_steps", "load_runs"], "_regressions"),
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
