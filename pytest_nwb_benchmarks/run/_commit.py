"""The commit a run is attributed to: the benchmark repository's HEAD."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CommitInfo:
    """The commit of the benchmark repository.

    Attributes
    ----------
    commit_hash : str or None
        The full hash of HEAD, or None outside a git repository.
    dirty : bool
        Whether tracked files differ from HEAD.
    problem : str
        Why no hash could be read, when none was.
    """

    commit_hash: str | None
    dirty: bool = False
    problem: str = ""


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)


def current_commit(folder: Path) -> CommitInfo:
    """Read HEAD and the dirty state of the git repository holding ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        Any folder inside the benchmark repository.

    Returns
    -------
    CommitInfo
        The hash (None when ``folder`` is not in a git repository or git is missing).
    """
    try:
        head = _git(folder, "rev-parse", "--verify", "HEAD")
    except (OSError, subprocess.SubprocessError) as error:
        return CommitInfo(None, problem=f"git could not be run: {error}")
    if head.returncode != 0:
        return CommitInfo(None, problem=head.stderr.strip() or "not a git repository")
    status = _git(folder, "status", "--porcelain", "--untracked-files=no")
    return CommitInfo(head.stdout.strip(), dirty=bool(status.stdout.strip()))
