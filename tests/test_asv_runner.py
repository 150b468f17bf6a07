"""Tests of ``--nwb-runner=asv``: real pytest sessions in subprocesses, real asv, real git repositories."""

from __future__ import annotations

import importlib.util
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pytest_nwb_benchmarks.results._reduce import find_asv_results_files, load_asv_results, reduce_asv_results

pytest.importorskip("asv")

DATA = Path(__file__).resolve().parent / "data"


def _load_compare_runners() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_runners", DATA / "asv_demo" / "compare_runners.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _load_compare_runners()


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("equivalence")
    repository = compare.make_suite_repository(tmp / "repo")
    runs = {}
    for runner in ("native", "asv"):
        done, seconds = compare.run_suite(repository, runner, tmp / runner, tmp / "home")
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        runs[runner] = {"process": done, "seconds": seconds, "results": compare.read_results(tmp / runner)}
    runs["repository"] = repository
    return runs


def test_both_runners_report_the_same_benchmarks_keys_and_sample_counts(both_runs: dict) -> None:
    native = both_runs["native"]["results"]["results"]
    asv = both_runs["asv"]["results"]["results"]
    assert (
        set(native)
        == set(asv)
        == {
            "bench_equal.Sleep.time_sleep",
            "bench_equal.Small.time_sum",
            "bench_equal.Small.track_length",
            "bench_equal.time_plain",
        }
    )
    for name in native:
        assert list(native[name]) == list(asv[name]), name
        for key in native[name]:
            assert len(native[name][key]) == len(asv[name][key]), (name, key)
    # rounds (2) x repeat (3) samples for every timed combination; the skipped one is absent.
    assert {key: len(samples) for key, samples in asv["bench_equal.Small.time_sum"].items()} == {
        "('10',)": 6,
        "('30',)": 6,
    }
    assert (
        asv["bench_equal.Small.track_length"]
        == native["bench_equal.Small.track_length"]
        == {
            "('10',)": [10],
            "('30',)": [30],
        }
    )


def test_medians_of_millisecond_benchmarks_agree_within_a_factor_of_one_and_a_half(both_runs: dict) -> None:
    native = both_runs["native"]["results"]["results"]
    asv = both_runs["asv"]["results"]["results"]
    compared = 0
    for name, by_key in native.items():
        for key, samples in by_key.items():
            if not name.split(".")[-1].startswith("time_") or statistics.median(samples) < 1e-3:
                continue
            ratio = statistics.median(asv[name][key]) / statistics.median(samples)
            # Loose on purpose (see test_asv_equivalence): it catches semantic differences, not jitter.
            assert 0.67 <= ratio <= 1.5, (name, key, ratio, samples, asv[name][key])
            compared += 1
    assert compared == 2


def test_both_runners_name_the_same_machine_and_environment(both_runs: dict) -> None:
    native, asv = both_runs["native"]["results"], both_runs["asv"]["results"]
    assert native["machine_hash"] == asv["machine_hash"]
    assert native["environment_hash"] == asv["environment_hash"]
    assert native["commit_hash"] == asv["commit_hash"]
    assert asv["runner"]["name"] == "asv" and asv["runner"]["asv_version"]
    print(
        f"wall time: native {both_runs['native']['seconds']:.2f} s, asv {both_runs['asv']['seconds']:.2f} s, "
        f"ratio {both_runs['asv']['seconds'] / both_runs['native']['seconds']:.2f}"
    )


def test_asv_progress_is_shown(both_runs: dict) -> None:
    output = both_runs["asv"]["process"].stdout
    assert "--bench" in output and " run --python=same --record-samples --show-stderr --set-commit-hash " in output
    assert "··· bench_equal.Sleep.time_sleep" in output
    assert (both_runs["repository"] / ".asv" / "pytest_run_results").is_dir()


