"""Interleaved rounds: a combination's leading rounds run in passes over the selection, as ``asv run`` orders them.

The event log is written by the measuring processes themselves (one line per round, from ``setup``), so the
order asserted is the order in which processes really ran. The last test shows why the order matters: a
load that is present when a run starts and gone half way through moves both rounds of a combination alike
when they run back to back (a false alarm), but only one of them when they are interleaved (``uncertain``).
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

COMMIT = "e" * 40

LOGGED = """
import os

LOG = {log!r}


def note(name):
    with open(LOG, "a") as stream:
        stream.write(f"{{name}} {{os.getpid()}}\\n")


class A:
    rounds = 2
    repeat = 2
    number = 1
    warmup_time = 0.0

    def setup(self):
        note("A")

    def time_a(self):
        pass


class B:
    rounds = 2
    repeat = 2
    number = 1
    warmup_time = 0.0

    def setup(self):
        note("B")

    def time_b(self):
        pass


class C:
    rounds = 3
    repeat = 2
    number = 1
    warmup_time = 0.0

    def setup(self):
        note("C")

    def time_c(self):
        pass


def track_d():
    note("D")
    return 1
"""


def _logged_suite(pytester: pytest.Pytester) -> Path:
    log = pytester.path / "events.log"
    pytester.mkpydir("asv_suite")
    pytester.path.joinpath("asv_suite", "bench_order.py").write_text(textwrap.dedent(LOGGED.format(log=str(log))))
    return log


def _rounds_in_order(log: Path) -> list[str]:
    """One name per measuring process, in the order they ran (setup runs once per sample: keep the first)."""
    names: list[str] = []
    seen: set[str] = set()
    for line in log.read_text().split("\n"):
        if line and line not in seen:
            seen.add(line)
            names.append(line.split()[0])
    return names


def _run(pytester: pytest.Pytester, folder: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "asv_suite",
        "--nwb-bench",
        "--nwb-commit-hash",
        COMMIT,
        "--nwb-results-dir",
        folder,
        "-p",
        "no:cacheprovider",
        *args,
    )


def _result(pytester: pytest.Pytester, folder: str) -> dict:
    (path,) = (pytester.path / folder).glob("result_timestamp-*.json")
    return json.loads(path.read_text())


def test_leading_rounds_run_in_passes_in_asvs_order(pytester: pytest.Pytester) -> None:
    log = _logged_suite(pytester)
    result = _run(pytester, "results")
    result.assert_outcomes(passed=4)
    # C has three rounds: its first runs alone, then one round of every case with two or more, then the items
    assert _rounds_in_order(log) == ["C", "A", "B", "C", "A", "B", "C", "D"]
    result.stdout.fnmatch_lines(
        ["*interleaved rounds: 4 leading rounds in 2 pass(es)*", "*leading pass 2 of 2: 3 rounds*"]
    )
    data = _result(pytester, "results")
    assert data["runner"]["round_order"] == "interleaved"
    precision = data["precision"]
    assert precision["bench_order.A.time_a"]["()"]["round_samples"] == [2, 2]
    assert precision["bench_order.C.time_c"]["()"]["round_samples"] == [2, 2, 2]
    assert len(data["results"]["bench_order.C.time_c"]["()"]) == 6


def test_consecutive_rounds_run_back_to_back(pytester: pytest.Pytester) -> None:
    log = _logged_suite(pytester)
    result = _run(pytester, "results", "--nwb-round-order", "consecutive")
    result.assert_outcomes(passed=4)
    assert _rounds_in_order(log) == ["A", "A", "B", "B", "C", "C", "C", "D"]
    assert "interleaved rounds" not in result.stdout.str()
    assert _result(pytester, "results")["runner"]["round_order"] == "consecutive"


def test_the_ini_setting_and_a_bad_value(pytester: pytest.Pytester) -> None:
    log = _logged_suite(pytester)
    pytester.makeini("[pytest]\nnwb_round_order = consecutive\n")
    _run(pytester, "results").assert_outcomes(passed=4)
    assert _rounds_in_order(log) == ["A", "A", "B", "B", "C", "C", "C", "D"]
    pytester.makeini("[pytest]\nnwb_round_order = sideways\n")
    bad = _run(pytester, "other")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*nwb_round_order must be one of interleaved, consecutive, not 'sideways'*"])


def test_a_selection_leads_only_its_own_cases(pytester: pytest.Pytester) -> None:
    log = _logged_suite(pytester)
    _run(pytester, "results", "-k", "time_b or track_d").assert_outcomes(passed=2)
    assert _rounds_in_order(log) == ["B", "B", "D"]


def test_a_failing_leading_round_fails_its_item_and_runs_no_more_rounds(pytester: pytest.Pytester) -> None:
    log = pytester.path / "events.log"
    pytester.mkpydir("asv_suite")
    source = f"""
    import os

    class Broken:
        rounds = 3
        repeat = 2
        warmup_time = 0.0

        def setup(self):
            with open({str(log)!r}, "a") as stream:
                stream.write(f"Broken {{os.getpid()}}\\n")
            raise RuntimeError("broken on purpose")

        def time_x(self):
            pass

    class Fine:
        rounds = 2
        repeat = 2
        warmup_time = 0.0

        def time_y(self):
            pass
    """
    pytester.path.joinpath("asv_suite", "bench_broken.py").write_text(textwrap.dedent(source))
    result = _run(pytester, "results", "-rf")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*bench_broken.Broken.time_x: RuntimeError: broken on purpose*", "FAILED *Broken*time_x*"]
    )
    assert _rounds_in_order(log) == ["Broken"]  # one process tried; the later passes skipped it
    assert len(_result(pytester, "results")["results"]["bench_broken.Fine.time_y"]["()"]) == 4


# -- why: a load that leaves half way through the run ------------------------------------------------------

DRIFT = """
import time

