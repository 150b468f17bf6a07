"""The table printed at the end of a benchmark run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pytest_nwb_benchmarks.utils._statistics import interquartile_range, median

#: A combination whose interquartile range exceeds this share of its median is called unstable.
UNSTABLE_IQR_OVER_MEDIAN = 0.10
_STOP_WORDS = {"target met": "met", "time budget spent": "budget", "sample limit reached": "limit"}

_TIME_UNITS = (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9))
_BYTE_UNITS = (("GB", 1e9), ("MB", 1e6), ("kB", 1e3), ("B", 1.0))


@dataclass
class SummaryRow:
    """One line of the summary: a benchmark combination and what it measured."""

    benchmark: str
    params: str
    status: str
    samples: list[float] | dict[str, Any] | None
    unit: str
    precision: dict[str, Any] | None = None


def _scaled(value: float, unit: str) -> str:
    scales = _TIME_UNITS if unit == "seconds" else _BYTE_UNITS if unit == "bytes" else None
    if scales is None:
        return f"{value:.4g} {unit}"
    for name, factor in scales:
        if abs(value) >= factor or factor == scales[-1][1]:
            return f"{value / factor:.4g} {name}"
    return f"{value:.4g}"  # pragma: no cover - the last scale always matches


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _precision_columns(row: SummaryRow) -> list[str]:
    """The interval, its relative half-width, IQR/median and the stop reason (blank without precision)."""
    info = row.precision
    if not info:
        return ["", "", "", ""]
    interval = ""
    if info.get("ci_low") is not None and info.get("ci_high") is not None:
        interval = f"{_scaled(info['ci_low'], row.unit)} - {_scaled(info['ci_high'], row.unit)}"
    half = info.get("relative_half_width")
    stop = _STOP_WORDS.get(info.get("stop") or "", "")
    if info.get("target") is not None and not info.get("target_met"):
        stop = f"{stop or 'missed'}!"
    return [interval, "" if half is None else "±" + _percent(half), _percent(info.get("iqr_over_median")), stop]


def _columns(row: SummaryRow) -> list[str]:
    if row.status != "passed":
        return [row.benchmark, row.params, row.status, "", "", "", "", "", "", ""]
    if isinstance(row.samples, dict):
        return [row.benchmark, row.params, f"{len(row.samples)} values", "", "", "", "", "1", "dict", ""]
    values = [float(value) for value in row.samples or [] if isinstance(value, (int, float))]
    if not values:
        return [row.benchmark, row.params, "no samples", "", "", "", "", "0", row.unit, ""]
    interval, half, noise, stop = _precision_columns(row)
    return [
        row.benchmark,
        row.params,
        _scaled(median(values), row.unit),
        interval,
        half,
        _scaled(interquartile_range(values), row.unit),
        noise,
        str(len(values)),
        row.unit,
        stop,
    ]


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_summary(rows: Sequence[SummaryRow], params_width: int = 60) -> list[str]:
    """Format the summary table.

    Parameters
    ----------
    rows : sequence of SummaryRow
        One per benchmark combination that ran.
    params_width : int
        Longer parameter strings are shortened to this many characters.

    Returns
    -------
    list of str
        The table's lines, header first.
    """
    table = [["benchmark", "params", "median", "95% CI", "+-", "IQR", "IQR/med", "samples", "unit", "stop"]]
    table.extend(_columns(row) for row in rows)
    table = [[cells[0], _shorten(cells[1], params_width), *cells[2:]] for cells in table]
    widths = [max(len(cells[column]) for cells in table) for column in range(len(table[0]))]
    lines = []
    for number, cells in enumerate(table):
        aligned = [
            cell.rjust(width) if column in (2, 3, 4, 5, 6, 7) else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(cells, widths))
        ]
        lines.append("  ".join(aligned).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def noise_report(rows: Sequence[SummaryRow], unstable_above: float = UNSTABLE_IQR_OVER_MEDIAN) -> list[str]:
    """Lines saying how many combinations met their precision target and which ones were unstable.

    Parameters
    ----------
    rows : sequence of SummaryRow
        The run's rows; those without precision information (track, mem, peakmem) are ignored.
    unstable_above : float
        IQR over median above which a combination is called unstable.

    Returns
    -------
    list of str
        Empty when no row carries precision information.
    """
    measured = [row for row in rows if row.status == "passed" and row.precision]
    if not measured:
        return []
    lines = []
    targeted = [row for row in measured if row.precision.get("target") is not None]
    if targeted:
        met = sum(1 for row in targeted if row.precision.get("target_met"))
        targets = sorted({row.precision["target"] for row in targeted})
        shown = ", ".join("±" + _percent(target) for target in targets)
        lines.append(
            f"precision: {met} of {len(targeted)} timed combinations ({100 * met / len(targeted):.0f} %) "
            f"have a 95 % interval of the median within their target ({shown})"
        )
        cut = sum(1 for row in targeted if row.precision.get("own_time_budget") is not None)
        if cut:
            lines.append(
                f"run budget: {cut} of {len(targeted)} timed combinations sampled for less than their own time "
                "budget, to keep the run within --nwb-suite-budget"
            )
        missed = [row for row in targeted if not row.precision.get("target_met")]
        for row in missed:
            info = row.precision
            half = info.get("relative_half_width")
            width = "no interval (too few samples)" if half is None else f"±{_percent(half)}"
            lines.append(
                f"  target missed: {_label(row)}: {width} after {info.get('samples')} samples ({info.get('stop')})"
            )
    unstable = [
        row
        for row in measured
        if row.precision.get("iqr_over_median") is not None and row.precision["iqr_over_median"] > unstable_above
    ]
    for row in unstable:
        lines.append(
            f"WARNING unstable benchmark: {_label(row)}: IQR is {_percent(row.precision['iqr_over_median'])} "
            f"of the median (above {_percent(unstable_above)}); compare its results with care"
        )
    return lines


def _label(row: SummaryRow) -> str:
    return f"{row.benchmark}[{row.params}]" if row.params else row.benchmark
