"""Git-backed file stores: a clone on disk that follows a remote, written under a cross-process lock.

Every write goes: lock, fetch and rebase onto the remote, write, add, commit, push, unlock. The
lock is an ``fcntl.flock`` on a file in the server's home, so it holds between threads of one
process and between worker processes that share the home. When the remote moved between the
fetch and the push, the push is refused; the store fetches, rebases and tries again. When the
remote cannot be reached, the commit stays in the clone and goes out with the next request that
reaches the remote; the caller is told that the push is pending.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import git

# How often a refused push is retried (fetch, rebase, push) before the commit is left pending.
_PUSH_ATTEMPTS = 5
# A remote that hangs (a dropped connection) must not hold the store's lock for long: give up, push later.
_NETWORK_TIMEOUT = 60.0
_COMMITTER_NAME = "nwb-benchmarks-server"
_COMMITTER_EMAIL = "nwb-benchmarks-server@localhost"
# Git must never ask a question on a terminal (a server has none) nor wait on a credential helper.
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true"}

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
    with thread_lock:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


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
    """

    def __init__(self, name: str, home: Path, remote_url: str | None, debug: bool = False) -> None:
        self.name = name
        self.home = Path(home)
        self.default_remote = self.home / "remotes" / f"{name}.git"
        self.remote_url = remote_url or str(self.default_remote)
        self.clone_dir = self.home / "clones" / name
        self.lock_path = self.home / "locks" / f"{name}.lock"
        self.debug = debug
        self.branch = "main"
        self._ready = False

    # ------------------------------------------------------------------ setup

    def ensure_ready(self) -> None:
        """Create the default bare remote and the working clone if they do not exist yet."""
        if self._ready:
            return
        with file_lock(self.lock_path):
            self._ensure_ready_locked()
        self._ready = True

    def _ensure_ready_locked(self) -> None:
        if self.remote_url == str(self.default_remote) and not (self.default_remote / "HEAD").exists():
            self.default_remote.parent.mkdir(parents=True, exist_ok=True)
            git.Repo.init(self.default_remote, bare=True, initial_branch="main")
        if not (self.clone_dir / ".git").exists():
            self.clone_dir.parent.mkdir(parents=True, exist_ok=True)
            # Clone into a temporary sibling and rename, so a crash never leaves a half clone behind.
            partial = Path(tempfile.mkdtemp(prefix=f".{self.name}-clone-", dir=self.clone_dir.parent))
            try:
                git.Repo.clone_from(self.remote_url, partial, env=_GIT_ENV)
            except git.GitCommandError as error:
                with contextlib.suppress(OSError):
                    _remove_tree(partial)
                raise StoreError(f"cannot clone the {self.name} store's remote: {_short_reason(error)}") from None
            os.replace(partial, self.clone_dir)
        repo = self._repo()
        # The configured URL wins over the one the clone was made with (e.g. a rotated token).
        repo.git.remote("set-url", "origin", self.remote_url)
        with repo.config_writer() as config:
            config.set_value("user", "name", _COMMITTER_NAME)
            config.set_value("user", "email", _COMMITTER_EMAIL)
            config.set_value("pull", "rebase", "true")
        # The clone follows the remote's default branch; git sets it even for an empty remote
        # (its unborn HEAD), and a default bare remote made here starts on "main".
        self.branch = repo.git.symbolic_ref("--short", "HEAD").strip()

    def _repo(self) -> git.Repo:
        # A fresh Repo per operation: GitPython's cached helper processes are not shared between threads.
        return git.Repo(self.clone_dir)

    # ------------------------------------------------------------------ reading

    @contextlib.contextmanager
    def locked(self) -> Iterator[Path]:
        """Hold the store's lock and yield the clone's folder, for a consistent read of many files.

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
        repo = self._repo()
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

    # ------------------------------------------------------------------ syncing

    def _fetch(self, repo: git.Repo) -> str | None:
        """Fetch the remote; return None on success or the reason it failed."""
        try:
            repo.git.fetch("--quiet", "origin", env=_GIT_ENV, kill_after_timeout=_NETWORK_TIMEOUT)
        except git.GitCommandError as error:
            return _short_reason(error)
        return None

    def _remote_branch_exists(self, repo: git.Repo) -> bool:
        try:
            repo.git.rev_parse("--verify", "--quiet", f"refs/remotes/origin/{self.branch}")
        except git.GitCommandError:
            return False
        return True

    def _rebase_onto_remote(self, repo: git.Repo) -> None:
        """Put the local commits on top of the fetched remote branch."""
        if not self._remote_branch_exists(repo):
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

    def _unpushed(self, repo: git.Repo) -> int:
        if not repo.head.is_valid():
            return 0
        if not self._remote_branch_exists(repo):
            return int(repo.git.rev_list("--count", "HEAD"))
        return int(repo.git.rev_list("--count", f"refs/remotes/origin/{self.branch}..HEAD"))

    def _discard_unfinished_write(self, repo: git.Repo) -> None:
        """Drop uncommitted changes a crashed request may have left: they were never acknowledged."""
        if repo.git.status("--porcelain"):
            if repo.head.is_valid():
                repo.git.reset("--hard", "--quiet")
            repo.git.clean("-fdq")

    def _sync(self, repo: git.Repo) -> str | None:
        """Pull (fetch + rebase) before a write; return why the remote was unreachable, if it was."""
        reason = self._fetch(repo)
        if reason is None:
            self._rebase_onto_remote(repo)
        return reason

    def _push(self, repo: git.Repo, fetch_failure: str | None) -> PushState:
        """Push every local commit, rebasing and retrying when the remote moved meanwhile."""
        if fetch_failure is not None:
            return PushState(False, fetch_failure)
        last_reason = "nothing to push"
        for _ in range(_PUSH_ATTEMPTS):
            if self._unpushed(repo) == 0:
                return PushState(True, "")
            try:
                repo.git.push(
                    "--quiet",
                    "origin",
                    f"HEAD:refs/heads/{self.branch}",
                    env=_GIT_ENV,
                    kill_after_timeout=_NETWORK_TIMEOUT,
                )
                # Keep the remote-tracking branch in step without another network round trip.
                repo.git.update_ref(f"refs/remotes/origin/{self.branch}", "HEAD")
                return PushState(True, "")
            except git.GitCommandError as error:
                last_reason = _short_reason(error)
            # Refused: either the remote moved (fetch works: rebase and retry) or it is unreachable.
            fetch_failure = self._fetch(repo)
            if fetch_failure is not None:
                return PushState(False, fetch_failure)
            self._rebase_onto_remote(repo)
        return PushState(False, f"push refused {_PUSH_ATTEMPTS} times: {last_reason}")

    def sync(self) -> PushState:
        """Pull, then push any commit left pending by an earlier request.

        Returns
        -------
        PushState
            Whether the remote now holds everything.
        """
        self.ensure_ready()
        if self.debug:
            return PushState(False, "debug mode: nothing is pushed")
        with file_lock(self.lock_path):
            repo = self._repo()
            reason = self._sync(repo)
            return self._push(repo, reason)

    # ------------------------------------------------------------------ writing

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
        files: dict[str, bytes | Path],
        message: str,
        *,
        same_content: Callable[[bytes], bool] | None = None,
        replace: bool = True,
        remove_others_under: str | None = None,
        remove_paths: Iterable[str] = (),
    ) -> WriteOutcome:
        """Write several files in one commit, then push.

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

        Returns
        -------
        WriteOutcome
            What happened; ``path`` is the first of ``files``.
        """
        self.ensure_ready()
        targets = {path: self.resolve(path) for path in files}
        first = next(iter(files))
        if self.debug:
            return WriteOutcome("validated", first, None, False, "debug mode: validated; nothing committed or pushed")
        with file_lock(self.lock_path):
            repo = self._repo()
            self._discard_unfinished_write(repo)
            fetch_failure = self._sync(repo)
            changed: list[str] = []
            for path, data in files.items():
                target = targets[path]
                if target.exists():
                    existing = target.read_bytes()
                    if isinstance(data, Path):
                        data = data.read_bytes() if data.stat().st_size == len(existing) else b""
                    if same_content(existing) if same_content is not None else existing == data:
                        continue
                    if not replace:
                        raise Conflict(f"{path} is already stored with different content")
                changed.append(path)
            removed: list[str] = []
            if remove_others_under is not None:
                folder = self.resolve(remove_others_under)
                if folder.is_dir():
                    keep = {targets[path] for path in files}
                    removed = [
                        str(PurePosixPath(remove_others_under) / item.name)
                        for item in sorted(folder.iterdir())
                        if item.is_file() and item not in keep
                    ]
            for path in remove_paths:
                if path not in files and self.resolve(path).is_file() and path not in removed:
                    removed.append(path)
            if not changed and not removed:
                state = self._push(repo, fetch_failure)
                return WriteOutcome(
                    "unchanged",
                    first,
                    repo.head.commit.hexsha if repo.head.is_valid() else None,
                    state.pushed,
                    _push_message("already stored with the same content; nothing committed", state),
                )
            for path in changed:
                _atomic_write(targets[path], files[path])
            if changed:
                repo.git.add("--", *changed)
            if removed:
                repo.git.rm("--quiet", "--", *removed)
            repo.git.commit("--quiet", "-m", message, env=_GIT_ENV)
            commit = repo.head.commit.hexsha
            state = self._push(repo, fetch_failure)
            return WriteOutcome("stored", first, commit, state.pushed, _push_message(f"committed {commit[:12]}", state))

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
        with file_lock(self.lock_path):
            repo = self._repo()
            reason = self._fetch(repo)
            if reason is not None:
                return reason
            with contextlib.suppress(git.GitCommandError):
                repo.git.rebase("--abort")
            if self._remote_branch_exists(repo):
                repo.git.reset("--hard", "--quiet", f"refs/remotes/origin/{self.branch}")
            repo.git.clean("-fdq")
            return None

    def remote_files(self) -> list[str]:
        """List the files on the remote's branch (fetches first); for checks and administration."""
        self.ensure_ready()
        with file_lock(self.lock_path):
            repo = self._repo()
            reason = self._fetch(repo)
            if reason is not None:
                raise StoreError(f"cannot reach the {self.name} store's remote: {reason}")
            if not self._remote_branch_exists(repo):
                return []
            output = repo.git.ls_tree("-r", "--name-only", f"refs/remotes/origin/{self.branch}")
            return [line for line in output.splitlines() if line]


def _push_message(done: str, state: PushState) -> str:
    return f"{done}; pushed" if state.pushed else f"{done}; push pending: {state.reason}"


def _atomic_write(target: Path, data: bytes | Path) -> None:
    """Write via a temporary file in the same folder, so a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
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


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
