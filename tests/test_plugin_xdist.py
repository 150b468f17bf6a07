"""The plugin beside pytest-xdist, pytest-randomly and pytest-rerunfailures (all real, all installed).

Under ``--nwb-bench`` benchmarks are never measured concurrently: pytest-xdist is switched off for the
session, whatever asked for it, and one run writes one result file. Without ``--nwb-bench``, paths that
hold benchmarks get a line saying how to run them.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from test_upload import benchmarks_home, start_server  # noqa: F401 - the real results server, as fixtures

pytest_plugins = ["pytester"]


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The asv-runner tests' suite repository and pytest launcher.
compare = _load(Path(__file__).resolve().parent / "data" / "asv_demo" / "compare_runners.py")

COMMIT = "c" * 40
# pytest-xdist's options -> what the result file says was asked for
WORKER_ARGS = {
    "-n 2": "-n 2, --dist load",
    "-n auto": "-n auto, --dist load",
    "-n logical": "-n logical, --dist load",
    "--numprocesses=2 --dist loadgroup": "-n 2, --dist loadgroup",
    "-d --tx 2*popen": "--tx 2*popen, --dist load",
    "--dist=each --tx popen --tx popen": "--tx popen --tx popen, --dist each",
}

# Every timed call logs its own interval (CLOCK_MONOTONIC is one clock for all processes), and every
# pytest process (controller or worker) logs that it started.
SUITE = """
import os
import time

LOG = {log!r}


class Logged:
    rounds = 1
    repeat = 2
    number = 1
    warmup_time = 0.0
    params = [1, 2, 3, 4]
    param_names = ["n"]

    def time_work(self, n):
        start = time.monotonic()
        time.sleep(0.02)
        with open(LOG, "a") as log:
            log.write(f"{{n}} {{start}} {{time.monotonic()}}\\n")
"""

CONFTEST = """
import os

def pytest_configure(config):
    with open({processes!r}, "a") as log:
        log.write(("worker" if hasattr(config, "workerinput") else "main") + f" {{os.getpid()}}\\n")
"""


@pytest.fixture
def logged_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A benchmark suite whose calls and pytest processes are logged."""
    pytester.mkpydir("asv_suite")
    (pytester.path / "asv_suite" / "bench_logged.py").write_text(SUITE.format(log=str(pytester.path / "calls.log")))
    pytester.makeconftest(CONFTEST.format(processes=str(pytester.path / "processes.log")))
    return pytester


def calls(pytester: pytest.Pytester) -> list[tuple[int, float, float]]:
    lines = (pytester.path / "calls.log").read_text().split("\n")
    return [(int(n), float(start), float(end)) for n, start, end in (line.split() for line in lines if line)]


def result_files(pytester: pytest.Pytester) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((pytester.path / "results").glob("result_*.json"))]


def assert_measured_serially_once(pytester: pytest.Pytester) -> dict[str, Any]:
    """One pytest process, calls that never overlap, one result file with every combination once."""
    processes = (pytester.path / "processes.log").read_text().split()
    assert processes[0::2] == ["main"], processes
    intervals = sorted((start, end) for _, start, end in calls(pytester))
    assert len(intervals) >= 8
    for (_, earlier_end), (later_start, _) in zip(intervals, intervals[1:]):
        assert later_start >= earlier_end, intervals
    (written,) = result_files(pytester)
    samples = written["results"]["bench_logged.Logged.time_work"]
    assert sorted(samples) == ["('1',)", "('2',)", "('3',)", "('4',)"]
    assert all(len(values) == 2 for values in samples.values())
    assert len(list((pytester.path / "results").glob("info_machine-*.json"))) == 1
    assert len(list((pytester.path / "results").glob("info_environment-*.json"))) == 1
    return written


@pytest.mark.parametrize("worker_args", list(WORKER_ARGS))
def test_xdist_is_switched_off_under_nwb_bench(logged_suite: pytest.Pytester, worker_args: str) -> None:
    result = logged_suite.runpytest_subprocess(
        "asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "-p", "no:cacheprovider", *worker_args.split()
    )
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=4)
    result.stdout.no_fnmatch_line("*workers*")
    result.stdout.fnmatch_lines(
        ["*nwb benchmarks: pytest-xdist switched off (*, from the command line): benchmarks are measured one at a*"]
    )
    written = assert_measured_serially_once(logged_suite)
    assert written["xdist"]["requested"] == WORKER_ARGS[worker_args]
    assert written["xdist"]["from"] == "the command line"
    assert written["xdist"]["done"].startswith("switched off")


