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
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import filelock
import git

# How often a refused push is retried (fetch, rebase, push) in one round before the commit is left pending.
_PUSH_ATTEMPTS = 5
_COMMITTER_NAME = "nwb-benchmarks-server"
_COMMITTER_EMAIL = "nwb-benchmarks-server@localhost"
# When this process started: clone leftovers older than this cannot belong to a live operation of ours.
_PROCESS_START = time.time()

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


def _short_reason(error: Exception) -> str:
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
    files : dict of str to bytes
        Store-relative paths and their bytes.
    message : str
        The commit message (joined with the others of the same commit).
    same_content : callable or None
        ``same_content(existing_bytes) -> bool``; default: byte equality.
    replace : bool
        When False, an existing file with other content is a :class:`Conflict`.
    remove_others_under : str or None
        A store folder whose files not named in ``files`` are removed.
    """

    files: dict[str, bytes]
    message: str
    same_content: Callable[[bytes], bool] | None = None
    replace: bool = True
    remove_others_under: str | None = None


@dataclass(frozen=True)
class Committed:
    """What the writer did with one request: its status, the commit holding it and the commit's generation."""

    status: str
    commit: str | None
    generation: int


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
        from server._store_workers import StoreWorkers

        with self._ready_guard:
            if self._ready:
                return
            with file_lock(self.lock_path):
                self._ensure_clone_locked()
            if not self.debug:
                self.workers = StoreWorkers(self)
            self._ready = True

    def _ensure_clone_locked(self) -> None:
        if self.remote_url == str(self.default_remote) and not (self.default_remote / "HEAD").exists():
            self.default_remote.parent.mkdir(parents=True, exist_ok=True)
            git.Repo.init(self.default_remote, bare=True, initial_branch="main")
        if not (self.clone_dir / ".git").exists():
            self.clone_dir.parent.mkdir(parents=True, exist_ok=True)
            # Clone into a temporary sibling and rename, so a crash never leaves a half clone behind.
            partial = Path(tempfile.mkdtemp(prefix=f".{self.name}-clone-", dir=self.clone_dir.parent))
            try:
                git.Git(self.clone_dir.parent).clone(
                    "--quiet", "--", self.remote_url, str(partial), env=self.env, kill_after_timeout=self.git_timeout
                )
            except git.GitCommandError as error:
                with contextlib.suppress(OSError):
                    _remove_tree(partial)
                raise StoreError(
                    f"cannot clone the {self.name} store's remote within {self.git_timeout:g} s: {_short_reason(error)}"
                ) from None
            os.replace(partial, self.clone_dir)
        from server._store_workers import recover_leftovers

        # Before anything else touches the clone: a crashed process may have left it mid-way.
        recover_leftovers(self, older_than=_PROCESS_START)
        repo = self.repo()
        # The configured URL wins over the one the clone was made with (e.g. a rotated token).
        repo.git.remote("set-url", "origin", self.remote_url)
        with repo.config_writer() as config:
            config.set_value("user", "name", _COMMITTER_NAME)
            config.set_value("user", "email", _COMMITTER_EMAIL)
            config.set_value("pull", "rebase", "true")
            config.set_value("gc", "auto", "0")  # no surprise repacking inside a request
        # The clone follows the remote's default branch; git sets it even for an empty remote
        # (its unborn HEAD), and a default bare remote made here starts on "main".
        self.branch = repo.git.symbolic_ref("--short", "HEAD").strip()

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
                return _short_reason(error) or f"no answer within {timeout:g} s"
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
                "--quiet", "origin", f"{sha}:refs/heads/{self.branch}", env=self.env, kill_after_timeout=self.git_timeout
            )
        except git.GitCommandError as error:
            return _short_reason(error) or f"no answer within {self.git_timeout:g} s"
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
                f"the {self.name} store cannot rebase its local commits onto the remote: {_short_reason(error)}"
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

    def commit_batch(self, requests: list[WriteRequest], generation: int) -> list[Committed | StoreError]:
        """Write the requests' files and commit them together (the caller holds the lock).

        Parameters
        ----------
        requests : list of WriteRequest
            In arrival order; a later request sees the files of the earlier ones.
        generation : int
            The generation number the commit gets (for waiting on its push).

        Returns
        -------
        list
            Per request, a :class:`Committed` or the :class:`StoreError` (e.g. :class:`Conflict`) it met.
        """
        repo = self.repo()
        staged: dict[str, bytes] = {}
        changed: list[str] = []
        removed: list[str] = []
        messages: list[str] = []
        results: list[tuple[str, Any] | StoreError] = []
        for request in requests:
            try:
                mine = self._plan(request, staged)
            except StoreError as error:
                results.append(error)
                continue
            writes, removals = mine
            for path in writes:
                _atomic_write(self.resolve(path), request.files[path])
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
            repo.git.commit("--quiet", "-m", message, env=self.env)
            commit = repo.head.commit.hexsha
        return [
            item if isinstance(item, StoreError) else Committed(item[0], commit, generation) for item in results
        ]

    def _plan(self, request: WriteRequest, staged: dict[str, bytes]) -> tuple[list[str], list[str]]:
        writes = []
        for path, data in request.files.items():
            target = self.resolve(path)
            existing = staged.get(path)
            if existing is None and target.exists():
                existing = target.read_bytes()
            if existing is not None:
                same = request.same_content(existing) if request.same_content is not None else existing == data
                if same:
                    continue
                if not request.replace:
                    raise Conflict(f"{path} is already stored with different content")
            writes.append(path)
        removals: list[str] = []
        if request.remove_others_under is not None:
            folder = self.resolve(request.remove_others_under)
            if folder.is_dir():
                keep = {self.resolve(path) for path in request.files}
                removals = [
                    str(PurePosixPath(request.remove_others_under) / item.name)
                    for item in sorted(folder.iterdir())
                    if item.is_file() and item not in keep
                ]
        return writes, removals

    # ------------------------------------------------------------------ the public writing API

    def write_json(self, relative_path: str, content: Any, message: str) -> WriteOutcome:
        """Store one JSON document; the same content twice is a no-op, other content a conflict.

        Parameters
        ----------
        relative_path : str
            Where the file goes inside the store.
        content : Any
            JSON-serializable content, written indented by 4 spaces.
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
        data = (json.dumps(content, indent=4, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")

        def same(existing: bytes) -> bool:
            try:
                return json.loads(existing) == content
            except ValueError:
                return False

        return self.write_files({relative_path: data}, message, same_content=same, replace=False)

    def write_files(
        self,
        files: dict[str, bytes],
        message: str,
        *,
        same_content: Callable[[bytes], bool] | None = None,
        replace: bool = True,
        remove_others_under: str | None = None,
    ) -> WriteOutcome:
        """Write several files in one commit (shared with other writers queued meanwhile), then push.

        Parameters
        ----------
        files : dict of str to bytes
            Store-relative paths and their bytes.
        message : str
            The commit message.
        same_content : callable, optional
            ``same_content(existing_bytes) -> bool`` decides whether an existing file already holds
            the new content (default: byte equality).
        replace : bool
            When False, an existing file with other content raises :class:`Conflict`.
        remove_others_under : str, optional
            A store folder whose files not named in ``files`` are removed (for rebuilt tables).

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
        request = WriteRequest(files, message, same_content, replace, remove_others_under)
        committed = self.workers.committer.submit(request)
        state = self.workers.pusher.wait_pushed(committed.generation, self.push_wait)
        done = (
            f"committed {committed.commit[:12]}"
            if committed.status == "stored" and committed.commit
            else "already stored with the same content; nothing committed"
        )
        return WriteOutcome(committed.status, first, committed.commit, state.pushed, _push_message(done, state))

    def sync(self) -> PushState:
        """Pull the remote, then push anything pending (waiting at most the push wait).

        Returns
        -------
        PushState
            Whether the remote now holds everything.
        """
        self.ensure_ready()
        if self.debug:
            return PushState(False, "debug mode: nothing is pushed")
        reason = self.fetch()
        if reason is None:
            with file_lock(self.lock_path):
                self.rebase_onto_remote(self.repo())
        generation = self.workers.committer.generation
        return self.workers.pusher.wait_pushed(generation, self.push_wait)

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


def _push_message(done: str, state: PushState) -> str:
    return f"{done}; pushed" if state.pushed else f"{done}; push pending: {state.reason}"


def _atomic_write(target: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, so a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
