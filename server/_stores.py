"""Git-backed file stores: a clone on disk that follows a remote, written under a cross-process lock.

Uploads are committed by one writer thread per store (group commit: the files queued meanwhile go
into one commit), under a file lock shared by every process on the same home; the lock is held
for local git work only. Network work (fetch, push) runs outside the lock, is bounded by timeouts,
and pushing is the job of a background thread: an upload waits a few seconds for its push and is
otherwise answered with the push pending, which the background thread retries until the remote
takes it. At start-up, leftovers of a crashed process in the clone (``index.lock``, ref locks, an
unfinished rebase or merge) are cleared under the lock, so that a crash never wedges a store.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import git
import orjson

from server._git_support import (
    Conflict,
    PushState,
    StoreError,
    WriteOutcome,
    WriteRequest,
    file_lock,
    git_environment,
    push_message,
    redact_url,
    short_reason,
)

__all__ = ["Conflict", "GitStore", "PushState", "StoreError", "WriteOutcome", "file_lock", "redact_url"]


class GitStore:
    """A git repository used as a file store: a working clone of a remote, under a lock.

    Parameters
    ----------
    name : str
        Short name (``"results"`` or ``"database"``), used for folder and lock names.
    home : Path
        The server's data directory.
    remote_url : str or None
        The remote to follow; None creates (once) a bare repository ``home/remotes/<name>.git``.
    debug : bool
        When True, :meth:`write_files` validates paths but writes, commits and pushes nothing.
    git_timeout : float
        Seconds a network operation (clone, fetch, push) may take before it is killed.
    push_wait : float
        Seconds a write waits for its push before it is answered with the push pending.
    """

    def __init__(
        self,
        name: str,
        home: Path,
        remote_url: str | None,
        debug: bool = False,
        git_timeout: float = 30.0,
        push_wait: float = 5.0,
    ) -> None:
        self.name = name
        self.home = Path(home)
        self.default_remote = self.home / "remotes" / f"{name}.git"
        self.remote_url = remote_url or str(self.default_remote)
        self.clone_dir = self.home / "clones" / name
        self.lock_path = self.home / "locks" / f"{name}.lock"
        self.debug = debug
        self.git_timeout = git_timeout
        self.push_wait = push_wait
        self.env = git_environment(git_timeout)
        self.branch = "main"
        self._ready = False
        self._ready_guard = threading.Lock()
        # Serializes this process's fetches (concurrent fetches would fight over the same ref locks).
        self.fetch_lock = threading.Lock()
        # Whether the last network operation reached the remote: writes skip fetching while it does not.
        self.remote_ok = True
        self.fetched_at = 0.0  # time.monotonic() of the last successful fetch
        self.workers: Any = None

    # ------------------------------------------------------------------ setup

    def ensure_ready(self) -> None:
        """Create the default bare remote and the working clone, recover from a crash, start the workers."""
        if self._ready:
            return
        from server._store_recovery import prepare_clone
        from server._store_workers import StoreWorkers

        with self._ready_guard:
            if self._ready:
                return
            with file_lock(self.lock_path):
                self.branch = prepare_clone(self)
            if not self.debug:
                self.workers = StoreWorkers(self)
            self._ready = True

    def repo(self) -> git.Repo:
        """A fresh Repo per operation: GitPython's cached helper processes are not shared between threads."""
        return git.Repo(self.clone_dir)

    def close(self) -> None:
        """Stop the background threads (pending pushes stay in the clone for the next start)."""
        if self.workers is not None:
            self.workers.stop()

    # ------------------------------------------------------------------ reading

    @contextlib.contextmanager
    def locked(self) -> Iterator[Path]:
        """Hold the store's lock and yield the clone's folder, for a consistent read of many files.

        The lock is only ever held for local work, never across a network operation.

        Yields
        ------
        Path
            The working clone.
        """
        self.ensure_ready()
        with file_lock(self.lock_path):
            yield self.clone_dir

    def head_commit(self) -> str | None:
        """Return the clone's current commit (None for an empty store)."""
        self.ensure_ready()
        repo = self.repo()
        return repo.head.commit.hexsha if repo.head.is_valid() else None

    def resolve(self, relative_path: str) -> Path:
        """Map a store-relative POSIX path to a file inside the clone, refusing anything outside it.

        Parameters
        ----------
        relative_path : str
            For example ``"results/result_timestamp-....json"``.

        Returns
        -------
        Path
            The absolute path inside the clone.

        Raises
        ------
        ValueError
            When the path is absolute, contains ``..`` or points into ``.git``.
        """
        pure = PurePosixPath(relative_path)
        # Check the raw parts: PurePosixPath would quietly fold "a//b" and "./a" into something else.
        raw_parts = relative_path.split("/")
        if pure.is_absolute() or "\\" in relative_path or any(part in ("", ".", "..", ".git") for part in raw_parts):
            raise ValueError(f"refusing the store path {relative_path!r}")
        target = (self.clone_dir / pure).resolve()
        root = self.clone_dir.resolve()
        if root not in target.parents:
            raise ValueError(f"refusing the store path {relative_path!r}: it leaves the store")
        return target

    # ------------------------------------------------------------------ network (never under the store lock)

    def fetch(self, timeout: float | None = None) -> str | None:
        """Fetch the remote (bounded by the timeout); return None on success or the reason it failed."""
        timeout = self.git_timeout if timeout is None else timeout
        with self.fetch_lock:
            try:
                self.repo().git.fetch("--quiet", "origin", env=self.env, kill_after_timeout=timeout)
            except git.GitCommandError as error:
                self.remote_ok = False
                return short_reason(error) or f"no answer within {timeout:g} s"
            self.fetched_at = time.monotonic()
        self.remote_ok = True
        return None

    def push_once(self) -> str | None:
        """Push the current commit (bounded by the timeout); return None on success or the reason it failed."""
        repo = self.repo()
        if not repo.head.is_valid():
            return None
        sha = repo.head.commit.hexsha
        try:
            repo.git.push(
                "--quiet",
                "origin",
                f"{sha}:refs/heads/{self.branch}",
                env=self.env,
                kill_after_timeout=self.git_timeout,
            )
        except git.GitCommandError as error:
            return short_reason(error) or f"no answer within {self.git_timeout:g} s"
        self.remote_ok = True
        # Keep the remote-tracking branch in step without another network round trip.
        repo.git.update_ref(f"refs/remotes/origin/{self.branch}", sha)
        return None

    # ------------------------------------------------------------------ local work (under the store lock)

    def remote_branch_exists(self, repo: git.Repo) -> bool:
        """Whether the fetched remote has the store's branch."""
        try:
            repo.git.rev_parse("--verify", "--quiet", f"refs/remotes/origin/{self.branch}")
        except git.GitCommandError:
            return False
        return True

    def rebase_onto_remote(self, repo: git.Repo) -> None:
        """Put the local commits on top of the fetched remote branch (under the lock)."""
        if not self.remote_branch_exists(repo):
            return
        upstream = f"refs/remotes/origin/{self.branch}"
        if not repo.head.is_valid():
            repo.git.reset("--hard", upstream)
            return
        try:
            repo.git.rebase(upstream)
        except git.GitCommandError as error:
            with contextlib.suppress(git.GitCommandError):
                repo.git.rebase("--abort")
            raise StoreError(
                f"the {self.name} store cannot rebase its local commits onto the remote: {short_reason(error)}"
            ) from None

    def unpushed(self, repo: git.Repo) -> int:
        """Local commits the remote-tracking branch does not have."""
        if not repo.head.is_valid():
            return 0
        if not self.remote_branch_exists(repo):
            return int(repo.git.rev_list("--count", "HEAD"))
        return int(repo.git.rev_list("--count", f"refs/remotes/origin/{self.branch}..HEAD"))

    def discard_unfinished_write(self, repo: git.Repo) -> None:
        """Drop uncommitted changes a crashed request may have left: they were never acknowledged."""
        if repo.git.status("--porcelain"):
            if repo.head.is_valid():
                repo.git.reset("--hard", "--quiet")
            repo.git.clean("-fdq")

    # ------------------------------------------------------------------ the public writing API

    def write_json(self, relative_path: str, content: Any, message: str) -> WriteOutcome:
        """Store one JSON document; the same content twice is a no-op, other content a conflict.

        Parameters
        ----------
        relative_path : str
            Where the file goes inside the store.
        content : Any
            JSON-serializable content, written indented by 2 spaces.
        message : str
            The commit message.

        Returns
        -------
        WriteOutcome
            What happened.

        Raises
        ------
        Conflict
            When the path already holds different content.
        StoreError
            When git fails in a way that a retry cannot fix.
        """
        try:
            # orjson: a hundred times faster than json.dumps with an indent (which runs in pure Python),
            # and the server's throughput for large result files depends on it.
            data = orjson.dumps(content, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
        except (orjson.JSONEncodeError, TypeError):
            data = (json.dumps(content, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")

        def same(existing: bytes) -> bool:
            try:
                return json.loads(existing) == content
            except ValueError:
                return False

        return self.write_files({relative_path: data}, message, same_content=same, replace=False)

    def write_files(
        self,
        files: dict[str, bytes | Path],
        message: str,
        *,
        same_content: Callable[[bytes], bool] | None = None,
        replace: bool = True,
        remove_others_under: str | None = None,
        remove_paths: Iterable[str] = (),
        push_wait: float | None = None,
    ) -> WriteOutcome:
        """Write several files in one commit (shared with other writers queued meanwhile), then push.

        Parameters
        ----------
        files : dict of str to bytes or Path
            Store-relative paths and their bytes, or a file to copy them from (large files).
        message : str
            The commit message.
        same_content : callable, optional
            ``same_content(existing_bytes) -> bool`` decides whether an existing file already holds
            the new content (default: byte equality).
        replace : bool
            When False, an existing file with other content raises :class:`Conflict`.
        remove_others_under : str, optional
            A store folder whose files not named in ``files`` are removed (for rebuilt tables).
        remove_paths : iterable of str
            Store-relative paths to remove in the same commit (those that exist).
        push_wait : float, optional
            Seconds to wait for the push (default: the store's push wait; 0 answers at once).

        Returns
        -------
        WriteOutcome
            What happened; ``path`` is the first of ``files``. ``pushed`` is False (and the message
            says "push pending") when the remote did not take the commit within the push wait; the
            background thread keeps trying.
        """
        self.ensure_ready()
        for path in files:
            self.resolve(path)
        first = next(iter(files))
        if self.debug:
            return WriteOutcome("validated", first, None, False, "debug mode: validated; nothing committed or pushed")
        request = WriteRequest(files, message, same_content, replace, remove_others_under, tuple(remove_paths))
        committed = self.workers.committer.submit(request)
        wait = self.push_wait if push_wait is None else push_wait
        state = self.workers.pusher.wait_pushed(committed.generation, wait)
        done = (
            f"committed {committed.commit[:12]}"
            if committed.status == "stored" and committed.commit
            else "already stored with the same content; nothing committed"
        )
        return WriteOutcome(committed.status, first, committed.commit, state.pushed, push_message(done, state))

    def sync(self, fresh_within: float = 0.0, push_wait: float | None = None) -> PushState:
        """Pull the remote, then push anything pending (waiting at most the push wait).

        Parameters
        ----------
        fresh_within : float
            Skip the pull when the last one succeeded less than this many seconds ago.
        push_wait : float, optional
            Seconds to wait for the push (default: the store's push wait).

        Returns
        -------
        PushState
            Whether the remote now holds everything.
        """
        self.ensure_ready()
        if self.debug:
            return PushState(False, "debug mode: nothing is pushed")
        if time.monotonic() - self.fetched_at >= fresh_within and self.fetch() is None:
            with file_lock(self.lock_path):
                self.rebase_onto_remote(self.repo())
        generation = self.workers.committer.generation
        return self.workers.pusher.wait_pushed(generation, self.push_wait if push_wait is None else push_wait)

    def reset_to_remote(self) -> str | None:
        """Drop every local commit and take the remote's branch as it is.

        Only for stores of derived data (the database tables), which the caller rebuilds right
        after; never for the results store, whose commits are the uploads themselves.

        Returns
        -------
        str or None
            Why the remote could not be reached, or None when the reset happened.
        """
        self.ensure_ready()
        reason = self.fetch()
        if reason is not None:
            return reason
        with file_lock(self.lock_path):
            repo = self.repo()
            with contextlib.suppress(git.GitCommandError):
                repo.git.rebase("--abort")
            if self.remote_branch_exists(repo):
                repo.git.reset("--hard", "--quiet", f"refs/remotes/origin/{self.branch}")
            repo.git.clean("-fdq")
            return None

    def remote_files(self) -> list[str]:
        """List the files on the remote's branch (fetches first); for checks and administration."""
        self.ensure_ready()
        reason = self.fetch()
        if reason is not None:
            raise StoreError(f"cannot reach the {self.name} store's remote: {reason}")
        repo = self.repo()
        if not self.remote_branch_exists(repo):
            return []
        output = repo.git.ls_tree("-r", "--name-only", f"refs/remotes/origin/{self.branch}")
        return [line for line in output.splitlines() if line]
