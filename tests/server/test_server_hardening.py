"""Hostile and legacy input: every refusal is a 400-class JSON answer that names the place, nothing is stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from server_test_support import (
    REPO_ROOT,
    load_json,
    reference_files,
    remote_commit_count,
    remote_files,
    result_content,
    upload,
)

from pytest_nwb_benchmarks.results._file_names import InvalidFileName, parse_file_name
from pytest_nwb_benchmarks.results._result_files import InvalidResultFile, read_result_file
from server import create_app

# The `conda list` of a Windows machine, as the forerunner's clients read it: three header lines, a
# package installed from a local folder (five words), a line cut short, and blank lines at the end.
CONDA_LIST = """# packages in environment at C:\\Users\\me\\anaconda3\\envs\\nwb_benchmarks:
#
# Name                    Version                   Build  Channel
blas                      1.0                         mkl
h5py                      3.10.0          nompi_py311h7195302_101    conda-forge
nwb-benchmarks            0.1.0                     dev_0    <develop>   C:\\Users\\me\\nwb_benchmarks
truncated-line

"""


def forerunner_environment(text: str) -> dict[str, list[dict[str, str]]]:
    """An environment header as the forerunner's clients wrote it: words of each line paired with four keys."""
    keys = ("name", "version", "build", "channel")
    lines = text.splitlines(keepends=True)[3:]
    entries = [dict(zip(keys, line.rstrip("\n").split(), strict=False)) for line in lines]
    return {sys.version: entries}


def bare(home: Path) -> Path:
    return home / "remotes" / "results.git"


def test_forerunner_environment_with_empty_and_short_entries_is_accepted(client, server_home):
    content = forerunner_environment(CONDA_LIST)
    entries = next(iter(content.values()))
    assert {} in entries and {"name": "truncated-line"} in entries  # what makes the file legacy
    response = upload(client, "info_environment-0123abcd.json", content)
    assert response.status_code == 201, response.json
    assert client.post("/data/update-database", json={}).status_code == 200
    (row,) = client.get("/data/environments").json
    assert row["package_count"] == 4
    assert client.get("/machines").status_code == 200 and client.get("/").status_code == 200


def test_every_reference_file_through_the_api_and_the_readers(client, server_home):
    files = reference_files()
    assert len(files) >= 20
    for path in files:
        response = upload(client, path.name, load_json(path))
        assert response.status_code == 201, (path.name, response.json)
    assert client.post("/data/update-database", json={}).status_code == 200
    assert len(client.get("/data/runs").json) == sum(1 for path in files if path.name.startswith("results_"))
    for path in files:
        if parse_file_name(path.name).kind == "result":
            assert read_result_file(path).results
            command = [sys.executable, "-m", "pytest_nwb_benchmarks", "limit-report", str(path)]
            run = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
            assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
        else:
            # A header is not a result file: a clear refusal that names the file, never a crash.
            with pytest.raises(InvalidResultFile, match=path.name):
                read_result_file(path)


UNSTORABLE = [
    ("4" * 400, "$.results.b['()'][0]"),
    ("1e400", "$.results.b['()'][0]"),
    ("-1e400", "$.results.b['()'][0]"),
    ("1e-400", "$.results.b['()'][0]"),
    (str(2**53 + 1), "$.results.b['()'][0]"),
    ("NaN", "$.results.b['()'][0]"),
    ("-Infinity", "$.results.b['()'][0]"),
]


