"""Summarise a result file of the NWB suite against the physical limit.

For every timed method and operation (class names ``<Method><Operation>Benchmark``) and every parameter
combination, the report shows the median time with the half-width of its 95 % order-statistic interval
(or the sample count, when too few samples give no interval), its ratio to the limit's median for the same parameters
(``HttpRangeLimitContinuousSliceBenchmark`` for remote slices, ``PreadLimitContinuousSliceBenchmark`` for
local ones, ``RequestsHttpsDownloadBenchmark`` for downloads) and, where the network tracking benchmarks
ran for the same class, the bytes transferred divided by the bytes the slice needs and the number of
requests. The Zarr and LINDI methods are set against the same limits as the HDF5 ones; the bytes a Zarr
slice needs are its whole chunk objects (``ZarrChunkLimitContinuousSliceBenchmark``). One table per
latency, plus one for the local benchmarks.

``python -m pytest_nwb_benchmarks.nwb._limit_report RESULT_FILE`` prints it.
"""

from __future__ import annotations

import argparse
import ast
import re
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._result_files import InvalidResultFile, read_result_file
from pytest_nwb_benchmarks.run._precision import median_interval

_CLASS = re.compile(
    r"^(?P<method>[A-Za-z0-9]+?)(?P<operation>FileRead|ContinuousSlicePreloaded|ContinuousSlice|Download)Benchmark$"
)
_HTTP_LIMIT = "HttpRangeLimitContinuousSliceBenchmark"
_PREAD_LIMIT = "PreadLimitContinuousSliceBenchmark"
_DOWNLOAD_LIMIT = "RequestsHttpsDownloadBenchmark"
# A Zarr chunk is fetched whole: the Zarr methods' bytes are divided by the chunk objects a slice needs.
_ZARR_CHUNK_LIMIT = "ZarrChunkLimitContinuousSliceBenchmark"
_OPERATION_ORDER = ("FileRead", "ContinuousSlice", "ContinuousSlicePreloaded", "Download")


@dataclass(frozen=True)
class LimitRow:
    """One line of the report.

    Attributes
    ----------
    method : str
        E.g. ``"H5pyRemfileNoCache"`` (``"HttpRangeLimit"`` for the limit itself).
    operation : str
        ``"FileRead"``, ``"ContinuousSlice"``, ``"ContinuousSlicePreloaded"`` or ``"Download"``.
    case : str
        The first parameter: the asset or slice case.
    latency_ms : int or None
        The server latency; ``None`` for local benchmarks.
    median_s : float
        Median of the samples, seconds.
    uncertainty : str
        The 95 % interval's relative half-width (``"+-4%"``), or ``"n=2"`` when the samples are too
        few for an interval at that confidence.
    ratio_to_limit : float or None
        ``median_s`` over the limit's median for the same parameters, when there is one.
    bytes_ratio : float or None
        Bytes transferred over bytes needed, when both were measured (for the Zarr methods, the bytes of
        the chunk objects the slice needs, from ``ZarrChunkLimit``).
    requests : float or None
        Median number of HTTP requests, when the network tracking benchmarks ran for the same class.
    """

    method: str
    operation: str
    case: str
    latency_ms: int | None
    median_s: float
    ratio_to_limit: float | None
    bytes_ratio: float | None
    requests: float | None = None
    uncertainty: str = ""


def _uncertainty(samples: Any) -> str:
    numbers = [float(s) for s in samples if isinstance(s, (int, float))] if isinstance(samples, list) else []
    if not numbers:
        return ""
    interval = median_interval(numbers, 0.95)
    if interval.low is None:
        return f"n={interval.count}"
    return f"+-{interval.relative_half_width:.0%}"


def _split_id(benchmark_id: str) -> tuple[str, str, str] | None:
    """``[package.]module.Class.method`` -> ``(module, Class, method)``."""
    parts = benchmark_id.split(".")
    if len(parts) < 3:
        return None
    return parts[-3], parts[-2], parts[-1]


def _parse_key(key: str) -> tuple[Any, ...]:
    """The parameter key (``str`` of a tuple of reprs) back to Python values, best effort."""
    try:
        reprs = ast.literal_eval(key)
    except (ValueError, SyntaxError):
        return (key,)
    if not isinstance(reprs, tuple):
        reprs = (reprs,)
    values = []
    for text in reprs:
        try:
            values.append(ast.literal_eval(text) if isinstance(text, str) else text)
        except (ValueError, SyntaxError):
            values.append(text)
    return tuple(values)


def _median(samples: Any) -> float | None:
    if isinstance(samples, (int, float)):
        return float(samples)
    if isinstance(samples, list):
        numbers = [float(s) for s in samples if isinstance(s, (int, float))]
        return statistics.median(numbers) if numbers else None
    return None


def _bytes_downloaded(samples: Any, name: str = "bytes_downloaded") -> float | None:
    if isinstance(samples, dict):
        return _median(samples.get(name))
    if isinstance(samples, list):  # a list of per-sample dicts
        values = [_bytes_downloaded(s, name) for s in samples]
        numbers = [v for v in values if v is not None]
        return statistics.median(numbers) if numbers else None
    return None


