"""The table printed at the end of a benchmark run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._statistics import interquartile_range, median

__all__ = ["SummaryRow", "format_summary"]

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


def _scaled(value: float, unit: str) -> str:
    scales = _TIME_UNITS if unit == "seconds" else _BYTE_UNITS if unit == "bytes" else None
    if scales is None:
        return f"{value:.4g} {unit}"
    for name, factor in scales:
        if abs(value) >= factor or factor == scales[-1][1]:
            return f"{value / factor:.4g} {name}"
    return f"{value:.4g}"  # pragma: no cover - the last scale always matches


def _columns(row: SummaryRow) -> list[str]:
    if row.status != "passed":
        return [row.benchmark, row.params, row.status, "", "", ""]
    if isinstance(row.samples, dict):
        return [row.benchmark, row.params, f"{len(row.samples)} values", "", "1", "dict"]
    values = [float(value) for value in row.samples or [] if isinstance(value, (int, float))]
    if not values:
        return [row.benchmark, row.params, "no samples", "", "0", row.unit]
    return [
        row.benchmark,
        row.params,
        _scaled(median(values), row.unit),
        _scaled(interquartile_range(values), row.unit),
        str(len(values)),
        row.unit,
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
    table = [["benchmark", "params", "median", "IQR", "samples", "unit"]]
    table.extend(_columns(row) for row in rows)
    table = [[cells[0], _shorten(cells[1], params_width), *cells[2:]] for cells in table]
    widths = [max(len(cells[column]) for cells in table) for column in range(len(table[0]))]
    lines = []
    for number, cells in enumerate(table):
        aligned = [
            cell.rjust(width) if column in (2, 3, 4) else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(cells, widths))
        ]
        lines.append("  ".join(aligned).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines
