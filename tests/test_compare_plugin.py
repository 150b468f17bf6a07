"""``pytest --nwb-compare=REF`` prints a comparison after the summary; ``--nwb-compare-fail=PCT`` fails on a regression."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy  # noqa: F401 - imported before pytester's in-process runs, which cannot import numpy twice
import pytest
import scipy.stats  # noqa: F401 - likewise

pytest_plugins = ["pytester"]

COMMIT = "b" * 40


def _plugin_args() -> list[str]:
    return []  # the compare plugin comes with the main one (its ``pytest_plugins``)


def _suite(pytester: pytest.Pytester) -> Path:
    delay = pytester.path / "delay.txt"
    pytester.mkpydir("asv_suite")
    source = f"""
        import time


        class Sleep:
            rounds = 1
            repeat = 8
            number = 1
            warmup_time = 0.0

            def time_sleep(self):
                with open({str(delay)!r}) as f:
                    seconds = float(f.read())
                time.sleep(seconds)
    """
    pytester.path.joinpath("asv_suite", "bench_sleep.py").write_text(textwrap.dedent(source))
    return delay


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, *_plugin_args(), *args)


def test_compare_with_the_latest_run_and_fail_on_a_regression(pytester: pytest.Pytester) -> None:
    delay = _suite(pytester)
    delay.write_text("0.004")
    first = _run(pytester, "--nwb-compare=latest")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*nwb compare: not compared:*no result file*"])
    delay.write_text("0.03")
    slower = _run(pytester, "--nwb-compare=latest", "--nwb-compare-fail=10")
    assert slower.ret == pytest.ExitCode.TESTS_FAILED
    slower.stdout.fnmatch_lines(["*nwb compare*", "*slower*Sleep.time_sleep*", "*failing the session*"])
    # Judged against the slow run, the same slow timing again passes.
    again = _run(pytester, "--nwb-compare=latest", "--nwb-compare-fail=10")
    assert again.ret == pytest.ExitCode.OK
    assert "failing the session" not in again.stdout.str()
    # A folder or a file as reference: the first (fast) run, and a regression without fail is reported only.
    first_file = sorted((pytester.path / "results").glob("result_timestamp-*.json"))[0]
    by_file = _run(pytester, f"--nwb-compare={first_file}")
    assert by_file.ret == pytest.ExitCode.OK
    by_file.stdout.fnmatch_lines(["*baseline:*", "*slower*"])


def test_bad_option_values_stop_before_running(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    result = _run(pytester, "--nwb-compare=latest", "--nwb-compare-fail=ten")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nwb-compare-fail expects a percentage*"])
    result = _run(pytester, "--nwb-compare-fail=10")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nwb-compare-fail needs --nwb-compare*"])
