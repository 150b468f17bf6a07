"""Measuring one parameter combination of one benchmark, in the current process (one asv "round").

Everything here runs in the measuring process: nothing of pytest, no logging, no bookkeeping
inside the timed region. Each kind of benchmark is measured by its measurer (:mod:`._measurers`);
time benchmarks use asv_runner 0.3's sampling loop (:mod:`._sampling`): calibrate ``number`` while
warming up, then take up to ``max_repeat`` samples, each the mean time of ``number`` calls, or,
with precision-driven sampling (:mod:`._precision`), until the median's interval is narrow enough,
the time budget is spent or the sample limit is reached.

Two setup semantics are supported, because asv_runner changed them in 0.3.0 and results made
under one are not comparable with the other:

- ``"call"`` (asv_runner >= 0.3, the default): a benchmark with a ``setup`` gets a fresh
  ``setup``/``teardown`` before every timed call; an automatic ``number`` becomes 1.
- ``"sample"`` (asv_runner <= 0.2): ``setup`` runs once per sample and the ``number`` calls of
  a sample share its state.
"""

from __future__ import annotations

import os
import timeit
import traceback
from collections.abc import Sequence
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.collect._benchmark_types import is_skip_not_implemented
from pytest_nwb_benchmarks.run._measurers import RoundSettings, maxrss_bytes, measurer_for  # noqa: F401
from pytest_nwb_benchmarks.run._precision import PrecisionSettings
from pytest_nwb_benchmarks.run._round import SETUP_SEMANTICS, Hooks, RoundResult  # noqa: F401

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
    hooks = Hooks(benchmark, args)
    measurer = measurer_for(benchmark.benchmark_type)
    settings = RoundSettings(setup_semantics, precision, tuple(prior))
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
            result = measurer.measure(benchmark, args, hooks, settings)
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
