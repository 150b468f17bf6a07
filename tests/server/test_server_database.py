"""The database at scale and against bad data: incremental ingest, skipped files, bounded plots, odd text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from server_test_support import git, load_json, reference_files, result_content, upload


def push_files(server_home: Path, files: dict[str, Any], tmp_path: Path) -> None:
    """Commit files straight into the results store's remote, as a person or another tool would."""
    checkout = tmp_path / f"direct-{len(list(tmp_path.glob('direct-*')))}"
    git("clone", "--quiet", str(server_home / "remotes" / "results.git"), str(checkout))
    for path, content in files.items():
        target = checkout / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    git("add", "-A", cwd=checkout)
    git("-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "--quiet", "-m", "direct", cwd=checkout)
    git("push", "--quiet", "origin", "HEAD:main", cwd=checkout)
    shutil.rmtree(checkout)


def test_an_upload_reads_only_its_own_file(client, app):
    ingestor = app.extensions["nwb_benchmarks"].ingestor
    for index in range(5):
        name, content = result_content(index)
        assert upload(client, name, content).status_code == 201
        assert ingestor.files_read == index + 1  # each upload read one file: its own
    assert client.post("/data/update-database", json={}).json["files_read"] == 0
    assert len(client.get("/data/runs").json) == 5


def test_the_first_file_is_not_read_again(client, server_home):
    """Spoil the first stored file's object in the server's clone: later uploads never notice."""
    name, content = result_content(0)
    assert upload(client, name, content).status_code == 201
    clone = server_home / "clones" / "results"
    blob = git("rev-parse", f"HEAD:results/{name}", cwd=clone).strip()
    loose = clone / ".git" / "objects" / blob[:2] / blob[2:]  # a loose object: nothing is packed yet
    loose.chmod(0o644)
    loose.write_bytes(b"no longer a zlib stream")  # git still sees it exists, nobody can read it
    for index in (1, 2):
        later, content = result_content(index)
        assert upload(client, later, content).status_code == 201
    assert client.get("/data/problems").json == []
    assert len(client.get("/data/runs").json) == 3
    # A rebuild must read it, and reports it instead of failing.
    rebuilt = client.post("/data/update-database", query_string={"rebuild": "1"}, json={}).json
    assert rebuilt["rebuilt"] and rebuilt["problems"] == 1 and rebuilt["counts"]["runs"] == 2
    (problem,) = client.get("/data/problems").json
    assert problem["file"] == name and "git objects" in problem["problem"]


def test_bad_stored_files_are_skipped_and_reported(client, server_home, tmp_path):
    good_name, good = result_content(1)
    huge_name, huge = result_content(2)
    huge["results"]["time_read.ReadBenchmark.time_read"]["('local',)"] = [int("9" * 400)]
    broken_name = result_content(3)[0]
    push_files(
        server_home,
        {
            f"results/{good_name}": good,
            f"results/{huge_name}": json.dumps(huge),
            f"results/{broken_name}": '{"version": 2, "results": ',
            "results/result_timestamp-2026-01-01-00-00-00_machine-a_environment-b.json": "[1, 2]",
        },
        tmp_path,
    )
    reply = client.post("/data/update-database", json={}).json
    assert reply["problems"] == 3 and reply["counts"]["runs"] == 1
    problems = {row["file"]: row["problem"] for row in client.get("/data/problems").json}
    assert set(problems) == {
        huge_name,
        broken_name,
        "result_timestamp-2026-01-01-00-00-00_machine-a_environment-b.json",
    }
    assert "too large for a 64-bit float" in problems[huge_name]
    assert "not readable as JSON" in problems[broken_name]
    page = client.get("/problems")
    assert page.status_code == 200 and huge_name.encode() in page.data
    index = client.get("/")
    assert index.status_code == 200 and b"3 stored file(s) could not be read" in index.data
    for path in ("/benchmarks", "/machines", "/compare", "/data/benchmarks"):
        assert client.get(path).status_code == 200, path


def test_legacy_reference_files_and_odd_headers_ingest(client, server_home, tmp_path):
    files = {
        f"{'results' if p.name.startswith('results_') else 'machines' if 'machine' in p.name else 'environments'}/{p.name}": load_json(
            p
        )
        for p in reference_files()
    }
    files["environments/environment-0123abcd.json"] = {
        "3.9.1 (conda)": [{}, {"name": "numpy", "version": "1.26"}, {"name": 7}, {"version": "1"}, "pip", None],
        "channels": "conda-forge",
        "odd key": {"nested": []},
    }
    files["machines/machine-oldhost.json"] = {"version": 1, "machine": "oldhost", "ram": {"total": 1}, "os": {"x": 1}}
    push_files(server_home, files, tmp_path)
    reply = client.post("/data/update-database", json={}).json
    assert reply["problems"] == 0, client.get("/data/problems").json
    assert reply["counts"]["runs"] == sum(name.startswith("results/") for name in files)
    environments = {row["environment"]: row for row in client.get("/data/environments").json}
    assert json.loads(environments["0123abcd"]["packages"]) == {"numpy": "1.26", "7": ""}
    assert "oldhost" in {row["machine"] for row in client.get("/data/machines").json}
    for row in client.get("/data/benchmarks").json[:5]:
        assert client.get("/benchmark/plot.svg", query_string={"name": row["benchmark"]}).status_code == 200


def test_plots_of_huge_and_long_series_are_bounded(client, server_home, tmp_path):
    files = {}
    name, content = result_content(0)
    content["results"]["time_read.ReadBenchmark.time_read"]["('local',)"] = [
        0.001 * (k % 997) for k in range(5_000_000)
    ]
    files[f"results/{name}"] = content
    for index in range(1, 450):
        name, content = result_content(index)
        files[f"results/{name}"] = content
    push_files(server_home, files, tmp_path)
    assert client.post("/data/update-database", json={}).json["counts"]["runs"] == 450
    for x in ("time", "commit"):
        plot = client.get("/benchmark/plot.svg", query_string={"name": "time_read.ReadBenchmark.time_read", "x": x})
        assert plot.status_code == 200
        assert len(plot.data) < 1_500_000, len(plot.data)
        assert b"drawn in 400 bins" in plot.data
    page = client.get("/benchmark", query_string={"name": "time_read.ReadBenchmark.time_read"})
    assert page.status_code == 200 and page.data.count(b"<tr>") <= 201 and b"of 450 runs" in page.data
    samples = client.get("/data/benchmarks/time_read.ReadBenchmark.time_read/samples")
    assert len(samples.json) == 10_000 and 'rel="next"' in samples.headers["Link"]
    assert client.get("/data/benchmarks/x/samples", query_string={"limit": 10**9}).status_code == 400


def test_user_text_is_drawn_literally(client):
    odd = r"$\undefinedcmd$"
    machine = "m" * 40
    assert upload(client, f"info_machine-{machine}.json", {"version": 1, "machine": odd}).status_code == 201
    name, content = result_content(1, machine=machine)
    content["results"]["time_read.ReadBenchmark.time_read"] = {odd: [1.0, 2.0], "('x',)": [3.0]}
    content["commit_hash"] = "$\\frac{$"
    content["benchmarks"] = {"time_read.ReadBenchmark.time_read": {"unit": r"$\alpha^$"}}
    assert upload(client, name, content).status_code == 201
    for x in ("time", "commit"):
        plot = client.get(
            "/benchmark/plot.svg", query_string={"name": "time_read.ReadBenchmark.time_read", "params": odd, "x": x}
        )
        assert plot.status_code == 200, plot.data[:300]
        assert odd.encode() in plot.data  # matplotlib names each text in a comment: drawn as it is
    page = client.get("/benchmark", query_string={"name": "time_read.ReadBenchmark.time_read", "params": odd})
    assert page.status_code == 200


@pytest.mark.parametrize("stamp", ["0001-01-01-00-00-00", "2024-13-01-00-00-00", "9999-12-31-23-59-59"])
def test_runs_at_odd_times_do_not_break_pages(client, stamp):
    name, content = result_content(1)
    content["timestamp"] = stamp
    odd_name = name.replace("2026-01-02-03-00-01", stamp if stamp[5:7] != "13" else "2024-12-01-00-00-00")
    # Month 13 is no date: the package's reader could not read such a file back, so the server refuses it.
    assert upload(client, odd_name, content).status_code == (400 if stamp[5:7] == "13" else 201)
    normal, other = result_content(2)
    assert upload(client, normal, other).status_code == 201
    for query in ({}, {"x": "commit"}):
        plot = client.get("/benchmark/plot.svg", query_string={"name": "time_read.ReadBenchmark.time_read", **query})
        assert plot.status_code == 200
    for path in ("/", "/benchmark?name=time_read.ReadBenchmark.time_read", "/compare", "/data/runs"):
        assert client.get(path).status_code == 200, path


def test_tables_are_read_by_pandas_pyarrow_and_duckdb_alike(client, server_home):
    """The queries shown in docs/server.rst work on a clone's tables as they are."""
    import duckdb
    import pyarrow.dataset as ds

    for index in range(3):
        name, content = result_content(index)
        upload(client, name, content)
    tables = server_home / "clones" / "database" / "tables"
    samples = pd.read_parquet(tables / "samples")
    counted = duckdb.sql(f"SELECT count(*) FROM '{tables}/samples/*/*.parquet'").fetchall()[0][0]
    assert counted == len(samples) == 3 * (3 + 2)
    series = ds.dataset(tables / "series", format="parquet", partitioning="hive")
    table = series.to_table(
        columns=["run", "machine", "timestamp", "median", "q1", "q3"],
        filter=(ds.field("benchmark") == "time_read.ReadBenchmark.time_read") & (ds.field("period") >= "2024-01"),
    )
    frame = table.to_pandas().sort_values("timestamp")
    assert list(frame["median"]) == pytest.approx([0.11, 0.11, 0.11])
    assert len(pd.read_parquet(tables / "runs")) == 3


def test_small_chunks_are_merged_and_nothing_is_lost(client, app):
    service = app.extensions["nwb_benchmarks"]
    for index in range(9):
        name, content = result_content(index)
        assert upload(client, name, content).status_code == 201
    manifest = service.queries.manifest()
    assert sorted((chunk.level, chunk.rows["runs"]) for chunk in manifest.chunks) == [(0, 1), (1, 8)]
    assert len(client.get("/data/runs").json) == 9
    samples = client.get("/data/benchmarks/time_read.ReadBenchmark.time_read/samples").json
    assert sorted(row["value"] for row in samples if row["sample_index"] == 0) == pytest.approx(
        [0.1 + index / 1000 for index in range(9)]
    )
