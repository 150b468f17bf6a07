"""The native runner against real ``asv run --python=same --record-samples`` on the same suite."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_nwb_benchmarks.results._reduce import reduce_asv_results

pytest_plugins = ["pytester"]

pytestmark = pytest.mark.skipif(shutil.which("asv") is None, reason="asv is not installed (pip install asv)")

SUITE = """
    import time

    class Sleep:
        params = [1, 3]
        param_names = ["milliseconds"]
        repeat = 3
        warmup_time = 0.01

        def time_sleep(self, milliseconds):
            time.sleep(milliseconds / 1000)

    class WithSetup:
        rounds = 1
        repeat = 4
        warmup_time = 0.0

        def setup(self):
            self.delay = 0.002

        def time_sleep_after_setup(self):
            # sleeping keeps the comparison meaningful on a shared, loaded machine; CPU-bound
            # timings are compared by the runner-comparison benchmark, not by a test
            time.sleep(self.delay)

    class Tracked:
        params = [["a", "b"], [1, 2]]
        param_names = ["letter", "count"]

        def track_length(self, letter, count):
            return len(letter * count)

    def peakmem_80mb():
        data = bytearray(80 * 1024 * 1024)
        data[::4096] = b"x" * len(data[::4096])
"""

ASV_CONF = {
    "version": 1,
    "project": "equivalence",
    "repo": ".",
    "dvcs": "git",
    "branches": ["main"],
    "environment_type": "existing",
    "benchmark_dir": "benchmarks",
    "results_dir": ".asv/results",
    "html_dir": ".asv/html",
}


def _git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, cwd=folder, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """Run the suite through asv and through the plugin once; return both reduced result sets."""
    folder = tmp_path_factory.mktemp("equivalence")
    (folder / "benchmarks").mkdir()
    (folder / "benchmarks" / "__init__.py").write_text("")
    (folder / "benchmarks" / "bench_equivalence.py").write_text(textwrap.dedent(SUITE))
    (folder / "asv.conf.json").write_text(json.dumps(ASV_CONF))
    _git(folder, "init", "-q", "-b", "main")
    _git(folder, "add", "-A")
    _git(folder, "commit", "-qm", "suite")
    commit = _git(folder, "rev-parse", "HEAD")
    env = dict(os.environ, HOME=str(folder))  # asv keeps its machine file in the home folder
    subprocess.run(["asv", "machine", "--yes"], cwd=folder, env=env, check=True, capture_output=True)
    asv = subprocess.run(
        ["asv", "run", "--python=same", "--record-samples", "--set-commit-hash", commit],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert asv.returncode == 0, asv.stdout + asv.stderr
    (raw_file,) = [
        p for p in (folder / ".asv" / "results").rglob("*.json") if p.name not in ("machine.json", "benchmarks.json")
    ]
    from_asv = reduce_asv_results(json.loads(raw_file.read_text())).results

    native = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "benchmarks",
            "--nwb-bench",
            "-p",
            "no:cacheprovider",
            "--nwb-results-dir",
            "out",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert native.returncode == 0, native.stdout + native.stderr
    (result_file,) = (folder / "out").glob("result_*.json")
    return from_asv, json.loads(result_file.read_text())["results"]


def test_same_benchmark_ids_and_params_keys(both_runs: tuple[dict, dict]) -> None:
    from_asv, native = both_runs
    assert sorted(native) == sorted(from_asv)
    for name in from_asv:
        assert sorted(native[name]) == sorted(from_asv[name]), name


def test_same_number_of_samples(both_runs: tuple[dict, dict]) -> None:
    from_asv, native = both_runs
    for name, combinations in from_asv.items():
        for key, samples in combinations.items():
            assert len(native[name][key]) == len(samples), (name, key)
    assert len(native["bench_equivalence.Sleep.time_sleep"]["('1',)"]) == 6  # rounds 2 x repeat 3


def test_medians_agree_for_benchmarks_of_a_millisecond_or_more(both_runs: tuple[dict, dict]) -> None:
    from_asv, native = both_runs
    compared = 0
    for name, combinations in from_asv.items():
        if ".time_" not in name:
            continue
        for key, samples in combinations.items():
            reference = statistics.median(samples)
            if reference < 1e-3:
                continue
            compared += 1
            # Loose on purpose: a sleep of a few ms scatters by 10-20 % between processes on a shared
            # machine, while a semantic difference (setup timed, calls miscounted) is a factor of 2 or more.
            assert statistics.median(native[name][key]) == pytest.approx(reference, rel=0.5), (name, key)
    assert compared >= 2


def test_peak_memory_reads_within_a_quarter_of_asv(both_runs: tuple[dict, dict]) -> None:
    from_asv, native = both_runs
    name = "bench_equivalence.peakmem_80mb"
    assert native[name]["()"][0] == pytest.approx(from_asv[name]["()"][0], rel=0.25)


def test_track_values_are_identical(both_runs: tuple[dict, dict]) -> None:
    from_asv, native = both_runs
    name = "bench_equivalence.Tracked.track_length"
    assert native[name] == from_asv[name]
