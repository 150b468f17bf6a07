"""The timers a measuring process uses besides ``timeit.Timer``: per-call setups, and fresh interpreters."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any


class PerCallTimer:
    """A ``timeit.Timer`` look-alike that re-runs setup before each call and times only the calls."""

    def __init__(self, func: Callable[[], Any], redo: Callable[[], None], timer: Callable[[], float]) -> None:
        self.func = func
        self.redo = redo
        self.timer = timer

    def timeit(self, number: int) -> float:
        func, redo, timer = self.func, self.redo, self.timer
        total = 0.0
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for _ in range(number):
                redo()
                started = timer()
                func()
                total += timer() - started
        finally:
            if gc_was_enabled:
                gc.enable()
        return total


_TIMERAW_PROGRAM = textwrap.dedent(
    """
    import sys, timeit
    stmt, setup, number = sys.stdin.read().split("\\0")
    print(repr(timeit.timeit(stmt=stmt, setup=setup, number=int(number), timer=timeit.default_timer)))
    """
)


class FreshInterpreterTimer:
    """Times the code a ``timeraw_`` benchmark returns, each call of ``timeit`` in a new interpreter."""

    def __init__(self, func: Callable[[], Any], env: dict[str, str] | None) -> None:
        self.func = func
        self.env = env

    def timeit(self, number: int) -> float:
        code = self.func()
        stmt, setup = code if isinstance(code, tuple) else (code, "")
        payload = "\0".join([textwrap.dedent(stmt), textwrap.dedent(setup), str(number)])
        env = dict(os.environ, **(self.env or {}))
        completed = subprocess.run(
            [sys.executable, "-c", _TIMERAW_PROGRAM], input=payload.encode(), capture_output=True, env=env
        )
        if completed.stderr:
            sys.stderr.write(completed.stderr.decode(errors="replace"))
        if completed.returncode != 0:
            raise RuntimeError(f"timeraw interpreter failed (exit {completed.returncode})")
        return float(completed.stdout.decode().strip())
