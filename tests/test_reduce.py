"""Tests of the reduction of asv results files (``pytest_nwb_benchmarks.results._reduce``).

The fixtures in ``tests/data/asv/`` are the raw example of the development notes and real
output of asv 0.6 on this project's demo suite (``tests/data/asv_demo/``, regenerated with its
``make_fixtures.py``): one run with ``--record-samples`` and one without.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_nwb_benchmarks.results._machine import ensure_machine_header
from pytest_nwb_benchmarks.results._reduce import (
    AsvResultsError,
    find_asv_results_files,
    load_asv_results,
    main,
    reduce_asv_results,
    reduce_asv_results_file,
)

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "asv"
DEMO_SUITE = Path(__file__).resolve().parent / "data" / "asv_demo"
SEED_RAW = DATA / "seed_raw.json"
SEED_REDUCED = DATA / "seed_reduced.json"


def _demo_file(run: str) -> Path:
    """The one results file of a demo run (``record_samples`` or ``no_samples``)."""
    (found,) = find_asv_results_files([DATA / f"demo_{run}"])
    return found


def _key(*values: Any) -> str:
    """The params key of a combination, built from the Python values (asv stores their reprs)."""
    return str(tuple(repr(value) for value in values))


def _row(raw: dict, name: str) -> dict[str, Any]:
    return dict(zip(raw["result_columns"], raw["results"][name]))


def _all_keys(raw: dict, name: str) -> list[str]:
    return [str(combination) for combination in itertools.product(*raw["results"][name][1])]


@pytest.fixture(scope="module")
def with_samples() -> tuple[dict, Any]:
    raw = load_asv_results(_demo_file("record_samples"))
    return raw, reduce_asv_results(raw)


@pytest.fixture(scope="module")
def without_samples() -> tuple[dict, Any]:
    raw = load_asv_results(_demo_file("no_samples"))
    return raw, reduce_asv_results(raw)


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the machine header's memory of the last run out of the user's home."""
    home = tmp_path / "home"
    monkeypatch.setenv("NWB_BENCHMARKS_HOME", str(home))
    return home


# --- the seed's example ---------------------------------------------------------------------------


def test_seed_example_reduces_to_the_seeds_output() -> None:
    expected = json.loads(SEED_REDUCED.read_text())
    reduced = reduce_asv_results(load_asv_results(SEED_RAW))
    assert reduced.results == expected["results"]
    assert reduced.commit_hash == expected["commit_hash"]
    assert reduced.skipped == {} and reduced.failed == {} and reduced.notes == []
    # The date is the commit's (1708536830000 ms), written in UTC; the seed printed the same
    # instant in the local time of its machine, five hours behind.
    assert reduced.timestamp == "2024-02-21-17-33-50"
    assert expected["timestamp"] == "2024-02-21-12-33-50"


def test_seed_example_file_matches_the_seeds_text(tmp_path: Path) -> None:
    expected = json.loads(SEED_REDUCED.read_text())
    written = reduce_asv_results_file(SEED_RAW, tmp_path, "a" * 40, "b" * 40)
    expected.update(timestamp="2024-02-21-17-33-50", machine_hash="a" * 40, environment_hash="b" * 40)
    assert written.name == f"result_timestamp-2024-02-21-17-33-50_machine-{'a' * 40}_environment-{'b' * 40}.json"
    # Same keys in the same order, same indentation: the seed's listing, apart from timestamp and hashes.
    assert written.read_text().rstrip("\n") == json.dumps(expected, indent=4)


# --- real asv output, with --record-samples -------------------------------------------------------


def test_fixtures_hold_every_row_length_asv_writes(with_samples: tuple, without_samples: tuple) -> None:
    lengths = {len(row) for raw, _ in (with_samples, without_samples) for row in raw["results"].values()}
    assert {4, 5, 11, 12} <= lengths


def test_every_combination_is_kept_skipped_or_failed_exactly_once(with_samples: tuple) -> None:
    raw, reduced = with_samples
    for name in raw["results"]:
        kept = list(reduced.results.get(name, {}))
        skipped = reduced.skipped.get(name, [])
        failed = reduced.failed.get(name, [])
        assert sorted(kept + skipped + failed) == sorted(_all_keys(raw, name)), name
        # Kept combinations stay in asv's order.
        assert kept == [key for key in _all_keys(raw, name) if key in kept]


