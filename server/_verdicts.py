"""Verdicts on the server: ``/compare`` and ``/regressions`` pages, their JSON endpoints, and steps for the plots.

The statistics are the package's own (:mod:`pytest_nwb_benchmarks.report`: ``compare_result_files``,
``find_steps``), so the server, the command line and pytest judge
alike. Samples come from the result files, read with the package's reader so that exact integers
stay exact: a comparison reads its two runs' files (the runs it offers are listed from the
database's ``runs`` table), the step search those of the newest runs (:func:`stored_runs`); every
request's work is bounded by :data:`RECENT_RUNS`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request

from pytest_nwb_benchmarks.report import (
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW,
    IncomparableRuns,
    RunComparison,
    Step,
    compare_result_files,
    find_steps,
    parse_threshold,
    select_rows,
)
from pytest_nwb_benchmarks.results import InvalidResultFile, ResultFile, read_result_file
from server._api import error_response, service

__all__ = ["prefetch_stored_runs", "steps_for", "stored_runs", "verdicts"]

verdicts = Blueprint("verdicts", __name__)

_lock = threading.Lock()
_reading = threading.Lock()
_cache: dict[str, Any] = {"commit": None, "runs": {}, "steps": {}, "comparisons": {}}
# At most this many step searches and comparisons are kept per store commit (each costs a bootstrap per row).
_CACHE_SIZE = 32
#: The runs the pages judge by default: the newest this many (the comparison's choices, the history
#: searched for steps). Older runs can still be named in a comparison's address. This bounds what
#: any request reads and holds, whatever the store holds.
RECENT_RUNS = 200
#: Result files kept read in memory (stored files never change, so they are kept across commits),
#: by store folder and run id.
_FILES_KEPT = 256
_files: OrderedDict[tuple[str, str], ResultFile] = OrderedDict()


def _result_file(run_id: str) -> ResultFile | None:
    """One run's result file, read from the results store (or the memory of recent reads); None if unreadable."""
    store = service().results
    key = (str(store.clone_dir), run_id)
    with _lock:
        if key in _files:
            _files.move_to_end(key)
            return _files[key]
    with store.locked() as root:
        path = Path(root) / "results" / f"{run_id}.json"
        try:
            run = read_result_file(path)
        except (InvalidResultFile, OSError):
            return None
    with _lock:
        _files[key] = run
        while len(_files) > _FILES_KEPT:
            _files.popitem(last=False)
    return run


def stored_runs() -> dict[str, ResultFile]:
    """The newest :data:`RECENT_RUNS` readable runs by run id (file name without ``.json``), oldest first.

    This is the server's accessor for raw samples: it reads the result files (exact integers stay
    exact) of the runs the database's ``runs`` table lists as newest, and is cached until the
    tables reflect another commit of the results store. Files read once are kept (up to ``_FILES_KEPT``), so an upload
    costs the next request one file read, not a pass over the store.
    """
    # Keyed on the results commit the tables reflect (their runs are listed from the tables), so
    # a file committed but not yet ingested never leaves the list of a newer commit without it.
    commit = service().queries.manifest().results_commit
    with _lock:
        if _cache["commit"] == commit and commit is not None:
            return _cache["runs"]
    # One reading at a time: a request that asks meanwhile (or the warm-up) waits for it.
    with _reading:
        with _lock:
            if _cache["commit"] == commit and commit is not None:
                return _cache["runs"]
        return _read_stored_runs(commit)


def prefetch_stored_runs(pause: Callable[[], None]) -> None:
    """Read the files :func:`stored_runs` reads, one at a time after ``pause()``, then :func:`stored_runs`.

    For a warm-up: no lock is held while it pauses, so a request that asks for :func:`stored_runs`
    meanwhile reads what is still missing itself, never waits for the warm-up.
    """
    for row in service().queries.runs(RECENT_RUNS, newest_first=True):
        pause()
        _result_file(row["run"])
    pause()
    stored_runs()


