"""The background threads of a store (group commit, pushing) and the recovery of a crashed clone.

One writer thread per store and process takes the queued writes, puts everything queued meanwhile
into one commit (one lock, one ``git commit``), and hands the result back to the waiting request
threads. One pusher thread pushes: a request waits for the push round that covers its commit for
at most the store's push wait, so that a hanging remote delays nobody for long; a failed round is
retried with a growing pause until the remote takes the commits.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from server._git_support import (
    PUSH_ATTEMPTS,
    Committed,
    Conflict,
    PushState,
    StoreError,
    WriteRequest,
    atomic_write,
    file_lock,
    same_bytes,
)

if TYPE_CHECKING:
    from server._stores import GitStore

_LOG = logging.getLogger("server.stores")
#: Most queued writes put into one commit.
MAX_BATCH = 500
#: Pause before the first retry of a failed push, and the longest pause.
_RETRY_FIRST = 1.0
_RETRY_LONGEST = 60.0


def commit_batch(store: GitStore, requests: list[WriteRequest], generation: int) -> list[Committed | StoreError]:
    """Write the requests' files and commit them together (the caller holds the lock).

    Parameters
    ----------
    store : GitStore
        The store.
    requests : list of WriteRequest
        In arrival order; a later request sees the files of the earlier ones.
    generation : int
        The generation number the commit gets (for waiting on its push).

    Returns
    -------
    list
        Per request, a :class:`Committed` or the :class:`StoreError` (e.g. :class:`Conflict`) it met.
    """
    repo = store.repo()
    staged: dict[str, bytes | Path] = {}
    changed: list[str] = []
    removed: list[str] = []
    messages: list[str] = []
    results: list[tuple[str, Any] | StoreError] = []
    for request in requests:
        try:
            mine = _plan(store, request, staged)
        except StoreError as error:
            results.append(error)
            continue
        writes, removals = mine
        for path in writes:
            atomic_write(store.resolve(path), request.files[path])
            staged[path] = request.files[path]
        changed.extend(path for path in writes if path not in changed)
        removed.extend(path for path in removals if path not in removed)
        if writes or removals:
            messages.append(request.message)
        results.append(("stored" if writes or removals else "unchanged", None))
    commit = repo.head.commit.hexsha if repo.head.is_valid() else None
    if changed or removed:
        if changed:
            repo.git.add("--", *changed)
        if removed:
            repo.git.rm("--quiet", "--ignore-unmatch", "--", *removed)
        message = messages[0] if len(messages) == 1 else f"Add {len(messages)} uploads\n\n" + "\n".join(messages)
        repo.git.commit("--quiet", "-m", message, env=store.env)
        commit = repo.head.commit.hexsha
    return [item if isinstance(item, StoreError) else Committed(item[0], commit, generation) for item in results]


def _plan(store: GitStore, request: WriteRequest, staged: dict[str, bytes | Path]) -> tuple[list[str], list[str]]:
    writes = []
    for path, data in request.files.items():
        target = store.resolve(path)
        earlier = staged.get(path)
        existing = earlier.read_bytes() if isinstance(earlier, Path) else earlier
        if existing is None and target.exists():
            existing = target.read_bytes()
        if existing is not None:
            same = request.same_content(existing) if request.same_content is not None else same_bytes(existing, data)
            if same:
                continue
            if not request.replace:
                raise Conflict(f"{path} is already stored with different content")
        writes.append(path)
    removals: list[str] = []
    if request.remove_others_under is not None:
        folder = store.resolve(request.remove_others_under)
        if folder.is_dir():
            keep = {store.resolve(path) for path in request.files}
            removals = [
                str(PurePosixPath(request.remove_others_under) / item.name)
                for item in sorted(folder.iterdir())
                if item.is_file() and item not in keep
            ]
    for path in request.remove_paths:
        if path not in request.files and path not in removals and store.resolve(path).is_file():
            removals.append(path)
    return writes, removals


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
            outcomes = commit_batch(store, requests, generation)
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
                self._cond.wait_for(lambda covered=target: self._stopped or self._wanted > covered, delay)
                if self._stopped:
                    return
            delay = min(delay * 2, _RETRY_LONGEST)

    def _round(self) -> PushState:
        store = self.store
        reason = "nothing to push"
        for _ in range(PUSH_ATTEMPTS):
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
        return PushState(False, f"push refused {PUSH_ATTEMPTS} times: {reason}")


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
