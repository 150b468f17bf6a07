"""What one measuring round reports, the setup cadences, and a benchmark's hooks bound to its arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark

SETUP_SEMANTICS = {
    "call": "asv_runner>=0.3: setup and teardown around every timed call",
    "sample": "asv_runner<=0.2: setup and teardown around every sample of `number` calls",
}


@dataclass
class RoundResult:
    """What one measuring process reports.

    Attributes
    ----------
    status : str
        ``"passed"``, ``"skipped"`` or ``"failed"`` (the statuses of :data:`~pytest_nwb_benchmarks.collect._case.STATUSES`).
    samples : list of float, dict or None
        The raw samples (per-call seconds for time benchmarks), or a track dict's samples.
    number : int or None
        Calls per sample (time benchmarks), None otherwise.
    message : str
        The skip reason, or the failure's one-line summary.
    details : str
        The failure's traceback, as text.
    notes : list of str
        Things worth telling the user (for example that setup ran between the calls of a sample).
    stop_reason : str or None
        Why sampling stopped, under precision-driven sampling.
    sampling_seconds : float
        Wall time from the start of warm-up to the last sample (time benchmarks).
    """

    status: str
    samples: list[float] | dict[str, Any] | None = None
    number: int | None = None
    message: str = ""
    details: str = ""
    notes: list[str] = field(default_factory=list)
    stop_reason: str | None = None
    sampling_seconds: float = 0.0


class Hooks:
    """Calls a benchmark's setups and teardowns with its arguments, and re-runs them between calls."""

    def __init__(self, benchmark: Benchmark, args: tuple[Any, ...]) -> None:
        """Hold ``benchmark``'s hooks and the arguments they are called with."""
        self.setups = benchmark.setups
        self.teardowns = benchmark.teardowns
        self.args = args
        self._armed = False

    def setup(self) -> None:
        """Run every setup hook."""
        for hook in self.setups:
            hook(*self.args)

    def teardown(self) -> None:
        """Run every teardown hook."""
        for hook in self.teardowns:
            hook(*self.args)

    def redo(self) -> None:
        """Tear down and set up again between timed calls (nothing before the first)."""
        # The first call follows the initial setup, so it has nothing to redo.
        if not self._armed:
            self._armed = True
            return
        self.teardown()
        self.setup()

    def skip_next_redo(self) -> None:
        """Let the next timed call follow directly on a setup."""
        self._armed = False
