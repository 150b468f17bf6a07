"""Measuring one parameter combination of one benchmark, in the current process (one asv "round").

Everything here runs in the measuring process: nothing of pytest, no logging, no bookkeeping
inside the timed region. The timing algorithm is asv_runner 0.3's: calibrate ``number`` while
warming up, then take up to ``max_repeat`` samples, each the mean time of ``number`` calls. With
precision-driven sampling (:mod:`._precision`) the samples go on, instead, until the median's
interval is narrow enough, the time budget is spent or the sample limit is reached; the rule is
consulted between samples, never inside the timed calls.

Two setup semantics are supported, because asv_runner changed them in 0.3.0 and results made
under one are not comparable with the other:

- ``"call"`` (asv_runner >= 0.3, the default): a benchmark with a ``setup`` gets a fresh
  ``setup``/``teardown`` before every timed call; an automatic ``number`` becomes 1.
- ``"sample"`` (asv_runner <= 0.2): ``setup`` runs once per sample and the ``number`` calls of
  a sample share its state.
"""

from __future__ import annotations

import copy
import os
import sys
import timeit
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_nwb_benchmarks.collect._discovery import Benchmark, is_skip_not_implemented
from pytest_nwb_benchmarks.run._precision import PrecisionSettings, StopRule
from pytest_nwb_benchmarks.run._timers import FreshInterpreterTimer, PerCallTimer

__all__ = ["SETUP_SEMANTICS", "RoundResult", "maxrss_bytes", "measure_round"]

SETUP_SEMANTICS = {
    "call": "asv_runner>=0.3: setup and teardown around every timed call",
    "sample": "asv_runner<=0.2: setup and teardown around every sample of `number` calls",
}

wall_clock = timeit.default_timer


@dataclass
class RoundResult:
    """What one measuring process reports.

    Attributes
    ----------
    status : str
        ``"ok"``, ``"skipped"`` or ``"failed"``.
    samples : list of float, dict or None
        The raw samples (per-call seconds for time benchmarks), or a track dict's samples.
    number : int or None
        Calls per sample (time benchmarks), None otherwise.
    message : str
        The skip reason, or the failure's one-line summary.
    details : str
        The failure's traceback, as text.
    notes : list of str
        Things worth telling the user (for example that setup ran between the calls of a sample).
    stop_reason : str or None
        Why sampling stopped, under precision-driven sampling.
    sampling_seconds : float
        Wall time from the start of warm-up to the last sample (time benchmarks).
    """

    status: str
    samples: list[float] | dict[str, Any] | None = None
    number: int | None = None
    message: str = ""
    details: str = ""
    notes: list[str] = field(default_factory=list)
    stop_reason: str | None = None
    sampling_seconds: float = 0.0


class _Skip(Exception):
    """Internal: the combination is skipped, with a reason."""


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


class _Hooks:
    """Calls a benchmark's setups and teardowns with its arguments, and re-runs them between calls."""

    def __init__(self, benchmark: Benchmark, args: tuple[Any, ...]) -> None:
        self.setups = benchmark.setups
        self.teardowns = benchmark.teardowns
        self.args = args
        self._armed = False

    def setup(self) -> None:
        for hook in self.setups:
            hook(*self.args)

    def teardown(self) -> None:
        for hook in self.teardowns:
            hook(*self.args)

    def redo(self) -> None:
        # The first call follows the initial setup, so it has nothing to redo.
        if not self._armed:
            self._armed = True
            return
        self.teardown()
        self.setup()

    def skip_next_redo(self) -> None:
        self._armed = False


def _repeat_limits(benchmark: Benchmark) -> tuple[int, int, float]:
    """asv's ``(min_repeat, max_repeat, max_time)`` from ``repeat``, ``rounds`` and ``timeout``."""
    repeat = benchmark.attr("repeat", 0)
    if isinstance(repeat, (tuple, list)) and len(repeat) == 3:
        low, high, max_time = repeat
        return int(low), int(high), float(max_time)
    if repeat == 0:
        # samples per process: 10 in 20 s with one round, 5 in 10 s with several
        return (1, 10, 20.0) if benchmark.rounds <= 1 else (1, 5, 10.0)
    return int(repeat), int(repeat), float(benchmark.attr("timeout", 60.0))


def _warmup_time(benchmark: Benchmark) -> float:
    warmup = float(benchmark.attr("warmup_time", -1))
    if warmup >= 0:
        return warmup
    if "__pypy__" in sys.modules:
        return 1.0
    if "__graalpython__" in sys.modules:
        return 5.0
    return 0.1


