"""asv_runner 0.3's sampling loop for time benchmarks: calibrate ``number`` while warming up, then sample.

With a precision stopping rule (:mod:`._precision`) the samples go on until the rule says stop; it
is consulted between samples, never inside the timed calls.
"""

from __future__ import annotations

import sys
import timeit
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.run._precision import StopRule
from pytest_nwb_benchmarks.run._round import Hooks

wall_clock = timeit.default_timer


def repeat_limits(benchmark: Benchmark) -> tuple[int, int, float]:
    """asv's ``(min_repeat, max_repeat, max_time)`` from ``repeat``, ``rounds`` and ``timeout``."""
    repeat = benchmark.attr("repeat", 0)
    if isinstance(repeat, (tuple, list)) and len(repeat) == 3:
        low, high, max_time = repeat
        return int(low), int(high), float(max_time)
    if repeat == 0:
        # samples per process: 10 in 20 s with one round, 5 in 10 s with several
        return (1, 10, 20.0) if benchmark.rounds <= 1 else (1, 5, 10.0)
    return int(repeat), int(repeat), float(benchmark.attr("timeout", 60.0))


def warmup_time(benchmark: Benchmark) -> float:
    """Seconds of warm-up before sampling: the benchmark's ``warmup_time``, else asv's default."""
    warmup = float(benchmark.attr("warmup_time", -1))
    if warmup >= 0:
        return warmup
    if "__pypy__" in sys.modules:
        return 1.0
    if "__graalpython__" in sys.modules:
        return 5.0
    return 0.1


def sample_times(
    timer: Any,
    hooks: Hooks | None,
    number: int,
    limits: tuple[int, int, float],
    warmup: float,
    sample_time: float,
    min_run_count: int,
    redo_during_warmup: bool,
    stop: StopRule | None = None,
) -> tuple[list[float], int]:
    """asv's sampling loop: calibrate (``number == 0``) or warm up, then sample. Returns raw batch times.

    With a ``stop`` rule, it decides after each sample whether to take another (``limits`` only
    give the minimum number of samples), and warm-up never stands in for a sample.
    """
    min_repeat, max_repeat, max_time = limits
    started = wall_clock()
    run_count = 0

    def out_of_time(samples_taken: int) -> bool:
        return (
            stop is None
            and run_count >= min_run_count
            and samples_taken >= min_repeat
            and wall_clock() > started + warmup + max_time
        )

    batch = 0.0
    if number == 0:
        # Calibrate and warm up at once: early calls are slow, and calibrating on them alone
        # would pick too small a number.
        number = 1
        while True:
            if hooks is not None:
                hooks.skip_next_redo()
            before = wall_clock()
            batch = timer.timeit(number)
            elapsed = max(wall_clock() - before, batch)
            run_count += number
            if elapsed >= sample_time:
                if wall_clock() > started + warmup:
                    break
            else:
                growth = 10.0 if elapsed == 0 else min(10.0, max(1.1, sample_time / elapsed))
                number = max(number + 1, int(growth * number))
        if out_of_time(1):
            return [batch], number
    elif warmup > 0:
        while True:
            if hooks is not None and not redo_during_warmup:
                hooks.skip_next_redo()
            batch = timer.timeit(number)
            run_count += number
            if wall_clock() >= started + warmup:
                break
        if out_of_time(1):
            return [batch], number

    samples: list[float] = []
    if stop is not None:
        while True:
            samples.append(timer.timeit(number))
            if stop.should_stop([batch / number for batch in samples]):
                return samples, number
    while len(samples) < max_repeat:
        samples.append(timer.timeit(number))
        run_count += number
        if out_of_time(len(samples)):
            break
    return samples, number
