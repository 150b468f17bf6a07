"""Collecting what a run measured, and writing it as the reduced result files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._outcome import Outcome
from ._summary import SummaryRow

if TYPE_CHECKING:
    from ._items import BenchmarkItem

__all__ = ["RunRecorder", "WrittenFiles"]


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

    def record(self, item: BenchmarkItem, outcome: Outcome) -> None:
        """Remember one item's outcome (called in the pytest process, after its measuring processes ended)."""
        benchmark = item.benchmark
        for note in outcome.notes:
            notes = self.notes.setdefault(benchmark.name, [])
            if note not in notes:
                notes.append(note)
        params = ", ".join(f"{name}={text}" for name, text in zip(benchmark.param_names, _reprs(item)))
        self.rows.append(
            SummaryRow(benchmark.pretty_name or benchmark.name, params, outcome.status, outcome.samples, benchmark.unit)
        )
        if outcome.status != "passed" or outcome.samples is None:
            return  # skipped and failed combinations are absent from the file, never misaligned
        self.results.setdefault(benchmark.name, {})[item.params_key] = outcome.samples
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
            entry["number"][item.params_key] = outcome.number

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
        from ._environment import ensure_environment_header
        from ._machine import ensure_machine_header
        from ._result_files import write_result_file

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
            results=self.results,
            commit_hash=commit_hash,
            machine_hash=machine.hash,
            environment_hash=environment.hash,
            extra={**extra, "benchmarks": self.benchmarks},
        )
        written.paths.append(Path(path))
        return Path(path)


def _reprs(item: BenchmarkItem) -> tuple[str, ...]:
    benchmark = item.benchmark
    if not benchmark.params:
        return ()
    return benchmark.combination_reprs()[item.combination_index]
