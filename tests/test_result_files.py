"""Writing and reading reduced result files."""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path

import pytest

from pytest_nwb_benchmarks.results._file_names import parse_file_name
from pytest_nwb_benchmarks.results._result_files import (
    InvalidResultFile,
    ResultFile,
    iter_result_files,
    read_result_file,
    replace_json_file,
    write_new_json_file,
    write_result_file,
)

REFERENCE_DIR = Path(os.environ.get("NWB_BENCHMARKS_REFERENCE_RESULTS") or Path(__file__).parent / "data/results-2024")

MACHINE = "e109d91eb8c6806274a5a7909c735869415384e9"
ENVIRONMENT = "246cf6a886d9a66a9b593d52cb681998fab55adf"
COMMIT = "ee3c985d8acf4539fb41b015e85c07ceb928c71d"
PARAMS = (
    "(\"'https://example.org/file.nwb'\", \"'ElectricalSeriesAp'\", '(slice(0, 30000, None), slice(0, 384, None))')"
)
RESULTS = {
    "time_remote_slicing.FsspecNoCacheContinuousSliceBenchmark.time_slice": {
        PARAMS: [0.8071024999953806, 0.9324163000565022, 0.5638924000086263]
    },
    "network_tracking_remote_slicing.RemfileContinuousSliceBenchmark.track_network_activity_during_slice": {
        PARAMS: {"amount_downloaded_in_bytes": 21817605, "total_transfer_time_in_seconds": 0.485}
    },
    "time_file_read.ReadBenchmark.time_read": {"()": [1, 2]},
}


def reference_result_files() -> list[Path]:
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"the reference result files are missing: expected them in {REFERENCE_DIR}")
    return list(iter_result_files(REFERENCE_DIR))


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def write(folder: Path, **overrides: object) -> Path:
    arguments: dict = dict(
        results=RESULTS, commit_hash=COMMIT, machine_hash=MACHINE, environment_hash=ENVIRONMENT, timestamp=None
    )
    arguments.update(overrides)
    return write_result_file(folder, **arguments)


def test_written_file_has_the_documented_layout(tmp_path: Path) -> None:
    path = write(tmp_path / "results", timestamp="2024-02-21-12-33-50", extra={"runner": {"name": "native"}})
    assert path.name == f"result_timestamp-2024-02-21-12-33-50_machine-{MACHINE}_environment-{ENVIRONMENT}.json"
    text = path.read_text(encoding="utf-8")
    content = json.loads(text)
    assert list(content) == [
        "version",
        "timestamp",
        "commit_hash",
        "environment_hash",
        "machine_hash",
        "results",
        "runner",
    ]
    assert content["version"] == 2
    assert content["results"] == RESULTS
    assert text.startswith('{\n    "version": 2,\n    "timestamp": "2024-02-21-12-33-50",\n')
    assert text.endswith("}\n")
    assert leftovers(tmp_path / "results") == []


def test_default_timestamp_is_utc_now_and_matches_the_name(tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    before = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    path = write(tmp_path)
    after = datetime.now(timezone.utc).replace(tzinfo=None)
    stamp = json.loads(path.read_text())["timestamp"]
    assert parse_file_name(path.name).timestamp == stamp
    assert before <= datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S") <= after + timedelta(seconds=1)


def test_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, timestamp="2024-02-21-12-33-50", extra={"runner": {"mode": "fork"}})
    read = read_result_file(path)
    assert read == ResultFile(
        version=2,
        timestamp="2024-02-21-12-33-50",
        commit_hash=COMMIT,
        environment_hash=ENVIRONMENT,
        machine_hash=MACHINE,
        results=RESULTS,
        extra={"runner": {"mode": "fork"}},
        path=path,
    )


def test_existing_file_is_never_clobbered(tmp_path: Path) -> None:
    first = write(tmp_path, timestamp="2024-02-21-12-33-50")
    original = first.read_bytes()
    other_results = {"time_x.X.time_x": {"()": [9.0]}}
    second = write(tmp_path, timestamp="2024-02-21-12-33-50", results=other_results)
    assert first.read_bytes() == original
    assert second != first
    assert parse_file_name(second.name).timestamp == "2024-02-21-12-33-51"
    assert read_result_file(second).timestamp == "2024-02-21-12-33-51"
    assert read_result_file(second).results == other_results
    assert leftovers(tmp_path) == []


