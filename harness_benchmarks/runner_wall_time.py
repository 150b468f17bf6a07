"""How long the native runner and ``asv run --python=same`` take to run the same small suite.

Run with ``pytest harness_benchmarks --nwb-bench -k runner_wall_time``; the result is one dict of
wall-clock seconds and the asv/native ratio.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SUITE = """
    import time

    class Arithmetic:
        params = [[10, 1000], ["list", "tuple"]]
        param_names = ["n", "kind"]

        def setup(self, n, kind):
            self.data = list(range(n)) if kind == "list" else tuple(range(n))

        def time_sum(self, n, kind):
            sum(self.data)

        def track_length(self, n, kind):
            return len(self.data)

    class Sleepy:
        params = [1, 2]

        def time_sleep(self, milliseconds):
            time.sleep(milliseconds / 1000)

    def time_module_function():
        sorted(range(1000))

    def peakmem_list():
        return list(range(100_000))
"""

ASV_CONF = {
    "version": 1,
    "project": "runner-comparison",
    "repo": ".",
    "dvcs": "git",
    "branches": ["main"],
    "environment_type": "existing",
    "benchmark_dir": "benchmarks",
    "results_dir": ".asv/results",
    "html_dir": ".asv/html",
}


def make_suite_repository(folder: Path) -> str:
    """Write the small suite into a new git repository and return its commit hash."""
    (folder / "benchmarks").mkdir(parents=True)
    (folder / "benchmarks" / "__init__.py").write_text("")
    (folder / "benchmarks" / "bench_small.py").write_text(textwrap.dedent(SUITE))
    (folder / "asv.conf.json").write_text(json.dumps(ASV_CONF))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=folder, check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "suite"], cwd=folder, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=folder, check=True, capture_output=True, text=True
    ).stdout.strip()


def wall_seconds(command: list[str], folder: Path, env: dict[str, str]) -> float:
    """Run a command to completion and return how long it took."""
    started = time.perf_counter()
    subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


class RunnerWallTime:
    rounds = 1
    timeout = 900
    unit = "seconds"

    def setup(self) -> None:
        if shutil.which("asv") is None:
            raise NotImplementedError("asv is not installed: pip install asv")
        self.folder = Path(tempfile.mkdtemp(prefix="runner-comparison-"))
        self.commit = make_suite_repository(self.folder)
        self.env = dict(os.environ, HOME=str(self.folder))  # asv keeps its machine file in the home folder
        subprocess.run(["asv", "machine", "--yes"], cwd=self.folder, env=self.env, check=True, capture_output=True)

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def track_native_and_asv_wall_time(self) -> dict:
        native = wall_seconds(
            [sys.executable, "-m", "pytest", "benchmarks", "--nwb-bench", "-p", "no:cacheprovider", "-q"],
            self.folder,
            self.env,
        )
        asv = wall_seconds(
            ["asv", "run", "--python=same", "--record-samples", "--set-commit-hash", self.commit],
            self.folder,
            self.env,
        )
        return {
            "samples": {"native_seconds": native, "asv_seconds": asv, "asv_to_native_ratio": asv / native},
            "number": None,
        }
