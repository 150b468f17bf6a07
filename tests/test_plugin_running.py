"""Running ASV-style benchmarks natively: asv's semantics, attribute by attribute, and the result files."""

# The suites these tests write live in a package called asv_suite rather than benchmarks, so
# that they never meet the repository's own benchmarks package in sys.modules.

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

COMMIT = "a" * 40


def make_suite(pytester: pytest.Pytester, source: str, name: str = "bench_suite") -> None:
    if not (pytester.path / "asv_suite").exists():
        pytester.mkpydir("asv_suite")
    pytester.path.joinpath("asv_suite", f"{name}.py").write_text(textwrap.dedent(source))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, *args)


def result_file(pytester: pytest.Pytester, folder: str = "results") -> dict[str, Any]:
    files = sorted((pytester.path / folder).glob("result_timestamp-*.json"))
    assert len(files) == 1, files
    return json.loads(files[0].read_text())


def events(pytester: pytest.Pytester) -> list[str]:
    return (pytester.path / "events.log").read_text().split()


def logging_suite(pytester: pytest.Pytester, attributes: str = "") -> None:
    log = pytester.path / "events.log"
    make_suite(
        pytester,
        f"""
        class Logged:
            rounds = 1
            repeat = 3
            warmup_time = 0.0
            {attributes}

            def setup(self):
                with open({str(log)!r}, "a") as f:
                    f.write("setup ")

            def teardown(self):
                with open({str(log)!r}, "a") as f:
                    f.write("teardown ")

            def time_call(self):
                with open({str(log)!r}, "a") as f:
                    f.write("call ")
        """,
    )


def test_setup_runs_before_every_timed_call_by_default(pytester: pytest.Pytester) -> None:
    logging_suite(pytester, "number = 4")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*Logged.time_call: setup re-ran between the 4 individually timed calls*"])
    log = events(pytester)
    # asv_runner 0.3: every one of the 3 x 4 calls is preceded by its own setup
    assert log.count("call") == 12
    assert log.count("setup") == 12
    assert all(log[index - 1] == "setup" for index, event in enumerate(log) if event == "call")
    runner = result_file(pytester)["runner"]
    assert runner["setup_semantics"] == "call"


def test_sample_semantics_share_setup_between_the_calls_of_a_sample(pytester: pytest.Pytester) -> None:
    logging_suite(pytester, "number = 4")
    run(pytester, "--nwb-setup-semantics", "sample").assert_outcomes(passed=1)
    log = events(pytester)
    assert log.count("call") == 12
    assert log.count("setup") == 3  # one per sample (asv_runner 0.2)
    assert result_file(pytester)["runner"]["setup_semantics"] == "sample"


def test_rounds_times_repeat_samples_and_a_calibrated_number(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        class Counted:
            rounds = 2
            repeat = 3
            warmup_time = 0.02

            def time_fast(self):
                pass  # well under a microsecond: calibration must batch many calls per sample

        class Default:
            def time_fast(self):
                pass
        """,
    )
    # target 0: asv's own sampling for every benchmark (precision-driven sampling is tested in test_precision.py)
    run(pytester, "--nwb-precision-target", "0").assert_outcomes(passed=2)
    data = result_file(pytester)
    assert len(data["results"]["bench_suite.Counted.time_fast"]["()"]) == 6
    assert len(data["results"]["bench_suite.Default.time_fast"]["()"]) == 10  # asv default: 2 rounds x 5
    assert data["benchmarks"]["bench_suite.Counted.time_fast"]["number"]["()"] > 100


def test_setup_cache_runs_once_and_its_value_comes_first(pytester: pytest.Pytester) -> None:
    log = pytester.path / "events.log"
    make_suite(
        pytester,
        f"""
        class Cached:
            params = [1, 2]

            def setup_cache(self):
                with open({str(log)!r}, "a") as f:
                    f.write("setup_cache ")
                return {{"base": 10}}

            def setup(self, cache, factor):
                self.value = cache["base"] * factor

            def track_product(self, cache, factor):
                return self.value + cache["base"]

        class BrokenCache:
            def setup_cache(self):
                raise RuntimeError("cannot build the cache")

            def track_never(self, cache):
                return 1
        """,
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*setup_cache failed: RuntimeError: cannot build the cache*"])
    assert events(pytester) == ["setup_cache"]
    assert result_file(pytester)["results"]["bench_suite.Cached.track_product"] == {"('1',)": [20], "('2',)": [30]}


def test_skips_and_failures_follow_asv(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        from pytest_nwb_benchmarks import SkipNotImplemented

        class Mixed:
            params = [1, 2, 3, 4]

            def setup(self, x):
                if x == 2:
                    raise NotImplementedError("two is not implemented")

            def track_x(self, x):
                if x == 3:
                    raise SkipNotImplemented("three is skipped")
                if x == 4:
                    raise NotImplementedError("a plain NotImplementedError in the body fails")
                return x

        def track_none():
            return None

        def track_fails():
            raise ValueError("broken benchmark")
        """,
    )
    result = run(pytester, "-rs")
    result.assert_outcomes(passed=1, skipped=2, failed=3)
    result.stdout.fnmatch_lines(["*two is not implemented*", "*three is skipped*"])
    result.stdout.fnmatch_lines(["*ValueError: broken benchmark*", "*track_none returned None*"])
    # skipped and failed combinations are absent, and the others keep their own keys
    results = result_file(pytester)["results"]
    assert results == {"bench_suite.Mixed.track_x": {"('1',)": [1]}}


