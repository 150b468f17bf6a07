"""Benchmarks and pytest-xdist: one benchmark at a time, in one process, one result file.

Timings taken while other xdist workers compete for the same cores measure the competition, and every
worker would write a partial result file of its own. So when ``--nwb-bench`` is given and pytest-xdist
would distribute the session (``-n N``, ``-n auto``, ``-n logical``, ``--numprocesses``, ``--tx`` with
``-d``/``--dist``, whether from the command line, ``addopts`` or ``PYTEST_ADDOPTS``), distribution is
switched off for the session as ``-n 0`` would, and the terminal and the result file say so.

pytest-xdist decides in two steps: its ``pytest_cmdline_main`` turns ``-n`` into a list of execution
environments (``tx``), and its ``pytest_configure`` (``trylast``) starts the distributed session when
``dist != "no"`` and ``tx`` is not empty. The plugin's own ``pytest_configure`` runs between the two, so
it sees the resolved settings and clears them before any worker exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

__all__ = ["RefusedInWorker", "XdistSwitchedOff", "in_worker", "requested_workers", "switch_off_xdist"]

# Options of pytest-xdist that ask for distribution (as typed; short ones may carry their value).
_LONG_FLAGS = ("--numprocesses", "--maxprocesses", "--tx", "--dist")
_SHORT_FLAGS = ("-n", "-d")


@dataclass(frozen=True)
class XdistSwitchedOff:
    """What pytest-xdist was asked to do, and that it was not done.

    Attributes
    ----------
    requested : str
        The distribution pytest-xdist would have started, e.g. ``-n auto (2 workers), --dist load``.
    source : str
        Where it was asked for: the command line, or the configuration (``addopts``/``PYTEST_ADDOPTS``).
    """

    requested: str
    source: str

    def message(self) -> str:
        """The line shown in the terminal."""
        return (
            f"nwb benchmarks: pytest-xdist switched off ({self.requested}, from {self.source}): benchmarks are "
            "measured one at a time in this pytest process, together with any tests collected with them"
        )

    def record(self) -> dict[str, str]:
        """The entry written into the result file."""
        return {
            "requested": self.requested,
            "from": self.source,
            "done": "switched off: the whole session ran in one pytest process, one benchmark at a time",
        }


def requested_workers(config: pytest.Config) -> Any:
    """Return ``-n`` as given (``"auto"``, ``"logical"``, a number or None), before pytest-xdist resolves it.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration, before any ``pytest_cmdline_main`` implementation ran.

    Returns
    -------
    object
        The value of ``--numprocesses``, or None when pytest-xdist is not installed or ``-n`` was not given.
    """
    return getattr(config.option, "numprocesses", None)


def _given_on_command_line(args: Sequence[str]) -> bool:
    for arg in args:
        if arg == "--":
            return False
        if any(arg == flag or arg.startswith(flag + "=") for flag in _LONG_FLAGS):
            return True
        if any(arg.startswith(flag) and not arg.startswith("--") for flag in _SHORT_FLAGS):
            return True
    return False


def switch_off_xdist(config: pytest.Config, raw_workers: Any) -> XdistSwitchedOff | None:
    """Stop pytest-xdist from distributing this session, if it was about to.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration, after pytest-xdist's ``pytest_cmdline_main`` and before its
        ``pytest_configure``.
    raw_workers : object
        ``-n`` as given (see :func:`requested_workers`).

    Returns
    -------
    XdistSwitchedOff or None
        What was switched off; None when pytest-xdist is absent or would not have distributed.
    """
    option = config.option
    environments = list(getattr(option, "tx", None) or [])
    dist = getattr(option, "dist", "no")
    if not environments or dist == "no":
        return None  # pytest-xdist's own test for starting workers
    if raw_workers not in (None, 0):
        requested = f"-n {raw_workers}"
        if str(raw_workers) != str(len(environments)):
            requested += f" ({len(environments)} worker{'s' if len(environments) != 1 else ''})"
    else:
        requested = "--tx " + " --tx ".join(environments)
    requested += f", --dist {dist}"
    source = (
        "the command line"
        if _given_on_command_line(config.invocation_params.args)
        else "the configuration (addopts or PYTEST_ADDOPTS)"
    )
    # The state pytest-xdist itself leaves for -n 0.
    option.numprocesses = 0
    option.dist = "no"
    option.tx = []
    return XdistSwitchedOff(requested, source)


def in_worker(config: pytest.Config) -> bool:
    """Tell whether this process is a pytest-xdist worker."""
    return hasattr(config, "workerinput")


class RefusedInWorker(pytest.File):
    """Stands for a benchmark file in a pytest-xdist worker: reported as a collection error, never measured.

    Workers exist under ``--nwb-bench`` only when something switched distribution back on after this
    plugin switched it off; a collection error reaches the controller's report, where an exception in
    the worker's start-up would only make pytest-xdist start replacement workers.
    """

    def collect(self) -> list[pytest.Item]:
        workerid = getattr(self.config, "workerinput", {}).get("workerid", "?")
        raise self.CollectError(
            f"--nwb-bench: benchmarks are never measured in pytest-xdist workers, yet this is worker {workerid}: "
            "something switched distribution back on after pytest-nwb-benchmarks switched it off. "
            "Run the benchmarks with -p no:xdist (or -n 0)."
        )
