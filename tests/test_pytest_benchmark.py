"""pytest-benchmark both ways: its tests in --nwb-bench runs, its JSON out of result files and into them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_nwb_benchmarks.__main__ import main as cli
from pytest_nwb_benchmarks.results._pytest_benchmark import PytestBenchmarkFileError, reduce_pytest_benchmark

pytest_plugins = ["pytester"]
pytest.importorskip("pytest_benchmark")

COMMIT = "c" * 40
REFERENCE = Path(__file__).parent / "data" / "results-2024"  # the real legacy result files
# Keep pytest-benchmark's calibrated runs short: a few rounds each.
QUICK = ("--benchmark-max-time=0.02", "--benchmark-min-rounds=3", "-p", "no:cacheprovider")

MIXED = """
import pytest


class TimeSuite:
    params = [[10, 100]]
    param_names = ["n"]
    rounds = 1
    repeat = 3
    warmup_time = 0.0

    def setup(self, n):
        self.data = list(range(n))

    def time_sum(self, n):
        sum(self.data)

    def track_len(self, n):
        return len(self.data)


def test_not_a_benchmark():
    raise AssertionError("a plain test in a benchmark file is not collected")


@pytest.mark.parametrize("kind", ["list", "tuple"])
@pytest.mark.parametrize("n", [10, 100])
def test_pb_build(benchmark, n, kind):
    benchmark(list if kind == "list" else tuple, range(n))


class TestSorting:
    def test_pb_sorted(self, benchmark):
        benchmark.extra_info["input"] = "three items"
        benchmark.pedantic(sorted, args=([3, 1, 2],), rounds=7, iterations=3)
