"""The contract between collection and running: a case to measure, a runner, and the outcome it gives.

A :class:`Case` is one parameter combination of one benchmark as plain values, built by the pytest
item; a :class:`Runner` measures cases without knowing pytest, and answers each with an
:class:`Outcome`. The item reaches the run's :class:`CaseRunner` (the benchmark session, which runs
and records) through :data:`CASE_RUNNER` on ``config.stash``, so that collection depends on no
module that runs benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from pytest_nwb_benchmarks.collect._benchmark import Benchmark

# The one vocabulary of what became of a measurement, from a measuring process's round to a summary row.
STATUSES = ("passed", "skipped", "failed")


@dataclass(frozen=True, eq=False)
class Case:
    """One parameter combination of one benchmark, as a runner needs it.

    Attributes
    ----------
    benchmark : Benchmark
        The benchmark, as discovered in the pytest process.
    combination_index : int
        Which parameter combination (0 without parameters).
    node_id : str
        The pytest node id; a case measured again under the same id replaces its earlier attempt.
    path : pathlib.Path
        The benchmark file.
    """

    benchmark: Benchmark
    combination_index: int
    node_id: str
    path: Path

    @property
    def name(self) -> str:
        """The benchmark id."""
        return self.benchmark.name

    @property
    def params_key(self) -> str:
        """This combination's key in the reduced result file."""
        return self.benchmark.params_key(self.combination_index)

    @property
    def param_values(self) -> tuple[Any, ...]:
        """This combination's parameter values."""
        return self.benchmark.combinations()[self.combination_index] if self.benchmark.params else ()

    @property
    def param_reprs(self) -> tuple[str, ...]:
        """asv's repr of each of this combination's values."""
        return self.benchmark.combination_reprs()[self.combination_index] if self.benchmark.params else ()


@dataclass
class Outcome:
    """The result of one case over all its rounds, whichever runner ran it.

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    samples : list of float, dict or None
        The raw samples of every round, concatenated in the order measured; a dict for track
        benchmarks that return asv's ``{"samples": {...}, "number": None}`` form.
    number : int or None
        Calls per sample, for time benchmarks.
    message : str
        The skip reason or the failure's summary.
    details : str
        The failure's traceback or log, as text.
    rounds : int
        Rounds (measuring processes) that ran.
    duration : float
        Seconds the measuring processes worked, in total.
    notes : list of str
        Remarks worth showing (for example a changed setup cadence).
    precision : dict or None
        The median's interval, the noise and why sampling stopped (time benchmarks; see
        :func:`~pytest_nwb_benchmarks.run._precision.precision_record`).
    """

    status: str
    samples: list[float] | dict[str, Any] | None = None
    number: int | None = None
    message: str = ""
    details: str = ""
    rounds: int = 0
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)
    precision: dict[str, Any] | None = None


class Runner(Protocol):
    """What measures cases: the native runner, or the one that defers to asv."""

    name: str

    def start(self, cases: Sequence[Case]) -> None:
        """Learn every selected case before the first one runs."""

    def leading_passes(self, cases: Sequence[Case]) -> list[list[Case]]:
        """Passes over the selection that run leading rounds before the items run (empty: none)."""

    def lead(self, case: Case) -> None:
        """Run one leading round of ``case`` now, kept until its item runs."""

    def run(self, case: Case) -> Outcome:
        """Measure one case (the rounds :meth:`lead` has not run)."""

    def close(self) -> None:
        """Release what the runner holds (temporary folders, a running asv)."""

    def describe(self) -> dict[str, Any]:
        """How samples were produced, for the result file."""


class CaseRunner(Protocol):
    """What a benchmark item calls: runs a case and keeps its outcome for the result file."""

    def run_case(self, case: Case) -> Outcome:
        """Measure ``case`` and record what came of it."""


CASE_RUNNER = pytest.StashKey[CaseRunner]()
