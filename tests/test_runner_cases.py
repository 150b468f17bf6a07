"""Runners measure plain cases: no pytest item, no pytest session, only a discovered benchmark and an index.

Also: every benchmark type has a measurer, and the resets registered for measuring processes run in
forked children only (the fsspec reset among them).
"""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from pytest_nwb_benchmarks.collect._benchmark_types import BENCHMARK_TYPES
from pytest_nwb_benchmarks.collect._case import STATUSES, Case
from pytest_nwb_benchmarks.collect._discovery import Benchmark, discover_benchmarks
from pytest_nwb_benchmarks.run import _child_reset
from pytest_nwb_benchmarks.run._measurers import MEASURERS
from pytest_nwb_benchmarks.run._native_runner import NativeRunner
from pytest_nwb_benchmarks.run._recorder import RunRecorder

SUITE = """
import os

from pytest_nwb_benchmarks import SkipNotImplemented


def track_tenfold(x):
    return 10 * x


track_tenfold.params = [1, 2]


def track_reset_seen():
    return int(os.environ.get("NWB_TEST_CHILD_RESET", "0"))


def track_skipped():
    raise SkipNotImplemented("not on this machine")


def track_broken():
    raise RuntimeError("broken on purpose")


class Timed:
    rounds = 2
    repeat = 2
    warmup_time = 0.0

    def time_sum(self):
        sum(range(100))
"""


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    package = tmp_path / "case_suite"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "benchmarks.py").write_text(textwrap.dedent(SUITE))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("case_suite.benchmarks")
    yield module
    for name in ("case_suite.benchmarks", "case_suite"):
        sys.modules.pop(name, None)


def _cases(module: ModuleType) -> dict[str, list[Case]]:
    cases: dict[str, list[Case]] = {}
    for found in discover_benchmarks(module, "benchmarks", "case_suite"):
        assert isinstance(found, Benchmark), found
        count = len(found.combinations()) if found.params else 1
        cases[found.func_name] = [
            Case(found, index, f"case_suite/benchmarks.py::{found.func_name}[{index}]", Path(module.__file__))
            for index in range(count)
        ]
    return cases


def _runner(*cases: Case) -> NativeRunner:
    runner = NativeRunner(launch_method="fork", precision_overrides={"precision_target": 0})
    runner.start(cases)
    return runner


def test_the_native_runner_measures_cases_without_pytest_items(suite: ModuleType) -> None:
    cases = _cases(suite)
    tenfold = cases["track_tenfold"]
    runner = _runner(*tenfold)
    try:
        outcomes = [runner.run(case) for case in tenfold]
    finally:
        runner.close()
    assert [outcome.status for outcome in outcomes] == ["passed", "passed"]
    assert [outcome.samples for outcome in outcomes] == [[10], [20]]
    assert [case.params_key for case in tenfold] == ["('1',)", "('2',)"]


def test_each_status_of_a_case_is_one_of_the_shared_vocabulary(suite: ModuleType) -> None:
    cases = _cases(suite)
    chosen = [cases["track_skipped"][0], cases["track_broken"][0], cases["time_sum"][0]]
    runner = _runner(*chosen)
    skipped, broken, timed = (runner.run(case) for case in chosen)
    assert (skipped.status, broken.status, timed.status) == ("skipped", "failed", "passed")
    assert {skipped.status, broken.status, timed.status} <= set(STATUSES)
    assert "not on this machine" in skipped.message
    assert "broken on purpose" in broken.message
    assert timed.rounds == 2 and len(timed.samples) == 4 and timed.number is not None


def test_the_recorder_keeps_a_case_under_its_params_key(suite: ModuleType) -> None:
    tenfold = _cases(suite)["track_tenfold"]
    runner = _runner(*tenfold)
    recorder = RunRecorder()
    for case in reversed(tenfold):
        recorder.record(case, runner.run(case))
    assert recorder.results == {"benchmarks.track_tenfold": {"('2',)": [20], "('1',)": [10]}}
    assert list(recorder._ordered_results()["benchmarks.track_tenfold"]) == ["('1',)", "('2',)"]
    assert [row.params for row in recorder.rows] == ["param1=2", "param1=1"]


def test_registered_resets_run_in_measuring_processes_only(suite: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_child_reset, "_RESETS", [])
    monkeypatch.delenv("NWB_TEST_CHILD_RESET", raising=False)
    case = _cases(suite)["track_reset_seen"][0]
    assert _runner(case).run(case).samples == [0]

    def mark_child() -> None:
        os.environ["NWB_TEST_CHILD_RESET"] = "1"

    assert _child_reset.register_child_reset(mark_child) is mark_child
    _child_reset.register_child_reset(mark_child)
    assert _child_reset.child_resets() == (mark_child,)
    assert _runner(case).run(case).samples == [1]
    assert "NWB_TEST_CHILD_RESET" not in os.environ


def test_every_benchmark_type_has_a_measurer() -> None:
    assert set(MEASURERS) == {benchmark_type.key for benchmark_type in BENCHMARK_TYPES}


def test_the_fsspec_reset_empties_the_instance_caches_and_is_registered() -> None:
    fsspec = pytest.importorskip("fsspec")
    from pytest_nwb_benchmarks.nwb._fsspec_reset import reset_fsspec_instances

    assert reset_fsspec_instances in _child_reset.child_resets()
    first = fsspec.filesystem("memory")
    assert type(first)._cache, "fsspec keeps the instance it made"
    reset_fsspec_instances()
    assert not type(first)._cache
    assert fsspec.filesystem("memory") is not first
