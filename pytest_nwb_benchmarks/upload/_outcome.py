"""What happened to each uploaded file: the outcome of one file and the summary of many."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The outcomes of one file. Everything but FAILED means the server has the file.
UPLOADED = "uploaded"
PENDING = "pending push"
UNCHANGED = "unchanged"
SKIPPED = "already uploaded"
FAILED = "failed"


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one file.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    status : str
        ``"uploaded"``, ``"pending push"`` (stored, the server pushes it later), ``"unchanged"`` (the
        server had it already), ``"already uploaded"`` (the tracker says so; nothing was sent) or
        ``"failed"``.
    message : str
        Why it failed, or what the server said.
    http_status : int or None
        The status of the last answer, if there was one.
    attempts : int
        How many requests were sent.
    """

    path: Path
    status: str
    message: str = ""
    http_status: int | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """Whether the server has the file (uploaded now, before, or pending its push)."""
        return self.status != FAILED

    @property
    def sent(self) -> bool:
        """Whether this call sent the file (false for files the tracker skipped)."""
        return self.status != SKIPPED

    def summary_line(self) -> str:
        """Return the one line that reports this file, e.g. ``failed  x.json: HTTP 409 ...``."""
        line = f"{self.status:<16} {self.path.name}"
        if self.status == FAILED and self.message:
            line += f": {self.message}"
        return line


def summarize(outcomes: list[UploadOutcome]) -> str:
    """Return the closing line of a report, e.g. ``2 uploaded, 1 unchanged, 3 already uploaded, 1 failed``.

    Parameters
    ----------
    outcomes : list of UploadOutcome
        The outcomes.

    Returns
    -------
    str
        Counts per status, in a fixed order; ``nothing to upload`` when the list is empty.
    """
    counts = {status: 0 for status in (UPLOADED, PENDING, UNCHANGED, SKIPPED, FAILED)}
    for outcome in outcomes:
        counts[outcome.status] += 1
    parts = [f"{count} {status}" for status, count in counts.items() if count]
    return ", ".join(parts) if parts else "nothing to upload"
