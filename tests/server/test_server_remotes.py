"""Remotes that hang, and clones that a crash left half-way: bounded waits and automatic recovery."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_test_support import fsck_problems, git, remote_files, result_content, upload

from server import create_app
from server._stores import GitStore, StoreError


@pytest.fixture
def hanging_remote() -> Iterator[str]:
    """An http remote on 127.0.0.1 that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)  # kept open, never read from, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/repo.git"
    stop.set()
    thread.join(5)
    for connection in held:
        connection.close()
    listener.close()


def test_first_clone_from_a_hanging_remote_is_bounded(tmp_path, hanging_remote):
    started = time.monotonic()
    with pytest.raises(StoreError, match="cannot clone"):
        create_app(
            {
                "NWB_BENCHMARKS_SERVER_HOME": str(tmp_path / "home"),
                "NWB_BENCHMARKS_RESULTS_REMOTE": hanging_remote,
                "NWB_BENCHMARKS_GIT_TIMEOUT": "2",
            }
        )
    assert time.monotonic() - started < 20
    assert not (tmp_path / "home" / "clones" / "results").exists()


def test_uploads_to_a_hanging_remote_answer_push_pending_and_are_pushed_later(tmp_path, hanging_remote):
    home = tmp_path / "home"
    first = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(home)})
    assert upload(first.test_client(), *result_content(0)).status_code == 201
    first.extensions["nwb_benchmarks"].close()
    bare = home / "remotes" / "results.git"
    # The same home, now following a remote that hangs.
    app = create_app(
        {
            "NWB_BENCHMARKS_SERVER_HOME": str(home),
            "NWB_BENCHMARKS_RESULTS_REMOTE": hanging_remote,
            "NWB_BENCHMARKS_GIT_TIMEOUT": "3",
            "NWB_BENCHMARKS_PUSH_WAIT": "2",
        }
    )
    client = app.test_client()
    for index in range(1, 4):
        started = time.monotonic()
        response = upload(client, *result_content(index))
        elapsed = time.monotonic() - started
        assert response.status_code == 201, response.json
        assert response.json["pushed"] is False and "push pending" in response.json["message"]
        assert elapsed < 8, elapsed
        # Readers never wait on the push that is hanging meanwhile.
        started = time.monotonic()
        assert len(client.get("/data/runs").json) == index + 1
        assert time.monotonic() - started < 2
    # The remote comes back (here: the clone's origin points at the bare repository again).
    git("remote", "set-url", "origin", str(bare), cwd=home / "clones" / "results")
    deadline = time.monotonic() + 90
    expected = sorted(f"results/{result_content(index)[0]}" for index in range(4))
    while time.monotonic() < deadline and remote_files(bare) != expected:
        time.sleep(0.5)
    assert remote_files(bare) == expected  # pushed by the background retry, without any new request
    assert fsck_problems(bare) == ""
    app.extensions["nwb_benchmarks"].close()


def _age(path: Path, seconds: float = 3600) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_leftovers_of_a_crash_are_cleared_at_start(tmp_path):
    home = tmp_path / "home"
    store = GitStore("results", home, None)
    for index in range(3):
        name, content = result_content(index)
        assert store.write_json(f"results/{name}", content, f"Add {name}").pushed
    store.close()
    clone = home / "clones" / "results"
    dot_git = clone / ".git"
    # A rebase stopped half-way (a real one: an --exec step that fails), and the locks of a crashed commit.
    with pytest.raises(subprocess.CalledProcessError):
        git("-c", "user.name=t", "-c", "user.email=t@t", "rebase", "--exec", "false", "HEAD~2", cwd=clone)
    assert (dot_git / "rebase-merge").is_dir()
    for leftover in ("index.lock", "refs/heads/main.lock", "HEAD.lock"):
        (dot_git / leftover).write_text("")
        _age(dot_git / leftover)
    (dot_git / "refs" / "remotes" / "origin" / "main.lock").write_text("")
    _age(dot_git / "refs" / "remotes" / "origin" / "main.lock")
    _age(dot_git / "rebase-merge")
    (clone / "results" / "half-written.json").write_text("{")

    again = GitStore("results", home, None)
    name, content = result_content(3)
    outcome = again.write_json(f"results/{name}", content, f"Add {name}")
    assert outcome.status == "stored" and outcome.pushed
    for leftover in ("index.lock", "refs/heads/main.lock", "HEAD.lock", "refs/remotes/origin/main.lock"):
        assert not (dot_git / leftover).exists(), leftover
    assert not (dot_git / "rebase-merge").exists()
    assert git("status", "--porcelain", cwd=clone) == ""
    assert len(remote_files(home / "remotes" / "results.git")) == 4
    assert fsck_problems(dot_git) == ""
    again.close()


def test_a_lock_younger_than_the_process_is_left_alone(tmp_path):
    home = tmp_path / "home"
    GitStore("results", home, None).ensure_ready()
    lock = home / "clones" / "results" / ".git" / "index.lock"
    lock.write_text("")  # as if another live process were committing right now
    GitStore("results", home, None).ensure_ready()
    assert lock.exists()
