"""Live servers (waitress, in their own processes) under load and under faults, on real bare repositories."""

from __future__ import annotations

import json
import multiprocessing
import os
import select
import stat
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import requests
from server_test_support import (
    fsck_problems,
    git,
    post_file,
    remote_commit_count,
    remote_files,
    result_content,
    upload_many,
    wait_for_database,
)


def bare(home: Path) -> Path:
    return home / "remotes" / "results.git"


def expected_paths(indices: range | list[int]) -> list[str]:
    return sorted(f"results/{result_content(index)[0]}" for index in indices)


def test_100_concurrent_uploads_from_threads_and_processes(live_servers, server_home, tmp_path):
    # A generous push wait: on a loaded machine a push can take longer than the default 5 s, and this
    # test is about losing nothing (every upload pushed when answered), not about time.
    servers = live_servers(processes=3, threads=8, NWB_BENCHMARKS_PUSH_WAIT="60")
    # 40 uploads from threads of this process, 60 from three client processes with threads of their own.
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(3, mp_context=context) as clients:
        futures = [
            clients.submit(upload_many, servers.urls, list(range(40 + 20 * k, 60 + 20 * k)), 6) for k in range(3)
        ]
        outcomes = upload_many(servers.urls, list(range(40)), 8)
        for future in futures:
            outcomes.extend(future.result())
    elapsed = time.perf_counter() - started
    rate = len(outcomes) / elapsed
    print(f"\n100 concurrent uploads to 3 server processes: {elapsed:.2f} s, {rate:.1f} uploads/s")
    (tmp_path / "uploads_per_second.txt").write_text(f"{rate:.2f}\n")

    assert sorted(index for index, _, _ in outcomes) == list(range(100))
    bad = [(index, status, reply) for index, status, reply in outcomes if status != 201 or not reply["pushed"]]
    assert not bad, [reply.get("message") for _, _, reply in bad]
    # Every file on the remote, each exactly once, one commit per upload, and a clean repository.
    files = remote_files(bare(server_home))
    assert len(files) == len(set(files)) == 100
    assert sorted(files) == expected_paths(range(100))
    # Uploads that arrive together share a commit (group commit): at most one commit per upload.
    assert 1 <= remote_commit_count(bare(server_home)) <= 100
    assert git("--git-dir", str(bare(server_home)), "rev-list", "--merges", "main").strip() == ""
    assert fsck_problems(bare(server_home)) == ""
    assert fsck_problems(server_home / "clones" / "results" / ".git") == ""
    # Every server process sees all runs, once its tables have caught up (uploads are answered before that).
    for url in servers.urls:
        wait_for_database(url)
        assert len(requests.get(f"{url}/data/runs", timeout=30).json()) == 100


def test_unreachable_remote_keeps_commits_and_pushes_them_later(live_servers, server_home):
    servers = live_servers(processes=2, threads=4, NWB_BENCHMARKS_PUSH_WAIT="60")
    url = servers.urls[0]
    for index in range(3):
        status, reply = post_file(url, *result_content(index))
        assert status == 201 and reply["pushed"] is True
    away = bare(server_home).with_name("results.git.away")
    bare(server_home).rename(away)  # the remote is gone mid-way
    pending = []
    for index in range(3, 8):
        status, reply = post_file(servers.urls[index % 2], *result_content(index))
        assert status == 201, reply
        assert reply["status"] == "stored"
        assert reply["pushed"] is False
        assert "push pending" in reply["message"]
        pending.append(reply["commit"])
    # An identical upload is still an "unchanged" success, and a clash still a conflict.
    status, reply = post_file(url, *result_content(1))
    assert status == 200 and reply["pushed"] is False
    name, content = result_content(4)
    content["commit_hash"] = "f" * 40
    assert post_file(url, name, content)[0] == 409
    away.rename(bare(server_home))  # back again
    assert remote_files(bare(server_home)) == expected_paths(range(3))
    status, reply = post_file(servers.urls[1], *result_content(8))
    assert status == 201 and reply["pushed"] is True
    assert remote_files(bare(server_home)) == expected_paths(range(9))
    assert remote_commit_count(bare(server_home)) == 9
    log = git("--git-dir", str(bare(server_home)), "log", "--format=%H", "main").split()
    assert set(pending) <= set(log)  # the pending commits went out as they were
    assert fsck_problems(bare(server_home)) == ""


