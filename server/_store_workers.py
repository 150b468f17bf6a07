"""The background threads of a store (group commit, pushing) and the recovery of a crashed clone.

One writer thread per store and process takes the queued writes, puts everything queued meanwhile
into one commit (one lock, one ``git commit``), and hands the result back to the waiting request
threads. One pusher thread pushes: a request waits for the push round that covers its commit for
at most the store's push wait, so that a hanging remote delays nobody for long; a failed round is
retried with a growing pause until the remote takes the commits.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import git

from server._stores import _PUSH_ATTEMPTS, Committed, PushState, StoreError, WriteRequest, file_lock

if TYPE_CHECKING:
    from server._stores import GitStore

_LOG = logging.getLogger("server.stores")
#: Most queued writes put into one commit.
MAX_BATCH = 500
#: Pause before the first retry of a failed push, and the longest pause.
_RETRY_FIRST = 1.0
_RETRY_LONGEST = 60.0

# Files git creates for the duration of one local command; left behind only by a crash.
_LOCAL_LOCKS = ("index.lock", "HEAD.lock", "ORIG_HEAD.lock", "config.lock", "packed-refs.lock", "shallow.lock")
# Unfinished operations and the command that puts the branch back as it was before them.
_UNFINISHED = (
    ("rebase-merge", ("rebase", "--abort")),
    ("rebase-apply", ("rebase", "--abort")),
    ("MERGE_HEAD", ("merge", "--abort")),
    ("CHERRY_PICK_HEAD", ("cherry-pick", "--abort")),
    ("REVERT_HEAD", ("revert", "--abort")),
)


def recover_leftovers(store: GitStore, older_than: float) -> list[str]:
    """Clear what a crashed process left in the clone; the caller holds the store's lock.

    Every local git command of the server runs under the store's lock, so a lock file or an
    unfinished rebase found while holding it, and older than this process, is a leftover. Locks
    of remote-tracking refs may belong to another process's fetch (which runs outside the lock);
    they are cleared only when older than twice the network timeout, after which git was killed.

    Parameters
    ----------
    store : GitStore
        The store (its clone exists).
    older_than : float
        Only files last modified before this time (seconds since the epoch) are touched.

    Returns
    -------
    list of str
        What was cleared, relative to the ``.git`` folder.
    """
    git_dir = store.clone_dir / ".git"
    network_cutoff = min(older_than, time.time() - 2 * store.git_timeout)
    cleared: list[str] = []

    def stale(path: Path, cutoff: float) -> bool:
        try:
            return path.lstat().st_mtime < cutoff
        except OSError:
            return False

    candidates = [git_dir / name for name in _LOCAL_LOCKS]
    candidates += [path for path in (git_dir / "refs" / "heads").rglob("*.lock")]
    for path in candidates:
        if path.exists() and stale(path, older_than):
            path.unlink(missing_ok=True)
            cleared.append(str(path.relative_to(git_dir)))
    network_locks = [*(git_dir / "refs" / "remotes").rglob("*.lock"), git_dir / "FETCH_HEAD.lock"]
    for path in network_locks:
        if path.exists() and stale(path, network_cutoff):
            path.unlink(missing_ok=True)
            cleared.append(str(path.relative_to(git_dir)))
    repo = store.repo()
    for marker, abort in _UNFINISHED:
        path = git_dir / marker
        if not path.exists() or not stale(path, older_than):
            continue
        with contextlib.suppress(git.GitCommandError):
            repo.git.execute(["git", *abort])
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        cleared.append(marker)
    if cleared:
        _LOG.warning("%s store: cleared leftovers of a crashed process: %s", store.name, ", ".join(cleared))
    store.discard_unfinished_write(repo)
    return cleared


class GroupCommitter:
    """The writer thread: commits every write queued meanwhile in one commit.

    Parameters
    ----------
    store : GitStore
        The store written.
    on_commit : callable
        Called with the new generation after each batch (wakes the pusher).
    """

    def __init__(self, store: GitStore, on_commit: object) -> None:
        self.store = store
        self.on_commit = on_commit
        #: Number of batches committed so far; a batch's commit is in the clone once this counts it.
        self.generation = 0
        self._queue: queue.SimpleQueue[tuple[WriteRequest, Future] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"{store.name}-writer", daemon=True)
        self._thread.start()

    def submit(self, request: WriteRequest) -> Committed:
        """Queue a write and wait until it is committed (or refused).

        Parameters
        ----------
        request : WriteRequest
            The files.

        Returns
        -------
        Committed
            Its status, commit and generation.

        Raises
        ------
        StoreError
            A :class:`~server._stores.Conflict`, or a failure of the store.
        """
        future: Future = Future()
        self._queue.put((request, future))
        return future.result()

    def stop(self) -> None:
        """Let the thread finish after the writes already queued."""
        self._queue.put(None)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            try:
                outcomes = self._commit([request for request, _ in batch])
            except Exception as error:  # every waiting request must get an answer, whatever happened
                failure = error if isinstance(error, StoreError) else StoreError(f"{type(error).__name__}: {error}")
                if not isinstance(error, StoreError):
                    _LOG.exception("%s store: committing %d writes failed", self.store.name, len(batch))
                for _, future in batch:
                    future.set_exception(failure)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, StoreError):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
            self.on_commit(self.generation)

    def _commit(self, requests: list[WriteRequest]) -> list[Committed | StoreError]:
        store = self.store
        # Pull first (outside the lock) so that a file uploaded through another server is seen, unless
        # the remote is known to be away or a fetch is under way: then the pusher reconciles later.
        fetched = False
        # At most one such fetch a second: under load, one fetch serves the many uploads queued meanwhile.
        if store.remote_ok and not store.fetch_lock.locked() and time.monotonic() - store.fetched_at > 1.0:
            # Bounded by half the push wait, so that an upload is answered within seconds if the remote hangs.
            fetched = store.fetch(timeout=store.push_wait / 2) is None
        with file_lock(store.lock_path):
            repo = store.repo()
            store.discard_unfinished_write(repo)
            if fetched:
                store.rebase_onto_remote(repo)
            generation = self.generation + 1
            outcomes = store.commit_batch(requests, generation)
            self.generation = generation
        return outcomes


class Pusher:
    """The pusher thread: pushes the clone's commits, retrying in the background until the remote takes them.

    Parameters
    ----------
    store : GitStore
        The store pushed.
    committer : GroupCommitter
        Whose generation counts the commits made.
    """

    def __init__(self, store: GitStore, committer: GroupCommitter) -> None:
        self.store = store
        self.committer = committer
        self._cond = threading.Condition()
        self._wanted = 0
        self._covered = -1  # generation the last finished round covered (-1: none yet)
        self._pushed = -1  # generation up to which the remote holds everything
        self._reason = ""
        self._stopped = False
        # Commits left unpushed by an earlier run go out at start.
        self._thread = threading.Thread(target=self._run, name=f"{store.name}-pusher", daemon=True)
        self._thread.start()

    def request(self, generation: int) -> None:
        """Ask for a push round covering ``generation``."""
        with self._cond:
            self._wanted = max(self._wanted, generation)
            self._cond.notify_all()

    def wait_pushed(self, generation: int, timeout: float) -> PushState:
        """Wait (at most ``timeout`` seconds) for a push round covering ``generation``.

        Parameters
        ----------
        generation : int
            The generation of the caller's commit.
        timeout : float
            Seconds to wait.

        Returns
        -------
        PushState
            Pushed, or why not (the pusher keeps trying in the background).
        """
        self.request(generation)
        with self._cond:
            finished = self._cond.wait_for(lambda: self._covered >= generation, timeout)
            if self._pushed >= generation:
                return PushState(True, "")
            if finished:
                return PushState(False, f"{self._reason}; retried in the background")
            last = f" (last attempt: {self._reason})" if self._reason else ""
            return PushState(
                False, f"the remote did not take the commit within {timeout:g} s{last}; retried in the background"
            )

    def stop(self) -> None:
        """End the thread after the current round."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _run(self) -> None:
        delay = _RETRY_FIRST
        failing = False
        while True:
            with self._cond:
                if not failing:
                    self._cond.wait_for(lambda: self._stopped or self._wanted > self._covered)
                if self._stopped:
                    return
                target = self.committer.generation
            try:
                state = self._round()
            except Exception as error:  # the thread must outlive any surprise
                _LOG.exception("%s store: push round failed", self.store.name)
                state = PushState(False, f"{type(error).__name__}: {error}")
            with self._cond:
                self._covered = max(self._covered, target)
                self._reason = state.reason
                if state.pushed:
                    self._pushed = max(self._pushed, target)
                self._cond.notify_all()
            failing = not state.pushed
            if state.pushed:
                delay = _RETRY_FIRST
                continue
            _LOG.warning("%s store: push pending (%s); next try in %g s", self.store.name, state.reason, delay)
            with self._cond:
                # A new commit wakes the thread earlier; otherwise it retries after the pause.
                self._cond.wait_for(lambda: self._stopped or self._wanted > target, delay)
                if self._stopped:
                    return
            delay = min(delay * 2, _RETRY_LONGEST)

    def _round(self) -> PushState:
        store = self.store
        reason = "nothing to push"
        for _ in range(_PUSH_ATTEMPTS):
            if store.unpushed(store.repo()) == 0:
                return PushState(True, "")
            reason = store.push_once()
            if reason is None:
                return PushState(True, "")
            # Refused: either the remote moved (fetch works: rebase and retry) or it is unreachable.
            failure = store.fetch()
            if failure is not None:
                return PushState(False, failure)
            try:
                with file_lock(store.lock_path):
                    store.rebase_onto_remote(store.repo())
            except StoreError as error:
                return PushState(False, str(error))
        return PushState(False, f"push refused {_PUSH_ATTEMPTS} times: {reason}")


class StoreWorkers:
    """The writer and pusher threads of one store."""

    def __init__(self, store: GitStore) -> None:
        self.pusher: Pusher
        self.committer = GroupCommitter(store, lambda generation: self.pusher.request(generation))
        self.pusher = Pusher(store, self.committer)

    def stop(self) -> None:
        """Stop both threads."""
        self.committer.stop()
        self.pusher.stop()