"""


def make_mixed_suite(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("pb_suite")
    pytester.path.joinpath("pb_suite", "bench_mixed.py").write_text(textwrap.dedent(MIXED))
    pytester.path.joinpath("pb_suite", "test_plain.py").write_text(
        "def test_pb_len(benchmark):\n    benchmark(len, 'abc')\n"
    )


def only_result_file(folder: Path) -> Path:
    files = sorted(folder.glob("result_timestamp-*.json"))
    assert len(files) == 1, files
    return files[0]


def pb_entries(path: Path) -> dict[str, dict[str, Any]]:
    return {bench["fullname"]: bench for bench in json.loads(path.read_text())["benchmarks"]}


def test_mixed_suite_lands_in_one_result_file_and_k_selects_across_kinds(pytester: pytest.Pytester) -> None:
    make_mixed_suite(pytester)
    result = pytester.runpytest(
        "pb_suite",
        "--nwb-bench",
        "--nwb-commit-hash",
        COMMIT,
        "-k",
        "time_sum or test_pb_build or test_pb_len",
        "--benchmark-json=own.json",
        *QUICK,
    )
    result.assert_outcomes(passed=2 + 4 + 1)
    content = json.loads(only_result_file(pytester.path / "results").read_text())
    results = content["results"]
    assert set(results) == {"bench_mixed.TimeSuite.time_sum", "bench_mixed.test_pb_build", "test_plain.test_pb_len"}
    # params keys are built as for ASV-style parameters, in the order pytest lists them
    assert set(results["bench_mixed.test_pb_build"]) == {
        str((n, kind)) for n in ("10", "100") for kind in ("'list'", "'tuple'")
    }
    assert set(results["bench_mixed.TimeSuite.time_sum"]) == {"('10',)", "('100',)"}
    entry = content["benchmarks"]["bench_mixed.test_pb_build"]
    assert entry["measured_by"] == "pytest-benchmark"
    assert entry["param_names"] == ["n", "kind"]
    assert "measured_by" not in content["benchmarks"]["bench_mixed.TimeSuite.time_sum"]
    assert content["pytest_benchmark"]["measured"] == ["bench_mixed.test_pb_build", "test_plain.test_pb_len"]
    # the samples are exactly pytest-benchmark's own raw timings of the same run
    own = pb_entries(pytester.path / "own.json")
    assert len(own) == 5
    for key, details in entry["pytest_benchmark"].items():
        assert results["bench_mixed.test_pb_build"][key] == own[details["fullname"]]["stats"]["data"]
        assert entry["number"][key] == own[details["fullname"]]["stats"]["iterations"]
    assert results["test_plain.test_pb_len"]["()"] == own["pb_suite/test_plain.py::test_pb_len"]["stats"]["data"]


def test_plain_tests_in_benchmark_files_are_not_collected(pytester: pytest.Pytester) -> None:
    make_mixed_suite(pytester)
    result = pytester.runpytest("pb_suite", "--nwb-bench", "--collect-only", "-q", *QUICK)
    collected = [line for line in result.outlines if "::" in line]
    assert "pb_suite/bench_mixed.py::TestSorting::test_pb_sorted" in collected
    assert "pb_suite/bench_mixed.py::test_pb_build[10-list]" in collected
    assert not any("test_not_a_benchmark" in line for line in collected)
    assert len(collected) == 4 + 4 + 1 + 1


def test_disabled_pytest_benchmark_measures_nothing_and_says_so(pytester: pytest.Pytester) -> None:
    make_mixed_suite(pytester)
    result = pytester.runpytest(
        "pb_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "-k", "test_pb_len or time_sum", "--benchmark-disable"
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_plain.test_pb_len: nothing measured: pytest-benchmark is disabled*"])
    content = json.loads(only_result_file(pytester.path / "results").read_text())
    assert set(content["results"]) == {"bench_mixed.TimeSuite.time_sum"}


def test_failed_tests_are_left_out_and_equal_reprs_get_keys_of_their_own(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("pb_suite")
    pytester.path.joinpath("pb_suite", "bench_edge.py").write_text(
        textwrap.dedent(
            """
            import pytest


            class Thing:
                pass


            @pytest.mark.parametrize("thing", [Thing(), Thing()])
            def test_same_repr(benchmark, thing):
                benchmark(id, thing)


            def test_wrong_result(benchmark):
                assert benchmark(len, "ab") == 3


            def time_nothing():
                pass


            time_nothing.rounds = 1
            time_nothing.repeat = 3
            time_nothing.warmup_time = 0.0
            """
        )
    )
    result = pytester.runpytest("pb_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, *QUICK)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*bench_edge.test_wrong_result*failed*"])
    results = json.loads(only_result_file(pytester.path / "results").read_text())["results"]
    assert set(results) == {"bench_edge.test_same_repr", "bench_edge.time_nothing"}
    assert set(results["bench_edge.test_same_repr"]) == {
        "('<pb_suite.bench_edge.Thing object>',)",
        "('<pb_suite.bench_edge.Thing object> (1)',)",
    }


def test_round_trip_keeps_every_raw_timing(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    make_mixed_suite(pytester)
    # pytest-benchmark alone, as a project would run it, saving its raw data
    pytester.runpytest(
        "pb_suite/bench_mixed.py::TestSorting", "pb_suite/test_plain.py", "--benchmark-json=pb.json", *QUICK
    )
    pytester.runpytest("pb_suite/bench_mixed.py", "--benchmark-json=pb2.json", *QUICK)  # collects test_pb_build
    original = {**pb_entries(pytester.path / "pb.json"), **pb_entries(pytester.path / "pb2.json")}
    assert len(original) == 6
    monkeypatch.chdir(pytester.path)
    for number, name in enumerate(("pb.json", "pb2.json")):
        assert cli(["reduce", name, "--results-dir", f"reduced{number}"]) == 0
        reduced = only_result_file(pytester.path / f"reduced{number}")
        assert cli(["export", "--format", "pytest-benchmark", str(reduced), "-o", f"back{number}.json"]) == 0
    back = {**pb_entries(pytester.path / "back0.json"), **pb_entries(pytester.path / "back1.json")}
    assert set(back) == set(original)
    for fullname, bench in original.items():
        again = back[fullname]
        assert again["stats"]["data"] == bench["stats"]["data"]  # every raw timing, in order
        assert again["stats"]["iterations"] == bench["stats"]["iterations"]
        for field in ("name", "group", "param", "params", "options"):
            assert again[field] == bench[field], field
        assert {k: v for k, v in again["extra_info"].items() if k != "nwb_benchmarks"} == bench["extra_info"]
        for stat in ("min", "max", "mean", "median", "stddev", "iqr", "rounds"):
            assert again["stats"][stat] == pytest.approx(bench["stats"][stat], rel=1e-12), stat
    # reducing the export again gives the same result file content
    assert cli(["reduce", "back1.json", "--results-dir", "again"]) == 0
    first = json.loads(only_result_file(pytester.path / "reduced1").read_text())
    second = json.loads(only_result_file(pytester.path / "again").read_text())
    assert second["results"] == first["results"]
    assert second["benchmarks"] == first["benchmarks"]


def test_pytest_benchmark_compare_reads_an_export_of_a_mixed_run(pytester: pytest.Pytester) -> None:
    make_mixed_suite(pytester)
    out = pytester.path / "out.json"
    result = pytester.runpytest(
        "pb_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, f"--nwb-benchmark-json={out}", *QUICK
    )
    result.assert_outcomes(passed=4 + 4 + 1 + 1)
    result.stdout.fnmatch_lines(
        ["*wrote*out.json (8 pytest-benchmark entries)*", "*left out bench_mixed.TimeSuite.track_len ('10',)*"]
    )
    exported = json.loads(out.read_text())
    assert {item["benchmark"] for item in exported["nwb_benchmarks"]["left_out"]} == {"bench_mixed.TimeSuite.track_len"}
    command = shutil.which("pytest-benchmark")
    assert command, "pytest-benchmark's command line is installed with it"
    cwd = pytester.path / "elsewhere"  # the command imports a conftest.py of its working folder
    cwd.mkdir()
    shown = subprocess.run(
        [command, "compare", str(out), "--columns=min,median,rounds", "--name=long"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Failed to load" not in shown.stdout + shown.stderr
    for bench in exported["benchmarks"]:
        assert bench["fullname"] in shown.stdout
    assert "bench_mixed.py::TimeSuite::time_sum[100]" in shown.stdout  # ASV-style: named after its id


def test_benchmark_compare_against_a_run_of_ours(pytester: pytest.Pytester) -> None:
    make_mixed_suite(pytester)
    from pytest_benchmark.utils import get_machine_id

    saved = pytester.path / ".benchmarks" / get_machine_id() / "0001_nwb.json"
    pytester.runpytest("pb_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, f"--nwb-benchmark-json={saved}", *QUICK)
    assert saved.is_file()
    from pytest_benchmark.logger import PytestBenchmarkWarning

    # pytest-benchmark compares machine_info only to warn; ours comes from the anonymous headers
    with pytest.warns(PytestBenchmarkWarning, match="machine_info is different"):
        result = pytester.runpytest("pb_suite/test_plain.py", "--benchmark-compare=0001", *QUICK)
    result.assert_outcomes(passed=1)
    shown = result.stdout.str()  # rows are sorted by their minimum, so either may come first
    assert "test_pb_len (NOW)" in shown and "test_pb_len (0001_nwb)" in shown


def test_export_of_a_legacy_result_file_marks_what_does_not_carry_over(tmp_path: Path) -> None:
    path = REFERENCE / (
        "results_timestamp-2024-02-18-22-41-00_machine-e9c0f1370ec8dc3640d91c7d0f381a6d61bd9a46"
        "_environment-2d1c68a2c7de02ab2c200e448b250bee5e46f212.json"
    )
    raw = json.loads(path.read_text())
    out = tmp_path / "legacy.json"
    assert cli(["export", "--format", "pytest-benchmark", str(path), "-o", str(out)]) == 0
    exported = json.loads(out.read_text())
    timed = {(name, key) for name, by in raw["results"].items() for key, s in by.items() if isinstance(s, list)}
    named = {(name, key) for name, by in raw["results"].items() for key, s in by.items() if isinstance(s, dict)}
    assert timed and named
    got = {
        (b["extra_info"]["nwb_benchmarks"]["id"], b["extra_info"]["nwb_benchmarks"]["params_key"])
        for b in exported["benchmarks"]
    }
    assert got == timed
    left = exported["nwb_benchmarks"]["left_out"]
    assert {(item["benchmark"], item["params"]) for item in left} == named
    assert all("network" in item["reason"] for item in left)
    assert exported["machine_info"]["node"]  # from the machine header next to the file
    assert exported["commit_info"]["id"] == raw["commit_hash"]


def test_reduce_refuses_a_file_without_raw_data_and_writes_the_others(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_mixed_suite(pytester)
    pytester.runpytest("pb_suite/test_plain.py", "--benchmark-json=good.json", *QUICK)
    pytester.runpytest("pb_suite/test_plain.py", "--benchmark-save=nodata", *QUICK)  # no --benchmark-save-data
    saved = next((pytester.path / ".benchmarks").rglob("*_nodata.json"))
    monkeypatch.chdir(pytester.path)
    assert cli(["reduce", "good.json", str(saved), "--results-dir", "out"]) == 1
    error = capsys.readouterr().err
    assert "no raw timings" in error and "--benchmark-save-data" in error and "test_pb_len" in error
    assert only_result_file(pytester.path / "out")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_BENCH = st.fixed_dictionaries(
    {"fullname": st.one_of(st.text(max_size=20), st.just("t.py::test_x[1]"), _JSON)},
    optional={
        "params": st.one_of(st.none(), st.dictionaries(st.text(max_size=3), _JSON, max_size=2), _JSON),
        "stats": st.one_of(
            st.fixed_dictionaries(
                {"data": st.one_of(st.lists(st.floats(), max_size=4), _JSON)},
                optional={"iterations": st.one_of(st.integers(), _JSON)},
            ),
            _JSON,
        ),
        "extra_info": _JSON,
        "options": _JSON,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    benchmarks=st.lists(st.one_of(_BENCH, _JSON), max_size=3),
    when=st.one_of(st.just("2026-01-02T03:04:05+00:00"), _JSON),
    commit=_JSON,
)
def test_reduce_of_any_json_gives_results_or_a_clear_error(
    benchmarks: list[Any], when: Any, commit: Any, tmp_path: Path
) -> None:
    raw = {"machine_info": {}, "commit_info": commit, "benchmarks": benchmarks, "datetime": when, "version": "5"}
    try:
        reduced = reduce_pytest_benchmark(raw, tmp_path)
    except PytestBenchmarkFileError as error:
        assert str(error)
        return
    for name, by_key in reduced.results.items():
        for key, samples in by_key.items():
            assert samples and all(isinstance(value, (int, float)) for value in samples)
            assert reduced.extra["benchmarks"][name]["number"][key] >= 1
    json.dumps(reduced.extra, allow_nan=False)  # the result file can hold it


_SAMPLES = st.one_of(
    st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


_META = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(st.sampled_from(["time", "track", "memory"]), _JSON),
        "unit": st.one_of(st.sampled_from(["seconds", "bytes"]), _JSON),
        "number": _JSON,
        "param_names": _JSON,
        "measured_by": _JSON,
        "pytest_benchmark": _JSON,
    },
)


@settings(max_examples=200, deadline=None)
@given(
    results=st.dictionaries(
        st.text(max_size=12), st.dictionaries(st.text(max_size=12), _SAMPLES, max_size=3), max_size=3
    ),
    data=st.data(),
)
def test_export_of_any_result_file_keeps_every_timing_or_lists_it_as_left_out(
    results: dict[str, dict[str, Any]], data: st.DataObject
) -> None:
    ids = sorted(results) or ["x"]
    metadata = data.draw(st.dictionaries(st.sampled_from(ids), st.one_of(_META, _JSON), max_size=3))
    from pytest_nwb_benchmarks.results._pytest_benchmark_export import to_pytest_benchmark
    from pytest_nwb_benchmarks.results._result_files import ResultFile

    result = ResultFile(2, "2026-01-02-03-04-05", "a" * 40, "e", "m", results, {"benchmarks": metadata})
    export = to_pytest_benchmark(result)
    json.dumps(export.content, allow_nan=False)
    exported = {
        (b["extra_info"]["nwb_benchmarks"]["id"], b["extra_info"]["nwb_benchmarks"]["params_key"]): b
        for b in export.content["benchmarks"]
    }
    left = {(item["benchmark"], item["params"]) for item in export.left_out}
    every = {(name, key) for name, by_key in results.items() for key in by_key}
    assert set(exported) | left == every and not set(exported) & left
    for (name, key), bench in exported.items():
        assert bench["stats"]["data"] == results[name][key]


def test_export_needs_a_result_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "result_timestamp-2026-01-01-00-00-00_machine-a_environment-b.json"
    bad.write_text("{not json")
    assert cli(["export", "--format", "pytest-benchmark", str(bad), "-o", str(tmp_path / "x.json")]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_benchmark_json_option_needs_nwb_bench(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--nwb-benchmark-json=x.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nwb-benchmark-json needs --nwb-bench*"])


def test_the_module_entry_point_lists_export() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "pytest_nwb_benchmarks", "--help"], capture_output=True, text=True, timeout=60
    )
    assert "export" in shown.stdout
