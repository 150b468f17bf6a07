"""What the git stores share: errors, outcomes, the cross-process lock, git's environment, small helpers."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import filelock

# How often a refused push is retried (fetch, rebase, push) in one round before the commit is left pending.
PUSH_ATTEMPTS = 5
COMMITTER_NAME = "nwb-benchmarks-server"
COMMITTER_EMAIL = "nwb-benchmarks-server@localhost"
# When this process started: clone leftovers older than this cannot belong to a live operation of ours.
PROCESS_START = time.time()

# One in-process lock per lock file, so that threads queue cheaply before taking the flock.
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


class StoreError(RuntimeError):
    """A store operation that failed in a way the client cannot fix (e.g. a rebase conflict)."""


class Conflict(StoreError):
    """The file exists in the store with different content."""


@dataclass(frozen=True)
class WriteOutcome:
    """What happened to one write.

    Attributes
    ----------
    status : str
        ``"stored"`` (a new commit), ``"unchanged"`` (identical content already stored) or
        ``"validated"`` (debug mode: nothing written).
    path : str
        The file's path inside the store.
    commit : str or None
        The commit holding the file (None in debug mode).
    pushed : bool
        Whether the remote has every local commit.
    message : str
        A human-readable summary (``"push pending: <reason>"`` when the remote could not be reached).
    """

    status: str
    path: str
    commit: str | None
    pushed: bool
    message: str


@dataclass(frozen=True)
class PushState:
    """Whether the remote holds every local commit, and why not."""

    pushed: bool
    reason: str


@contextlib.contextmanager
def file_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock between threads and processes for the duration of the block.

    Parameters
    ----------
    lock_path : Path
        The lock file; created when missing. Processes that share it exclude each other.

    Yields
    ------
    None
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    key = str(lock_path)
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(key, threading.Lock())
    # Threads queue on a cheap in-process lock; filelock (an OS lock on the file) excludes other processes.
    with thread_lock, filelock.FileLock(key, thread_local=False, is_singleton=False):
        yield


def git_environment(timeout: float) -> dict[str, str]:
    """Environment for git's network commands: never prompt, and give up on a remote that stalls.

    Parameters
    ----------
    timeout : float
        Seconds a transfer may stall (HTTP) or a connection may take (SSH).

    Returns
    -------
    dict of str to str
        Variables to add to git's environment.
    """
    seconds = str(max(1, int(timeout)))
    env = {
        # Git must never ask a question on a terminal (a server has none) nor wait on a credential helper.
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
        "SSH_ASKPASS": "true",
        # HTTP(S): abort a transfer slower than 1 kB/s for that long (a remote that accepts and never answers).
        "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
        "GIT_HTTP_LOW_SPEED_TIME": seconds,
    }
    if "GIT_SSH_COMMAND" not in os.environ:
        env["GIT_SSH_COMMAND"] = (
            f"ssh -o BatchMode=yes -o ConnectTimeout={seconds} -o ServerAliveInterval={seconds} "
            "-o ServerAliveCountMax=1"
        )
    return env


def redact_url(url: str) -> str:
    """A remote URL fit for logs and pages: any user name or token before ``@`` is replaced."""
    scheme, separator, rest = url.partition("://")
    if separator and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://<credentials>@{rest.split('@', 1)[1]}"
    return url


def short_reason(error: Exception) -> str:
    """One line of a git error, without credentials that a remote URL might carry."""
    text = getattr(error, "stderr", None) or str(error)
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    meaningful = [line for line in lines if line.lower().startswith(("fatal", "error", "!", "remote:"))]
    line = (meaningful or lines or ["unknown git error"])[0]
    line = line.removeprefix("stderr: ").strip("'\" ")
    # A GitHub URL with a token looks like https://<token>@github.com/...: never echo the token.
    return " ".join("<remote>" if "@" in word and "://" in word else word for word in line.split())


@dataclass
class WriteRequest:
    """One caller's files, queued for the writer thread.

    Attributes
    ----------
    files : dict of str to bytes or Path
        Store-relative paths and their bytes, or a file to copy them from (large files).
    message : str
        The commit message (joined with the others of the same commit).
    same_content : callable or None
        ``same_content(existing_bytes) -> bool``; default: byte equality.
    replace : bool
        When False, an existing file with other content is a :class:`Conflict`.
    remove_others_under : str or None
        A store folder whose files not named in ``files`` are removed.
    remove_paths : tuple of str
        Store-relative paths removed in the same commit (those that exist).
    """

    files: dict[str, bytes | Path]
    message: str
    same_content: Callable[[bytes], bool] | None = None
    replace: bool = True
    remove_others_under: str | None = None
    remove_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Committed:
    """What the writer did with one request: its status, the commit holding it and the commit's generation."""

    status: str
    commit: str | None
    generation: int


def push_message(done: str, state: PushState) -> str:
    return f"{done}; pushed" if state.pushed else f"{done}; push pending: {state.reason}"


def same_bytes(existing: bytes, data: bytes | Path) -> bool:
    """Whether ``existing`` equals ``data`` (bytes, or a file's content, read only when the sizes agree)."""
    if isinstance(data, Path):
        return data.stat().st_size == len(existing) and data.read_bytes() == existing
    return existing == data


def atomic_write(target: Path, data: bytes | Path) -> None:
    """Write via a temporary file in the same folder, so a reader never sees half a file.

    ``data`` is the bytes, or a file whose content is copied (large files are never held in memory).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, Path):
                with data.open("rb") as source:
                    shutil.copyfileobj(source, handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
