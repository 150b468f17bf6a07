"""Matplotlib SVG plots for the results browser (no pyplot: figures are per request and thread-safe).

The work of one plot is bounded whatever the database holds: it draws per-run statistics (the
median line and the interquartile band), individual samples only when there are few, at most
:data:`MAX_POINTS` points per machine (longer series are binned) and at most :data:`MAX_MACHINES`
machines. User text (names, parameter keys, units, commits) is drawn literally: math text parsing is off.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")  # a server has no display; set before anything imports pyplot
# Text as SVG text, not as glyph outlines: a third of the drawing time and of the bytes (the
# browser draws the letters). A process-wide setting, like the backend: only plots read it.
matplotlib.rcParams["svg.fonttype"] = "none"

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

#: Points per machine beyond which consecutive runs are binned (median of medians, median quartiles).
MAX_POINTS = 400
#: Machines drawn (those with the most runs); the others are named in a note.
MAX_MACHINES = 10
#: Individual samples are drawn as dots up to this many in total.
MAX_DOTS = 3000
#: Most step lines drawn on one plot (the newest).
MAX_STEPS = 20
#: Run times outside these years cannot be placed on a time axis (matplotlib needs margins around them).
_YEARS = (1970, 2200)


def placeable(timestamp: datetime | None) -> bool:
    """Whether a run time can go on the time axis."""
    return timestamp is not None and _YEARS[0] <= timestamp.year < _YEARS[1]


def _bin(x: np.ndarray, rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, ...]:
    """Per-run (or, for long series, per-bin) positions, medians and quartiles."""
    median = np.array([row["median"] for row in rows], dtype=float)
    q1 = np.array([row["q1"] for row in rows], dtype=float)
    q3 = np.array([row["q3"] for row in rows], dtype=float)
    if len(rows) <= MAX_POINTS:
        return x, median, q1, q3
    # MAX_POINTS consecutive bins of near-equal size (as numpy.array_split cuts them), one per row
    # of a grid padded with NaN: one vectorized median per quantity instead of one call per bin.
    size, extra = divmod(len(rows), MAX_POINTS)
    lengths = np.full(MAX_POINTS, size) + (np.arange(MAX_POINTS) < extra)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    columns = np.arange(size + (extra > 0))
    inside = columns < lengths[:, None]
    index = (starts[:, None] + columns)[inside]
    binned = []
    for values in (x, median, q1, q3):
        grid = np.full(inside.shape, np.nan)
        grid[inside] = values[index]
        binned.append(np.nanmedian(grid, axis=1))
    return tuple(binned)  # type: ignore[return-value]


def _mark_steps(
    axes: Any, steps: Sequence[tuple[str, str, str]], order: dict[str, int] | None, notes: list[str]
) -> None:
    """Draw each step as a dashed line: red for a regression, green for an improvement."""
    if len(steps) > MAX_STEPS:
        notes.append(f"{len(steps) - MAX_STEPS} older step(s) not marked")
        steps = list(steps)[-MAX_STEPS:]
    for commit, timestamp, kind in steps:
        if order is not None:
            if commit not in order:
                continue
            x = order[commit] - 0.5
        else:
            try:
                when = datetime.strptime(timestamp, "%Y-%m-%d-%H-%M-%S")
            except (TypeError, ValueError):
                continue
            if not placeable(when):
                continue
            x = mdates.date2num(when)
        color = "#b3261e" if kind == "regression" else "#0a7a2f"
        axes.axvline(x, color=color, linestyle="--", linewidth=1.2, label=f"{kind} at {commit[:8]}")


def series_svg(
    series: list[dict[str, Any]],
    samples: list[dict[str, Any]] | None,
    names: dict[str, str],
    title: str,
    unit: str,
    by_commit: bool = False,
    steps: Sequence[tuple[str, str, str]] = (),
) -> bytes:
    """Plot one benchmark's runs against run time or commit, one colour per machine, steps marked.

    Parameters
    ----------
    series : list of dict
        Per-run statistics (``run``, ``machine``, ``commit``, ``timestamp``, ``median``, ``q1``, ``q3``).
    samples : list of dict or None
        The individual samples (``run``, ``value``), drawn as dots when given (only when they are few).
    names : dict of str to str
        Machine id -> friendly name, for the legend.
    title : str
        The plot's title.
    unit : str
        The values' unit, for the y label.
    by_commit : bool
        Put the commits (in order of their first run) on the x axis instead of the run time.
    steps : sequence of (str, str, str)
        Detected steps, ``(commit after the step, its run's timestamp, "regression" or "improvement")``:
        each a dashed line (at most :data:`MAX_STEPS`, the newest).

    Returns
    -------
    bytes
        An SVG document.
    """
    # A fixed layout: constrained layout would lay the text out several times per request.
    figure = Figure(figsize=(9, 4.5))
    figure.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.22)
    axes = figure.add_subplot()
    notes = []
    if by_commit:
        order: dict[str, int] = {}
        for row in sorted(series, key=lambda row: (row["timestamp"] is None, _sort_time(row), row["run"])):
            order.setdefault(row["commit"], len(order))
        position = {row["run"]: float(order[row["commit"]]) for row in series}
        if len(order) <= 40:
            axes.set_xticks(range(len(order)), [commit[:8] for commit in order], rotation=45, ha="right", fontsize=7)
        axes.set_xlabel("commit (in order of first run)")
    else:
        placed = [row for row in series if placeable(row["timestamp"])]
        # One conversion for all runs (date2num per run costs a millisecond each).
        days = mdates.date2num([row["timestamp"] for row in placed]) if placed else []
        position = {row["run"]: float(day) for row, day in zip(placed, days)}
        axes.xaxis_date()
        hidden = len(series) - len(position)
        if hidden:
            notes.append(f"{hidden} run(s) without a usable time not shown (plot along commits to see them)")
        axes.set_xlabel("run time (UTC)")
    shown = [row for row in series if row["run"] in position]
    by_machine: dict[str, list[dict[str, Any]]] = {}
    for row in shown:
        by_machine.setdefault(row["machine"], []).append(row)
    machines = sorted(by_machine, key=lambda machine: (-len(by_machine[machine]), machine))
    if len(machines) > MAX_MACHINES:
        notes.append(f"{len(machines) - MAX_MACHINES} more machine(s) not shown")
        machines = sorted(machines[:MAX_MACHINES])
    else:
        machines.sort()
    dots = samples if samples is not None and len(samples) <= MAX_DOTS else None
    for machine in machines:
        rows = sorted(by_machine[machine], key=lambda row: (_sort_time(row), row["run"]))
        x = np.array([position[row["run"]] for row in rows])
        x_plot, median, q1, q3 = _bin(x, rows)
        label = names.get(machine) or machine[:12]
        (line,) = axes.plot(x_plot, median, marker="o" if len(x_plot) <= 60 else None, markersize=4, label=label)
        axes.fill_between(x_plot, q1, q3, color=line.get_color(), alpha=0.2, linewidth=0)
        if dots is not None:
            runs = {row["run"] for row in rows}
            mine = [sample for sample in dots if sample["run"] in runs]
            axes.scatter(
                [position[s["run"]] for s in mine], [s["value"] for s in mine], s=10, alpha=0.35, color=line.get_color()
            )
        if len(rows) > MAX_POINTS:
            notes.append(f"{label}: {len(rows)} runs drawn in {MAX_POINTS} bins")
    _mark_steps(axes, steps, order if by_commit else None, notes)
    if not machines:
        axes.text(0.5, 0.5, "no samples", ha="center", va="center", transform=axes.transAxes)
    axes.set_title(title, fontsize=9)
    axes.set_ylabel(unit or "value")
    axes.grid(True, alpha=0.3)
    if machines:
        axes.legend(title="machine", fontsize=8)
        if not by_commit:
            for label in axes.get_xticklabels():
                label.set(rotation=30, ha="right")
    if notes:
        figure.text(0.01, 0.01, "; ".join(notes[:4]), fontsize=7, color="0.35")
    # User text (names, parameter keys, units, commits) is drawn as it is, never read as math text.
    # Set on each text rather than through rcParams, which are shared by the threads of the process.
    for text in figure.findobj(Text):
        text.set_parse_math(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _sort_time(row: dict[str, Any]) -> float:
    timestamp = row["timestamp"]
    return timestamp.timestamp() if timestamp is not None else float("inf")
