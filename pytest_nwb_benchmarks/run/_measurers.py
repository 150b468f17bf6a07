"""How each kind of benchmark is measured in the measuring process, registered by its type's key.

Each measurer states what one round of its kind does between the setup and the teardown; the
kinds themselves (their names, units, rounds) are :mod:`pytest_nwb_benchmarks.collect._benchmark_types`.
"""

from __future__ import annotations

import copy
import sys
import timeit
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.collect._benchmark_types import BenchmarkType
from pytest_nwb_benchmarks.run._precision import PrecisionSettings, StopRule
from pytest_nwb_benchmarks.run._round import Hooks, RoundResult
from pytest_nwb_benchmarks.run._sampling import repeat_limits, sample_times, wall_clock, warmup_time
from pytest_nwb_benchmarks.run._timers import FreshInterpreterTimer, PerCallTimer


@dataclass(frozen=True)
class RoundSettings:
    """How the runner wants this round measured.

    Attributes
    ----------
    setup_semantics : {"call", "sample"}
        The setup cadence (see :data:`~pytest_nwb_benchmarks.run._round.SETUP_SEMANTICS`).
    precision : PrecisionSettings or None
        Precision-driven sampling for time benchmarks (this round's budget); asv's ``repeat`` without.
    prior : sequence of float
        Samples of earlier rounds, which the stopping rule counts.
    """

    setup_semantics: str = "call"
    precision: PrecisionSettings | None = None
    prior: Sequence[float] = ()


class Measurer(Protocol):
    """Measures one round of one kind of benchmark (setup has run; teardown follows)."""

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Measure once and report the samples."""


def maxrss_bytes() -> int:
    """Return the peak resident set size of this process so far, in bytes (what asv's peakmem reads).

    On Linux the high-water mark of this process image (``VmHWM``) is read: ``ru_maxrss`` of a
    process started from a large one also counts the parent's memory at the time of the start.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        import psutil

        return int(psutil.Process().memory_info().peak_wset)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class TimeMeasurer:
    """``time_`` and ``timeraw_``: per-call seconds from asv's sampling loop (or a precision target).

    Parameters
    ----------
    raw : bool
        ``timeraw_``: time the code the benchmark returns, in a fresh interpreter, one call per sample
        by default.
    """

    def __init__(self, raw: bool = False) -> None:
        self.raw = raw

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Time the benchmark: calibrate, warm up, sample."""
        raw = self.raw
        # setup may set self.number and friends for one combination, so read them after it ran
        number = int(benchmark.attr("number", 1 if raw else 0))
        clock = benchmark.attr("timer", timeit.default_timer)
        func = benchmark.func
        bound = (lambda: func(*args)) if args else func
        notes: list[str] = []
        isolate_calls = settings.setup_semantics == "call" and bool(hooks.setups) and not raw
        if raw:
            timer: Any = FreshInterpreterTimer(bound, benchmark.attr("env", None))
        elif isolate_calls and number == 0:
            number = 1
            timer = timeit.Timer(stmt=bound, setup=hooks.redo, timer=clock)
        elif isolate_calls and number > 1:
            notes.append(f"setup re-ran between the {number} individually timed calls of each sample")
            timer = PerCallTimer(bound, hooks.redo, clock)
        else:
            timer = timeit.Timer(stmt=bound, setup=hooks.redo, timer=clock)
        limits = repeat_limits(benchmark)
        stop = None
        if settings.precision is not None and settings.precision.enabled:
            stop = StopRule(settings.precision, settings.prior, min_samples=limits[0], clock=wall_clock)
        started = wall_clock()
        batches, number = sample_times(
            timer,
            hooks,
            number,
            limits,
            warmup_time(benchmark),
            float(benchmark.attr("sample_time", 0.01)),
            int(benchmark.attr("min_run_count", 2)),
            redo_during_warmup=isolate_calls,
            stop=stop,
        )
        sampling = wall_clock() - started
        result = RoundResult(
            "passed", [batch / number for batch in batches], number, notes=notes, sampling_seconds=sampling
        )
        result.stop_reason = stop.reason if stop is not None else None
        return result


class TrackMeasurer:
    """``track_``: the value the benchmark returns, or asv's ``{"samples": ..., "number": ...}`` form."""

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Call the benchmark and keep what it returns."""
        value = benchmark.func(*args)
        if value is None:
            return RoundResult(
                "failed", message=f"{benchmark.name} returned None (a track_ benchmark must return a value)"
            )
        if isinstance(value, dict) and "samples" in value and "number" in value:
            samples, number = value["samples"], value["number"]
            if number is None:
                return RoundResult("passed", samples if isinstance(samples, dict) else list(samples), None)
            return RoundResult("passed", [float(sample) for sample in samples], int(number))
        return RoundResult("passed", [value], None)


class MemMeasurer:
    """``mem_``: the deep size of the returned object, as pympler measures it (asv's way)."""

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Call the benchmark and size what it returns."""
        from pympler.asizeof import asizeof

        obj = benchmark.func(*args)
        # the size the object adds to a list beyond a second reference to it: its deep size
        return RoundResult("passed", [asizeof([obj, copy.copy(obj)]) - asizeof([obj, obj])], None)


class PeakmemMeasurer:
    """``peakmem_``: the measuring process's peak resident memory after the call."""

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Call the benchmark and read the process's high-water mark."""
        benchmark.func(*args)
        return RoundResult("passed", [maxrss_bytes()], None)


MEASURERS: dict[str, Measurer] = {
    "mem": MemMeasurer(),
    "peakmem": PeakmemMeasurer(),
    "time": TimeMeasurer(),
    "timeraw": TimeMeasurer(raw=True),
    "track": TrackMeasurer(),
}


def measurer_for(benchmark_type: BenchmarkType) -> Measurer:
    """The measurer registered for ``benchmark_type``'s key.

    Raises
    ------
    KeyError
        When no measurer is registered for that kind.
    """
    return MEASURERS[benchmark_type.key]
