"""What every measurer shares: the round's settings and the protocol a measurer follows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.run._precision import PrecisionSettings
from pytest_nwb_benchmarks.run._round import Hooks, RoundResult


@dataclass(frozen=True)
class RoundSettings:
    """How the runner wants this round measured.

    Attributes
    ----------
    setup_semantics : {"call", "sample"}
        The setup cadence (see :data:`~pytest_nwb_benchmarks.run._round.SETUP_SEMANTICS`).
    precision : PrecisionSettings or None
        Precision-driven sampling for time benchmarks (this round's budget); asv's ``repeat`` without.
    prior : sequence of float
        Samples of earlier rounds, which the stopping rule counts.
    """

    setup_semantics: str = "call"
    precision: PrecisionSettings | None = None
    prior: Sequence[float] = ()


class Measurer(Protocol):
    """Measures one round of one kind of benchmark (setup has run; teardown follows)."""

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Measure once and report the samples."""