def test_a_benchmark_over_its_timeout_is_stopped_and_the_run_goes_on(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        import time

        class Slow:
            timeout = 0.5
            def track_slow(self):
                time.sleep(30)
                return 1

        def track_after():
            return 2
        """,
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*timed out: ran longer than the timeout of 0.5 s and was stopped*"])
    assert result.duration < 20


def test_track_units_dicts_and_pretty_names(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        def track_widgets():
            return 7
        track_widgets.unit = "widgets"
        track_widgets.pretty_name = "Widgets made"

        def track_network():
            return {"samples": {"bytes": 10, "requests": 3}, "number": None}

        def track_repeated():
            return {"samples": [1.0, 2.0, 3.0], "number": 1}
        """,
    )
    run(pytester).stdout.fnmatch_lines(["*Widgets made*7 widgets*"])
    data = result_file(pytester)
    assert data["results"]["bench_suite.track_network"] == {"()": {"bytes": 10, "requests": 3}}
    assert data["results"]["bench_suite.track_repeated"] == {"()": [1.0, 2.0, 3.0]}
    assert data["benchmarks"]["bench_suite.track_widgets"]["unit"] == "widgets"
    assert data["benchmarks"]["bench_suite.track_widgets"]["pretty_name"] == "Widgets made"


def test_peakmem_sees_a_large_allocation_and_mem_sizes_the_object(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        def peakmem_small():
            pass

        def peakmem_80mb():
            data = bytearray(80 * 1024 * 1024)
            data[::4096] = b"x" * len(data[::4096])

        def mem_list():
            return [0] * 1000
        """,
    )
    run(pytester).assert_outcomes(passed=3)
    results = result_file(pytester)["results"]
    small = results["bench_suite.peakmem_small"]["()"][0]
    large = results["bench_suite.peakmem_80mb"]["()"][0]
    assert 75 * 2**20 < large - small < 90 * 2**20
    assert results["bench_suite.mem_list"]["()"][0] >= 8000


def test_per_process_caches_do_not_leak_between_benchmarks(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        import os
        import fsspec

        class First:
            rounds = 2
            def track_makes_a_filesystem(self):
                fsspec.filesystem("memory")
                return os.getpid()

        class Second:
            def track_instances_seen(self):
                return len(fsspec.get_filesystem_class("memory")._cache)
        """,
    )
    run(pytester).assert_outcomes(passed=2)
    results = result_file(pytester)["results"]
    assert results["bench_suite.Second.track_instances_seen"]["()"] == [0]
    # measured in a process of its own, not in the (in-process) pytest run that collected it
    assert results["bench_suite.First.track_makes_a_filesystem"]["()"][0] != os.getpid()