def test_selection_reaches_asv_exactly(tmp_path: Path) -> None:
    repository = compare.make_suite_repository(tmp_path / "repo")
    done, _ = compare.run_suite(
        repository, "asv", tmp_path / "out", tmp_path / "home", "-k", "time_sleep and 20 or time_plain"
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "2 passed" in done.stdout
    assert set(compare.read_results(tmp_path / "out")["results"]) == {
        "bench_equal.Sleep.time_sleep",
        "bench_equal.time_plain",
    }
    # asv itself ran only the selected combination: the other one is NaN (not selected) in its file.
    (raw_path,) = find_asv_results_files([repository / ".asv" / "pytest_run_results"])
    reduced = reduce_asv_results(load_asv_results(raw_path))
    assert {name: list(keys) for name, keys in reduced.results.items()} == {
        "bench_equal.Sleep.time_sleep": ["('20',)"],
        "bench_equal.time_plain": ["()"],
    }


def test_failures_skips_and_timeouts_come_from_asv_and_finished_results_are_kept(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    shutil.copytree(DATA / "asv_demo" / "benchmarks", repository / "benchmarks")
    env_commit = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repository, check=True)
    subprocess.run(["git", "add", "."], cwd=repository, check=True)
    subprocess.run([*env_commit, "commit", "-q", "-m", "demo"], cwd=repository, check=True)
    done, _ = compare.run_suite(repository, "asv", tmp_path / "out", tmp_path / "home", "-rfs")
    assert done.returncode == 1, done.stdout[-4000:]
    out = done.stdout
    assert "5 failed, 30 passed, 6 skipped" in out
    assert "bench_demo.time_slow: benchmark timed out (timeout 1.0s)" in out
    assert "bench_demo.time_fails: ValueError: this benchmark fails on purpose" in out
    assert 'raise ValueError("this benchmark fails on purpose")' in out  # asv's traceback text
    assert "ValueError: this combination fails on purpose" in out
    assert "setup_cache failed under asv: RuntimeError: setup_cache fails on purpose" in out
    assert "SKIPPED" in out and "skipped: SkipNotImplemented('skipped on purpose')" in out
    written = compare.read_results(tmp_path / "out")["results"]
    expected = reduce_asv_results(
        load_asv_results(next(find_asv_results_files([DATA / "asv" / "demo_record_samples"])))
    )
    assert {name: list(keys) for name, keys in written.items()} == {
        name: list(keys) for name, keys in expected.results.items()
    }


def test_a_suite_outside_git_fails_clearly(tmp_path: Path) -> None:
    repository = tmp_path / "plain"
    (repository / "benchmarks").mkdir(parents=True)
    (repository / "benchmarks" / "__init__.py").write_text("")
    (repository / "benchmarks" / "bench_one.py").write_text("def time_one():\n    pass\n")
    done, _ = compare.run_suite(repository, "asv", tmp_path / "out", tmp_path / "home", "--nwb-commit-hash=abc")
    assert done.returncode == 1
    assert "is not in a git repository" in done.stdout


def test_missing_asv_is_a_usage_error(tmp_path: Path) -> None:
    repository = compare.make_suite_repository(tmp_path / "repo")
    # Python's own way of saying a module cannot be imported.
    (repository / "conftest.py").write_text("import sys\n\nsys.modules['asv'] = None\n")
    done, _ = compare.run_suite(repository, "asv", tmp_path / "out", tmp_path / "home")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "--nwb-runner=asv needs asv, which is not installed" in done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("result_*.json"))


def test_reduce_command_is_registered() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_nwb_benchmarks", "--help"], capture_output=True, text=True, check=True
    )
    assert "reduce" in done.stdout


def test_plain_asv_results_survive_a_pytest_driven_asv_run(tmp_path: Path) -> None:
    repository = compare.make_suite_repository(tmp_path / "repo")
    by_hand = repository / ".asv" / "intermediate_results" / "some-machine"
    by_hand.mkdir(parents=True)
    (by_hand / "machine.json").write_text('{"machine": "some-machine", "version": 1}')
    (by_hand / "run-by-hand.json").write_text('{"results": {}}')
    done, _ = compare.run_suite(repository, "asv", tmp_path / "out", tmp_path / "home", "-k", "time_plain")
    assert done.returncode == 0, done.stdout[-4000:]
    assert sorted(path.name for path in by_hand.iterdir()) == ["machine.json", "run-by-hand.json"]
    assert (by_hand / "run-by-hand.json").read_text() == '{"results": {}}'
    assert find_asv_results_files([repository / ".asv" / "pytest_run_results"])
