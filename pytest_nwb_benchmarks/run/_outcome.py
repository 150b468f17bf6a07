"""What running one benchmark item gives, whichever runner ran it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Outcome"]


@dataclass
class Outcome:
    """The result of one parameter combination of one benchmark, over all its rounds.

    Attributes
    ----------
    status : str
        ``"passed"``, ``"failed"`` or ``"skipped"``.
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
