"""Reports on result files: the run summary, verdicts, comparisons of two runs, regression scans.

Names are imported on first use, so that the plugin's summary does not import NumPy and SciPy.
"""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "._summary": ["SummaryRow", "format_summary", "noise_report"],
        "._verdict": ["ALPHA", "CONFIDENCE", "DEFAULT_THRESHOLD", "VERDICTS", "Verdict", "judge_samples"]
        + ["mann_whitney_p"],
        "._compare": ["ComparisonRow", "IncomparableRuns", "RunComparison", "compare_result_files", "compare_runs"]
        + ["iter_quantities", "resolve_run"],
        "._compare_cli": ["format_comparison", "parse_threshold", "select_rows"],
        "._regressions": ["DEFAULT_WINDOW", "Step", "find_steps", "load_runs"],
    },
)
__all__ = __dir__()
