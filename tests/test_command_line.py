"""The ``nwb-benchmarks`` console script and ``python -m pytest_nwb_benchmarks``."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

import pytest_nwb_benchmarks
from pytest_nwb_benchmarks.__main__ import COMMANDS


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_nwb_benchmarks", flag], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"pytest-nwb-benchmarks {pytest_nwb_benchmarks.__version__}"


def test_console_script_lists_every_command() -> None:
    script = shutil.which("nwb-benchmarks")
    assert script, "the nwb-benchmarks console script is not installed"
    done = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    for name in COMMANDS:
        assert f"  {name}" in done.stdout


def test_an_unknown_command_is_a_usage_error() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest_nwb_benchmarks", "frobnicate"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown command 'frobnicate'" in done.stderr
