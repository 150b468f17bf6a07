"""The API through Flask's test client, on real git stores (bare repositories in tmp_path)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import flask
import pandas as pd
import pytest
from server_test_support import (
    git,
    load_json,
    reference_files,
    remote_commit_count,
    remote_files,
    result_content,
    upload,
)

from server import create_app


def bare(home: Path, name: str = "results") -> Path:
    return home / "remotes" / f"{name}.git"


def test_every_reference_file_uploads_as_it_is(client, server_home):
    files = reference_files()
    for path in files:
        response = upload(client, path.name, load_json(path))
        assert response.status_code == 201, (path.name, response.json)
        assert response.json["status"] == "stored"
        assert response.json["pushed"] is True
        assert response.json["filename"] == path.name
        assert len(response.json["commit"]) == 40
    stored = remote_files(bare(server_home))
    assert sorted(Path(item).name for item in stored) == sorted(path.name for path in files)
    # Stored where its kind belongs, with the same content.
    for item in stored:
        folder, name = item.split("/")
        assert folder == {"info_machine": "machines", "info_environment": "environments"}.get(
            name.split("-")[0], "results"
        )
        text = git("--git-dir", str(bare(server_home)), "show", f"main:{item}")
        assert json.loads(text) == load_json(Path(reference_files()[0]).parent / name)
    assert remote_commit_count(bare(server_home)) == len(files)
    log = git("--git-dir", str(bare(server_home)), "log", "--format=%s", "main")
    assert f"Add {files[0].name}" in log


def test_same_content_again_is_unchanged_and_commits_nothing(client, server_home):
    name, content = result_content(1)
    first = upload(client, name, content)
    assert first.status_code == 201
    commits = remote_commit_count(bare(server_home))
    again = upload(client, name, content)
    assert again.status_code == 200
    assert again.json["status"] == "unchanged"
    assert again.json["commit"] == first.json["commit"]
    assert remote_commit_count(bare(server_home)) == commits


def test_same_name_with_other_content_is_a_conflict(client, server_home):
    name, content = result_content(2)
    assert upload(client, name, content).status_code == 201
    changed = json.loads(json.dumps(content))
    changed["results"]["time_read.ReadBenchmark.time_read"]["('local',)"][0] = 99.0
    response = upload(client, name, changed)
    assert response.status_code == 409
    assert set(response.json) == {"error", "detail"}
    stored = git("--git-dir", str(bare(server_home)), "show", f"main:results/{name}")
    assert json.loads(stored) == content


BAD_NAMES = [
    "../escape.json",
    "..%2Fescape.json",
    "results/../../escape.json",
    "/etc/passwd.json",
    "machines/info_machine-abc.json",
    "info_machine-abc.txt",
    "info_machine-abc.json.exe",
    ".hidden.json",
    "info_machine-..json",
    "result_timestamp-2024-13-45-00-00-00_machine-a_environment-b.json",
    "random.json",
    "",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_file_names_are_refused_and_nothing_is_written(client, server_home, tmp_path, name):
    before = sorted(p for p in tmp_path.rglob("*") if ".git" not in p.parts)
    _, content = result_content(3)
    response = client.post("/data/contribute", query_string={"filename": name}, json={"json_content": content})
    assert response.status_code == 400
    assert response.json["error"] in {"invalid filename", "missing filename"}
    # The message lists the accepted names.
    assert "info_machine-<id>.json" in json.dumps(response.json["detail"])
    assert remote_commit_count(bare(server_home)) == 0
    after = sorted(p for p in tmp_path.rglob("*") if ".git" not in p.parts)
    assert after == before
    assert not (tmp_path.parent / "escape.json").exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "malformed JSON"),
        (b'{"json_content": NaN}', "value out of range"),
        (b"\xff\xfe", "malformed JSON"),
        (b"[1, 2]", "malformed body"),
        (b'{"content": {}}', "malformed body"),
    ],
)
def test_malformed_bodies_are_refused(client, server_home, body, error):
    name, _ = result_content(4)
    response = client.post(f"/data/contribute?filename={name}", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == error
    assert remote_commit_count(bare(server_home)) == 0


def test_schema_errors_name_the_first_problem(client, server_home):
    name, content = result_content(5)
    del content["results"]
    response = upload(client, name, content)
    assert response.status_code == 400
    assert response.json["detail"]["path"] == "$"
    assert "'results' is a required property" in response.json["detail"]["message"]

    name, content = result_content(6)
    content["results"]["time_read.ReadBenchmark.time_read"]["('local',)"] = ["fast"]
    response = upload(client, name, content)
    assert response.status_code == 400
    assert response.json["detail"]["path"] == "$.results['time_read.ReadBenchmark.time_read']['(\\'local\\',)']"

    response = upload(client, "info_environment-abc.json", {"3.11": [{"name": ["numpy"]}]})
    assert response.status_code == 400
    assert response.json["detail"]["path"] == "$['3.11'][0].name"
    assert "is not of type 'string'" in response.json["detail"]["message"]

    response = upload(client, "info_machine-abc.json", ["not", "an", "object"])
    assert response.status_code == 400
    assert response.json["error"] == "machine file does not match its schema"
    assert remote_commit_count(bare(server_home)) == 0


def test_result_name_must_agree_with_content(client, server_home):
    name, content = result_content(7)
    content["machine_hash"] = "c" * 40
    response = upload(client, name, content)
    assert response.status_code == 400
    assert response.json["detail"]["path"] == "$.machine_hash"
    assert remote_commit_count(bare(server_home)) == 0


def test_oversized_bodies_get_413(server_home):
    app = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(server_home), "NWB_BENCHMARKS_MAX_UPLOAD_BYTES": "2048"})
    client = app.test_client()
    name, content = result_content(8)
    content["results"]["time_read.ReadBenchmark.time_read"]["('local',)"] = [0.5] * 1000
    response = upload(client, name, content)
    assert response.status_code == 413
    assert response.json["error"] == "request body too large"
    assert "2048" in response.json["detail"]
    assert remote_commit_count(bare(server_home)) == 0
    small_name, small = result_content(9)
    assert upload(client, small_name, small).status_code == 201


def test_upload_token(server_home):
    app = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(server_home), "NWB_BENCHMARKS_UPLOAD_TOKEN": "s3cret"})
    client = app.test_client()
    name, content = result_content(10)
    missing = upload(client, name, content)
    assert missing.status_code == 401
    assert missing.json["error"] == "missing upload token"
    wrong = upload(client, name, content, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json["error"] == "wrong upload token"
    basic = upload(client, name, content, headers={"Authorization": "Basic s3cret"})
    assert basic.status_code == 401
    assert client.post("/data/update-database", json={}).status_code == 401
    assert remote_commit_count(bare(server_home)) == 0
    assert remote_commit_count(bare(server_home, "database")) == 0
    right = upload(client, name, content, headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 201
    # Reads stay open.
    assert client.get("/data/runs").status_code == 200
    assert client.get("/").status_code == 200


def test_debug_mode_commits_and_pushes_nothing(server_home):
    app = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(server_home), "NWB_BENCHMARKS_DEBUG": "1"})
    client = app.test_client()
    name, content = result_content(11)
    response = upload(client, name, content)
    assert response.status_code == 201
    assert response.json["debug"] is True
    assert response.json["status"] == "validated"
    assert response.json["commit"] is None
    assert response.json["pushed"] is False
    assert "debug mode" in response.json["message"]
    assert upload(client, name, {"version": 2}).status_code == 400  # still validated
    assert client.post("/data/update-database", json={}).status_code == 200
    assert remote_commit_count(bare(server_home)) == 0
    assert remote_commit_count(bare(server_home, "database")) == 0
    assert not (server_home / "clones" / "results" / "results").exists()


def read_tables(server_home: Path, tmp_path: Path) -> dict[str, pd.DataFrame]:
    """Read the Parquet tables from a fresh clone of the database remote."""
    checkout = tmp_path / "database-checkout"
    git("clone", "--quiet", str(bare(server_home, "database")), str(checkout))
    tables = {path.stem: pd.read_parquet(path) for path in (checkout / "tables").glob("*.parquet")}
    # Chunked tables are folders of Parquet files, partitioned by period: any Parquet reader takes them whole.
    for name in ("samples", "series", "runs"):
        tables[name] = pd.read_parquet(checkout / "tables" / name).drop(columns="period")
    return tables


def test_update_database_builds_parquet_tables_from_reference_files(client, server_home, tmp_path):
    files = reference_files()
    for path in files:
        assert upload(client, path.name, load_json(path)).status_code == 201
    response = client.post("/data/update-database", json={})
    assert response.status_code == 200, response.json
    # Every upload was ingested as it came: nothing is left to do.
    assert response.json["status"] == "unchanged" and response.json["files_read"] == 0
    assert response.json["pushed"] is True
    assert response.json["problems"] == 0
    counts = response.json["counts"]
    assert counts["runs"] == sum(path.name.startswith("results_") for path in files)
    assert counts["machines"] == 3
    assert counts["environments"] == 5
    tables = read_tables(server_home, tmp_path)
    assert set(tables) == {"samples", "series", "machines", "environments", "runs", "problems"}
    assert tables["problems"].empty
    samples = tables["samples"]
    assert len(samples) == counts["samples"]
    # Dict samples (network tracking) become one row per key.
    tracked = samples[samples["benchmark"].str.contains("track_network_activity")]
    assert not tracked.empty
    assert "amount_downloaded_in_bytes" in set(tracked["variable"])
    assert set(tracked[tracked["variable"] == "amount_downloaded_in_bytes"]["unit"]) == {"bytes"}
    # A list of three timings gives three rows with sample indices 0..2.
    one = load_json(REFERENCE_ROW_FILE())
    benchmark, by_params = next(iter(one["results"].items()))
    params, values = next(iter(by_params.items()))
    rows = samples[(samples["benchmark"] == benchmark) & (samples["params"] == params) & (samples["run"] == RUN_ID())]
    assert list(rows["value"]) == values
    assert list(rows["sample_index"]) == list(range(len(values)))
    assert set(rows["unit"]) == {"s"}
    assert set(rows["commit"]) == {one["commit_hash"]}
    # Host-name machine ids and underscore timestamps are accepted.
    assert "Ackermann" in set(samples["machine"])
    assert samples["timestamp"].notna().all()
    assert set(tables["machines"]["machine"]) == {
        "Ackermann",
        "9d805e6bc6fe1582a6a348d5cfddde3e86882815",
        "e9c0f1370ec8dc3640d91c7d0f381a6d61bd9a46",
    }
    assert "Apple M1 Max" in set(tables["machines"]["cpu"])
    # Updating again commits nothing.
    commits = remote_commit_count(bare(server_home, "database"))
    again = client.post("/data/update-database", json={})
    assert again.json["status"] == "unchanged"
    assert remote_commit_count(bare(server_home, "database")) == commits
    # A rebuild from scratch reads every file and gives the same rows (in other chunks).
    rebuilt = client.post("/data/update-database", query_string={"rebuild": "1"}, json={}).json
    assert rebuilt["rebuilt"] and rebuilt["files_read"] == len(files) and rebuilt["counts"] == counts
    fresh = read_tables(server_home, tmp_path / "again")
    for name in ("samples", "series", "runs"):
        columns = list(tables[name].columns)
        pd.testing.assert_frame_equal(
            fresh[name].sort_values(columns[:11]).reset_index(drop=True),
            tables[name].sort_values(columns[:11]).reset_index(drop=True),
        )


def REFERENCE_ROW_FILE() -> Path:  # noqa: N802 - a constant computed lazily (the folder may be absent)
    return next(path for path in reference_files() if "2024-02-20-01-33-21" in path.name)


def RUN_ID() -> str:  # noqa: N802
    return REFERENCE_ROW_FILE().name.removesuffix(".json")


def test_read_endpoints(client):
    for path in reference_files():
        upload(client, path.name, load_json(path))
    machines = client.get("/data/machines").json
    assert {row["machine"] for row in machines} >= {"Ackermann"}
    assert all(row["name"] for row in machines)
    environments = client.get("/data/environments").json
    assert len(environments) == 5 and all(row["package_count"] > 10 for row in environments)
    runs = client.get("/data/runs").json
    assert len(runs) == 14
    assert runs == sorted(runs, key=lambda row: row["timestamp"])
    benchmarks = client.get("/data/benchmarks").json
    names = {row["benchmark"] for row in benchmarks}
    assert "time_remote_slicing.RemfileContinuousSliceBenchmark.time_slice" in names
    samples = client.get("/data/benchmarks/time_remote_slicing.RemfileContinuousSliceBenchmark.time_slice/samples")
    assert samples.status_code == 200
    assert {row["benchmark"] for row in samples.json} == {
        "time_remote_slicing.RemfileContinuousSliceBenchmark.time_slice"
    }
    only = client.get(
        "/data/benchmarks/time_remote_slicing.RemfileContinuousSliceBenchmark.time_slice/samples",
        query_string={"machine": samples.json[-1]["machine"]},
    ).json
    assert 0 < len(only) < len(samples.json)
    assert {row["machine"] for row in only} == {samples.json[-1]["machine"]}
    missing = client.get("/data/benchmarks/no.such.benchmark/samples")
    assert missing.status_code == 404 and set(missing.json) == {"error", "detail"}
    health = client.get("/health").json
    assert health["status"] == "ok" and len(health["results_commit"]) == 40


def test_openapi_and_offline_swagger_ui(client):
    document = client.get("/openapi.json").json
    assert document["openapi"].startswith("3.")
    for path in ("/data/contribute", "/data/update-database", "/data/machines", "/data/benchmarks/{benchmark}/samples"):
        assert path in document["paths"]
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.data.decode()
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/docs/assets/{asset}" in html
        response = client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200 and len(response.data) > 1000
    assert client.get("/docs/assets/..%2F__init__.py").status_code == 404
    assert client.get("/docs/assets/index.html").status_code == 404


def test_unknown_configuration_key_is_refused(server_home):
    with pytest.raises(ValueError, match="NWB_BENCHMARKS_SERVR_HOME"):
        create_app({"NWB_BENCHMARKS_SERVR_HOME": str(server_home)})
    with pytest.raises(ValueError, match="whole number"):
        create_app({"NWB_BENCHMARKS_SERVER_HOME": str(server_home), "NWB_BENCHMARKS_MAX_UPLOAD_BYTES": "lots"})


def test_configured_remotes_are_used(tmp_path):
    remotes = tmp_path / "elsewhere"
    for name in ("r", "d"):
        subprocess.run(["git", "init", "--quiet", "--bare", str(remotes / f"{name}.git")], check=True)
    home = tmp_path / "home"
    app = create_app(
        {
            "NWB_BENCHMARKS_SERVER_HOME": str(home),
            "NWB_BENCHMARKS_RESULTS_REMOTE": str(remotes / "r.git"),
            "NWB_BENCHMARKS_DATABASE_REMOTE": str(remotes / "d.git"),
        }
    )
    client = app.test_client()
    name, content = result_content(12)
    assert upload(client, name, content).status_code == 201
    assert client.post("/data/update-database", json={}).status_code == 200
    # The remote's default branch (git's own default may be "master") is followed.
    branch = git("--git-dir", str(remotes / "r.git"), "symbolic-ref", "--short", "HEAD").strip()
    assert git("--git-dir", str(remotes / "r.git"), "ls-tree", "-r", "--name-only", branch).split() == [
        f"results/{name}"
    ]
    stored = git("--git-dir", str(remotes / "d.git"), "ls-tree", "-r", "--name-only", branch).split()
    assert "tables/manifest.json" in stored
    assert not (home / "remotes").exists()
    (samples_file,) = [path for path in stored if path.startswith("tables/samples/")]
    frame = pd.read_parquet(
        io.BytesIO(
            subprocess.run(
                ["git", "--git-dir", str(remotes / "d.git"), "show", f"{branch}:{samples_file}"],
                check=True,
                capture_output=True,
            ).stdout
        )
    )
    assert len(frame) == 3 + 2


def test_browser_pages_through_the_test_client(client):
    empty = client.get("/")
    assert empty.status_code == 200 and b"Nothing has been contributed yet" in empty.data
    assert client.get("/compare").status_code == 200
    for index in range(3):
        name, content = result_content(index)
        # Eight samples a side: enough for the rank test to decide (see docs/comparing.rst).
        content["results"]["time_read.ReadBenchmark.time_read"]["('local',)"] = [
            (1.0 + index) * (1 + k / 1000) for k in range(8)
        ]
        upload(client, name, content)
    runs = [row["run"] for row in client.get("/data/runs").json]
    page = client.get("/compare", query_string={"base": runs[0], "head": runs[2]})
    assert page.status_code == 200
    assert page.data.count(b'<tr class="slower">') == 1  # 1 s -> 3 s
    assert page.data.count(b'<tr class="same">') == 1  # the exact byte count 1000 -> 1002: below 10 %
    assert page.data.count(b'<tr class="uncertain">') == 1  # one transfer time a side: too few samples
    assert b"3.000" in page.data
    reverse = client.get("/compare", query_string={"base": runs[2], "head": runs[0]})
    assert reverse.data.count(b'<tr class="faster">') == 1
    assert client.get("/compare", query_string={"base": "nope", "head": runs[0]}).status_code == 404
    assert client.get("/benchmark", query_string={"name": "no.such.benchmark"}).status_code == 404
    plot = client.get("/benchmark/plot.svg", query_string={"name": "time_read.ReadBenchmark.time_read"})
    assert plot.status_code == 200 and plot.mimetype == "image/svg+xml" and b"<svg" in plot.data
    by_commit = client.get(
        "/benchmark/plot.svg", query_string={"name": "time_read.ReadBenchmark.time_read", "x": "commit"}
    )
    assert by_commit.status_code == 200 and b"commit (in order of first run)" in by_commit.data
    assert f"{2:040x}"[:8].encode() in by_commit.data  # commits label the x axis
    tracked = client.get(
        "/benchmark",
        query_string={"name": "network_tracking.Net.track_network_activity", "variable": "amount_downloaded_in_bytes"},
    )
    assert tracked.status_code == 200 and b"amount_downloaded_in_bytes" in tracked.data


def test_every_api_error_is_json(server_home):
    app = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(server_home)})

    def broken() -> None:
        raise RuntimeError("boom")

    app.add_url_rule("/data/broken", "broken", broken)
    client = app.test_client()
    wrong_method = client.get("/data/contribute")
    assert wrong_method.status_code == 405 and set(wrong_method.json) == {"error", "detail"}
    unknown = client.get("/data/nothing-here")
    assert unknown.status_code == 404 and set(unknown.json) == {"error", "detail"}
    crashed = client.get("/data/broken")
    assert crashed.status_code == 500
    assert crashed.json == {"error": "internal server error", "detail": "RuntimeError; see the server's log"}


def test_statistics_dicts_and_declared_units_reach_the_database(
    client: flask.testing.FlaskClient, server_home: Path, tmp_path: Path
) -> None:
    from pytest_nwb_benchmarks.results._result_files import write_result_file

    path = write_result_file(
        tmp_path,
        results={
            "network.X.track_network_activity_during_read": {
                "()": {"method": "library", "requests": 3, "request_latencies_seconds": [0.1, 0.2]}
            },
            "bench.track_widgets": {"()": [7]},
        },
        commit_hash="c" * 40,
        machine_hash="a" * 40,
        environment_hash="b" * 40,
        extra={"benchmarks": {"bench.track_widgets": {"unit": "widgets"}}},
    )
    response = client.post(
        f"/data/contribute?filename={path.name}", json={"json_content": json.loads(path.read_text())}
    )
    assert response.status_code == 201, response.get_json()
    assert client.post("/data/update-database", json={}).status_code == 200
    samples = pd.read_parquet(server_home / "clones" / "database" / "tables" / "samples")
    network = samples[samples.benchmark == "network.X.track_network_activity_during_read"]
    assert sorted(zip(network.variable, network.value)) == [
        ("request_latencies_seconds", 0.1),
        ("request_latencies_seconds", 0.2),
        ("requests", 3.0),
    ]
    assert samples[samples.benchmark == "bench.track_widgets"].unit.tolist() == ["widgets"]
