"""Run one small suite with both runners (native and asv) and report their wall times.

    python tests/data/asv_demo/compare_runners.py

The suite is written into a temporary git repository; each runner runs it once through
``pytest --nwb-bench`` in its own process and writes its result file into its own folder. The
printed figures are the wall time of each whole pytest process and their ratio. The same
helpers are used by ``tests/test_asv_runner.py`` to check that both runners report the same
benchmarks, parameter keys and sample counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Fixed rounds x repeat x number, so that both runners take the same number of samples.
SUITE = '''\
import time

from pytest_nwb_benchmarks import SkipNotImplemented


class Fixed:
    rounds = 2
    repeat = 3
    number = 1
    warmup_time = 0.0


class Sleep(Fixed):
    """Millisecond-scale benchmarks whose medians both runners should agree on.

    Long enough that the scheduler's lateness on a busy machine stays well under 10%.
    """

    params = [5, 20]
    param_names = ["ms"]

    def time_sleep(self, ms):
        time.sleep(ms / 1000)


class Small(Fixed):
    """Sub-millisecond work, a skipped combination, and a value."""

    params = [10, 20, 30]
    param_names = ["n"]

    def setup(self, n):
        if n == 20:
            raise SkipNotImplemented("not this one")
        self.data = list(range(n))

    def time_sum(self, n):
        sum(self.data)

    def track_length(self, n):
        return len(self.data)


def time_plain():
    sum(range(100))


time_plain.rounds = 2
time_plain.repeat = 3
time_plain.number = 10
time_plain.warmup_time = 0.0
'''


def make_suite_repository(folder: Path) -> Path:
    """Write the suite as ``benchmarks/`` of a new git repository in ``folder`` and commit it.

    Parameters
    ----------
    folder : pathlib.Path
        An empty or missing folder.

    Returns
    -------
    pathlib.Path
        The repository.
    """
    package = folder / "benchmarks"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "bench_equal.py").write_text(SUITE)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid")
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "."], ["git", "commit", "-q", "-m", "suite"]):
        subprocess.run(command, cwd=folder, env=env, check=True)
    return folder


def run_suite(
    repository: Path, runner: str, results_dir: Path, home: Path, *extra: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``pytest benchmarks --nwb-bench --nwb-runner=<runner>`` in its own process.

    Parameters
    ----------
    repository : pathlib.Path
        The suite's repository.
    runner : str
        ``"native"`` or ``"asv"``.
    results_dir : pathlib.Path
        Where the result file and headers go.
    home : pathlib.Path
        Home folder for the run (asv keeps its machine file there; the plugin its state).
    *extra : str
        Further pytest arguments (``-k``...).

    Returns
    -------
    tuple
        The finished process and its wall time in seconds.
    """
    env = dict(os.environ, HOME=str(home), NWB_BENCHMARKS_HOME=str(home / ".nwb_benchmarks"))
    command = [
        sys.executable,
        "-m",
        "pytest",
        "benchmarks",
        "--nwb-bench",
        f"--nwb-runner={runner}",
        f"--nwb-results-dir={results_dir}",
        "-p",
        "no:cacheprovider",
        "-q",
        *extra,
    ]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=repository, env=env, capture_output=True, text=True)
    return done, time.perf_counter() - start


def read_results(results_dir: Path) -> dict:
    """The one result file a run wrote into ``results_dir``, parsed."""
    (path,) = sorted(results_dir.glob("result_*.json"))
    return json.loads(path.read_text())


def main() -> int:
    """Run the suite both ways and print the wall times.

    Returns
    -------
    int
        0 when both runs succeeded.
    """
    with tempfile.TemporaryDirectory() as tmp:
        repository = make_suite_repository(Path(tmp) / "repo")
        times = {}
        for runner in ("native", "asv"):
            done, seconds = run_suite(repository, runner, Path(tmp) / runner, Path(tmp) / "home")
            if done.returncode != 0:
                print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
                return 1
            times[runner] = seconds
            print(f"{runner:>6}: {seconds:6.2f} s wall time")
        print(f" ratio: asv / native = {times['asv'] / times['native']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
