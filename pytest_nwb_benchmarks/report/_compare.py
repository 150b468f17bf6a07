"""Compare two runs: one row per benchmark, parameter key and quantity found on both sides.

A run is one result file. A results folder stands for its latest run (of one machine). The
verdict of each row comes from :func:`~pytest_nwb_benchmarks.report._verdict.judge_samples`, given
the rounds (measuring processes) each side's samples came from when the result file records them
(``round_samples`` in its ``precision`` section).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.report._verdict import ALPHA, CONFIDENCE, DEFAULT_THRESHOLD, VERDICTS, Verdict, judge_samples
from pytest_nwb_benchmarks.results import ResultFile, iter_result_files, parse_file_name, read_result_file


class IncomparableRuns(ValueError):
    """Two runs that should not be compared (other machines or environments), or a run that cannot be found."""


@dataclass(frozen=True)
class ComparisonRow:
    """One compared series: a benchmark, its parameter key, and a quantity of dict samples (or None)."""

    benchmark: str
    params: str
    quantity: str | None
    result: Verdict

    def to_json(self) -> dict[str, Any]:
        """Return the row as a flat JSON object (``benchmark``, ``params``, ``quantity``, then the verdict's fields)."""
        return {"benchmark": self.benchmark, "params": self.params, "quantity": self.quantity, **asdict(self.result)}


def iter_quantities(samples: Any) -> Iterator[tuple[str | None, list[float]]]:
    """Yield ``(quantity, values)`` for each numeric series of one result entry.

    A list of numbers is one series with quantity None. A dict (network statistics) gives one
    series per numeric entry: a number is a single value, a list of numbers its values; text,
    booleans and nulls are skipped.
    """
    if isinstance(samples, list):
        if samples:
            yield None, list(samples)
        return
    if isinstance(samples, dict):
        for name, value in samples.items():
            if isinstance(value, bool) or value is None or isinstance(value, str):
                continue
            if isinstance(value, list):
                if value:
                    yield name, list(value)
            else:
                yield name, [value]


@dataclass
class RunComparison:
    """The comparison of a contender run with a baseline run.

    Attributes
    ----------
    baseline, contender : ResultFile
        The two runs.
    threshold : float
        The smallest relative change that counts.
    rows : list of ComparisonRow
        One row per series present on both sides, in benchmark, parameter and quantity order.
    notes : list of str
        What the reader must know (for example that the runs come from different machines).
    """

    baseline: ResultFile
    contender: ResultFile
    threshold: float
    rows: list[ComparisonRow]
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return how many rows got each verdict."""
        counted = Counter(row.result.verdict for row in self.rows)
        return {verdict: counted.get(verdict, 0) for verdict in VERDICTS}

    def has(self, what: str) -> bool:
        """Tell whether the comparison shows a ``regression`` (a slower row) or any ``change``."""
        if what == "regression":
            return any(row.result.verdict == "slower" for row in self.rows)
        if what == "change":
            return any(row.result.verdict in ("slower", "faster") for row in self.rows)
        raise ValueError(f"unknown kind of failure {what!r}: expected 'regression' or 'change'")

    def to_json(self) -> dict[str, Any]:
        """Return the comparison as a JSON object: the two runs, the settings, the counts and the rows."""
        return {
            "baseline": _describe(self.baseline),
            "contender": _describe(self.contender),
            "threshold": self.threshold,
            "alpha": ALPHA,
            "confidence": CONFIDENCE,
            **self.counts(),
            "notes": list(self.notes),
            "rows": [row.to_json() for row in self.rows],
        }


def _describe(run: ResultFile) -> dict[str, Any]:
    return {
        "path": str(run.path) if run.path else None,
        "timestamp": run.timestamp,
        "commit_hash": run.commit_hash,
        "machine_hash": run.machine_hash,
        "environment_hash": run.environment_hash,
    }


def _runner_method(run: ResultFile) -> dict[str, str] | None:
    """How a run's samples were taken, as far as it moves numbers: runner, setup cadence, round order."""
    runner = run.extra.get("runner")
    if not isinstance(runner, dict) or not isinstance(runner.get("name"), str):
        return None  # a file without the runner section (reduced from asv, older files)
    method = {"runner": runner["name"]}
    if runner["name"] == "native":
        method["setup semantics"] = str(runner.get("setup_semantics", "call"))
        # native files written before rounds were interleaved ran them back to back
        method["round order"] = str(runner.get("round_order", "consecutive"))
    return method


def _method_notes(baseline: ResultFile, contender: ResultFile) -> list[str]:
    """A note for each way in which the two runs took their samples differently."""
    first, second = _runner_method(baseline), _runner_method(contender)
    if first is None or second is None:
        return []
    return [
        f"the runs were measured differently: {what} {first[what]} (baseline) and {second[what]} (contender); "
        "a difference may come from the method rather than the code"
        for what in first
        if what in second and first[what] != second[what]
    ]


def compare_result_files(
    baseline: ResultFile,
    contender: ResultFile,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    allow_other_machine: bool = False,
) -> RunComparison:
    """Compare two runs already read.

    Parameters
    ----------
    baseline, contender : ResultFile
        The reference run and the run judged against it.
    threshold : float, optional
        The smallest relative change that counts (0.10 for 10 %).
    allow_other_machine : bool, optional
        Compare runs of different machines or environments (the notes say so); refused otherwise.

    Returns
    -------
    RunComparison
        The rows and notes.

    Raises
    ------
    IncomparableRuns
        When the machines or environments differ and ``allow_other_machine`` is false.
    """
    notes = []
    for what in ("machine", "environment"):
        first, second = getattr(baseline, f"{what}_hash"), getattr(contender, f"{what}_hash")
        if first != second:
            if not allow_other_machine:
                raise IncomparableRuns(
                    f"the runs come from different {what}s ({first[:12]} and {second[:12]}): "
                    "timings of different set-ups are not comparable; pass --allow-other-machine to compare anyway"
                )
            notes.append(f"different {what}s: {first[:12]} (baseline) and {second[:12]} (contender)")
    notes.extend(_method_notes(baseline, contender))
    rows = []
    sides = (baseline, contender)
    for benchmark in sorted(set(baseline.results) & set(contender.results)):
        before, after = baseline.results[benchmark], contender.results[benchmark]
        for params in sorted(set(before) & set(after)):
            contender_series = dict(iter_quantities(after[params]))
            for quantity, values in iter_quantities(before[params]):
                if quantity in contender_series:
                    rounds = [_round_counts(run, benchmark, params) if quantity is None else None for run in sides]
                    verdict = judge_samples(
                        values,
                        contender_series[quantity],
                        threshold=threshold,
                        baseline_rounds=rounds[0],
                        contender_rounds=rounds[1],
                    )
                    rows.append(ComparisonRow(benchmark, params, quantity, verdict))
    only = {
        "baseline": _count_series(baseline) - len(rows),
        "contender": _count_series(contender) - len(rows),
    }
    for side, count in only.items():
        if count:
            notes.append(f"{count} series only in the {side} (not compared)")
    unchecked = [row for row in rows if row.result.note and row.result.verdict in ("faster", "slower")]
    if unchecked:
        notes.append(
            f"{len(unchecked)} faster or slower row(s) rest on one measuring process per side (or on files "
            "without round information): a difference between processes could pass for a change"
        )
    return RunComparison(baseline, contender, threshold, rows, notes)


def _round_counts(run: ResultFile, benchmark: str, params: str) -> list[int] | None:
    """The ``round_samples`` of one combination in the run's ``precision`` section (None when absent)."""
    record: Any = run.extra.get("precision")
    for key in (benchmark, params):
        record = record.get(key) if isinstance(record, dict) else None
    counts = record.get("round_samples") if isinstance(record, dict) else None
    return counts if isinstance(counts, list) else None


def _count_series(run: ResultFile) -> int:
    return sum(len(list(iter_quantities(samples))) for entries in run.results.values() for samples in entries.values())


def resolve_run(path: Path | str, *, machine: str | None = None, before: ResultFile | None = None) -> ResultFile:
    """Read a run: a result file, or the latest result file of a results folder.

    Parameters
    ----------
    path : pathlib.Path or str
        A result file or a folder of result files.
    machine : str, optional
        For a folder: the machine hash (or a unique prefix of it) whose latest run to take; needed
        when the folder holds runs of several machines.
    before : ResultFile, optional
        For a folder: take the latest run older than this one, skipping this run itself.

    Returns
    -------
    ResultFile
        The run.

    Raises
    ------
    IncomparableRuns
        When the folder holds no matching run, or runs of several machines and none was chosen.
    InvalidResultFile
        When the file is not a readable result file.
    """
    path = Path(path)
    if not path.is_dir():
        if not path.exists():
            raise IncomparableRuns(f"{path}: no such result file or folder")
        return read_result_file(path)
    candidates = []
    for file in iter_result_files(path):
        parsed = parse_file_name(file.name)
        candidates.append((parsed.timestamp or "", parsed.machine_id or "", parsed.environment_id or "", file))
    if machine is not None:
        candidates = [c for c in candidates if c[1].startswith(machine)]
    if before is not None:
        candidates = [
            c
            for c in candidates
            if c[0] < before.timestamp and (c[1], c[2]) == (before.machine_hash, before.environment_hash)
        ]
    if not candidates:
        chosen = f" for machine {machine!r}" if machine else ""
        earlier = " before this run on the same machine and environment" if before is not None else ""
        raise IncomparableRuns(f"{path}: no result file{chosen}{earlier}")
    machines = sorted({c[1] for c in candidates})
    if len(machines) > 1:
        raise IncomparableRuns(
            f"{path} holds runs of several machines ({', '.join(m[:12] for m in machines)}): choose one with --machine"
        )
    return read_result_file(max(candidates)[3])


def compare_runs(
    baseline: Path | str,
    contender: Path | str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    machine: str | None = None,
    allow_other_machine: bool = False,
) -> RunComparison:
    """Compare two runs given as result files or results folders (then their latest run).

    Parameters
    ----------
    baseline, contender : pathlib.Path or str
        Result files or results folders.
    threshold : float, optional
        The smallest relative change that counts.
    machine : str, optional
        The machine hash (or prefix) whose runs to take from a folder.
    allow_other_machine : bool, optional
        Compare runs of different machines or environments.

    Returns
    -------
    RunComparison
        The comparison.
    """
    if Path(baseline).is_dir() and Path(baseline).resolve() == Path(contender).resolve():
        # One folder on both sides: its latest run against the run before it (same machine and environment).
        second = resolve_run(contender, machine=machine)
        first = resolve_run(baseline, machine=machine, before=second)
    else:
        first = resolve_run(baseline, machine=machine)
        second = resolve_run(contender, machine=machine)
    return compare_result_files(first, second, threshold=threshold, allow_other_machine=allow_other_machine)