def test_writing_the_same_content_twice_is_idempotent(tmp_path: Path) -> None:
    first = write(tmp_path, timestamp="2024-02-21-12-33-50")
    second = write(tmp_path, timestamp="2024-02-21-12-33-50")
    assert first == second
    assert len(list(tmp_path.iterdir())) == 1


def test_non_finite_samples_are_dropped_with_a_warning(tmp_path: Path) -> None:
    results = {
        "time_a.A.time_a": {"()": [1.0, math.nan, math.inf, 2.0]},
        "track_b.B.track_b": {"()": {"bytes": 10, "seconds": -math.inf}},
    }
    with pytest.warns(UserWarning, match="dropped 3 non-finite"):
        path = write(tmp_path, results=results)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert read_result_file(path).results == {
        "time_a.A.time_a": {"()": [1.0, 2.0]},
        "track_b.B.track_b": {"()": {"bytes": 10}},
    }


def test_finite_results_give_no_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write(tmp_path)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"results": []}, "results must be a dict"),
        ({"results": {"b": [1.0]}}, "must map parameter keys"),
        ({"results": {"b": {"()": "1.0"}}}, "list of numbers or a dict"),
        ({"results": {"b": {"()": [1.0, "2"]}}}, "must be numbers"),
        ({"results": {"b": {"()": [True]}}}, "must be numbers"),
        ({"results": {"b": {"()": {"x": {"nested": 1}}}}}, "expected {name: statistic}"),
        ({"results": {"b": {1: [1.0]}}}, "non-string parameter key"),
        ({"timestamp": "2024_02_21_12_33_50"}, "invalid timestamp"),
        ({"timestamp": "yesterday"}, "invalid timestamp"),
        ({"commit_hash": ""}, "commit_hash"),
        ({"commit_hash": None}, "commit_hash"),
        ({"machine_hash": "../up"}, "machine hash"),
        ({"environment_hash": "a/b"}, "environment hash"),
        ({"extra": {"results": {}}}, "fixed keys"),
        ({"extra": {"runner": math.nan}}, "JSON compliant"),
    ],
)
def test_bad_arguments_write_nothing(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message.replace("{", r"\{").replace("}", r"\}")):
        write(tmp_path, **overrides)
    assert list(tmp_path.iterdir()) == []


def test_write_new_json_file_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "a.json"
    assert write_new_json_file(path, {"a": 1}) is True
    assert write_new_json_file(path, {"a": 2}) is False
    assert json.loads(path.read_text()) == {"a": 1}
    replace_json_file(path, {"a": 3})
    assert json.loads(path.read_text()) == {"a": 3}
    assert leftovers(path.parent) == []


def test_unserializable_object_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_new_json_file(tmp_path / "a.json", {"a": object()})
    with pytest.raises(TypeError):
        replace_json_file(tmp_path / "b.json", {"a": object()})
    assert list(tmp_path.iterdir()) == []


def test_every_reference_result_file_reads_and_round_trips(tmp_path: Path) -> None:
    paths = reference_result_files()
    assert len(paths) >= 14
    seen_dict_samples = seen_host_name = False
    for path in paths:
        original = read_result_file(path)
        parsed = parse_file_name(path.name)
        assert (original.machine_hash, original.environment_hash) == (parsed.machine_id, parsed.environment_id)
        assert original.timestamp == parsed.timestamp
        seen_host_name |= original.machine_hash == "Ackermann"
        seen_dict_samples |= any(
            isinstance(samples, dict) for by_key in original.results.values() for samples in by_key.values()
        )
        copy = write_result_file(
            tmp_path,
            results=original.results,
            commit_hash=original.commit_hash,
            machine_hash=original.machine_hash,
            environment_hash=original.environment_hash,
            timestamp=original.timestamp,
            extra=original.extra,
        )
        again = read_result_file(copy)
        assert (again.results, again.commit_hash, again.timestamp) == (
            original.results,
            original.commit_hash,
            original.timestamp,
        )
        assert json.loads(copy.read_text())["results"] == json.loads(path.read_text())["results"]
    assert seen_dict_samples and seen_host_name
    assert len(list(iter_result_files(tmp_path))) == len(paths)


def test_underscore_timestamps_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / f"results_timestamp-2024-02-17-00-59-37_machine-{MACHINE}_environment-{ENVIRONMENT}.json"
    content = {
        "version": 2,
        "timestamp": "2024_02_17_00_59_37",
        "commit_hash": COMMIT,
        "environment_hash": ENVIRONMENT,
        "machine_hash": MACHINE,
        "results": {},
    }
    path.write_text(json.dumps(content, indent=1))
    assert read_result_file(path).timestamp == "2024-02-17-00-59-37"


