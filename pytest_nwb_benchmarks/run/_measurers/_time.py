"""``time_`` and ``timeraw_`` benchmarks: calibrate, warm up, sample (or sample to a precision target)."""

from __future__ import annotations

import timeit
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.run._measurers._base import RoundSettings
from pytest_nwb_benchmarks.run._precision import StopRule
from pytest_nwb_benchmarks.run._round import Hooks, RoundResult
from pytest_nwb_benchmarks.run._sampling import repeat_limits, sample_times, wall_clock, warmup_time
from pytest_nwb_benchmarks.run._timers import FreshInterpreterTimer, PerCallTimer


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