def test_xdist_from_addopts_or_environment_is_switched_off_and_says_where_it_came_from(
    logged_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged_suite.makeini("[pytest]\naddopts = -n auto --dist loadgroup\n")
    result = logged_suite.runpytest_subprocess("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "-q")
    assert result.ret == 0, result.stdout.str()
    # -q hides the header; the closing summary still says it
    result.stdout.fnmatch_lines(["*pytest-xdist switched off (-n auto, --dist loadgroup, from the configuration*"])
    assert assert_measured_serially_once(logged_suite)["xdist"]["requested"] == "-n auto, --dist loadgroup"

    (logged_suite.path / "tox.ini").unlink()
    for name in ("results", "calls.log", "processes.log"):
        path = logged_suite.path / name
        if path.is_dir():
            for child in path.iterdir():
                child.unlink()
        else:
            path.unlink()
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly -p no:rerunfailures -n 2")
    result = logged_suite.runpytest_subprocess("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT)
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*pytest-xdist switched off (-n 2, --dist load, from the configuration*"])
    assert_measured_serially_once(logged_suite)


def test_without_xdist_options_nothing_is_said(logged_suite: pytest.Pytester) -> None:
    # -d without environments, and -n 0 whatever else is set, distribute nothing in pytest-xdist either
    result = logged_suite.runpytest_subprocess(
        "asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "-n", "0", "-d", "--tx", "2*popen"
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.no_fnmatch_line("*pytest-xdist switched off*")
    result.stdout.no_fnmatch_line("*workers*")
    assert "xdist" not in assert_measured_serially_once(logged_suite)


def test_ordinary_tests_still_use_xdist_without_nwb_bench(logged_suite: pytest.Pytester) -> None:
    logged_suite.makepyfile(test_plain="def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    result = logged_suite.runpytest_subprocess("test_plain.py", "-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 workers*"])
    assert sorted((logged_suite.path / "processes.log").read_text().split()[0::2]) == ["main", "worker", "worker"]


def test_a_worker_that_distribution_was_forced_into_refuses_benchmarks(logged_suite: pytest.Pytester) -> None:
    # Something (here the controller's conftest) hands --nwb-bench to workers behind the plugin's back.
    logged_suite.makeconftest(
        "import os\n\ndef pytest_configure(config):\n"
        "    if not hasattr(config, 'workerinput'):\n"
        "        os.environ['PYTEST_ADDOPTS'] = '-p no:randomly -p no:rerunfailures --nwb-bench'\n"
    )
    result = logged_suite.runpytest_subprocess("asv_suite", "-n", "1", "--nwb-commit-hash", COMMIT)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*--nwb-bench: benchmarks are never measured in pytest-xdist workers, yet this is worker gw0*-p no:xdist*"]
    )
    assert not (logged_suite.path / "calls.log").exists()
    assert not (logged_suite.path / "results").exists()


def test_randomly_reorders_but_measures_every_combination_once(logged_suite: pytest.Pytester) -> None:
    base = ("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "-p", "no:cacheprovider")
    assert logged_suite.runpytest_subprocess(*base).ret == 0
    default_order = [n for n, _, _ in calls(logged_suite)][::2]
    assert default_order == [1, 2, 3, 4]
    for seed in range(1, 6):
        (logged_suite.path / "calls.log").unlink()
        for path in (logged_suite.path / "results").glob("result_*.json"):
            path.unlink()
        result = logged_suite.runpytest_subprocess(*base, "-p", "randomly", f"--randomly-seed={seed}")
        assert result.ret == 0, result.stdout.str()
        (written,) = result_files(logged_suite)
        samples = written["results"]["bench_logged.Logged.time_work"]
        # every combination once, and in parameter order whatever order they ran in
        assert [(key, len(values)) for key, values in samples.items()] == [(f"('{n}',)", 2) for n in (1, 2, 3, 4)]
        if [n for n, _, _ in calls(logged_suite)][::2] != default_order:
            break
    else:
        pytest.fail("pytest-randomly never changed the order: was it active?")


FLAKY = """
import os

MARK = {mark!r}


def time_flaky():
    if not os.path.exists(MARK):
        open(MARK, "w").close()
        raise RuntimeError("the first attempt fails")


time_flaky.rounds = 1
time_flaky.repeat = 3
time_flaky.number = 1
time_flaky.warmup_time = 0.0
"""


def test_a_rerun_replaces_the_failed_attempt(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("asv_suite")
    (pytester.path / "asv_suite" / "bench_flaky.py").write_text(FLAKY.format(mark=str(pytester.path / "failed-once")))
    result = pytester.runpytest_subprocess(
        "asv_suite",
        "--nwb-bench",
        "--nwb-commit-hash",
        COMMIT,
        "-p",
        "rerunfailures",
        "--reruns",
        "2",
        "-n",
        "2",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes() == {"passed": 1, "rerun": 1}
    summary = [line for line in result.outlines if line.startswith("bench_flaky.time_flaky ")]
    assert len(summary) == 1 and "failed" not in summary[0], summary
    result.stdout.fnmatch_lines(["bench_flaky.time_flaky: measured again by a rerun (*attempt 2, passed*"])
    (written,) = result_files(pytester)
    assert len(written["results"]["bench_flaky.time_flaky"]["()"]) == 3


def test_paths_with_benchmarks_say_that_nwb_bench_runs_them(logged_suite: pytest.Pytester) -> None:
    result = logged_suite.runpytest("asv_suite", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # nothing ran, as pytest says
    result.stdout.fnmatch_lines(
        [
            "nwb benchmarks: the ASV-style benchmarks in asv_suite/bench_logged.py were not run; "
            "--nwb-bench runs them: pytest asv_suite -p no:cacheprovider * --nwb-bench"
        ]
    )
    # Under xdist the workers collect, and tell the controller.
    result = logged_suite.runpytest_subprocess("asv_suite", "-n", "2", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["nwb benchmarks: the ASV-style benchmarks in asv_suite/bench_logged.py were not run*"])
    assert not (logged_suite.path / "calls.log").exists()


def test_the_hint_names_only_given_paths_that_held_no_test(logged_suite: pytest.Pytester) -> None:
    tests = logged_suite.path / "tests"
    (tests / "data").mkdir(parents=True)
    (tests / "test_plain.py").write_text("def test_one():\n    pass\n")
    (tests / "data" / "bench_demo.py").write_text("class Demo:\n    def time_it(self):\n        pass\n")
    # Named like a benchmark only inside a string, or not at module or class level: no benchmark.
    (tests / "helpers.py").write_text(
        'SOURCE = """\ndef time_x():\n    pass\n"""\n\ndef f():\n    def time_y():\n        pass\n'
    )
    result = logged_suite.runpytest("tests", "-p", "no:cacheprovider")  # tests ran there: a demo suite is data
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*nwb benchmarks*")

    result = logged_suite.runpytest("tests", "asv_suite", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["nwb benchmarks: the ASV-style benchmarks in asv_suite/bench_logged.py were not run*"])

    logged_suite.makeini("[pytest]\ntestpaths = tests/data asv_suite\n")
    result = logged_suite.runpytest("-p", "no:cacheprovider")  # testpaths count as given paths
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(
        ["*benchmarks in 2 files (asv_suite/bench_logged.py, tests/data/bench_demo.py) were not run*"]
    )


def test_the_projects_own_runs_keep_their_order(request: pytest.FixtureRequest) -> None:
    assert not request.config.pluginmanager.has_plugin("randomly")  # the project's addopts
    assert not request.config.pluginmanager.has_plugin("rerunfailures")
    assert request.config.getoption("numprocesses", None) in (None, 0)


def test_an_uploading_run_under_xdist_sends_one_run_once(
    logged_suite: pytest.Pytester,
    benchmarks_home: Path,  # noqa: F811 - the fixture imported above
    start_server: Any,  # noqa: F811
) -> None:
    server = start_server()
    upload = ("--nwb-upload", "--nwb-server-url", server.url, "-p", "no:cacheprovider")
    result = logged_suite.runpytest_subprocess(
        "asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "-n", "2", *upload
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*pytest-xdist switched off (-n 2*", "nwb upload: 3 uploaded"])
    assert_measured_serially_once(logged_suite)
    written = {path.name for path in (logged_suite.path / "results").iterdir()}
    assert set(server.remote_files()) == written and len(written) == 3
    commits = server.commit_order()

    # The upload action ignores -n: it runs before any session, and sends nothing twice.
    again = logged_suite.runpytest_subprocess("-n", "2", *upload)
    assert again.ret == 0, again.stdout.str()
    again.stdout.fnmatch_lines(["nwb upload: 3 already uploaded"])
    again.stdout.no_fnmatch_line("*workers*")
    assert server.commit_order() == commits


def test_the_asv_runner_under_xdist_runs_asv_once(tmp_path: Path) -> None:
    pytest.importorskip("asv")
    repository = compare.make_suite_repository(tmp_path / "repo")
    done, _ = compare.run_suite(
        repository, "asv", tmp_path / "out", tmp_path / "home", "-n", "2", "-k", "time_plain or track_length"
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "pytest-xdist switched off (-n 2, --dist load, from the command line)" in done.stdout
    assert "workers" not in done.stdout
    (written,) = [json.loads(path.read_text()) for path in (tmp_path / "out").glob("result_*.json")]
    assert set(written["results"]) == {"bench_equal.time_plain", "bench_equal.Small.track_length"}
    assert written["runner"]["name"] == "asv" and written["runner"]["asv_runs"] == 1
    assert written["xdist"]["requested"] == "-n 2, --dist load"