def valid_content() -> dict:
    return {
        "version": 2,
        "timestamp": "2024-02-17-00-59-37",
        "commit_hash": COMMIT,
        "environment_hash": ENVIRONMENT,
        "machine_hash": MACHINE,
        "results": {"a.A.time_a": {"()": [1.0]}},
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "not valid JSON"),
        ('{"version": 2,', "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({**valid_content(), "version": 1}), "unsupported version 1"),
        (json.dumps({**valid_content(), "version": "2"}), "unsupported version '2'"),
        (json.dumps({**valid_content(), "version": True}), "unsupported version True"),
        (json.dumps({k: v for k, v in valid_content().items() if k != "results"}), "missing key(s) ['results']"),
        (json.dumps({k: v for k, v in valid_content().items() if k != "timestamp"}), "missing key(s) ['timestamp']"),
        (json.dumps({**valid_content(), "timestamp": 20240217}), "YYYY-MM-DD-HH-MM-SS, got 20240217 (at $.timestamp)"),
        (json.dumps({**valid_content(), "timestamp": "2024-02-30-00-00-00"}), "expected a real date"),
        (json.dumps({**valid_content(), "commit_hash": 5}), "(at $.commit_hash)"),
        (json.dumps({**valid_content(), "machine_hash": ""}), "the machine hash must be"),
        (json.dumps({**valid_content(), "results": [1]}), "expected an object, got list (at $.results)"),
        (
            json.dumps({**valid_content(), "results": {"a": [1]}}),
            "expected an object of parameter keys, got list (at $.results.a)",
        ),
        (
            json.dumps({**valid_content(), "results": {"a": {"()": 1.0}}}),
            "expected a list of numbers or a mapping of named statistics, got float",
        ),
        (
            json.dumps({**valid_content(), "results": {"a": {"()": [1, "x"]}}}),
            "samples must be numbers, got 'x' (at $.results.a['()'][1])",
        ),
        (
            json.dumps({**valid_content(), "results": {"a": {"()": {"b": {"c": 1}}}}}),
            "a named statistic must be a number",
        ),
        ('{"version": 2, "results": {"a": {"()": [NaN]}}}', "not valid JSON"),
    ],
)
def test_invalid_files_are_refused_with_name_and_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / f"result_timestamp-2024-02-17-00-59-37_machine-{MACHINE}_environment-{ENVIRONMENT}.json"
    path.write_text(text)
    with pytest.raises(InvalidResultFile) as caught:
        read_result_file(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)
    assert path.read_text() == text  # reading never alters the file


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidResultFile, match="cannot read"):
        read_result_file(tmp_path / "absent.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidResultFile, match="cannot read"):
        read_result_file(binary)


def test_extra_keys_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "x_results.json"
    path.write_text(json.dumps({**valid_content(), "runner": {"name": "asv"}}))
    assert read_result_file(path).extra == {"runner": {"name": "asv"}}


def test_iter_result_files_is_sorted_and_skips_other_files(tmp_path: Path) -> None:
    late = write(tmp_path, timestamp="2024-03-01-00-00-00")
    early = write(tmp_path, timestamp="2024-01-01-00-00-00")
    (tmp_path / f"info_machine-{MACHINE}.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".tmp-abc.json.part").write_text("{")
    (tmp_path / "result_timestamp-2024-02-01-00-00-00_machine-x_environment-y.json").mkdir()
    assert list(iter_result_files(tmp_path)) == [early, late]


def test_network_statistics_dicts_round_trip(tmp_path: Path) -> None:
    statistics = {
        "method": "library",
        "requests": 4,
        "bytes_downloaded": 1024,
        "request_latencies_seconds": [0.01, 0.02],
    }
    path = write_result_file(
        tmp_path,
        results={"network_tracking.X.track_network_activity_during_read": {"()": statistics}},
        commit_hash="c" * 40,
        machine_hash="m" * 40,
        environment_hash="e" * 40,
    )
    assert read_result_file(path).results["network_tracking.X.track_network_activity_during_read"]["()"] == statistics


def test_a_path_that_names_no_file_is_an_invalid_result_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidResultFile, match="cannot read the file"):
        read_result_file(tmp_path / "result\0.json")
