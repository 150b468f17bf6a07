"""Steps in a results folder's history: injected steps are found between the right commits, controls are not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pytest_nwb_benchmarks import find_steps, write_result_file
from pytest_nwb_benchmarks.report._regressions import load_runs

pytest.importorskip("asv")


def _history(folder: Path, runs: int = 14, seed: int = 0) -> list[str]:
    """Write a history: ``time_step`` is 40 % slower from run 7, bytes fall by a fifth from run 10."""
    rng = np.random.default_rng(seed)
    commits = [f"{index:02d}" + "c" * 38 for index in range(runs)]
    for index, commit in enumerate(commits):
        level = 1.4 if index >= 7 else 1.0
        results = {
            "b.T.time_step": {"()": list(level * 0.01 * np.exp(rng.normal(0, 0.03, 10)))},
            "b.T.time_control": {"()": list(0.01 * np.exp(rng.normal(0, 0.03, 10)))},
            "b.N.track_network": {"()": {"bytes_downloaded": 1000 if index < 10 else 800, "method": "x"}},
        }
        write_result_file(
            folder,
            results=results,
            commit_hash=commit,
            machine_hash="m" * 40,
            environment_hash="e" * 40,
            timestamp=f"2026-01-{index + 1:02d}-00-00-00",
        )
    return commits


def test_injected_steps_are_found_and_controls_are_not(tmp_path: Path) -> None:
    commits = _history(tmp_path)
    runs, notes = load_runs(tmp_path)
    assert len(runs) == 14 and not notes
    steps = find_steps(runs)
    found = {(step.benchmark, step.quantity): step for step in steps}
    assert set(found) == {("b.T.time_step", None), ("b.N.track_network", "bytes_downloaded")}
    step = found[("b.T.time_step", None)]
    assert (step.kind, step.before_commit, step.after_commit) == ("regression", commits[6], commits[7])
    assert 1.3 < step.result.ratio < 1.5 and step.result.p_value < 0.002
    assert step.result.ci_low > 1.1
    net = found[("b.N.track_network", "bytes_downloaded")]
    assert (net.kind, net.before_commit, net.after_commit, net.result.exact) == (
        "improvement",
        commits[9],
        commits[10],
        True,
    )


def test_the_command_exit_codes_and_json(tmp_path: Path) -> None:
    _history(tmp_path)
    command = [sys.executable, "-m", "pytest_nwb_benchmarks", "regressions", str(tmp_path)]
    done = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    steps = json.loads(done.stdout)["steps"]
    assert sorted(step["kind"] for step in steps) == ["improvement", "regression"]
    assert {"before_commit", "after_commit", "ratio", "ci_low", "ci_high", "p_value", "verdict"} <= set(steps[0])
    assert subprocess.run([*command, "--fail-on", "regression"], capture_output=True, timeout=300).returncode == 1
    done = subprocess.run([*command, "--machine", "zz"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "no steps found" in done.stdout
    missing = subprocess.run([*command[:-1], str(tmp_path / "nope")], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "is not a folder" in missing.stderr


def test_unreadable_files_are_skipped_with_a_note(tmp_path: Path) -> None:
    _history(tmp_path, runs=3)
    bad = tmp_path / "result_timestamp-2026-02-01-00-00-00_machine-m_environment-e.json"
    bad.write_text("[]")
    runs, notes = load_runs(tmp_path)
    assert len(runs) == 3 and len(notes) == 1 and str(bad) in notes[0]


def test_legacy_results_folder(tmp_path: Path) -> None:
    runs, _ = load_runs(Path(__file__).parent / "data" / "results-2024")
    assert runs
    for step in find_steps(runs, include_unsure=True):
        json.dumps(step.to_json(), allow_nan=False)
