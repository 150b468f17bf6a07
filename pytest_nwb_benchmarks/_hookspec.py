"""Hooks that pytest-nwb-benchmarks adds to pytest, for the project's other plugins and for users."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.hookspec
def pytest_nwb_results_written(config: pytest.Config, paths: list[Path]) -> None:
    """Called once at the end of a benchmark run, after its result files were written.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration.
    paths : list of pathlib.Path
        The files this run wrote: the result file and any new machine or environment header.
    """


@pytest.hookspec
def pytest_nwb_result_metadata(config: pytest.Config) -> dict | None:
    """Return extra top-level entries for this run's result file (for example a suite's settings).

    Every implementation's dict is merged into the file under its own keys; return None to add
    nothing.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration.
    """
