"""Real runs whose measuring processes differ: the comparison says ``uncertain``, and a real slowdown stays ``slower``.

The benchmark sleeps a base time plus an offset drawn once per measuring process (from the operating
system's randomness, the first time a process runs it), times a factor read from a file: two runs of
unchanged code then differ only by which offsets their processes drew, the false alarm of a pooled rank
test, while a factor of two moves every process. Six rounds a side make a chance pattern that passes the
process-level rule (every process of one run beyond every process of the other, further apart than any
two of the same run) about a one-in-100 000 event (see ``report/_rounds.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy  # noqa: F401 - imported before pytester's in-process runs, which cannot import numpy twice
import pytest
import scipy.stats  # noqa: F401 - likewise

pytest_plugins = ["pytester"]

COMMIT = "d" * 40
ROUNDS = 6

SUITE = """
import os
import time

BASE = 0.010  # seconds
SPREAD = 0.3  # a process sleeps BASE * (1 + u * SPREAD), u uniform in [0, 1) drawn once per process
FACTOR_FILE = {factor_file!r}
_LEVEL = {{}}


def level():
    pid = os.getpid()
    if pid not in _LEVEL:
        u = int.from_bytes(os.urandom(4), "big") / 2**32
        with open(FACTOR_FILE) as stream:
            factor = float(stream.read())
        _LEVEL.clear()
        _LEVEL[pid] = BASE * (1.0 + u * SPREAD) * factor
    return _LEVEL[pid]


class ProcessOffset:
    rounds = {rounds}
    repeat = 12
    number = 1
    warmup_time = 0.0

    def time_sleep(self):
        time.sleep(level())
"""


def _run(pytester: pytest.Pytester, name: str, *args: str) -> tuple[pytest.RunResult, Path]:
    folder = pytester.path / name
    result = pytester.runpytest(
        "asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "--nwb-results-dir", str(folder), *args
    )
    return result, folder


def _compare(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest_nwb_benchmarks", "compare", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _row(done: subprocess.CompletedProcess[str]) -> dict:
    document = json.loads(done.stdout)
    (row,) = document["rows"]
    return row


def test_process_offsets_are_uncertain_and_a_real_slowdown_is_slower(pytester: pytest.Pytester) -> None:
    factor = pytester.path / "factor.txt"
    factor.write_text("1.0")
    pytester.mkpydir("asv_suite")
    source = SUITE.format(factor_file=str(factor), rounds=ROUNDS)
    pytester.path.joinpath("asv_suite", "bench_offset.py").write_text(textwrap.dedent(source))

    first, run_a = _run(pytester, "run-a")
    first.assert_outcomes(passed=1)
    second, run_b = _run(pytester, "run-b", f"--nwb-compare={run_a}", "--nwb-compare-fail=10")
    assert second.ret == pytest.ExitCode.OK, second.stdout.str()  # an uncertain row fails nothing
    factor.write_text("2.0")
    third, run_c = _run(pytester, "run-c", f"--nwb-compare={run_a}", "--nwb-compare-fail=10")
    assert third.ret == pytest.ExitCode.TESTS_FAILED, third.stdout.str()
    third.stdout.fnmatch_lines(["*slower*ProcessOffset.time_sleep*", "*failing the session*"])

    for folder in (run_a, run_b, run_c):
        (result_file,) = folder.glob("result_timestamp-*.json")
        record = json.loads(result_file.read_text())["precision"]["bench_offset.ProcessOffset.time_sleep"]["()"]
        assert record["round_samples"] == [12] * ROUNDS

    control = _compare(run_a, run_b, "--format", "json", "--fail-on", "change")
    row = _row(control)
    assert control.returncode == 0 and row["verdict"] in ("same", "uncertain"), row
    assert row["baseline_rounds"] == row["contender_rounds"] == ROUNDS and row["note"] is None
    # each process drew its own offset: the rounds of one run differ
    assert row["round_spread"] > 0.02, row

    slowdown = _compare(run_a, run_c, "--format", "json", "--fail-on", "regression")
    row = _row(slowdown)
    assert slowdown.returncode == 1 and row["verdict"] == "slower", row
    assert min(row["contender_round_medians"]) > 1.4 * max(row["baseline_round_medians"])


STEADY = """
def clock_of(duration):
    state = {"now": 0.0, "calls": 0}

    def clock():
        state["calls"] += 1
        state["now"] += duration if state["calls"] % 2 == 0 else 1.0
        return state["now"]

    return clock


class Steady:
    rounds = 3
    number = 1
    warmup_time = 0.0
    precision_target = 0.05
    timer = staticmethod(clock_of(0.010))

    def time_steady(self):
        pass
"""


def test_every_round_takes_its_share_under_a_precision_target(pytester: pytest.Pytester) -> None:
    """The first round meets the target after 6 identical samples; the later ones take as many of their own."""
    pytester.mkpydir("asv_suite")
    pytester.path.joinpath("asv_suite", "bench_steady.py").write_text(textwrap.dedent(STEADY))
    result, folder = _run(pytester, "steady")
    result.assert_outcomes(passed=1)
    (result_file,) = folder.glob("result_timestamp-*.json")
    record = json.loads(result_file.read_text())["precision"]["bench_steady.Steady.time_steady"]["()"]
    assert (record["round_samples"], record["samples"], record["stop"]) == ([6, 6, 6], 18, "target met")
