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


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's pytester, whose runs (in-process and subprocess) go without pytest-randomly and -rerunfailures.

    Installed, pytest-randomly would reorder and reseed every run pytester starts, and pytest-rerunfailures
    would open a status server in each, as the project's own ``addopts`` keep them from doing to the outer
    run. A test turns them on again with ``-p randomly`` or ``-p rerunfailures``. pytester clears
    ``PYTEST_ADDOPTS`` when it starts; this sets it afterwards.
    """
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly -p no:rerunfailures")
    return pytester