def test_samples_are_never_shifted_by_skipped_or_failed_combinations(with_samples: tuple) -> None:
    raw, reduced = with_samples
    checked = 0
    for name in raw["results"]:
        row = _row(raw, name)
        if row.get("stats_number") is None or row.get("samples") is None:
            continue
        keys = _all_keys(raw, name)
        for key, samples in reduced.results.get(name, {}).items():
            # asv's result is the median of the samples of the same combination.
            assert statistics.median(samples) == pytest.approx(row["result"][keys.index(key)], rel=1e-12), (name, key)
            checked += 1
    assert checked >= 10


def test_several_parameters_with_a_skip_and_a_failure_in_the_middle(with_samples: tuple) -> None:
    _, reduced = with_samples
    name = "bench_demo.Grid.time_sum"
    assert list(reduced.results[name]) == [_key(10, "list"), _key(100, "list"), _key(1000, "list"), _key(1000, "tuple")]
    assert reduced.skipped[name] == [_key(10, "tuple")]
    assert reduced.failed[name] == [_key(100, "tuple")]
    assert all(len(samples) == 3 for samples in reduced.results[name].values())


def test_three_parameters_in_asvs_order_with_quotes_in_the_reprs(with_samples: tuple) -> None:
    _, reduced = with_samples
    expected = [_key(*values) for values in itertools.product([1, 2], ["a'b", 'c"d'], [None, 1.5])]
    assert list(reduced.results["bench_demo.Three.time_three"]) == expected
    assert expected[1] == "('1', '\"a\\'b\"', '1.5')"


def test_benchmarks_without_parameters_use_the_empty_tuple(with_samples: tuple) -> None:
    raw, reduced = with_samples
    assert reduced.results["bench_demo.time_plain"] == {"()": _row(raw, "bench_demo.time_plain")["samples"][0]}
    assert len(reduced.results["bench_demo.time_plain"]["()"]) == 3


def test_track_values_and_track_dicts(with_samples: tuple) -> None:
    _, reduced = with_samples
    assert reduced.results["bench_demo.track_value"] == {"()": [42]}
    assert reduced.results["bench_demo.Partial.track_partial"] == {_key(1): [10], _key(3): [30]}
    assert reduced.failed["bench_demo.Partial.track_partial"] == [_key(2)]
    # {"samples": ..., "number": None}: the samples as the benchmark gave them, a dict included.
    assert reduced.results["bench_demo.SampleDicts.track_samples_none"] == {"()": [1.0, 2.0, 3.0]}
    assert reduced.results["bench_demo.SampleDicts.track_samples_number"] == {"()": [1.0, 2.0, 3.0, 10.0]}
    network = reduced.results["bench_demo.NetworkDicts.track_network"]
    assert network == {
        _key({"name": "a", "size": 1}): {"bytes": 10, "requests": 3},
        _key({"name": "c", "size": 3}): {"bytes": 30, "requests": 3},
    }
    assert reduced.skipped["bench_demo.NetworkDicts.track_network"] == [_key({"name": "b", "size": 2})]


def test_failed_skipped_and_trimmed_rows_are_absent(with_samples: tuple) -> None:
    raw, reduced = with_samples
    for name, length in [
        ("bench_demo.time_fails", 5),
        ("bench_demo.time_slow", 5),  # killed by asv's timeout
        ("bench_demo.BrokenCache.time_never_runs", 4),  # setup_cache failed
    ]:
        assert len(raw["results"][name]) == length
        assert name not in reduced.results
        assert reduced.failed[name] == ["()"]
    assert "bench_demo.AllSkipped.time_never" not in reduced.results
    assert reduced.skipped["bench_demo.AllSkipped.time_never"] == [_key(1), _key(2)]


def test_notes_with_samples_only_mention_single_value_benchmarks(with_samples: tuple) -> None:
    _, reduced = with_samples
    assert not any("--record-samples" in note for note in reduced.notes)
    (note,) = reduced.notes
    assert "bench_demo.track_value" in note and "bench_demo.Grid.peakmem_build" in note
    assert reduced.timestamp == "2026-01-02-03-04-05"


