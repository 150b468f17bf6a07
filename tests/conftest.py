"""Shared test set-up: pytester (its runs without pytest-randomly), and a benchmarks home of the test session's own."""

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
    """pytest's pytester, whose runs (in-process and subprocess) keep their order and seeds.

    pytest-randomly, when installed, would reorder and reseed every run pytester starts, as the project's
    own ``addopts`` keep it from doing to the outer run. A test turns it on again with ``-p randomly``.
    pytester clears ``PYTEST_ADDOPTS`` when it starts; this sets it afterwards.
    """
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly")
    return pytester
