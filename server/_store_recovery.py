"""A store's clone: made (once) from its remote, and recovered from what a crashed process left in it."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import git

from server._git_support import COMMITTER_EMAIL, COMMITTER_NAME, PROCESS_START, StoreError, remove_tree, short_reason

if TYPE_CHECKING:
    from server._stores import GitStore

_LOG = logging.getLogger("server.stores")

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


def prepare_clone(store: GitStore) -> str:
    """Make the store's clone if it is missing, recover it from a crash, configure it; the caller holds the lock.

    Also creates the default bare remote, when the store follows it and it does not exist yet.

    Parameters
    ----------
    store : GitStore
        The store.

    Returns
    -------
    str
        The branch the clone follows (the remote's default branch).

    Raises
    ------
    StoreError
        When the remote cannot be cloned within the store's network timeout.
    """
    if store.remote_url == str(store.default_remote) and not (store.default_remote / "HEAD").exists():
        store.default_remote.parent.mkdir(parents=True, exist_ok=True)
        git.Repo.init(store.default_remote, bare=True, initial_branch="main")
    if not (store.clone_dir / ".git").exists():
        store.clone_dir.parent.mkdir(parents=True, exist_ok=True)
        # Clone into a temporary sibling and rename, so a crash never leaves a half clone behind.
        partial = Path(tempfile.mkdtemp(prefix=f".{store.name}-clone-", dir=store.clone_dir.parent))
        try:
            git.Git(store.clone_dir.parent).clone(
                "--quiet", "--", store.remote_url, str(partial), env=store.env, kill_after_timeout=store.git_timeout
            )
        except git.GitCommandError as error:
            with contextlib.suppress(OSError):
                remove_tree(partial)
            raise StoreError(
                f"cannot clone the {store.name} store's remote within {store.git_timeout:g} s: {short_reason(error)}"
            ) from None
        os.replace(partial, store.clone_dir)
    # Before anything else touches the clone: a crashed process may have left it mid-way.
    recover_leftovers(store, older_than=PROCESS_START)
    repo = store.repo()
    # The configured URL wins over the one the clone was made with (e.g. a rotated token).
    repo.git.remote("set-url", "origin", store.remote_url)
    with repo.config_writer() as config:
        config.set_value("user", "name", COMMITTER_NAME)
        config.set_value("user", "email", COMMITTER_EMAIL)
        config.set_value("pull", "rebase", "true")
        config.set_value("gc", "auto", "0")  # no surprise repacking inside a request
    # The clone follows the remote's default branch; git sets it even for an empty remote
    # (its unborn HEAD), and a default bare remote made here starts on "main".
    return repo.git.symbolic_ref("--short", "HEAD").strip()


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