def _read_stored_runs(commit: str | None) -> dict[str, ResultFile]:
    runs: dict[str, ResultFile] = {}
    for row in service().queries.runs(RECENT_RUNS, newest_first=True):
        run = _result_file(row["run"])
        if run is not None:
            runs[row["run"]] = run
    ordered = dict(sorted(runs.items(), key=lambda item: (item[1].timestamp, item[0])))
    with _lock:
        _cache.update(commit=commit, runs=ordered, steps={}, comparisons={})
    return ordered


@dataclass(frozen=True)
class _Choice:
    """A run a comparison offers: what the page shows of it and what picks the default baseline."""

    timestamp: str
    machine_hash: str
    environment_hash: str
    commit_hash: str


def _choice(run: ResultFile) -> _Choice:
    return _Choice(run.timestamp, run.machine_hash, run.environment_hash, run.commit_hash)


def _recent_choices() -> dict[str, _Choice]:
    """The newest :data:`RECENT_RUNS` runs by the ``runs`` table, oldest first; no result file is read.

    A comparison reads only its two runs' files: its first request after a start or an upload
    does not wait for the recent runs' files (the warm-up reads those, between requests).
    """
    choices = {
        row["run"]: _Choice(
            f"{row['timestamp']:%Y-%m-%d-%H-%M-%S}" if row["timestamp"] is not None else "",
            row["machine"],
            row["environment"],
            row["commit"],
        )
        for row in service().queries.runs(RECENT_RUNS, newest_first=True)
    }
    return _ordered(choices)


def _ordered(choices: dict[str, _Choice]) -> dict[str, _Choice]:
    return dict(sorted(choices.items(), key=lambda item: (item[1].timestamp, item[0])))


def _named_file(run_id: str) -> ResultFile:
    """A run's result file (404 for a run the store does not have, or cannot read)."""
    run = _result_file(run_id)
    if run is None:
        abort(404, f"no run {run_id!r}")
    return run


def _threshold() -> float:
    try:
        return parse_threshold(request.args.get("threshold") or "10%")
    except ValueError as error:
        abort(400, str(error))


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes", "on")


def _default_base(runs: dict[str, _Choice], head: str) -> str:
    """The newest run before ``head`` of the same machine and environment, or ''."""
    target = runs[head]
    same = [
        run_id
        for run_id, run in runs.items()
        if run_id != head
        and (run.machine_hash, run.environment_hash) == (target.machine_hash, target.environment_hash)
        and (run.timestamp, run_id) < (target.timestamp, head)
    ]
    return same[-1] if same else ""


def _comparison() -> tuple[dict[str, _Choice], str, str, RunComparison | None, str]:
    """Read the query of a compare request; return the runs offered, both ids, the comparison and any refusal."""
    runs = _recent_choices()
    files: dict[str, ResultFile] = {}
    for run_id in (request.args.get("head", ""), request.args.get("base", "")):
        if run_id:
            files[run_id] = _named_file(run_id)
            runs.setdefault(run_id, _choice(files[run_id]))
    runs = _ordered(runs)
    head = request.args.get("head") or next(reversed(runs), "")
    base = request.args.get("base") or (_default_base(runs, head) if head else "")
    threshold = _threshold()
    if not (base and head):
        return runs, base, head, None, "no earlier run of the same machine and environment to compare with"
    for run_id in (base, head):
        files.setdefault(run_id, _named_file(run_id))
    allow = _flag("allow_other_machine")
    try:
        comparison = _cached(
            "comparisons", (base, head, threshold, allow), lambda: _compare(files, base, head, threshold, allow)
        )
    except IncomparableRuns as error:
        return runs, base, head, None, str(error).replace("pass --allow-other-machine", "tick 'other machines'")
    return runs, base, head, comparison, ""


def _compare(runs: dict[str, ResultFile], base: str, head: str, threshold: float, allow: bool) -> RunComparison:
    return compare_result_files(runs[base], runs[head], threshold=threshold, allow_other_machine=allow)


def _cached(kind: str, key: tuple, compute: Callable[[], Any]) -> Any:
    """Return ``compute()``, kept for the current store commit under ``kind`` and ``key``."""
    with _lock:
        key = (_cache["commit"], *key)  # a value computed while the store moved on is never served later
        if key in _cache[kind]:
            return _cache[kind][key]
    value = compute()
    with _lock:
        if len(_cache[kind]) >= _CACHE_SIZE:
            _cache[kind].clear()
        _cache[kind][key] = value
    return value