def limit_rows(results: dict[str, dict[str, Any]]) -> list[LimitRow]:
    """Build the report's rows from a result file's ``results``.

    Parameters
    ----------
    results : dict
        ``{benchmark id: {parameter key: samples}}``.

    Returns
    -------
    list of LimitRow
        One per timed method, operation and parameter combination.
    """
    # (class, method name) -> {key: samples}
    by_class: dict[tuple[str, str], dict[str, Any]] = {}
    network: dict[str, dict[str, Any]] = {}
    for benchmark_id, by_key in results.items():
        split = _split_id(benchmark_id)
        if split is None:
            continue
        module, cls, func = split
        if module.startswith("network_tracking"):
            network.setdefault(cls, {}).update(by_key)
        else:
            by_class[(cls, func)] = by_key

    def limit_time(cls: str, func: str, key: str) -> float | None:
        return _median(by_class.get((cls, func), {}).get(key))

    rows = []
    for (cls, func), by_key in by_class.items():
        if not func.startswith("time_"):
            continue
        if cls in (_HTTP_LIMIT, _PREAD_LIMIT):
            method, operation = cls[: -len("ContinuousSliceBenchmark")], "ContinuousSlice"
        else:
            match = _CLASS.match(cls)
            if match is None:
                continue
            method, operation = match["method"], match["operation"]
        local = "Local" in method or cls == _PREAD_LIMIT
        for key, samples in by_key.items():
            median = _median(samples)
            if median is None:
                continue
            params = _parse_key(key)
            latency = params[1] if len(params) >= 2 and isinstance(params[1], int) else None
            limit = None
            needed = None
            if operation in ("ContinuousSlice", "ContinuousSlicePreloaded"):
                limit_cls = _PREAD_LIMIT if local else _HTTP_LIMIT
                limit = limit_time(limit_cls, "time_slice", key)
                bytes_cls = _ZARR_CHUNK_LIMIT if method.startswith("Zarr") and not local else limit_cls
                needed = _median(by_class.get((bytes_cls, "track_bytes_needed"), {}).get(key))
            elif operation == "Download":
                limit = limit_time(_DOWNLOAD_LIMIT, "time_download", key)
            tracked = network.get(cls, {}).get(key)
            transferred = _bytes_downloaded(tracked)
            rows.append(
                LimitRow(
                    method=method,
                    operation=operation,
                    case=str(params[0]) if params else "",
                    latency_ms=None if local else latency,
                    median_s=median,
                    ratio_to_limit=median / limit if limit else None,
                    bytes_ratio=transferred / needed if transferred is not None and needed else None,
                    requests=_bytes_downloaded(tracked, "requests"),
                    uncertainty=_uncertainty(samples),
                )
            )
    rows.sort(
        key=lambda r: (
            _OPERATION_ORDER.index(r.operation) if r.operation in _OPERATION_ORDER else 99,
            r.case,
            r.median_s,
        )
    )
    return rows


def _format_seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} us"


def _format_table(rows: list[LimitRow]) -> list[str]:
    show_bytes = any(r.bytes_ratio is not None for r in rows)
    show_requests = any(r.requests is not None for r in rows)
    header = (
        ["method", "operation", "parameters", "median", "95% CI", "x limit"]
        + (["bytes/needed"] if show_bytes else [])
        + (["requests"] if show_requests else [])
    )
    body = []
    for r in rows:
        line = [
            r.method,
            r.operation,
            r.case,
            _format_seconds(r.median_s),
            r.uncertainty,
            "" if r.ratio_to_limit is None else f"{r.ratio_to_limit:.2f}",
        ]
        if show_bytes:
            line.append("" if r.bytes_ratio is None else f"{r.bytes_ratio:.2f}")
        if show_requests:
            line.append("" if r.requests is None else f"{r.requests:g}")
        body.append(line)
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    numeric = {3, 4, 5, 6, 7}
    lines = []
    for row in [header, *body]:
        cells = [cell.rjust(w) if i in numeric else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def limit_report(result_file: Path) -> str:
    """Render the method x operation table of a result file against the physical limit.

    Parameters
    ----------
    result_file : pathlib.Path
        A result file written by the plugin.

    Returns
    -------
    str
        The report: one table per latency, then one for local reads; a note when nothing applies.

    Raises
    ------
    InvalidResultFile
        If the file is not a readable result file.
    """
    content = read_result_file(Path(result_file))
    rows = limit_rows(content.results)
    if not rows:
        return f"{result_file}: no NWB suite benchmarks (time_*.<Method><Operation>Benchmark) in this file\n"
    out = [f"NWB suite vs the physical limit: {Path(result_file).name}", ""]
    latencies = sorted({r.latency_ms for r in rows if r.latency_ms is not None})
    for latency in latencies:
        out.append(f"Remote, {latency} ms added latency per request")
        out.extend(_format_table([r for r in rows if r.latency_ms == latency]))
        out.append("")
    local = [r for r in rows if r.latency_ms is None]
    if local:
        out.append("Local disk")
        out.extend(_format_table(local))
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Print the limit report of a result file.

    Parameters
    ----------
    argv : list of str, optional
        ``[RESULT_FILE]``; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 when the file cannot be read.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nwb_benchmarks.nwb._limit_report",
        description="Compare every method of the NWB suite with the physical limit.",
    )
    parser.add_argument("result_file", type=Path, help="a result file written by pytest --nwb-bench")
    args = parser.parse_args(argv)
    try:
        print(limit_report(args.result_file), end="")
    except InvalidResultFile as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
