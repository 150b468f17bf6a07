"""The git store, the database tables and the comparison, in-process, on real repositories."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from server_test_support import REPO_ROOT, fsck_problems, git, remote_files, result_content, upload

from server import create_app
from server._database import unit_of
from server._stores import Conflict, GitStore, redact_url


def test_threads_writing_one_store_lose_nothing(tmp_path):
    store = GitStore("results", tmp_path / "home", None)
    paths = [f"results/{result_content(index)[0]}" for index in range(24)]

    def write(index: int) -> str:
        return store.write_json(paths[index], result_content(index)[1], f"Add {index}").status

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(write, range(24)))
    assert statuses == ["stored"] * 24
    remote = tmp_path / "home" / "remotes" / "results.git"
    assert sorted(remote_files(remote)) == sorted(paths)
    assert fsck_problems(remote) == ""


def test_store_paths_cannot_leave_the_store(tmp_path):
    store = GitStore("results", tmp_path / "home", None)
    store.ensure_ready()
    for bad in ("../x.json", "/etc/x.json", "results/../../x.json", ".git/config", "a//b.json", "./x.json"):
        with pytest.raises(ValueError, match="refusing"):
            store.resolve(bad)
    assert store.resolve("results/x.json") == (store.clone_dir / "results" / "x.json").resolve()


def test_conflict_and_unchanged(tmp_path):
    store = GitStore("results", tmp_path / "home", None)
    assert store.write_json("machines/info_machine-a.json", {"version": 1, "x": 1}, "Add a").status == "stored"
    assert store.write_json("machines/info_machine-a.json", {"x": 1, "version": 1}, "Add a").status == "unchanged"
    with pytest.raises(Conflict):
        store.write_json("machines/info_machine-a.json", {"version": 1, "x": 2}, "Add a")


def test_a_crashed_write_leaves_nothing_behind(tmp_path):
    store = GitStore("results", tmp_path / "home", None)
    store.write_json("machines/info_machine-a.json", {"version": 1}, "Add a")
    # A request that died between writing and committing: a stray file and a modified one.
    (store.clone_dir / "machines" / "info_machine-stray.json").write_text("{}")
    (store.clone_dir / "machines" / "info_machine-a.json").write_text("{broken")
    outcome = store.write_json("machines/info_machine-b.json", {"version": 1}, "Add b")
    assert outcome.status == "stored" and outcome.pushed
    remote = tmp_path / "home" / "remotes" / "results.git"
    assert remote_files(remote) == ["machines/info_machine-a.json", "machines/info_machine-b.json"]
    assert git("status", "--porcelain", cwd=store.clone_dir) == ""


def test_redact_url_hides_credentials():
    assert redact_url("https://ghp_secret@github.com/o/r") == "https://<credentials>@github.com/o/r"
    assert redact_url("https://user:pw@example.org/r.git") == "https://<credentials>@example.org/r.git"
    assert redact_url("/srv/remotes/results.git") == "/srv/remotes/results.git"


def test_units_follow_the_benchmark_prefix():
    assert unit_of("a.B.time_read", None) == "s"
    assert unit_of("a.B.peakmem_read", None) == "bytes"
    assert unit_of("a.B.track_network", "amount_downloaded_in_bytes") == "bytes"
    assert unit_of("a.B.track_network", "amount_downloaded_in_number_of_packets") == "packets"
    assert unit_of("a.B.track_network", "network_total_time_in_seconds") == "s"
    assert unit_of("a.B.track_count", None) == ""


def test_tables(tmp_path):
    service = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(tmp_path / "home")}).extensions["nwb_benchmarks"]
    for index, scale in ((1, 1.0), (2, 0.5)):
        name, content = result_content(index)
        content["results"]["time_read.ReadBenchmark.time_read"]["('local',)"] = [scale, scale * 1.2, None]
        service.contribute(name, content)
    assert service.updater.wait_idle(60)
    assert service.queries.counts() == {"samples": 2 * (2 + 2), "machines": 0, "environments": 0, "runs": 2}
    samples = pd.read_parquet(service.database.clone_dir / "tables" / "samples")
    assert isinstance(samples["timestamp"].dtype, pd.DatetimeTZDtype)


def test_flask_cli_finds_the_app_factory(tmp_path):
    env = {"NWB_BENCHMARKS_SERVER_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "server", "routes"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    for route in ("/data/contribute", "/data/update-database", "/openapi.json", "/compare"):
        assert route in run.stdout
    assert Path(tmp_path / "home" / "remotes" / "results.git" / "HEAD").exists()


def test_a_changed_remote_url_is_followed(tmp_path):
    first = GitStore("results", tmp_path / "home", None)
    first.write_json("machines/info_machine-a.json", {"version": 1}, "Add a")
    moved = tmp_path / "moved.git"
    git("clone", "--quiet", "--bare", str(first.default_remote), str(moved))
    again = GitStore("results", tmp_path / "home", str(moved))
    outcome = again.write_json("machines/info_machine-b.json", {"version": 1}, "Add b")
    assert outcome.pushed
    assert remote_files(moved) == ["machines/info_machine-a.json", "machines/info_machine-b.json"]
    assert remote_files(first.default_remote) == ["machines/info_machine-a.json"]


def test_database_updates_from_two_servers_do_not_block_each_other(tmp_path):
    database = tmp_path / "database.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(database))
    apps = [
        create_app(
            {
                "NWB_BENCHMARKS_SERVER_HOME": str(tmp_path / f"home-{k}"),
                "NWB_BENCHMARKS_DATABASE_REMOTE": str(database),
            }
        ).test_client()
        for k in range(2)
    ]
    # Different results on each side (separate results stores), one database remote.
    name, content = result_content(0)
    assert apps[0].post(f"/data/contribute?filename={name}", json={"json_content": content}).status_code == 201
    # An upload is answered once its file is committed; the tables follow in the background.
    # Updating the database catches up and waits for the push, so the tables are on the remote now.
    assert apps[0].post("/data/update-database", json={}).json["pushed"]
    # The second server ingests its upload while the remote is away: its tables commit stays pending.
    away = database.with_name("database.git.away")
    database.rename(away)
    name, content = result_content(1)
    assert upload(apps[1], name, content).status_code == 201  # answered, then the tables caught up
    pending = apps[1].post("/data/update-database", json={}).json
    assert pending["status"] == "unchanged" and not pending["pushed"]
    away.rename(database)
    # Meanwhile the first server publishes more: the pending commit can no longer be rebased.
    name, content = result_content(2)
    assert apps[0].post(f"/data/contribute?filename={name}", json={"json_content": content}).status_code == 201
    assert apps[0].post("/data/update-database", json={}).json["pushed"]
    second = apps[1].post("/data/update-database", json={})
    assert second.status_code == 200, second.json
    # The second server took the remote's tables, found they reflect results it does not have, and
    # rebuilt its own on top.
    assert second.json["status"] == "stored" and second.json["pushed"] and second.json["rebuilt"]
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", str(database), str(checkout))
    runs = pd.read_parquet(checkout / "tables" / "runs")
    assert list(runs["run"]) == [result_content(1)[0].removesuffix(".json")]
    assert fsck_problems(database) == ""