FACTOR_FILE = {factor!r}


def factor():
    with open(FACTOR_FILE) as stream:
        return float(stream.read())


class Drift:
    rounds = 2
    repeat = 12
    number = 1
    warmup_time = 0.0

    def setup(self):
        self.duration = 0.010 * factor()

    def time_sleep(self):
        time.sleep(self.duration)


class LoadLeaves:
    rounds = 2
    repeat = 1
    number = 1
    warmup_time = 0.0

    def setup(self):
        with open(FACTOR_FILE, "w") as stream:
            stream.write("1.0")

    def time_nothing(self):
        pass
"""


def _drift_row(pytester: pytest.Pytester, baseline: str, contender: str) -> dict:
    command = [sys.executable, "-m", "pytest_nwb_benchmarks", "compare", baseline, contender, "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=pytester.path)
    assert done.returncode == 0, done.stderr
    (row,) = [row for row in json.loads(done.stdout)["rows"] if row["benchmark"].endswith("Drift.time_sleep")]
    return row


@pytest.mark.parametrize(("order", "verdict"), [("consecutive", "slower"), ("interleaved", "uncertain")])
def test_a_load_that_leaves_mid_run(pytester: pytest.Pytester, order: str, verdict: str) -> None:
    """Baseline: no load. Contender: unchanged code, twice as slow until ``LoadLeaves`` runs.

    Back to back, both of Drift's rounds ran under the load: a false alarm. Interleaved, its second round
    ran after the load left, and the spread between its rounds makes the verdict ``uncertain``.
    """
    factor = pytester.path / "factor.txt"
    pytester.mkpydir("asv_suite")
    pytester.path.joinpath("asv_suite", "bench_drift.py").write_text(textwrap.dedent(DRIFT.format(factor=str(factor))))
    args = ("--nwb-round-order", order)
    factor.write_text("1.0")
    _run(pytester, "baseline", *args).assert_outcomes(passed=2)
    factor.write_text("2.0")
    _run(pytester, "contender", *args).assert_outcomes(passed=2)
    row = _drift_row(pytester, "baseline", "contender")
    assert row["verdict"] == verdict, row
    medians = row["contender_round_medians"]
    if order == "interleaved":
        assert max(medians) > 1.6 * min(medians), row  # the load moved one round, not both
    else:
        assert min(medians) > 1.6 * max(row["baseline_round_medians"]), row


def test_leading_rounds_run_inside_the_sessions_fixtures(pytester: pytest.Pytester) -> None:
    """The NWB suite starts its streaming server in a session fixture; leading rounds must see it."""
    pytester.makeconftest(
        """
        import os
        import pytest

        @pytest.fixture(scope="session", autouse=True)
        def service():
            os.environ["ROUND_ORDER_SERVICE"] = "up"
            yield
            del os.environ["ROUND_ORDER_SERVICE"]
        """
    )
    pytester.mkpydir("asv_suite")
    source = """
    import os

    class NeedsService:
        rounds = 3
        repeat = 2
        warmup_time = 0.0

        def setup(self):
            assert os.environ.get("ROUND_ORDER_SERVICE") == "up", "the session fixture is not up"

        def time_x(self):
            pass
    """
    pytester.path.joinpath("asv_suite", "bench_service.py").write_text(textwrap.dedent(source))
    result = _run(pytester, "results")
    result.assert_outcomes(passed=1)
    assert _result(pytester, "results")["precision"]["bench_service.NeedsService.time_x"]["()"]["round_samples"] == [
        2,
        2,
        2,
    ]


# -- comparing runs measured in different orders -------------------------------------------------------------


def _run_file(stamp: str, runner: dict | None) -> object:
    from pytest_nwb_benchmarks.results._result_files import ResultFile

    extra = {} if runner is None else {"runner": runner}
    return ResultFile(2, stamp, "c" * 40, "e" * 40, "a" * 40, {"m.time_x": {"()": [1.0, 1.1, 0.9]}}, extra)


@pytest.mark.parametrize(
    ("baseline", "contender", "noted"),
    [
        ({"name": "native", "round_order": "interleaved"}, {"name": "native", "round_order": "interleaved"}, None),
        ({"name": "native"}, {"name": "native", "round_order": "interleaved"}, "round order consecutive"),
        ({"name": "native", "round_order": "consecutive"}, {"name": "native"}, None),  # older files: back to back
        ({"name": "native", "setup_semantics": "sample"}, {"name": "native"}, "setup semantics sample"),
        ({"name": "asv"}, {"name": "native", "round_order": "interleaved"}, "runner asv"),
        (None, {"name": "native", "round_order": "interleaved"}, None),  # reduced from asv: nothing to say
    ],
)
def test_a_comparison_notes_runs_measured_differently(
    baseline: dict | None, contender: dict, noted: str | None
) -> None:
    from pytest_nwb_benchmarks import compare_result_files

    comparison = compare_result_files(
        _run_file("2026-01-01-00-00-00", baseline), _run_file("2026-01-02-00-00-00", contender)
    )
    method_notes = [note for note in comparison.notes if note.startswith("the runs were measured differently")]
    if noted is None:
        assert method_notes == []
    else:
        assert len(method_notes) == 1 and f"{noted} (baseline)" in method_notes[0], comparison.notes
