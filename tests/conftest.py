"""Shared test set-up: pytester, and a benchmarks home of the test session's own."""

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
