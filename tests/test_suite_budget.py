"""The whole run's time budget (``--nwb-suite-budget``): shared out among the combinations still to run."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_nwb_benchmarks.results._result_files import read_result_file
from pytest_nwb_benchmarks.run._precision_options import parse_duration
from server._schemas import validate_content

COMMIT = "c" * 40

# Every call sleeps 50 ms and never meets the target, so sampling runs to whatever budget it gets.
SUITE = """
import time


class Sleepy:
    rounds = 1
    number = 1
    warmup_time = 0.0
    precision_target = 0.0001
    time_budget = 1.0
    params = [1, 2, 3]

    def time_sleep(self, n):
        time.sleep(0.05)
"""


def _run(pytester: pytest.Pytester, *args: str, results: str = "results") -> tuple[pytest.RunResult, dict[str, Any]]:
    if not (pytester.path / "asv_suite").exists():
        pytester.mkpydir("asv_suite")
        pytester.path.joinpath("asv_suite", "bench_sleepy.py").write_text(textwrap.dedent(SUITE))
    result = pytester.runpytest(
        "asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "--nwb-results-dir", results, *args
    )
    files = sorted((pytester.path / results).glob("result_timestamp-*.json"))
    assert len(files) == 1, result.stdout.str()
    return result, json.loads(files[0].read_text())


def test_without_a_run_budget_each_combination_uses_its_own(pytester: pytest.Pytester) -> None:
    result, data = _run(pytester)
    result.assert_outcomes(passed=3)
    records = data["precision"]["bench_sleepy.Sleepy.time_sleep"].values()
    assert data["runner"]["suite_budget"] is None
    for record in records:
        assert record["time_budget"] == 1.0 and "own_time_budget" not in record
        assert record["samples"] >= 8  # 50 ms a call in 1 s, less under load
    assert "run budget:" not in result.stdout.str()


def test_a_run_budget_cuts_each_combination_to_its_share(pytester: pytest.Pytester) -> None:
    result, data = _run(pytester, "--nwb-suite-budget", "0.6s")
    result.assert_outcomes(passed=3)
    assert data["runner"]["suite_budget"] == 0.6
    records = list(data["precision"]["bench_sleepy.Sleepy.time_sleep"].values())
    for record in records:
        # at most 0.2 s each (less once earlier ones overran): a few samples, never none
        assert record["own_time_budget"] == 1.0 and record["time_budget"] <= 0.2 + 1e-9
        assert 1 <= record["samples"] <= 6 and record["stop"] == "time budget spent"
    assert sum(len(samples) for samples in data["results"]["bench_sleepy.Sleepy.time_sleep"].values()) <= 18
    result.stdout.fnmatch_lines(["*run budget: 3 of 3 timed combinations sampled for less than their own*"])
    # the file stays readable by the project's reader and acceptable to the results server
    read_result_file(next((pytester.path / "results").glob("result_timestamp-*.json")))
    validate_content("result", data)


def test_the_ini_setting_and_zero(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nnwb_suite_budget = 1m\n")
    _, data = _run(pytester, "-k", "1")
    assert data["runner"]["suite_budget"] == 60.0
    _, data = _run(
        pytester, "-k", "1", "--nwb-suite-budget", "0", results="second"
    )  # the option beats the ini; 0 is none
    assert data["runner"]["suite_budget"] is None


@pytest.mark.parametrize("value", ["-1", "abc", "nan", "5x", "inf"])
def test_bad_budgets_are_usage_errors(pytester: pytest.Pytester, value: str) -> None:
    pytester.mkpydir("asv_suite")
    result = pytester.runpytest("asv_suite", "--nwb-bench", f"--nwb-suite-budget={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nwb-suite-budget*"])


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.sampled_from(["", "s", "m", "h", "S", "M"]))
def test_durations_parse_with_their_unit(number: float, unit: str) -> None:
    scale = {"": 1, "s": 1, "m": 60, "h": 3600}[unit.lower()]
    assert parse_duration(f"{number!r}{unit}") == pytest.approx(number * scale)
    assert parse_duration(f"  {number!r}{unit} ") == pytest.approx(number * scale)