def test_result_files_and_headers(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        class Params:
            params = [["a", "b"], [1]]
            param_names = ["letter", "number"]
            def track_it(self, letter, number):
                return number

        def track_plain():
            return 3
        """,
    )
    run(pytester, "--nwb-results-dir", "out").assert_outcomes(passed=3)
    folder = pytester.path / "out"
    names = sorted(path.name for path in folder.iterdir())
    assert [name.split("-")[0] for name in names] == ["info_environment", "info_machine", "result_timestamp"]
    text = next(folder.glob("result_*.json")).read_text()
    data = json.loads(text)
    assert list(data)[:6] == ["version", "timestamp", "commit_hash", "environment_hash", "machine_hash", "results"]
    assert data["version"] == 2 and data["commit_hash"] == COMMIT
    assert data["results"]["bench_suite.Params.track_it"] == {"(\"'a'\", '1')": [1], "(\"'b'\", '1')": [1]}
    assert data["results"]["bench_suite.track_plain"] == {"()": [3]}
    assert text.startswith('{\n    "version"')  # indented for line-by-line diffs
    assert f"machine-{data['machine_hash']}" in names[1]
    # the headers are written only when absent
    before = {path.name: path.stat().st_mtime_ns for path in folder.glob("info_*.json")}
    run(pytester, "--nwb-results-dir", "out", "-k", "plain").assert_outcomes(passed=1)
    assert {path.name: path.stat().st_mtime_ns for path in folder.glob("info_*.json")} == before
    assert len(list(folder.glob("result_*.json"))) == 2


def test_results_dir_ini_option_and_git_commit(pytester: pytest.Pytester) -> None:
    make_suite(pytester, "def track_one():\n    return 1\n")
    pytester.makeini("[pytest]\nnwb_results_dir = from_ini\n")
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *command], cwd=pytester.path, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=pytester.path, capture_output=True, text=True).stdout
    pytester.path.joinpath("asv_suite", "bench_suite.py").write_text("def track_one():\n    return 2\n")
    result = pytester.runpytest("asv_suite", "--nwb-bench")
    result.stdout.fnmatch_lines(["*uncommitted changes*"])
    assert result_file(pytester, "from_ini")["commit_hash"] == head.strip()


def test_debug_mode_runs_in_process_once_and_writes_nothing(pytester: pytest.Pytester) -> None:
    logging_suite(pytester)
    make_suite(pytester, "def track_boom():\n    raise KeyError('in the body')\n", name="bench_boom")
    result = run(pytester, "--nwb-debug")
    result.assert_outcomes(passed=1, failed=1)
    assert events(pytester).count("call") == 1
    # a real traceback through the benchmark's own frame
    result.stdout.fnmatch_lines(["*def track_boom*", "*KeyError*in the body*", "*debug mode: no result file written*"])
    assert not (pytester.path / "results").exists()


def test_ctrl_c_keeps_the_samples_of_finished_benchmarks(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        import os
        import signal

        def track_a_first():
            return 1

        def track_b_interrupts():
            os.kill(os.getppid(), signal.SIGINT)
            import time
            time.sleep(30)

        def track_c_never():
            return 3
        """,
    )
    # A shell without job control starts background jobs with SIGINT ignored, and an ignored signal stays
    # ignored across exec: catch it here so that the pytest under test starts with Ctrl-C working.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = pytester.runpytest_subprocess(
            "asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "-p", "no:cacheprovider"
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert result_file(pytester)["results"] == {"bench_suite.track_a_first": {"()": [1]}}


def test_last_failed_reruns_only_the_failed_combination(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        class P:
            params = [1, 2, 3]
            def track_p(self, x):
                assert x != 2
                return x
        """,
    )
    pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT).assert_outcomes(passed=2, failed=1)
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, "--lf", "-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*track_p?2? FAILED*"])


def test_summary_table_and_written_files_line(pytester: pytest.Pytester) -> None:
    make_suite(pytester, "class T:\n    repeat = 2\n    rounds = 1\n    def time_x(self):\n        pass\n")
    result = run(pytester)
    result.stdout.fnmatch_lines(
        [
            "*benchmark*params*median*IQR*samples*unit*",
            "*bench_suite.T.time_x*ns*2*seconds*",
            "nwb benchmarks: wrote *result_timestamp-*_machine-*_environment-*.json*",
        ]
    )


def test_the_tests_folder_is_untouched_without_the_option(pytester: pytest.Pytester) -> None:
    make_suite(pytester, "def track_x():\n    return 1\n")
    pytester.makepyfile(test_plain="def test_ok():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not Path(pytester.path / "results").exists()


def test_timeraw_times_code_in_a_fresh_interpreter(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        class Raw:
            repeat = 2
            rounds = 1
            warmup_time = 0.0

            def timeraw_import_json(self):
                return "import json"

            def timeraw_with_setup(self):
                return "x.sort()", "x = list(range(1000))"
        """,
    )
    run(pytester).assert_outcomes(passed=2)
    results = result_file(pytester)["results"]
    for name in ("bench_suite.Raw.timeraw_import_json", "bench_suite.Raw.timeraw_with_setup"):
        samples = results[name]["()"]
        assert len(samples) == 2 and all(0 < sample < 1 for sample in samples)


def test_spawned_measuring_processes_give_the_same_results(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        import os

        class Spawned:
            params = ["x", "y"]

            def setup_cache(self):
                return {"x": 1, "y": 2}

            def track_value(self, cache, key):
                return cache[key]

            def track_cwd_is_the_cache_folder(self, cache, key):
                return int(os.path.exists("cache.pickle"))
        """,
    )
    run(pytester, "--nwb-launch-method", "spawn").assert_outcomes(passed=4)
    results = result_file(pytester)["results"]
    assert results["bench_suite.Spawned.track_value"] == {"(\"'x'\",)": [1], "(\"'y'\",)": [2]}
    assert results["bench_suite.Spawned.track_cwd_is_the_cache_folder"]["(\"'x'\",)"] == [1]
