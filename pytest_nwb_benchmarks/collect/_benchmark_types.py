"""The kinds of ASV-style benchmark, as asv_runner 0.3 recognises them, and its skip exception."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar


class SkipNotImplemented(NotImplementedError):
    """Raise inside a benchmark (or its ``setup``) to skip it, as asv's exception of that name."""


def is_skip_not_implemented(error: BaseException) -> bool:
    """Tell whether ``error`` is asv's or our ``SkipNotImplemented`` (both skip a benchmark body).

    Parameters
    ----------
    error : BaseException
        The exception raised by a benchmark body.

    Returns
    -------
    bool
        True for an instance of any ``NotImplementedError`` subclass named ``SkipNotImplemented``.
    """
    return isinstance(error, NotImplementedError) and any(
        cls.__name__ == "SkipNotImplemented" for cls in type(error).__mro__
    )


AttrLookup = Callable[[str, Any], Any]
"""A benchmark's attribute lookup: ``attr(name, default)``, first found on function, instance, module."""


@dataclass(frozen=True)
class BenchmarkType:
    """One kind of benchmark: how its name is recognised, what it records, how it is sampled.

    The plain type measures once per combination in one process and records its fixed unit; the
    subclasses below change what their kind does differently. How each kind is measured in the
    measuring process is registered, by :attr:`key`, in :mod:`pytest_nwb_benchmarks.run._measurers`.

    Attributes
    ----------
    key : str
        Short name: ``mem``, ``peakmem``, ``time``, ``timeraw`` or ``track``.
    pattern : re.Pattern
        Matches the function or method name.
    asv_type : str
        The ``type`` asv records (``memory``, ``peakmemory``, ``time``, ``track``).
    default_unit : str
        The unit asv records when the benchmark sets none.
    """

    key: str
    pattern: re.Pattern[str]
    asv_type: str
    default_unit: str

    # Timed kinds take several rounds of per-call samples, and may sample to a precision target.
    timed: ClassVar[bool] = False
    # Kinds whose reading would include the pytest process's memory if forked from it.
    needs_fresh_interpreter: ClassVar[bool] = False

    def unit(self, attr: AttrLookup) -> str:
        """The unit of the samples."""
        return self.default_unit

    def recorded_type(self, attr: AttrLookup) -> str:
        """The ``type`` recorded in the result file."""
        return self.asv_type

    def rounds(self, attr: AttrLookup) -> int:
        """Measuring processes per parameter combination."""
        return 1

    def version_env(self, attr: AttrLookup) -> dict[str, Any] | None:
        """Environment that changes what is measured, hashed into the version."""
        return None


@dataclass(frozen=True)
class TimeType(BenchmarkType):
    """``time_``: seconds per call, in ``rounds`` processes (asv's ``processes``, default 2)."""

    timed: ClassVar[bool] = True

    def rounds(self, attr: AttrLookup) -> int:
        """Measuring processes per parameter combination."""
        return int(attr("rounds", int(attr("processes", 2))))


@dataclass(frozen=True)
class TimerawType(TimeType):
    """``timeraw_``: the returned code timed in a fresh interpreter, whose ``env`` is part of the version."""

    def version_env(self, attr: AttrLookup) -> dict[str, Any] | None:
        """The ``env`` the fresh interpreter gets."""
        env = attr("env", None)
        return env if isinstance(env, dict) else None


@dataclass(frozen=True)
class PeakmemType(BenchmarkType):
    """``peakmem_``: the peak resident memory of a fresh interpreter that ran the benchmark."""

    needs_fresh_interpreter: ClassVar[bool] = True


@dataclass(frozen=True)
class TrackType(BenchmarkType):
    """``track_``: the value returned, in the benchmark's own ``unit`` and ``type``."""

    def unit(self, attr: AttrLookup) -> str:
        """The benchmark's ``unit`` attribute, else ``unit``."""
        return str(attr("unit", self.default_unit))

    def recorded_type(self, attr: AttrLookup) -> str:
        """The benchmark's ``type`` attribute, else ``track``."""
        return str(attr("type", self.asv_type))


# asv registers its types alphabetically by module, and the first match wins.
BENCHMARK_TYPES: tuple[BenchmarkType, ...] = (
    BenchmarkType("mem", re.compile(r"^(Mem[A-Z_].+)|(mem_.+)$"), "memory", "bytes"),
    PeakmemType("peakmem", re.compile(r"^(PeakMem[A-Z_].+)|(peakmem_.+)$"), "peakmemory", "bytes"),
    TimeType("time", re.compile(r"^(Time[A-Z_].+)|(time_.+)$"), "time", "seconds"),
    TimerawType("timeraw", re.compile(r"^(Timeraw[A-Z_].+)|(timeraw_.+)$"), "time", "seconds"),
    TrackType("track", re.compile(r"^(Track[A-Z_].+)|(track_.+)$"), "track", "unit"),
)


def benchmark_type_for(name: str) -> BenchmarkType | None:
    """Return the benchmark type whose pattern matches ``name`` first, or None."""
    for benchmark_type in BENCHMARK_TYPES:
        if benchmark_type.pattern.match(name):
            return benchmark_type
    return None
