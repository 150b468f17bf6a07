"""``nwb-benchmarks regressions RESULTS_DIR``: find the steps in each series of a results folder's history.

A series is one machine × benchmark × parameter key × quantity, its points the runs ordered by
commit (each commit placed at its first run) and then by time. asv's step detection
(``asv.step_detect.detect_steps``, a penalised piecewise-constant fit weighted like ``asv
publish`` weights its points) finds where the level changes; each step is then judged like a
comparison, on the raw samples of up to ``window`` runs on either side of it, so that a step
says how large it is (ratio and interval) and how sure (p-value and verdict).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pytest_nwb_benchmarks.report._compare import iter_quantities
from pytest_nwb_benchmarks.report._compare_cli import _threshold, p_text, ratio_text, series_name
from pytest_nwb_benchmarks.report._verdict import CONFIDENCE, DEFAULT_THRESHOLD, Verdict, judge_samples
from pytest_nwb_benchmarks.results import (
    InvalidResultFile,
    ResultFile,
    iter_result_files,
    read_result_file,
)

# How many runs on each side of a step are pooled to judge it.
DEFAULT_WINDOW = 5
_KINDS = {"slower": "regression", "faster": "improvement"}


@dataclass(frozen=True)
class Step:
    """A change of level in one series.

    Attributes
    ----------
    machine_hash, benchmark, params : str
        The series.
    quantity : str or None
        The quantity of dict samples, None for plain samples.
    before_commit, after_commit : str
        The last commit before the step and the first one after it.
    before_timestamp, after_timestamp : str
        The times of those two runs.
    kind : str
        ``regression`` (slower), ``improvement`` (faster), or ``unsure`` (the fit saw a step that
        the samples do not confirm).
    result : Verdict
        The judgement of the runs after the step against the runs before it.
    """

    machine_hash: str
    benchmark: str
    params: str
    quantity: str | None
    before_commit: str
    after_commit: str
    before_timestamp: str
    after_timestamp: str
    kind: str
    result: Verdict

    def to_json(self) -> dict[str, Any]:
        """Return the step as a flat JSON object."""
        fields = {key: value for key, value in asdict(self).items() if key != "result"}
        return {**fields, **asdict(self.result)}


def load_runs(results_dir: Path | str) -> tuple[list[ResultFile], list[str]]:
    """Read every result file of a folder; return the runs and a note for each unreadable file."""
    runs, notes = [], []
    for path in iter_result_files(Path(results_dir)):
        try:
            runs.append(read_result_file(path))
        except InvalidResultFile as error:
            notes.append(f"skipped: {error}")
    return runs, notes


def _order(runs: Sequence[ResultFile]) -> list[ResultFile]:
    """Order runs by commit (a commit takes the time of its first run), then by time."""
    first_seen: dict[str, str] = {}
    for run in runs:
        if run.commit_hash not in first_seen or run.timestamp < first_seen[run.commit_hash]:
            first_seen[run.commit_hash] = run.timestamp
    return sorted(runs, key=lambda run: (first_seen[run.commit_hash], run.commit_hash, run.timestamp))


def _weight(values: Sequence[float]) -> float | None:
    """asv's point weight: 2 / width of the 99 % interval of the median; None when there is no finite interval."""
    if len(values) < 2:
        return None
    bounds = _median_interval_ranks(len(values))
    if bounds is None:
        return None
    ordered = np.sort(np.asarray(values, dtype=float))
    width = float(ordered[bounds[1]] - ordered[bounds[0]])
    return 2.0 / width if math.isfinite(width) and width > 0 else None


@functools.lru_cache(maxsize=256)
def _median_interval_ranks(count: int) -> tuple[int, int] | None:
    """The order statistics that bound scipy's ``quantile_test`` 99 % interval of the median of ``count`` values.

    The interval depends on the values only through their order, so it is found once per count
    (on the ranks themselves) instead of once per point (scipy's call costs milliseconds).
    """
    from scipy.stats import quantile_test

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interval = quantile_test(np.arange(count, dtype=float), q=0.0, p=0.5).confidence_interval(CONFIDENCE)
    if not (math.isfinite(interval.low) and math.isfinite(interval.high)):
        return None
    return int(interval.low), int(interval.high)


def _series(
    runs: Iterable[ResultFile], only: str | None = None
) -> dict[tuple[str, str, str, str | None], list[tuple[ResultFile, list[float]]]]:
    series: dict[tuple[str, str, str, str | None], list[tuple[ResultFile, list[float]]]] = defaultdict(list)
    for run in _order(list(runs)):
        for benchmark, entries in run.results.items():
            if only is not None and benchmark != only:
                continue
            for params, samples in entries.items():
                for quantity, values in iter_quantities(samples):
                    series[(run.machine_hash, benchmark, params, quantity)].append((run, values))
    return series