# --- real asv output, without --record-samples ----------------------------------------------------


def test_without_samples_the_result_stands_in_and_the_output_says_so(without_samples: tuple) -> None:
    raw, reduced = without_samples
    name = "bench_demo.Grid.time_sum"
    result = _row(raw, name)["result"]
    assert reduced.results[name] == {
        _key(10, "list"): [result[0]],
        _key(100, "list"): [result[2]],
        _key(1000, "list"): [result[4]],
        _key(1000, "tuple"): [result[5]],
    }
    standing_in = [note for note in reduced.notes if "the result column stands in" in note]
    assert standing_in == [
        "samples not recorded (run without --record-samples): the result column stands in for 4 benchmarks: "
        "bench_demo.Grid.time_sum, bench_demo.SampleDicts.track_samples_number, bench_demo.Three.time_three, "
        "bench_demo.time_plain"
    ]


def test_without_samples_track_dicts_are_left_out_and_named(without_samples: tuple) -> None:
    _, reduced = without_samples
    for name in ("bench_demo.NetworkDicts.track_network", "bench_demo.SampleDicts.track_samples_none"):
        assert name not in reduced.results
    (note,) = [note for note in reduced.notes if "left out" in note]
    assert "bench_demo.NetworkDicts.track_network" in note and "bench_demo.SampleDicts.track_samples_none" in note


def test_both_runs_reduce_to_the_same_combinations(with_samples: tuple, without_samples: tuple) -> None:
    lost = {"bench_demo.NetworkDicts.track_network", "bench_demo.SampleDicts.track_samples_none"}
    keys_with = {name: list(keys) for name, keys in with_samples[1].results.items() if name not in lost}
    keys_without = {name: list(keys) for name, keys in without_samples[1].results.items()}
    assert keys_with == keys_without
    assert with_samples[1].skipped == without_samples[1].skipped
    assert with_samples[1].failed == without_samples[1].failed


# --- row variants made from real rows -------------------------------------------------------------


def test_missing_trailing_columns_read_as_null(with_samples: tuple) -> None:
    raw, reduced = with_samples
    name = "bench_demo.time_plain"
    variant = copy.deepcopy(raw)
    variant["results"] = {name: raw["results"][name] + ["eJzLSM3JyVcozy/KSQEAGgQEXQ=="]}  # a --profile column
    assert reduce_asv_results(variant).results == {name: reduced.results[name]}
    variant["results"] = {name: raw["results"][name][:5]}  # trimmed after 'duration'
    trimmed = reduce_asv_results(variant)
    assert trimmed.results == {name: {"()": [raw["results"][name][0][0]]}}
    assert trimmed.notes and "single" not in trimmed.notes[0]


def test_an_all_null_result_column_fails_every_combination(with_samples: tuple) -> None:
    raw, _ = with_samples
    variant = copy.deepcopy(raw)
    row = variant["results"]["bench_demo.Grid.track_len"]
    variant["results"] = {"bench_demo.Grid.track_len": [None, row[1], row[2], row[3]]}
    reduced = reduce_asv_results(variant)
    assert reduced.results == {}
    assert reduced.failed == {"bench_demo.Grid.track_len": _all_keys(raw, "bench_demo.Grid.track_len")}


# --- bad input ------------------------------------------------------------------------------------


