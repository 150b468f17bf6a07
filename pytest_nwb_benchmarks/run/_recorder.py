"""Collecting what a run measured, and writing it as the reduced result files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.collect._case import Case, Outcome
from pytest_nwb_benchmarks.report._summary import SummaryRow
from pytest_nwb_benchmarks.run._precision import precision_record


class WrittenFiles:
    """The files a run wrote and what the headers had to say."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.messages: list[str] = []


class RunRecorder:
    """Keeps every combination's samples, in ``{benchmark id: {params key: samples}}`` form."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}
        self.benchmarks: dict[str, dict[str, Any]] = {}
        self.rows: list[SummaryRow] = []
        self.notes: dict[str, list[str]] = {}
        self._attempts: dict[str, tuple[int, int]] = {}  # node id -> (row index, attempts so far)
        self._positions: dict[tuple[str, str], int] = {}  # (benchmark, params key) -> combination index
        # {benchmark id: {params key: interval, noise, samples, stop reason}}: written as "precision"
        self.precision: dict[str, dict[str, Any]] = {}

    def record(self, case: Case, outcome: Outcome) -> None:
        """Remember one case's outcome (called in the pytest process, after its measuring processes ended).

        A case measured again in the same session (a rerun by pytest-rerunfailures) replaces its
        earlier attempt: the summary and the file hold the last attempt only, and a note says so.
        """
        benchmark = case.benchmark
        params = ", ".join(f"{name}={text}" for name, text in zip(benchmark.param_names, case.param_reprs))
        precision = outcome.precision
        if (
            precision is None
            and benchmark.benchmark_type.timed
            and outcome.status == "passed"
            and isinstance(outcome.samples, list)
        ):
            # another runner (asv) sampled without a target: still report the interval and the noise
            precision = precision_record(outcome.samples, None, None, 0.0) if outcome.samples else None
        row = SummaryRow(
            benchmark.pretty_name or benchmark.name, params, outcome.status, outcome.samples, benchmark.unit, precision
        )
        notes = list(outcome.notes)
        if case.node_id in self._attempts:
            index, attempts = self._attempts[case.node_id]
            self.rows[index] = row
            self._forget_samples(benchmark.name, case.params_key)
            self._attempts[case.node_id] = (index, attempts + 1)
            where = params or "no parameters"
            notes.append(
                f"measured again by a rerun ({where}: attempt {attempts + 1}, {outcome.status}); "
                "only the last attempt is kept"
            )
        else:
            self._attempts[case.node_id] = (len(self.rows), 1)
            self.rows.append(row)
        for note in notes:
            kept = self.notes.setdefault(benchmark.name, [])
            if note not in kept:
                kept.append(note)
        if outcome.status != "passed" or outcome.samples is None:
            return  # skipped and failed combinations are absent from the file, never misaligned
        self.results.setdefault(benchmark.name, {})[case.params_key] = outcome.samples
        self._positions[(benchmark.name, case.params_key)] = case.combination_index
        if precision is not None:
            self.precision.setdefault(benchmark.name, {})[case.params_key] = precision
        if benchmark.name not in self.benchmarks:
            self.benchmarks[benchmark.name] = {
                "type": benchmark.asv_type,
                "unit": benchmark.unit,
                "version": benchmark.version,
                "param_names": list(benchmark.param_names),
                "number": {},
            }
            if benchmark.pretty_name:
                self.benchmarks[benchmark.name]["pretty_name"] = benchmark.pretty_name
        entry = self.benchmarks[benchmark.name]
        if outcome.number is not None:
            entry["number"][case.params_key] = outcome.number

    def record_external(
        self,
        name: str,
        params_key: str,
        row: SummaryRow,
        *,
        metadata: dict[str, Any],
        number: int | None,
        per_combination: dict[str, Any],
    ) -> None:
        """Remember one combination that another tool measured in the pytest process (pytest-benchmark).

        Parameters
        ----------
        name : str
            The benchmark id.
        params_key : str
            The combination's key in the result file.
        row : SummaryRow
            Its summary line; its samples are what the result file keeps.
        metadata : dict
            The benchmark's entry in ``benchmarks`` (type, unit, parameter names, who measured it).
        number : int or None
            Calls per sample.
        per_combination : dict
            ``{field: value}`` kept per key in the entry (``entry[field][params_key] = value``).
        """
        self.rows.append(row)
        if row.status != "passed" or not isinstance(row.samples, list) or not row.samples:
            return
        entry = self.benchmarks.setdefault(name, {**metadata, "number": {}})
        if entry.get("measured_by") != metadata.get("measured_by"):
            self.notes.setdefault(name, []).append(
                f"not recorded: {params_key} was measured by {metadata.get('measured_by')}, "
                "but an ASV-style benchmark has the same id"
            )
            return
        self.results.setdefault(name, {})[params_key] = row.samples
        if number is not None:
            entry["number"][params_key] = number
        for field, value in per_combination.items():
            entry.setdefault(field, {})[params_key] = value

    def _by_position(self, name: str, by_key: dict[str, Any]) -> dict[str, Any]:
        return dict(sorted(by_key.items(), key=lambda pair: self._positions.get((name, pair[0]), -1)))

    def _ordered_results(self) -> dict[str, dict[str, Any]]:
        """Benchmarks by name, combinations in parameter order: the same file whatever order they ran in."""
        return {name: self._by_position(name, self.results[name]) for name in sorted(self.results)}

    def _ordered_benchmarks(self) -> dict[str, dict[str, Any]]:
        return {
            name: {**entry, "number": self._by_position(name, entry["number"])}
            for name, entry in sorted(self.benchmarks.items())
        }

    def _ordered_precision(self) -> dict[str, dict[str, Any]]:
        return {name: self._by_position(name, self.precision[name]) for name in sorted(self.precision)}

    def _forget_samples(self, name: str, key: str) -> None:
        samples = self.results.get(name, {})
        samples.pop(key, None)
        self.precision.get(name, {}).pop(key, None)
        self.benchmarks.get(name, {}).get("number", {}).pop(key, None)
        if name in self.results and not samples:
            del self.results[name]
            self.benchmarks.pop(name, None)

    def write(self, results_dir: Path, commit_hash: str, extra: dict[str, Any], written: WrittenFiles) -> Path | None:
        """Write the headers (when new) and the result file; nothing when nothing was measured.

        Parameters
        ----------
        results_dir : pathlib.Path
            The output folder.
        commit_hash : str
            The commit the run is attributed to.
        extra : dict
            Additional top-level entries (runner description, suite settings).
        written : WrittenFiles
            Receives the paths written and the header messages.

        Returns
        -------
        pathlib.Path or None
            The result file.
        """
        if not self.results:
            return None
        from pytest_nwb_benchmarks.results._environment import ensure_environment_header
        from pytest_nwb_benchmarks.results._machine import ensure_machine_header
        from pytest_nwb_benchmarks.results._result_files import write_result_file

        results_dir.mkdir(parents=True, exist_ok=True)
        machine = ensure_machine_header(results_dir)
        environment = ensure_environment_header(results_dir)
        for change in machine.changes:
            written.messages.append(f"machine header changed: {change}")
        for state in (machine, environment):
            if state.written:
                written.paths.append(Path(state.path))
        path = write_result_file(
            results_dir,
            results=self._ordered_results(),
            commit_hash=commit_hash,
            machine_hash=machine.hash,
            environment_hash=environment.hash,
            extra={
                **extra,
                "benchmarks": self._ordered_benchmarks(),
                **({"precision": self._ordered_precision()} if self.precision else {}),
            },
        )
        written.paths.append(Path(path))
        return Path(path)
