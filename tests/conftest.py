"""Shared test set-up: pytester (its runs without pytest-randomly), and a benchmarks home of the session's own."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session", autouse=True)
def isolated_benchmarks_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the tests' machine name, upload tracker and data cache out of the user's own home.

    A session whose environment already names a home (``NWB_BENCHMARKS_HOME``) keeps it, so a
    developer can point the tests at a warm data cache.
    """
    if os.environ.get("NWB_BENCHMARKS_HOME"):
        yield
        return
    os.environ["NWB_BENCHMARKS_HOME"] = str(tmp_path_factory.mktemp("benchmarks-home"))
    try:
        yield
    finally:
        os.environ.pop("NWB_BENCHMARKS_HOME", None)


# Plugins of the test group that would change every pytest run they are loaded in; the project's addopts
# keep them out of its own runs, and these options out of the runs its tests start.
PLUGINS_OFF = "-p no:randomly -p no:rerunfailures"


@pytest.fixture(scope="session", autouse=True)
def plugins_off_in_started_runs() -> Iterator[None]:
    """Keep pytest-randomly and pytest-rerunfailures out of the pytest runs the tests start as processes."""
    previous = os.environ.get("PYTEST_ADDOPTS")
    os.environ["PYTEST_ADDOPTS"] = f"{previous} {PLUGINS_OFF}" if previous else PLUGINS_OFF
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYTEST_ADDOPTS", None)
        else:
            os.environ["PYTEST_ADDOPTS"] = previous


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's pytester, whose runs (in-process and subprocess) go without pytest-randomly and -rerunfailures.

    Installed, pytest-randomly would reorder and reseed every run pytester starts, and pytest-rerunfailures
    would open a status server in each, as the project's own ``addopts`` keep them from doing to the outer
    run. A test turns them on again with ``-p randomly`` or ``-p rerunfailures``. pytester clears
    ``PYTEST_ADDOPTS`` when it starts; this sets it afterwards.
    """
    monkeypatch.setenv("PYTEST_ADDOPTS", PLUGINS_OFF)
    return pytester