def _detect(points: Sequence[tuple[ResultFile, list[float]]]) -> list[tuple[int, int, int]]:
    """Return ``(start, boundary, end)`` run indices around each step of one series."""
    try:
        from asv.step_detect import detect_steps
    except ImportError as error:
        raise RuntimeError(
            "finding steps needs asv (python -m pip install asv, or the project's 'asv' group)"
        ) from error
    medians = [float(np.median(values)) for _, values in points]
    weights = [_weight(values) for _, values in points]
    if all(weight is None for weight in weights):
        weights = None
    segments = detect_steps(medians, weights)
    return [(left[0], right[0], right[1]) for left, right in zip(segments, segments[1:])]


def find_steps(
    runs: Iterable[ResultFile],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    window: int = DEFAULT_WINDOW,
    machine: str | None = None,
    include_unsure: bool = False,
    benchmark: str | None = None,
) -> list[Step]:
    """Find the steps in every series of ``runs``.

    Parameters
    ----------
    runs : iterable of ResultFile
        The runs of a results folder (any order, any machines).
    threshold : float, optional
        The smallest relative change that counts.
    window : int, optional
        How many runs on each side of a step to pool when judging it.
    machine : str, optional
        Only the series of this machine hash (or prefix).
    include_unsure : bool, optional
        Also return the steps the samples do not confirm (verdict ``same`` or ``uncertain``).
    benchmark : str, optional
        Only the series of this benchmark.

    Returns
    -------
    list of Step
        In machine, benchmark, parameter, quantity and time order.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    steps = []
    for key, points in sorted(_series(runs, benchmark).items(), key=lambda item: tuple(str(part) for part in item[0])):
        if machine is not None and not key[0].startswith(machine):
            continue
        if len(points) < 2:
            continue
        for start, boundary, end in _detect(points):
            before = [v for _, values in points[max(start, boundary - window) : boundary] for v in values]
            after = [v for _, values in points[boundary : min(end, boundary + window)] for v in values]
            verdict = judge_samples(before, after, threshold=threshold)
            kind = _KINDS.get(verdict.verdict, "unsure")
            if kind == "unsure" and not include_unsure:
                continue
            last, first = points[boundary - 1][0], points[boundary][0]
            steps.append(
                Step(*key, last.commit_hash, first.commit_hash, last.timestamp, first.timestamp, kind, verdict)
            )
    return steps


def _format(steps: Sequence[Step], fmt: str, notes: Sequence[str]) -> str:
    if fmt == "json":
        return json.dumps({"notes": list(notes), "steps": [step.to_json() for step in steps]}, indent=2) + "\n"
    header = ["kind", "ratio [99% CI]", "p", "between commits", "benchmark"]
    lines = []
    for step in steps:
        name = series_name(step.benchmark, step.params, step.quantity)
        between = f"{step.before_commit[:10]}..{step.after_commit[:10]} ({step.after_timestamp})"
        cells = [ratio_text(step.result), p_text(step.result), between, f"{name} on {step.machine_hash[:12]}"]
        lines.append([step.kind, *cells])
    if fmt == "markdown":
        rows = [header, ["---"] * len(header), *lines]
        text = "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)
    else:
        widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
        text = "\n".join(" ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *lines])
    summary = f"{len(steps)} step(s)" if steps else "no steps found"
    return "\n".join([*(f"note: {note}" for note in notes), summary, "", text]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``regressions`` command; return 0, 1 when ``--fail-on`` matched, 2 on an input error."""

    parser = argparse.ArgumentParser(prog="nwb-benchmarks regressions", description=__doc__.splitlines()[0])
    parser.add_argument("results_dir", type=Path, help="a folder of result files")
    parser.add_argument("--machine", help="only this machine hash (or prefix)")
    parser.add_argument("--threshold", type=_threshold, default=DEFAULT_THRESHOLD, help="as 0.1 or 10%% (default 10%%)")
    parser.add_argument("--window", type=int, default=DEFAULT_WINDOW, help="runs pooled on each side of a step")
    parser.add_argument("--all", action="store_true", help="also list steps the samples do not confirm")
    parser.add_argument("--fail-on", choices=("regression", "change", "never"), default="never")
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table", dest="fmt")
    args = parser.parse_args(argv)
    if not args.results_dir.is_dir():
        print(f"nwb-benchmarks regressions: error: {args.results_dir} is not a folder", file=sys.stderr)
        return 2
    runs, notes = load_runs(args.results_dir)
    try:
        steps = find_steps(
            runs, threshold=args.threshold, window=args.window, machine=args.machine, include_unsure=args.all
        )
    except (RuntimeError, ValueError) as error:
        print(f"nwb-benchmarks regressions: error: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(_format(steps, args.fmt, notes))
    failing = {"regression": {"regression"}, "change": {"regression", "improvement"}}.get(args.fail_on, set())
    return 1 if any(step.kind in failing for step in steps) else 0