def _sort() -> str:
    sort = request.args.get("sort", "verdict")
    if sort not in ("name", "ratio", "verdict"):
        abort(400, f"sort must be name, ratio or verdict, not {sort!r}")
    return sort


@verdicts.get("/compare")
def compare_page() -> str:
    """Compare two runs with verdicts; by default the latest run against the previous one of its machine."""
    runs, base, head, comparison, refusal = _comparison()
    rows = select_rows(comparison, only_changed=_flag("only_changed"), sort=_sort()) if comparison else []
    return render_template(
        "verdicts_compare.html",
        runs=runs,
        run_ids=list(reversed(runs)),
        base=base,
        head=head,
        comparison=comparison,
        rows=rows,
        refusal=refusal,
        names=service().queries.machine_names(),
        args=request.args,
    )


def _json_comparison(comparison: RunComparison, base: str, head: str) -> dict[str, Any]:
    document = comparison.to_json()
    for side, run_id in (("baseline", base), ("contender", head)):
        document[side].pop("path", None)
        document[side]["run"] = run_id
    document["rows"] = [
        row.to_json() for row in select_rows(comparison, only_changed=_flag("only_changed"), sort=_sort())
    ]
    return document


@verdicts.get("/data/compare")
def compare_json() -> tuple[Response, int] | Response:
    """The comparison of two runs as JSON (same query as the page)."""
    _, base, head, comparison, refusal = _comparison()
    if comparison is None:
        return error_response(400 if base and head else 404, "not comparable", refusal)
    return jsonify(_json_comparison(comparison, base, head))


def _steps(threshold: float, machine: str | None, benchmark: str | None = None) -> list[Step]:
    runs = stored_runs()
    return _cached(
        "steps",
        (threshold, machine, benchmark),
        lambda: find_steps(
            runs.values(), threshold=threshold, window=DEFAULT_WINDOW, machine=machine, benchmark=benchmark
        ),
    )


def steps_for(benchmark: str, params: str, quantity: str | None) -> list[Step]:
    """The confirmed steps of one series (every machine), for marking them on a plot; none without asv.

    The series' samples in the newest :data:`RECENT_RUNS` runs come from the database's tables (one
    query, no result file read), and the answer is kept until the tables change: a plot costs
    what its own series costs, whatever else the store holds.
    """
    queries = service().queries

    def search() -> list[Step]:
        recent = queries.runs(RECENT_RUNS, newest_first=True)
        values: dict[str, list[float]] = {}
        for row in queries.samples_of_runs(benchmark, params, quantity, recent):
            values.setdefault(row["run"], []).append(row["value"])
        runs = [
            ResultFile(
                2,
                f"{row['timestamp']:%Y-%m-%d-%H-%M-%S}" if row["timestamp"] is not None else "",
                row["commit"],
                row["environment"],
                row["machine"],
                {benchmark: {params: values[row["run"]] if quantity is None else {quantity: values[row["run"]]}}},
            )
            for row in recent
            if row["run"] in values
        ]
        return find_steps(runs, threshold=DEFAULT_THRESHOLD, window=DEFAULT_WINDOW)

    try:
        return queries.remember(("steps", benchmark, params, quantity), search)
    except RuntimeError:  # asv (its step detection) is not installed: plot without marks
        return []


@verdicts.get("/regressions")
def regressions_page() -> str:
    """Every confirmed step in the history: regressions and improvements, newest first."""
    steps = _steps(_threshold(), request.args.get("machine") or None)
    steps = sorted(steps, key=lambda step: step.after_timestamp, reverse=True)
    return render_template("regressions.html", steps=steps, names=service().queries.machine_names(), args=request.args)


@verdicts.get("/data/regressions")
def regressions_json() -> Response:
    """The confirmed steps as JSON: ``{"threshold": ..., "steps": [...]}``."""
    threshold = _threshold()
    steps = _steps(threshold, request.args.get("machine") or None)
    return jsonify({"threshold": threshold, "steps": [step.to_json() for step in steps]})
