"""Callbacks that a forked measuring process runs first, to drop state copied from the pytest process.

A forked child starts as a copy of its parent, caches included; a library whose per-process state
would make one benchmark's round depend on the rounds before it registers a reset here (the NWB
suite's fsspec reset does, from ``conftest.py``). The measuring process calls every registered reset
before it loads the benchmark; it knows nothing of the libraries themselves.
"""

from __future__ import annotations

from collections.abc import Callable

_RESETS: list[Callable[[], None]] = []


def register_child_reset(reset: Callable[[], None]) -> Callable[[], None]:
    """Have every measuring process call ``reset()`` before its work; registering twice is a no-op.

    Parameters
    ----------
    reset : callable
        Takes no arguments; its exceptions fail the round that runs it.

    Returns
    -------
    callable
        ``reset`` itself, so that this can decorate a function.
    """
    if reset not in _RESETS:
        _RESETS.append(reset)
    return reset


def child_resets() -> tuple[Callable[[], None], ...]:
    """The registered resets, in the order of registration."""
    return tuple(_RESETS)


def run_child_resets() -> None:
    """Call every registered reset (in the measuring process)."""
    for reset in _RESETS:
        reset()
