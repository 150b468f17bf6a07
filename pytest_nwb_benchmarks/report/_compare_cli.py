"""``nwb-benchmarks compare BASELINE CONTENDER``: print a comparison as a table, Markdown or JSON.

Also the formatting used by the pytest option ``--nwb-compare``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

from pytest_nwb_benchmarks.report._compare import ComparisonRow, IncomparableRuns, RunComparison, compare_runs
from pytest_nwb_benchmarks.report._verdict import DEFAULT_THRESHOLD, Verdict
from pytest_nwb_benchmarks.results import InvalidResultFile

_MARKS = {"faster": "-", "slower": "+", "same": " ", "uncertain": "?"}
_SORTS = ("name", "ratio", "verdict")
_VERDICT_ORDER = {"slower": 0, "faster": 1, "uncertain": 2, "same": 3}


def _unit(benchmark: str, quantity: str | None) -> str:
    name = (quantity or benchmark.rsplit(".", 1)[-1]).lower()
    if name.startswith("time_") or "seconds" in name or name.endswith("_time"):
        return "s"
    if name.startswith(("peakmem_", "mem_")) or "bytes" in name:
        return "B"
    return ""


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        for scale, prefix in ((1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n")):
            if abs(value) >= scale or scale == 1e-9:
                return f"{value / scale:.4g} {prefix}s"
    if unit == "B":
        for scale, prefix in ((2**30, "Gi"), (2**20, "Mi"), (2**10, "Ki"), (1, "")):
            if abs(value) >= scale or scale == 1:
                return f"{value / scale:.4g} {prefix}B"
    return f"{value:.4g}"


def ratio_text(verdict: Verdict) -> str:
    """The ratio and, for measured values, its interval: ``1.250 [1.210, 1.290]``."""
    if verdict.ratio is None:
        return "n/a"
    text = f"{verdict.ratio:.3f}"
    if verdict.ci_low is not None and verdict.ci_high is not None and not verdict.exact:
        text += f" [{verdict.ci_low:.3f}, {verdict.ci_high:.3f}]"
    return text


def p_text(verdict: Verdict) -> str:
    """The p-value as shown in tables (``exact`` for exact values)."""
    return "exact" if verdict.exact else ("n/a" if verdict.p_value is None else f"{verdict.p_value:.2g}")


def series_name(benchmark: str, params: str, quantity: str | None) -> str:
    """``benchmark(params) [quantity]``, leaving out what is empty."""
    name = benchmark
    if params not in ("", "()"):
        name += params if params.startswith("(") else f"({params})"
    if quantity is not None:
        name += f" [{quantity}]"
    return name


def _name(row: ComparisonRow) -> str:
    return series_name(row.benchmark, row.params, row.quantity)


def select_rows(comparison: RunComparison, *, only_changed: bool = False, sort: str = "name") -> list[ComparisonRow]:
    """Return the rows to show: all, or only faster and slower ones, ordered by name, ratio or verdict."""
    rows = [row for row in comparison.rows if not only_changed or row.result.verdict in ("faster", "slower")]
    if sort == "ratio":
        return sorted(rows, key=lambda row: -(row.result.ratio if row.result.ratio is not None else math.inf))
    if sort == "verdict":
        return sorted(rows, key=lambda row: (_VERDICT_ORDER[row.result.verdict], _name(row)))
    if sort != "name":
        raise ValueError(f"unknown sort {sort!r}: expected one of {', '.join(_SORTS)}")
    return rows


def _cells(row: ComparisonRow) -> list[str]:
    unit = _unit(row.benchmark, row.quantity)
    verdict = row.result
    reason = f" ({verdict.reason})" if verdict.verdict == "uncertain" else ""
    return [
        _MARKS[verdict.verdict],
        _number(verdict.baseline_median, unit),
        _number(verdict.contender_median, unit),
        ratio_text(verdict),
        p_text(verdict),
        verdict.verdict + reason,
        _name(row),
    ]


_HEADERS = ["", "baseline", "contender", "ratio [99% CI]", "p", "verdict", "benchmark"]


def _header_lines(comparison: RunComparison) -> list[str]:
    base, cont = comparison.baseline, comparison.contender
    counts = ", ".join(f"{count} {verdict}" for verdict, count in comparison.counts().items())
    return [
        f"baseline:  {base.commit_hash[:12]} at {base.timestamp} (machine {base.machine_hash[:12]})",
        f"contender: {cont.commit_hash[:12]} at {cont.timestamp} (machine {cont.machine_hash[:12]})",
        f"threshold {comparison.threshold:.0%}; {counts}",
        *(f"note: {note}" for note in comparison.notes),
    ]


def format_comparison(
    comparison: RunComparison, *, fmt: str = "table", only_changed: bool = False, sort: str = "name"
) -> str:
    """Render a comparison as ``table`` (plain text), ``markdown`` (for a pull-request comment) or ``json``.

    Parameters
    ----------
    comparison : RunComparison
        The comparison.
    fmt : str, optional
        ``table``, ``markdown`` or ``json``.
    only_changed : bool, optional
        Show only the faster and slower rows (the JSON counts still cover every row).
    sort : str, optional
        ``name``, ``ratio`` (largest first) or ``verdict`` (slower first).

    Returns
    -------
    str
        The text, ending with a newline.
    """
    rows = select_rows(comparison, only_changed=only_changed, sort=sort)
    if fmt == "json":
        document = comparison.to_json()
        document["rows"] = [row.to_json() for row in rows]
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    cells = [_cells(row) for row in rows]
    if fmt == "markdown":
        lines = [f"- {line}" for line in _header_lines(comparison)] + [""]
        escape = [[cell.replace("|", "\\|") for cell in line] for line in [_HEADERS, *cells]]
        lines += ["| " + " | ".join(escape[0]) + " |", "|" + "---|" * len(_HEADERS)]
        lines += ["| " + " | ".join(line) + " |" for line in escape[1:]]
        return "\n".join(lines) + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: expected table, markdown or json")
    widths = [max(len(line[i]) for line in [_HEADERS, *cells]) for i in range(len(_HEADERS))]
    table = [" ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [_HEADERS, *cells]]
    return "\n".join(_header_lines(comparison) + [""] + table) + "\n"


def parse_threshold(text: str) -> float:
    """Read a threshold written as a fraction (``0.1``) or a percentage (``10%``); ValueError otherwise."""
    try:
        value = float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
    except ValueError:
        value = math.nan
    if not 0 <= value < 10:
        raise ValueError(f"threshold must be a fraction such as 0.1 or a percentage such as 10%, not {text!r}")
    return value


def _threshold(text: str) -> float:
    try:
        return parse_threshold(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """Return the ``compare`` command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="nwb-benchmarks compare",
        description="Compare two runs: each side is a result file, or a results folder (its latest run).",
    )
    parser.add_argument("baseline", help="the reference run: a result file or a results folder")
    parser.add_argument("contender", help="the run judged against it: a result file or a results folder")
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=DEFAULT_THRESHOLD,
        help="smallest change that counts, as 0.1 or 10%% (default 10%%)",
    )
    parser.add_argument("--machine", help="machine hash (or prefix) whose latest run to take from a folder")
    parser.add_argument(
        "--allow-other-machine",
        action="store_true",
        help="compare runs of different machines or environments (the output says so)",
    )
    parser.add_argument(
        "--fail-on",
        choices=("regression", "change", "never"),
        default="never",
        help="exit 1 on a slower row (regression) or on any faster or slower row (change)",
    )
    parser.add_argument("--only-changed", action="store_true", help="show only faster and slower rows")
    parser.add_argument("--sort", choices=_SORTS, default="name", help="row order (default: name)")
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table", dest="fmt")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``compare`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``compare``.

    Returns
    -------
    int
        0, or 1 when ``--fail-on`` matched, or 2 on a usage or input error.
    """
    args = build_parser().parse_args(argv)
    try:
        comparison = compare_runs(
            args.baseline,
            args.contender,
            threshold=args.threshold,
            machine=args.machine,
            allow_other_machine=args.allow_other_machine,
        )
    except (IncomparableRuns, InvalidResultFile) as error:
        print(f"nwb-benchmarks compare: error: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(format_comparison(comparison, fmt=args.fmt, only_changed=args.only_changed, sort=args.sort))
    if args.fail_on != "never" and comparison.has(args.fail_on):
        return 1
    return 0