def _install_racing_hook(bare_repo: Path, other_clone: Path, marker: Path) -> None:
    """A pre-receive hook that, once, lets another clone push first and refuses the push at hand."""
    hook = bare_repo / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        f'if [ -e "{marker}" ]; then\n'
        f'  rm "{marker}"\n'
        "  for name in $(env | sed -n 's/^\\(GIT_[A-Z_]*\\)=.*/\\1/p'); do unset \"$name\"; done\n"
        f'  git -C "{other_clone}" push --quiet origin HEAD:main >&2 || exit 2\n'
        '  echo "the remote moved meanwhile" >&2\n'
        "  exit 1\n"
        "fi\n"
        "exit 0\n"
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def test_push_race_with_another_clone_is_rebased(live_servers, server_home, tmp_path):
    servers = live_servers(processes=1, threads=2, NWB_BENCHMARKS_PUSH_WAIT="60")
    url = servers.urls[0]
    assert post_file(url, *result_content(0))[0] == 201
    other = tmp_path / "other-clone"
    git("clone", "--quiet", str(bare(server_home)), str(other))
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "--allow-empty", "-m", "x", cwd=other)
    other_name, other_content = result_content(50)
    (other / "results").mkdir(exist_ok=True)
    (other / "results" / other_name).write_text(str(other_content).replace("'", '"') + "\n")
    git("add", ".", cwd=other)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "from another clone", cwd=other)
    marker = tmp_path / "race-once"
    marker.touch()
    _install_racing_hook(bare(server_home), other, marker)

    status, reply = post_file(url, *result_content(1))
    assert not marker.exists()  # the race did happen
    assert status == 201, reply
    assert reply["pushed"] is True
    files = remote_files(bare(server_home))
    assert f"results/{other_name}" in files
    assert set(expected_paths([0, 1])) <= set(files)
    subjects = git("--git-dir", str(bare(server_home)), "log", "--format=%s", "main").splitlines()
    assert subjects[0] == f"Add {result_content(1)[0]}"  # rebased on top of the other clone's commits
    assert "from another clone" in subjects
    assert git("--git-dir", str(bare(server_home)), "rev-list", "--merges", "main").strip() == ""
    assert fsck_problems(bare(server_home)) == ""


def test_servers_with_separate_clones_race_to_one_remote(live_servers, tmp_path):
    remote = tmp_path / "shared-remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(remote)], check=True)
    urls = []
    for k in range(2):
        servers = live_servers(
            processes=1,
            threads=6,
            NWB_BENCHMARKS_SERVER_HOME=str(tmp_path / f"home-{k}"),
            NWB_BENCHMARKS_RESULTS_REMOTE=str(remote),
        )
        urls.extend(servers.urls)
    outcomes = upload_many(urls, list(range(30)), 12)
    assert all(status == 201 for _, status, _ in outcomes), outcomes
    # A push that lost the race too often is only pending; the next request of that server sends it.
    for url in urls:
        assert requests.post(f"{url}/data/update-database", json={}, timeout=60).status_code == 200
    files = remote_files(remote)
    assert len(files) == len(set(files)) == 30
    assert sorted(files) == expected_paths(range(30))
    assert fsck_problems(remote) == ""


def test_python_dash_m_server_starts(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("NWB_BENCHMARKS_")}
    env["NWB_BENCHMARKS_SERVER_HOME"] = str(tmp_path / "home")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    repo_root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [os.sys.executable, "-m", "server", "--port", str(port)],
        cwd=repo_root,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The first line of the log says where it serves; read it with a deadline, never block forever.
        deadline = time.monotonic() + 60
        seen = ""
        while "Serving on" not in seen and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stderr], [], [], 1.0)
            if ready:
                seen += proc.stderr.readline()
        assert "Serving on" in seen, seen
        assert "results store remote" in seen
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=10).json()["status"] == "ok"
        assert (tmp_path / "home" / "remotes" / "results.git" / "HEAD").exists()
        assert (tmp_path / "home" / "remotes" / "database.git" / "HEAD").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()


def test_bad_inputs_over_http_write_nothing(live_servers, server_home):
    servers = live_servers(
        processes=1, threads=2, NWB_BENCHMARKS_MAX_UPLOAD_BYTES="100000", NWB_BENCHMARKS_UPLOAD_TOKEN="t0ken"
    )
    url = servers.urls[0]
    name, content = result_content(0)
    auth = {"Authorization": "Bearer t0ken"}

    def post(filename: str, body: bytes, headers: dict[str, str]) -> requests.Response:
        return requests.post(
            f"{url}/data/contribute",
            params={"filename": filename},
            data=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=60,
        )

    good = json.dumps({"json_content": content}).encode()
    assert post(name, good, {}).status_code == 401
    assert post(name, good, {"Authorization": "Bearer wrong"}).status_code == 401
    assert post("../../escape.json", good, auth).status_code == 400
    assert post("info_machine-x.yaml", good, auth).status_code == 400
    assert post(name, b'{"json_content": {', auth).status_code == 400
    assert post(name, json.dumps({"json_content": {"version": 2}}).encode(), auth).status_code == 400
    content["results"]["time_read.ReadBenchmark.time_read"]["('local',)"] = [0.123456789] * 20000
    huge = post(name, json.dumps({"json_content": content}).encode(), auth)
    assert huge.status_code == 413 and huge.json()["error"] == "request body too large"
    assert remote_commit_count(bare(server_home)) == 0
    assert not list(server_home.parent.glob("escape.json"))
    assert not (server_home / "clones" / "results" / "results").exists()
    # The server is unharmed and stores the next good upload.
    assert (
        post(*result_content(1)[:1], json.dumps({"json_content": result_content(1)[1]}).encode(), auth).status_code
        == 201
    )
