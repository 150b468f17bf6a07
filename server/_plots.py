"""Matplotlib SVG plots for the results browser (no pyplot: figures are per request and thread-safe)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # a server has no display; set before anything imports pyplot

import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def samples_over_time_svg(
    samples: pd.DataFrame,
    names: dict[str, str],
    title: str,
    unit: str,
    by_commit: bool = False,
    steps: Sequence[tuple[str, str, str]] = (),
) -> bytes:
    """Plot one benchmark's samples against run time or commit, one colour (series) per machine.

    Parameters
    ----------
    samples : pandas.DataFrame
        Rows of the ``samples`` table for one benchmark, parameter key and variable.
    names : dict of str to str
        Machine id -> friendly name, for the legend.
    title : str
        The plot's title.
    unit : str
        The values' unit, for the y label.
    by_commit : bool
        Put the commits (in order of their first run) on the x axis instead of the run time.
    steps : sequence of (str, str, str)
        Detected steps to mark with a vertical line: ``(first commit after, its run's timestamp
        YYYY-MM-DD-HH-MM-SS, "regression" or "improvement")``.

    Returns
    -------
    bytes
        An SVG document.
    """
    figure = Figure(figsize=(9, 4.5), layout="constrained")
    axes = figure.add_subplot()
    if samples.empty:
        axes.text(0.5, 0.5, "no samples", ha="center", va="center", transform=axes.transAxes)
    x_column = "timestamp"
    if by_commit and not samples.empty:
        # Commits in the order they were first measured; each gets one slot on the x axis.
        order = samples.sort_values("timestamp").drop_duplicates("commit")["commit"].tolist()
        samples = samples.assign(position=samples["commit"].map({commit: k for k, commit in enumerate(order)}))
        x_column = "position"
        axes.set_xticks(range(len(order)), [commit[:8] for commit in order], rotation=45, ha="right", fontsize=7)
    for machine, group in samples.groupby("machine", sort=True):
        label = names.get(machine) or machine[:12]
        # Every sample as a faint dot, the median of each run as a line: spread and trend at a glance.
        points = axes.scatter(group[x_column], group["value"], s=12, alpha=0.35)
        medians = group.groupby(x_column)["value"].median().sort_index()
        axes.plot(medians.index, medians.values, marker="o", label=label, color=points.get_facecolor()[0][:3])
    positions = {commit: k for k, commit in enumerate(order)} if x_column == "position" else {}
    for commit, timestamp, kind in steps:
        if x_column == "position":
            if commit not in positions:
                continue
            x = positions[commit] - 0.5
        else:
            x = pd.Timestamp(pd.to_datetime(timestamp, format="%Y-%m-%d-%H-%M-%S", utc=True))
        color = "#b3261e" if kind == "regression" else "#0a7a2f"
        axes.axvline(x, color=color, linestyle="--", linewidth=1.2, label=f"{kind} at {commit[:8]}")
    axes.set_title(title, fontsize=9, wrap=True)
    axes.set_xlabel("commit (in order of first run)" if x_column == "position" else "run time (UTC)")
    axes.set_ylabel(unit or "value")
    axes.grid(True, alpha=0.3)
    if not samples.empty:
        axes.legend(title="machine", fontsize=8)
        if x_column == "timestamp":
            figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()
