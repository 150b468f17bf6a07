"""The pytest plugin: options, collection of ASV-style benchmarks, running them, writing results."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import _hookspec

    pluginmanager.add_hookspecs(_hookspec)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nwb-benchmarks", "ASV-style benchmarks (pytest-nwb-benchmarks)")
    group.addoption(
        "--nwb-bench",
        action="store_true",
        default=False,
        help="collect and run ASV-style benchmarks (time_, timeraw_, peakmem_, mem_, track_) in the given paths",
    )
    group.addoption(
        "--nwb-results-dir",
        default=None,
        help="folder for the result files and headers (default: ini nwb_results_dir, or ./results)",
    )
    parser.addini("nwb_results_dir", "folder for the benchmark result files", default="results")


def results_dir(config: pytest.Config) -> Path:
    """Return the folder where result files are written, resolved against the invocation directory.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration.

    Returns
    -------
    pathlib.Path
        ``--nwb-results-dir``, else the ini option ``nwb_results_dir`` (relative to the rootdir).
    """
    option = config.getoption("nwb_results_dir")
    if option:
        return Path(option).expanduser().resolve()
    return (config.rootpath / config.getini("nwb_results_dir")).resolve()
