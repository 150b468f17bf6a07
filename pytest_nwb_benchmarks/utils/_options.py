"""Reading a setting that may come from a command-line option, an environment variable or the ini file."""

from __future__ import annotations

import os
from typing import Any

import pytest


def setting(
    config: pytest.Config,
    option: str | None = None,
    *,
    env: str | None = None,
    ini: str | None = None,
    default: Any = None,
) -> Any:
    """Return the first value given, in the order option, environment variable, ini setting.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration.
    option : str, optional
        The option's ``dest`` (``nwb_results_dir``); an option that is not registered counts as unset.
    env : str, optional
        An environment variable.
    ini : str, optional
        An ini setting.
    default : object, optional
        What is returned when none of them is set.

    Returns
    -------
    object
        The first value that is neither None nor blank text, else ``default``.
    """
    candidates = (
        (lambda: config.getoption(option, default=None)) if option else None,
        (lambda: os.environ.get(env)) if env else None,
        (lambda: config.getini(ini)) if ini else None,
    )
    for read in candidates:
        if read is None:
            continue
        value = read()
        if value is not None and not (isinstance(value, str) and not value.strip()):
            return value
    return default


def option_group(parser: pytest.Parser) -> pytest.OptionGroup:
    """The command-line group that every part of the harness adds its ``--nwb-*`` options to.

    Parameters
    ----------
    parser : pytest.Parser
        The parser handed to ``pytest_addoption``.

    Returns
    -------
    pytest.OptionGroup
        The ``nwb-benchmarks`` group.
    """
    return parser.getgroup("nwb-benchmarks", "ASV-style benchmarks (pytest-nwb-benchmarks)")