def _set(path: tuple, value: Any) -> Callable[[dict], None]:
    def mutate(raw: dict) -> None:
        target = raw
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()
_GRID = "bench_demo.Grid.time_sum"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_set(("version",), 1), "'version': only asv results format 2 is supported, got 1"),
        (_set(("version",), _DELETE), "(is this an asv results file?)"),
        (_set(("commit_hash",), None), "'commit_hash': got null"),
        (_set(("date",), "yesterday"), "'date': expected the commit date in milliseconds"),
        (_set(("result_columns",), ["params", "samples"]), "'result_columns': has no 'result' column"),
        (_set(("results",), []), "'results': expected an object"),
        (_set(("results", _GRID), "row"), f"benchmark {_GRID!r}: expected a row (a list)"),
        (lambda raw: raw["results"][_GRID].extend(["profile", "extra"]), "the row has 14 entries but 'result_columns'"),
        (_set(("results", _GRID, 0), [1.0, 2.0]), "column 'result': has 2 entries but the params column makes 6"),
        (_set(("results", _GRID, 1), [["10"], [10]]), "column 'params': parameter 1 should be a non-empty list"),
        (_set(("results", _GRID, 0, 2), "fast"), "combination 2 ('100', \"'list'\"), column 'result': expected"),
        (_set(("results", _GRID, 11, 0), ["0.1"]), "combination 0 ('10', \"'list'\"), column 'samples': samples must"),
    ],
)
def test_malformed_input_says_what_and_where(mutate: Callable[[dict], None], message: str, with_samples: tuple) -> None:
    raw = copy.deepcopy(with_samples[0])
    mutate(raw)
    with pytest.raises(AsvResultsError) as error:
        reduce_asv_results(raw)
    assert message in str(error.value)


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "abc12345-existing.json"
    broken.write_text('{"version": 2, "results": {')
    with pytest.raises(AsvResultsError, match=rf"^{broken}: not JSON: .* at line 1"):
        reduce_asv_results_file(broken, tmp_path / "out", "a" * 40, "b" * 40)
    assert not (tmp_path / "out").exists()


# --- the command ----------------------------------------------------------------------------------


