"""Uploads are answered once committed; the tables catch up in the background, and say so meanwhile."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import flask
from server_test_support import git, result_content, upload, wait_for_database

from server import create_app
from server._git_support import file_lock


def test_an_upload_is_accepted_before_the_tables_hold_it(app: flask.Flask, client: flask.testing.FlaskClient) -> None:
    service = app.extensions["nwb_benchmarks"]
    wait_for_database(client)
    name, content = result_content(1)
    # Holding the ingest lock keeps the background update from running: the upload must not wait for it.
    with file_lock(service.ingestor.lock_path):
        reply = upload(client, name, content, wait=False)
        assert reply.status_code == 201
        assert reply.json["database"] == "pending"
        assert reply.json["run"] == name.removesuffix(".json")
        assert reply.json["commit"] == git("rev-parse", "HEAD", cwd=service.results.clone_dir).strip()
        status = client.get("/data/database-status").json
        assert status["state"] == "pending" and status["pending_files"] == 1 and status["updating"]
        assert status["results_commit"] == reply.json["commit"] != status["tables_results_commit"]
        # Reads answer from the last published tables, and the pages say that they lag.
        assert client.get("/data/runs").json == []
        assert "The database is catching up: 1 uploaded file not shown yet" in client.get("/").get_data(True)
    caught_up = wait_for_database(client)
    assert caught_up["state"] == "current" and caught_up["tables_results_commit"] == reply.json["commit"]
    assert [row["run"] for row in client.get("/data/runs").json] == [reply.json["run"]]
    assert "catching up" not in client.get("/").get_data(True)
    # The same file again changes nothing, in the store or in the tables.
    again = upload(client, name, content, wait=False)
    assert again.status_code == 200 and again.json["database"] == "unchanged"


def test_a_burst_shares_its_database_updates(app: flask.Flask) -> None:
    service = app.extensions["nwb_benchmarks"]
    assert service.updater.wait_idle(60)
    rounds = service.updater.rounds

    def one(index: int) -> int:
        return upload(app.test_client(), *result_content(index), wait=False).status_code

    with file_lock(service.ingestor.lock_path), ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(30)))
    assert statuses == [201] * 30
    status = wait_for_database(app.test_client())
    # The round blocked meanwhile reads every committed file, and at most one more round follows it.
    assert service.updater.rounds - rounds <= 2
    assert status["pending_files"] == 0
    runs = app.test_client().get("/data/runs").json
    assert sorted(row["run"] for row in runs) == sorted(result_content(i)[0].removesuffix(".json") for i in range(30))


def test_a_restart_ingests_files_committed_but_not_ingested(server_home: Path) -> None:
    first = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(server_home)})
    service = first.extensions["nwb_benchmarks"]
    assert service.updater.wait_idle(60)
    service.updater.stop()  # as if the process ended after committing, before the tables caught up
    client = first.test_client()
    names = []
    for index in range(3):
        name, content = result_content(index)
        assert upload(client, name, content, wait=False).status_code == 201
        names.append(name.removesuffix(".json"))
    status = client.get("/data/database-status").json
    assert status["pending_files"] == 3 and status["state"] == "pending"
    assert client.get("/data/runs").json == []
    service.close()

    restarted = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(server_home)}).test_client()
    assert wait_for_database(restarted)["tables_results_commit"] == status["results_commit"]
    assert sorted(row["run"] for row in restarted.get("/data/runs").json) == sorted(names)
