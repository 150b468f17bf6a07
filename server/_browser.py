"""The results browser: server-rendered pages over the same queries the API serves.

Every page reads only what it shows: tables list a bounded number of rows (the newest), and the
plot draws per-run statistics (see :mod:`server._plots`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from server._api import service
from server._plots import MAX_DOTS, series_svg

browser = Blueprint("browser", __name__)

#: Rows of the per-run table on a benchmark's page, and runs offered for a comparison (the newest).
RUNS_SHOWN = 200


@browser.app_template_filter("when")
def when(value: object) -> str:
    """Format a run time for a table cell; an unknown time is an empty cell."""
    if not isinstance(value, datetime):
        return ""
    return f"{value.year:04d}-{value:%m-%d %H:%M:%S}"


def _human_bytes(value: float | None) -> str:
    if value is None or value != value:
        return ""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def _machine_rows() -> list[dict]:
    rows = [dict(row) for row in service().queries.header("machines")]
    for row in rows:
        row["ram"] = _human_bytes(row["ram_bytes"])
    return rows


@browser.app_context_processor
def database_lag() -> dict[str, int]:
    """Every page says when the tables do not hold every uploaded file yet (the update runs after uploads)."""
    try:
        return {"database_pending": service().ingestor.pending_files()[2]}
    except Exception:  # noqa: BLE001 - the note is a courtesy; a page must render without it
        return {"database_pending": 0}


@browser.get("/")
def index() -> str:
    """Overview: machines, latest runs and benchmarks."""
    queries = service().queries
    return render_template(
        "index.html",
        counts=queries.counts(),
        problems=len(queries.header("problems")),
        machines=_machine_rows(),
        runs=queries.runs(10, newest_first=True),
        names=queries.machine_names(),
        benchmarks=queries.benchmarks()[:15],
    )


@browser.get("/machines")
def machines_page() -> str:
    """Every machine with its friendly name, CPU, RAM and OS."""
    runs_per_machine = service().queries.runs_per_machine()
    return render_template("machines.html", machines=_machine_rows(), runs_per_machine=runs_per_machine)


@browser.get("/benchmarks")
def benchmarks_page() -> str:
    """Every benchmark with counts; each links to its page."""
    return render_template("benchmarks.html", benchmarks=service().queries.benchmarks())


@browser.get("/problems")
def problems_page() -> str:
    """Stored files that could not be ingested, and why."""
    return render_template("problems.html", problems=service().queries.header("problems"))


def _select(benchmark: str) -> tuple[list[dict], list[str], list[str], str, str]:
    """The per-run rows of one benchmark, parameter key and variable (first of each by default)."""
    options = service().queries.options(benchmark)
    if not options:
        abort(404, f"no samples for the benchmark {benchmark!r}")
    params_options = sorted({row["params"] for row in options})
    params = request.args.get("params", params_options[0])
    variable_options = sorted({row["variable"] for row in options if row["params"] == params and row["variable"]})
    variable = request.args.get("variable", variable_options[0] if variable_options else "")
    rows = service().queries.series(benchmark, params, variable or None)
    return rows, params_options, variable_options, params, variable


@browser.get("/benchmark")
def benchmark_page() -> str:
    """One benchmark: its runs over time, one series per machine, and the statistics of the newest runs."""
    name = request.args.get("name", "")
    rows, params_options, variable_options, params, variable = _select(name)
    newest = sorted(rows, key=_time_key, reverse=True)
    return render_template(
        "benchmark.html",
        name=name,
        params=params,
        variable=variable,
        params_options=params_options,
        variable_options=variable_options,
        unit=rows[0]["unit"] if rows else "",
        per_run=newest[:RUNS_SHOWN],
        total_runs=len(rows),
        names=service().queries.machine_names(),
        x_axis="commit" if request.args.get("x") == "commit" else "time",
    )


def _time_key(row: dict[str, Any]) -> tuple:
    timestamp = row["timestamp"]
    return (timestamp is not None, timestamp.timestamp() if timestamp is not None else 0.0, row["run"])


@browser.get("/benchmark/plot.svg")
def benchmark_plot() -> Response:
    """The SVG plot of one benchmark (same query as the benchmark page).

    A plot (steps marked included) is drawn once per state of the tables, then served from
    memory: drawing costs far more than the queries.
    """
    key = ("plot.svg", tuple(sorted(request.args.items(multi=True))))
    svg = service().queries.remember(key, _draw_plot)
    return Response(svg, mimetype="image/svg+xml")


def _draw_plot() -> bytes:
    name = request.args.get("name", "")
    rows, _, _, params, variable = _select(name)
    title = f"{name}\n{params}" + (f" [{variable}]" if variable else "")
    unit = rows[0]["unit"] if rows else ""
    samples = None
    if sum(row["samples"] for row in rows) <= MAX_DOTS:
        filters = {"params": params, "variable": variable or None}
        samples = service().queries.samples(name, filters, MAX_DOTS)
    by_commit = request.args.get("x") == "commit"
    from server._verdicts import steps_for

    steps = [(step.after_commit, step.after_timestamp, step.kind) for step in steps_for(name, params, variable or None)]
    return series_svg(rows, samples, service().queries.machine_names(), title, unit, by_commit=by_commit, steps=steps)
