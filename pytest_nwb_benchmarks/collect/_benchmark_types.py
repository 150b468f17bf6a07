"""The kinds of ASV-style benchmark, as asv_runner 0.3 recognises them, and its skip exception."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BENCHMARK_TYPES", "BenchmarkType", "SkipNotImplemented", "benchmark_type_for", "is_skip_not_implemented"]


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


@dataclass(frozen=True)
class BenchmarkType:
    """One kind of benchmark: how its name is recognised and what it measures.

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


# asv registers its types alphabetically by module, and the first match wins.
BENCHMARK_TYPES: tuple[BenchmarkType, ...] = (
    BenchmarkType("mem", re.compile(r"^(Mem[A-Z_].+)|(mem_.+)$"), "memory", "bytes"),
    BenchmarkType("peakmem", re.compile(r"^(PeakMem[A-Z_].+)|(peakmem_.+)$"), "peakmemory", "bytes"),
    BenchmarkType("time", re.compile(r"^(Time[A-Z_].+)|(time_.+)$"), "time", "seconds"),
    BenchmarkType("timeraw", re.compile(r"^(Timeraw[A-Z_].+)|(timeraw_.+)$"), "time", "seconds"),
    BenchmarkType("track", re.compile(r"^(Track[A-Z_].+)|(track_.+)$"), "track", "unit"),
)


def benchmark_type_for(name: str) -> BenchmarkType | None:
    """Return the benchmark type whose pattern matches ``name`` first, or None."""
    for benchmark_type in BENCHMARK_TYPES:
        if benchmark_type.pattern.match(name):
            return benchmark_type
    return None