@pytest.mark.parametrize(("number", "path"), UNSTORABLE)
def test_numbers_that_cannot_be_read_back_are_refused_with_their_path(client, server_home, number, path):
    name, content = result_content(1)
    content["results"] = {"b": {"()": ["SAMPLE"]}}
    body = json.dumps({"json_content": content}).replace('"SAMPLE"', number)
    response = client.post(f"/data/contribute?filename={name}", data=body, content_type="application/json")
    assert response.status_code == 400, response.json
    assert response.json["error"] == "value out of range"
    assert response.json["detail"]["path"] == path.replace("['()']", '["()"]')
    assert remote_commit_count(bare(server_home)) == 0
    assert client.post("/data/update-database", json={}).status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"json_content": {"\\ud800": 1}}', "invalid text"),
        (b'{"json_content": {"version": "\\udfff"}}', "invalid text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"json_content": ' + b"[" * 40 + b"]" * 40 + b"}", "nested too deeply"),
        (b'{"json_content": "\xff\xfe"}', "malformed JSON"),
        (b'{"json_content": 1e400}', "value out of range"),
    ],
)
def test_hostile_bodies_get_a_400(client, server_home, body, error):
    name = result_content(1)[0]
    response = client.post(f"/data/contribute?filename={name}", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == error
    assert remote_commit_count(bare(server_home)) == 0


def test_sample_limits_name_the_limit_and_the_entry(server_home):
    app = create_app(
        {
            "NWB_BENCHMARKS_SERVER_HOME": str(server_home),
            "NWB_BENCHMARKS_MAX_SAMPLES_PER_ENTRY": "50",
            "NWB_BENCHMARKS_MAX_SAMPLES_PER_FILE": "120",
        }
    )
    client = app.test_client()
    name, content = result_content(1)
    content["results"] = {"b": {"(1,)": [0.5] * 51}}
    response = upload(client, name, content)
    assert response.status_code == 400 and response.json["error"] == "too many samples"
    assert response.json["detail"]["path"] == '$.results.b["(1,)"]'
    assert "at most 50" in response.json["detail"]["message"]
    content["results"] = {"b": {f"({k},)": [0.5] * 50 for k in range(3)}}
    response = upload(client, name, content)
    assert response.status_code == 400 and "at most 120 per file" in response.json["detail"]["message"]
    # Named statistics count every value.
    content["results"] = {"b": {"()": {"latencies": [0.1] * 60}}}
    assert upload(client, name, content).status_code == 400
    content["results"] = {"b": {f"({k},)": [0.5] * 40 for k in range(3)}}
    assert upload(client, name, content).status_code == 201
    assert remote_commit_count(bare(server_home)) == 1


ARABIC_INDIC = "٢٠٢٤-٠٢-١٧-٠٠-٥٩-٣٧"
FULLWIDTH = "２０２４-０２-１７-００-５９-３７"


@pytest.mark.parametrize(
    "name",
    [
        f"result_timestamp-{ARABIC_INDIC}_machine-a_environment-b.json",
        f"results_timestamp-{FULLWIDTH}_machine-a_environment-b.json",
        "info_machine-" + "a" * 230 + ".json",
        "info_machine-" + "a" * 250 + ".json",
        "info_environment-" + "b" * 184 + ".json",  # 206 characters
    ],
)
def test_names_with_other_digits_or_too_long_are_refused(client, server_home, name):
    with pytest.raises(InvalidFileName):
        parse_file_name(name)
    response = upload(client, name, {"version": 1, "machine": "x"})
    assert response.status_code == 400 and response.json["error"] == "invalid filename"
    assert remote_commit_count(bare(server_home)) == 0


def test_the_longest_accepted_name_is_stored(client, server_home):
    name = "info_machine-" + "a" * (200 - len("info_machine-.json")) + ".json"
    assert upload(client, name, {"version": 1, "machine": "x"}).status_code == 201
    assert remote_files(bare(server_home)) == [f"machines/{name}"]


def test_state_changes_need_a_json_body_and_no_foreign_origin(client, server_home):
    name, content = result_content(1)
    body = json.dumps({"json_content": content})
    url = f"/data/contribute?filename={name}"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = client.post(url, data=body, content_type=content_type)
        assert response.status_code == 415 and "application/json" in response.json["detail"]
    assert client.post(url, data=body).status_code == 415  # no content type at all
    assert client.post("/data/update-database", data="", content_type="text/plain").status_code == 415
    foreign = client.post(url, data=body, content_type="application/json", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    cross = client.post(url, data=body, content_type="application/json", headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert remote_commit_count(bare(server_home)) == 0
    own = client.post(url, data=body, content_type="application/json", headers={"Origin": "http://localhost"})
    assert own.status_code == 201


def test_unknown_routes_and_methods_answer_json(client):
    assert client.get("/data/nothing").json["error"] == "Not Found"
    assert client.get("/data/contribute").status_code == 405
    assert client.put("/data/update-database").json["error"] == "Method Not Allowed"


def test_readers_take_only_ascii_digits_in_timestamps(tmp_path):
    name, content = result_content(1)
    content["timestamp"] = ARABIC_INDIC
    path = tmp_path / name
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(InvalidResultFile, match="timestamp"):
        read_result_file(path)
