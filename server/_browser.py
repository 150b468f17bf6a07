"""The results browser: server-rendered pages over the same tables the API serves."""

from __future__ import annotations

import pandas as pd
from flask import Blueprint, Response, abort, render_template, request

from server._api import service
from server._plots import samples_over_time_svg

browser = Blueprint("browser", __name__)


@browser.app_template_filter("when")
def when(value: object) -> str:
    """Format a run time for a table cell; an unknown time is an empty cell."""
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")


def _machine_names() -> dict[str, str]:
    machines = service().tables().machines
    return {row.machine: (row.name or row.machine) for row in machines.itertuples()}


def _human_bytes(value: float | None) -> str:
    if value is None or pd.isna(value):
        return ""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def _benchmark_summary(samples: pd.DataFrame) -> list[dict]:
    if samples.empty:
        return []
    grouped = samples.groupby("benchmark").agg(
        samples=("value", "size"),
        runs=("run", "nunique"),
        machines=("machine", "nunique"),
        unit=("unit", "first"),
        last=("timestamp", "max"),
    )
    return [
        {"benchmark": name, **{key: row[key] for key in ("samples", "runs", "machines", "unit")}, "last": row["last"]}
        for name, row in grouped.iterrows()
    ]


@browser.get("/")
def index() -> str:
    """Overview: machines, latest runs and benchmarks."""
    tables = service().tables()
    runs = tables.runs.sort_values("timestamp", ascending=False).head(10)
    return render_template(
        "index.html",
        counts=tables.counts(),
        machines=_machine_rows(tables.machines),
        runs=runs.to_dict(orient="records"),
        names=_machine_names(),
        benchmarks=_benchmark_summary(tables.samples)[:15],
    )


def _machine_rows(machines: pd.DataFrame) -> list[dict]:
    rows = machines.to_dict(orient="records")
    for row in rows:
        row["ram"] = _human_bytes(row["ram_bytes"])
    return rows


@browser.get("/machines")
def machines_page() -> str:
    """Every machine with its friendly name, CPU, RAM and OS."""
    tables = service().tables()
    runs_per_machine = tables.runs.groupby("machine").size().to_dict()
    return render_template("machines.html", machines=_machine_rows(tables.machines), runs_per_machine=runs_per_machine)


@browser.get("/benchmarks")
def benchmarks_page() -> str:
    """Every benchmark with counts; each links to its page."""
    return render_template("benchmarks.html", benchmarks=_benchmark_summary(service().tables().samples))


def _select(samples: pd.DataFrame, benchmark: str) -> tuple[pd.DataFrame, list[str], list[str], str, str]:
    """Pick the rows of one benchmark, parameter key and variable (first of each by default)."""
    rows = samples[samples["benchmark"] == benchmark]
    if rows.empty:
        abort(404, f"no samples for the benchmark {benchmark!r}")
    params_options = sorted(rows["params"].unique())
    params = request.args.get("params", params_options[0])
    rows = rows[rows["params"] == params]
    variable_options = sorted(rows["variable"].dropna().unique())
    variable = request.args.get("variable", variable_options[0] if variable_options else "")
    rows = rows[rows["variable"] == variable] if variable else rows[rows["variable"].isna()]
    return rows, params_options, variable_options, params, variable


@browser.get("/benchmark")
def benchmark_page() -> str:
    """One benchmark: its samples over time, one series per machine, and the medians per run."""
    name = request.args.get("name", "")
    rows, params_options, variable_options, params, variable = _select(service().tables().samples, name)
    names = _machine_names()
    per_run = (
        rows.groupby(["run", "machine", "commit", "timestamp"])["value"]
        .agg(["median", "min", "max", "size"])
        .reset_index()
        .sort_values("timestamp", ascending=False)
    )
    return render_template(
        "benchmark.html",
        name=name,
        params=params,
        variable=variable,
        params_options=params_options,
        variable_options=variable_options,
        unit=rows["unit"].iloc[0] if not rows.empty else "",
        per_run=per_run.to_dict(orient="records"),
        names=names,
        x_axis="commit" if request.args.get("x") == "commit" else "time",
    )


@browser.get("/benchmark/plot.svg")
def benchmark_plot() -> Response:
    """The SVG plot of one benchmark (same query as the benchmark page)."""
    name = request.args.get("name", "")
    rows, _, _, params, variable = _select(service().tables().samples, name)
    title = f"{name}\n{params}" + (f" [{variable}]" if variable else "")
    unit = rows["unit"].iloc[0] if not rows.empty else ""
    by_commit = request.args.get("x") == "commit"
    from server._verdicts import steps_for

    steps = [(step.after_commit, step.after_timestamp, step.kind) for step in steps_for(name, params, variable or None)]
    svg = samples_over_time_svg(rows, _machine_names(), title, unit, by_commit=by_commit, steps=steps)
    return Response(svg, mimetype="image/svg+xml")
