"""Benchmarks and pytest-xdist: one benchmark at a time, in one process, one result file.

Timings taken while other xdist workers compete for the same cores measure the competition, and every
worker would write a partial result file of its own. So when ``--nwb-bench`` is given and pytest-xdist
would distribute the session (``-n N``, ``-n auto``, ``-n logical``, ``--numprocesses``, ``--tx`` with
``-d``/``--dist``, whether from the command line, ``addopts`` or ``PYTEST_ADDOPTS``), distribution is
switched off for the session as ``-n 0`` would, and the terminal and the result file say so.

pytest-xdist decides in two steps: its ``pytest_cmdline_main`` turns ``-n`` into a list of execution
environments (``tx``), and its ``pytest_configure`` (``trylast``) starts the distributed session when
``dist != "no"`` and ``tx`` is not empty. The plugin switches distribution off before the first step, from
a ``pytest_cmdline_main`` wrapper (so that every plugin's ``pytest_configure`` sees an undistributed
session), and checks again with pytest-xdist's own test between the two steps, from its own
``pytest_configure``, in case anything asked for distribution in a way the first check does not know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

# Options of pytest-xdist that ask for distribution (as typed; short ones may carry their value).
_LONG_FLAGS = ("--numprocesses", "--maxprocesses", "--tx", "--dist")
_SHORT_FLAGS = ("-n", "-d")


@dataclass(frozen=True)
class XdistSwitchedOff:
    """What pytest-xdist was asked to do, and that it was not done.

    Attributes
    ----------
    requested : str
        The distribution pytest-xdist would have started, e.g. ``-n auto, --dist load``.
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


def _given_on_command_line(args: Sequence[str]) -> bool:
    for arg in args:
        if arg == "--":
            return False
        if any(arg == flag or arg.startswith(flag + "=") for flag in _LONG_FLAGS):
            return True
        if any(arg.startswith(flag) and not arg.startswith("--") for flag in _SHORT_FLAGS):
            return True
    return False


def _source(config: pytest.Config) -> str:
    if _given_on_command_line(config.invocation_params.args):
        return "the command line"
    return "the configuration (addopts or PYTEST_ADDOPTS)"


def _clear(option: Any) -> None:
    # The state pytest-xdist itself leaves for -n 0.
    option.numprocesses = 0
    option.distload = False
    option.dist = "no"
    option.tx = []


def switch_off_requested(config: pytest.Config) -> XdistSwitchedOff | None:
    """Switch pytest-xdist's distribution off before pytest-xdist reads its options.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration, before any ``pytest_cmdline_main`` implementation ran.

    Returns
    -------
    XdistSwitchedOff or None
        What was switched off; None when pytest-xdist is absent or was not asked to distribute.
    """
    option = config.option
    workers = getattr(option, "numprocesses", None)
    environments = list(getattr(option, "tx", None) or [])
    dist = "load" if getattr(option, "distload", False) else getattr(option, "dist", "no")
    if workers == 0 or (workers in ("auto", "logical") and getattr(option, "usepdb", False)):
        return None  # pytest-xdist itself does not distribute then, whatever else is set
    if workers is not None:  # -n N, -n auto, -n logical
        requested = f"-n {workers}, --dist {'load' if dist == 'no' else dist}"
    elif environments and dist != "no":
        requested = "--tx " + " --tx ".join(environments) + f", --dist {dist}"
    else:
        return None
    _clear(option)
    return XdistSwitchedOff(requested, _source(config))


def switch_off_resolved(config: pytest.Config) -> XdistSwitchedOff | None:
    """Switch distribution off if pytest-xdist would still start workers (its own test).

    Parameters
    ----------
    config : pytest.Config
        The run's configuration, after pytest-xdist's ``pytest_cmdline_main`` and before its
        ``pytest_configure``.

    Returns
    -------
    XdistSwitchedOff or None
        What was switched off; None when pytest-xdist is absent or would not distribute.
    """
    option = config.option
    environments = list(getattr(option, "tx", None) or [])
    dist = getattr(option, "dist", "no")
    if not environments or dist == "no":
        return None
    _clear(option)
    return XdistSwitchedOff(f"{len(environments)} execution environments, --dist {dist}", _source(config))


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