def test_command_reduces_folders_and_files_and_reports_bad_ones(
    tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad" / "deadbeef-existing.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps({"version": 2, "commit_hash": "x", "date": 0, "result_columns": ["params"]}))
    out = tmp_path / "results"
    code = main([str(DATA / "demo_record_samples"), str(bad), str(SEED_RAW), "--results-dir", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert f"error: {bad}: 'result_columns': has no 'result' column" in captured.err
    assert "1 of 3 files could not be reduced" in captured.err
    written = sorted(out.glob("result_*.json"))
    assert len(written) == 2  # benchmarks.json and machine.json were not taken for results
    for path in written:
        content = json.loads(path.read_text())
        assert (out / f"info_machine-{content['machine_hash']}.json").is_file()
        assert (out / f"info_environment-{content['environment_hash']}.json").is_file()
        assert f"-> {path}" in captured.out
    # Each file is named after the machine it describes: the demo machine, and none for the seed's file.
    headers = [json.loads(path.read_text()) for path in out.glob("info_machine-*.json")]
    assert len(headers) == 2 and "unknown" in {header["machine"] for header in headers}
    assert "demo" not in json.dumps(headers)  # asv's machine name (often a host name) is not kept
    assert "note: the asv file names no machine" in captured.out
    assert "note: one value per combination" in captured.out
    assert {json.loads(path.read_text())["commit_hash"] for path in written} == {
        "ee3c985d8acf4539fb41b015e85c07ceb928c71d",
        "704d34d004e93dd75530f349b7cbdf2b195a8ea2",
    }


def test_command_runs_as_a_module_and_refuses_missing_paths(tmp_path: Path, isolated_home: Path) -> None:
    env = dict(os.environ, NWB_BENCHMARKS_HOME=str(isolated_home))
    command = [sys.executable, "-m", "pytest_nwb_benchmarks", "reduce"]
    done = subprocess.run(
        [*command, str(_demo_file("no_samples")), "--results-dir", str(tmp_path / "r")],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "note: samples not recorded (run without --record-samples)" in done.stdout
    assert len(list((tmp_path / "r").glob("result_*.json"))) == 1
    missing = subprocess.run(
        [*command, str(tmp_path / "nowhere")], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert missing.returncode == 2
    assert f"no such file or folder: {tmp_path / 'nowhere'}" in missing.stderr


# --- asv itself -----------------------------------------------------------------------------------


def test_repository_asv_configuration_is_accepted_by_asv() -> None:
    asv_config = pytest.importorskip("asv.config")
    config = asv_config.Config.load(str(REPO / "asv.conf.json"))
    assert config.benchmark_dir == str(REPO / "benchmarks") or Path(config.benchmark_dir).name == "benchmarks"
    assert config.environment_type == "existing"
    assert Path(config.results_dir).parts[-2:] == (".asv", "intermediate_results")
    assert Path(config.html_dir).parts[-2:] == (".asv", "html")
    assert config.branches == ["main"]


def test_live_asv_run_reduces_like_the_fixture(tmp_path: Path, with_samples: tuple) -> None:
    """Run today's asv on the demo suite (quick mode) and reduce what it wrote."""
    pytest.importorskip("asv")
    repo = tmp_path / "repo"
    shutil.copytree(DEMO_SUITE, repo, ignore=shutil.ignore_patterns("__pycache__", ".asv", "make_fixtures.py"))
    # The repository's own configuration, so that this also shows plain ``asv run`` works with it.
    shutil.copy(REPO / "asv.conf.json", repo / "asv.conf.json")
    env = dict(os.environ, HOME=str(tmp_path), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid")
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "."], ["git", "commit", "-q", "-m", "demo"]):
        subprocess.run(command, cwd=repo, env=env, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    asv = [sys.executable, "-m", "asv"]
    subprocess.run([*asv, "machine", "--yes", "--machine", "demo"], cwd=repo, env=env, check=True, capture_output=True)
    run = subprocess.run(
        [*asv, "run", "--python=same", "--quick", "--record-samples", "--set-commit-hash", commit],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2, run.stdout + run.stderr  # 2: some demo benchmarks fail on purpose
    (found,) = find_asv_results_files([repo / ".asv" / "intermediate_results"])
    reduced = reduce_asv_results(load_asv_results(found))
    expected = with_samples[1]
    assert {name: list(keys) for name, keys in reduced.results.items()} == {
        name: list(keys) for name, keys in expected.results.items()
    }
    assert reduced.skipped == expected.skipped and reduced.failed == expected.failed
    assert reduced.commit_hash == commit
    assert reduced.results["bench_demo.time_plain"]["()"] and len(reduced.results["bench_demo.time_plain"]["()"]) == 1


def _asv_file_of_machine(folder: Path, machine: dict[str, str]) -> Path:
    raw = json.loads(_demo_file("record_samples").read_text())
    raw["params"] = {**machine, "python": "3.11"}
    target = folder / machine["machine"] / _demo_file("record_samples").name
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(raw))
    return target


def test_files_of_other_machines_are_named_after_them_not_this_one(tmp_path: Path, isolated_home: Path) -> None:
    laptop = {"machine": "laptop", "arch": "arm64", "cpu": "M2", "num_cpu": "8", "os": "Darwin 23", "ram": "16"}
    server = {"machine": "server", "arch": "x86_64", "cpu": "EPYC", "num_cpu": "64", "os": "Linux 6", "ram": "512"}
    inputs = tmp_path / "asv"
    files = [_asv_file_of_machine(inputs, laptop), _asv_file_of_machine(inputs, server)]
    out = tmp_path / "results"
    assert main([str(inputs), "--results-dir", str(out)]) == 0
    reduced = [json.loads(path.read_text()) for path in sorted(out.glob("result_*.json"))]
    assert len(reduced) == 2 and reduced[0]["machine_hash"] != reduced[1]["machine_hash"]
    described = [json.loads((out / f"info_machine-{r['machine_hash']}.json").read_text()) for r in reduced]
    assert {header["cpu"] for header in described} == {"M2", "EPYC"}
    laptop_header = next(header for header in described if header["cpu"] == "M2")
    assert {key: laptop_header[key] for key in laptop if key != "machine"} == {
        key: value for key, value in laptop.items() if key != "machine"
    }
    assert laptop_header["machine"] not in ("laptop", "unknown", "")
    this = ensure_machine_header(tmp_path / "this").hash
    assert this not in {r["machine_hash"] for r in reduced}
    # Told otherwise, both are filed under this machine.
    assert main([*map(str, files), "--results-dir", str(tmp_path / "mine"), "--headers-from", "this"]) == 0
    assert {json.loads(p.read_text())["machine_hash"] for p in (tmp_path / "mine").glob("result_*.json")} == {this}