def _sample_times(
    timer: Any,
    hooks: _Hooks | None,
    number: int,
    limits: tuple[int, int, float],
    warmup_time: float,
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
            and wall_clock() > started + warmup_time + max_time
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
                if wall_clock() > started + warmup_time:
                    break
            else:
                growth = 10.0 if elapsed == 0 else min(10.0, max(1.1, sample_time / elapsed))
                number = max(number + 1, int(growth * number))
        if out_of_time(1):
            return [batch], number
    elif warmup_time > 0:
        while True:
            if hooks is not None and not redo_during_warmup:
                hooks.skip_next_redo()
            batch = timer.timeit(number)
            run_count += number
            if wall_clock() >= started + warmup_time:
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


def _run_time(
    benchmark: Benchmark,
    args: tuple[Any, ...],
    hooks: _Hooks,
    setup_semantics: str,
    precision: PrecisionSettings | None = None,
    prior: Sequence[float] = (),
) -> RoundResult:
    raw = benchmark.benchmark_type.key == "timeraw"
    # setup may set self.number and friends for one combination, so read them after it ran
    number = int(benchmark.attr("number", 1 if raw else 0))
    clock = benchmark.attr("timer", timeit.default_timer)
    func = benchmark.func
    bound = (lambda: func(*args)) if args else func
    notes: list[str] = []
    isolate_calls = setup_semantics == "call" and bool(hooks.setups) and not raw
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
    limits = _repeat_limits(benchmark)
    stop = None
    if precision is not None and precision.enabled:
        stop = StopRule(precision, prior, min_samples=limits[0], clock=wall_clock)
    started = wall_clock()
    batches, number = _sample_times(
        timer,
        hooks,
        number,
        limits,
        _warmup_time(benchmark),
        float(benchmark.attr("sample_time", 0.01)),
        int(benchmark.attr("min_run_count", 2)),
        redo_during_warmup=isolate_calls,
        stop=stop,
    )
    sampling = wall_clock() - started
    result = RoundResult("ok", [batch / number for batch in batches], number, notes=notes, sampling_seconds=sampling)
    result.stop_reason = stop.reason if stop is not None else None
    return result


def _run_track(benchmark: Benchmark, args: tuple[Any, ...]) -> RoundResult:
    value = benchmark.func(*args)
    if value is None:
        return RoundResult("failed", message=f"{benchmark.name} returned None (a track_ benchmark must return a value)")
    if isinstance(value, dict) and "samples" in value and "number" in value:
        samples, number = value["samples"], value["number"]
        if number is None:
            return RoundResult("ok", samples if isinstance(samples, dict) else list(samples), None)
        return RoundResult("ok", [float(sample) for sample in samples], int(number))
    return RoundResult("ok", [value], None)


def _run_mem(benchmark: Benchmark, args: tuple[Any, ...]) -> RoundResult:
    from pympler.asizeof import asizeof

    obj = benchmark.func(*args)
    # the size the object adds to a list beyond a second reference to it: its deep size
    return RoundResult("ok", [asizeof([obj, copy.copy(obj)]) - asizeof([obj, obj])], None)


def _run_peakmem(benchmark: Benchmark, args: tuple[Any, ...]) -> RoundResult:
    benchmark.func(*args)
    return RoundResult("ok", [maxrss_bytes()], None)


_HARNESS_FILES = (os.path.dirname(os.path.abspath(__file__)) + os.sep, timeit.__file__, "<timeit-src>")


def format_user_traceback(error: BaseException) -> str:
    """Format ``error``'s traceback without the harness's own frames (this package, timeit).

    Parameters
    ----------
    error : BaseException
        The exception a benchmark, its setup or its teardown raised.

    Returns
    -------
    str
        The traceback text, starting at the first frame of the benchmark's code.
    """
    summary = traceback.extract_tb(error.__traceback__)
    kept = [frame for frame in summary if not frame.filename.startswith(_HARNESS_FILES)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(kept or summary)]
    lines.extend(traceback.format_exception_only(type(error), error))
    return "".join(lines)


def describe_error(error: BaseException) -> str:
    """``Type: message``, or just ``Type`` when the message is empty."""
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def measure_round(
    benchmark: Benchmark,
    combination: Sequence[Any],
    cache: Any = None,
    *,
    has_cache: bool = False,
    setup_semantics: str = "call",
    raise_errors: bool = False,
    precision: PrecisionSettings | None = None,
    prior: Sequence[float] = (),
) -> RoundResult:
    """Run one round of one combination: setup, measure, teardown, as asv's measuring process does.

    Parameters
    ----------
    benchmark : Benchmark
        The benchmark, loaded in this process.
    combination : sequence
        The parameter values.
    cache : object, optional
        The setup_cache value, passed first to setup, the benchmark and teardown.
    has_cache : bool
        Whether the benchmark has a setup_cache; a None value then means "no argument".
    setup_semantics : {"call", "sample"}
        See the module docstring.
    raise_errors : bool
        Let exceptions propagate (debug mode) instead of reporting them as a failed result.
    precision : PrecisionSettings, optional
        Precision-driven sampling for time benchmarks (this round's budget); asv's ``repeat`` without.
    prior : sequence of float
        Samples of earlier rounds, which the stopping rule counts.

    Returns
    -------
    RoundResult
        The samples, a skip, or a failure with its traceback.
    """
    combination = tuple(combination)
    args = ((cache,) if has_cache and cache is not None else ()) + combination
    if combination in benchmark.skip_params:
        return RoundResult("skipped", message=f"skip_params lists {combination!r}")
    hooks = _Hooks(benchmark, args)
    try:
        try:
            hooks.setup()
        except NotImplementedError as error:
            # asv's rule: NotImplementedError raised in setup skips; teardown still runs.
            try:
                hooks.teardown()
            except Exception:
                pass
            return RoundResult("skipped", message=describe_error(error))
        try:
            kind = benchmark.benchmark_type.key
            if kind in ("time", "timeraw"):
                result = _run_time(benchmark, args, hooks, setup_semantics, precision, prior)
            elif kind == "track":
                result = _run_track(benchmark, args)
            elif kind == "mem":
                result = _run_mem(benchmark, args)
            else:
                result = _run_peakmem(benchmark, args)
        except NotImplementedError as error:
            if not is_skip_not_implemented(error):
                raise
            result = RoundResult("skipped", message=describe_error(error))
        finally:
            hooks.teardown()
    except Exception as error:
        if raise_errors:
            raise
        return RoundResult("failed", message=describe_error(error), details=format_user_traceback(error))
    return result
