"""Precision-driven sampling: the confidence interval of the median, and when to stop taking samples.

The interval is distribution-free: for ``n`` sorted samples ``x(1) <= ... <= x(n)``, the number of
samples below the true median is Binomial(n, 1/2) whatever the distribution, so ``[x(l), x(n + 1 - l)]``
covers the median with probability ``1 - 2 P(B <= l - 1)``. The largest ``l`` that keeps this at or
above the confidence asked for gives the narrowest such interval. It needs no normality (timings are
skewed and often bimodal) and no resampling (a bootstrap of the median is unreliable for small ``n``
and costs time between samples); it is what ``scipy.stats.quantile_test`` reports for ``p=0.5``
(the tests hold the two together; the binomial sum is computed here in exact integers, which keeps
scipy out of the measuring processes). With fewer than 6 samples no 95 % interval exists.

The stopping rule: keep sampling until the interval's larger half-width, relative to the median, is at
most the target; or the time budget is spent; or the sample limit is reached. Stopping when the
interval is narrow enough looks only at its width, not at where it lies, so it does not steer the
median; the coverage stays close to the nominal one (see ``docs/results.rst``).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pytest_nwb_benchmarks.utils._statistics import interquartile_range, median

#: Benchmark attributes (asv style: function, class or module level) and their built-in defaults.
PRECISION_ATTRIBUTES: dict[str, float | int] = {
    "precision_target": 0.05,  # relative half-width of the median's interval; 0 switches the rule off
    "precision_confidence": 0.95,
    "time_budget": 4.0,  # seconds of sampling per parameter combination, warm-up and setups included
    "max_samples": 100,
}

STOP_TARGET = "target met"
STOP_BUDGET = "time budget spent"
STOP_LIMIT = "sample limit reached"


@functools.lru_cache(maxsize=4096)
def order_statistic_ranks(count: int, confidence: float) -> tuple[int, int, float] | None:
    """Return the 1-based ranks ``(l, u)`` of the median's interval and its exact coverage.

    Parameters
    ----------
    count : int
        Number of samples.
    confidence : float
        Wanted coverage, in (0, 1).

    Returns
    -------
    tuple of (int, int, float) or None
        ``(l, count + 1 - l, coverage)`` with ``coverage >= confidence``, ``l`` as large as possible;
        None when even ``[min, max]`` covers less than ``confidence``.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, not {confidence!r}")
    if count < 1:
        return None
    # P(B <= k) for B ~ Binomial(count, 1/2), exactly, as integers over 2**count: no rounding near the
    # boundary, and no scipy import in the measuring processes (scipy.stats takes about a second to
    # import, and this runs between samples). tests/test_precision.py checks it against
    # scipy.stats.quantile_test.
    whole = 1 << count
    wanted = Fraction(confidence)
    # tail <= (1 - confidence) / 2 * whole, in integers: 2 * tail * den <= (den - num) * whole
    num, den = wanted.numerator, wanted.denominator
    allowed = (den - num) * whole
    lower, tail, term = 0, 0, 1  # term = comb(count, lower)
    while lower + 1 <= (count + 1) // 2:
        with_next = tail + term  # P(B <= lower) * 2**count
        if 2 * with_next * den > allowed:
            break
        tail = with_next
        term = term * (count - lower) // (lower + 1)
        lower += 1
    if lower < 1:
        return None
    coverage = 1.0 - 2.0 * (tail / whole)
    return lower, count + 1 - lower, coverage


def prepare_ranks(max_samples: int, confidence: float) -> None:
    """Work out the interval's ranks for up to ``max_samples`` samples ahead of time.

    Called before sampling starts (and in the pytest process, whose forked measuring processes
    inherit the table), so that importing scipy and computing ranks never eat into a time budget.
    """
    for count in range(1, max(1, int(max_samples)) + 1):
        order_statistic_ranks(count, float(confidence))


@dataclass(frozen=True)
class MedianInterval:
    """The median of some samples and its distribution-free confidence interval.

    Attributes
    ----------
    median : float
        The sample median.
    low, high : float or None
        The interval's bounds; None when too few samples give no interval at the confidence asked.
    confidence : float
        The confidence asked for.
    coverage : float or None
        The interval's exact coverage (at least ``confidence``).
    count : int
        Number of samples.
    """

    median: float
    low: float | None
    high: float | None
    confidence: float
    coverage: float | None
    count: int

    @property
    def relative_half_width(self) -> float:
        """The larger distance from the median to a bound, over the median (``inf`` without an interval)."""
        if self.low is None or self.high is None:
            return math.inf
        spread = max(self.median - self.low, self.high - self.median)
        if self.median == 0:
            return 0.0 if spread == 0 else math.inf
        return spread / abs(self.median)


def median_interval(samples: Sequence[float], confidence: float = 0.95) -> MedianInterval:
    """Return the median of ``samples`` and its order-statistic confidence interval.

    Parameters
    ----------
    samples : sequence of float
        At least one finite value.
    confidence : float
        The coverage wanted, in (0, 1).

    Returns
    -------
    MedianInterval
        The median and ``[x(l), x(n+1-l)]``, or no bounds when ``n`` is too small.
    """
    ordered = sorted(float(value) for value in samples)
    ranks = order_statistic_ranks(len(ordered), confidence)
    if ranks is None:
        return MedianInterval(median(ordered), None, None, confidence, None, len(ordered))
    lower, upper, coverage = ranks
    return MedianInterval(median(ordered), ordered[lower - 1], ordered[upper - 1], confidence, coverage, len(ordered))


def _positive(name: str, value: Any, kind: type) -> Any:
    try:
        converted = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(converted) or converted < 0:
        raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")
    return converted


@dataclass(frozen=True)
class PrecisionSettings:
    """How long to sample one parameter combination.

    Attributes
    ----------
    target : float
        Stop once the median's interval is within ``+- target`` (relative); 0 disables the rule
        (asv's ``repeat`` then decides, as before).
    confidence : float
        The interval's confidence.
    time_budget : float
        Seconds of sampling (warm-up and per-call setups included) for all rounds together.
    max_samples : int
        Never more samples than this (all rounds together).
    round_floor : int
        A round stops for the target only once it has this many samples of its own (see :meth:`for_round`).
    """

    target: float = float(PRECISION_ATTRIBUTES["precision_target"])
    confidence: float = float(PRECISION_ATTRIBUTES["precision_confidence"])
    time_budget: float = float(PRECISION_ATTRIBUTES["time_budget"])
    max_samples: int = int(PRECISION_ATTRIBUTES["max_samples"])
    round_floor: int = 1

    def __post_init__(self) -> None:
        _positive("precision_target", self.target, float)
        _positive("time_budget", self.time_budget, float)
        if not 0.0 < float(self.confidence) < 1.0:
            raise ValueError(f"precision_confidence must lie strictly between 0 and 1, not {self.confidence!r}")
        if int(self.max_samples) < 1:
            raise ValueError(f"max_samples must be at least 1, not {self.max_samples!r}")

    @property
    def enabled(self) -> bool:
        """Whether the stopping rule decides how many samples are taken."""
        return self.target > 0

    @classmethod
    def resolve(
        cls, lookup: Callable[[str, Any], Any], overrides: Mapping[str, Any], defaults: Mapping[str, Any]
    ) -> PrecisionSettings:
        """Combine the run's options, the benchmark's attributes and the defaults, in that order of priority.

        A benchmark that sets asv's ``repeat`` but no ``precision_target`` keeps asv's fixed sampling
        (target 0) unless the run asks for a target.

        Parameters
        ----------
        lookup : callable
            ``lookup(name, default)``: the benchmark's attribute (``Benchmark.attr``).
        overrides : mapping
            Values given on the command line; they win.
        defaults : mapping
            Values from the ini file; used when the benchmark sets nothing. Built-in defaults last.

        Returns
        -------
        PrecisionSettings
            The settings.

        Raises
        ------
        ValueError
            Naming the attribute or option whose value is unusable.
        """
        values = {}
        for name, builtin in PRECISION_ATTRIBUTES.items():
            value = overrides.get(name)
            if value is None:
                value = lookup(name, None)
            if value is None and name == "precision_target" and lookup("repeat", 0) not in (0, None):
                value = 0.0  # asv's own `repeat`, set on purpose and without a target, keeps asv's sampling
            if value is None:
                value = defaults.get(name)
            values[name] = builtin if value is None else value
        return cls(
            target=_positive("precision_target", values["precision_target"], float),
            confidence=_positive("precision_confidence", values["precision_confidence"], float),
            time_budget=_positive("time_budget", values["time_budget"], float),
            max_samples=int(_positive("max_samples", values["max_samples"], float)),
        )

    def for_round(self, spent: float, rounds_left: int, taken: int = 0, rounds_done: int = 0) -> PrecisionSettings:
        """The settings of the next round: an equal share of the budget and of the samples not used yet.

        A comparison judges process-to-process differences by the rounds' own medians, so a later round
        takes at least the earlier rounds' average number of samples (``round_floor``) before the target
        can stop it.

        Parameters
        ----------
        spent : float
            Seconds the earlier rounds sampled.
        rounds_left : int
            Rounds still to run, this one included.
        taken : int, optional
            Samples the earlier rounds took.
        rounds_done : int, optional
            Rounds already run.

        Returns
        -------
        PrecisionSettings
            The same settings with this round's budget, pooled sample limit and floor.
        """
        rounds_left = max(1, rounds_left)
        share = max(0.0, self.time_budget - spent) / rounds_left
        limit = taken + max(1, math.ceil(max(0, self.max_samples - taken) / rounds_left))
        floor = math.ceil(taken / rounds_done) if rounds_done > 0 else 1
        return PrecisionSettings(self.target, self.confidence, share, min(self.max_samples, limit), max(1, floor))


class StopRule:
    """Decides, after each sample, whether to take another.

    Parameters
    ----------
    settings : PrecisionSettings
        Target, confidence, budget and limit (the budget of this round).
    prior : sequence of float
        Samples earlier rounds took; they count towards the interval and the limit.
    min_samples : int
        Never stop for the budget or the limit before this round has this many samples.
    clock : callable
        The wall clock; the budget starts when the rule is made.
    """

    def __init__(
        self,
        settings: PrecisionSettings,
        prior: Sequence[float] = (),
        min_samples: int = 1,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.settings = settings
        self.prior = [float(value) for value in prior]
        self.min_samples = max(1, int(min_samples))
        self.clock = clock
        prepare_ranks(settings.max_samples, settings.confidence)  # before the budget's clock starts
        self.started = clock()
        self.reason: str | None = None

    def elapsed(self) -> float:
        """Seconds since the rule was made."""
        return self.clock() - self.started

    def should_stop(self, samples: Sequence[float]) -> bool:
        """Tell whether to stop after ``samples`` (this round's per-call samples); remember why.

        Parameters
        ----------
        samples : sequence of float
            The samples this round took so far.

        Returns
        -------
        bool
            True once the target is met, the budget spent or the limit reached.
        """
        pooled = self.prior + [float(value) for value in samples]
        interval = median_interval(pooled, self.settings.confidence)
        own = len(samples) >= self.settings.round_floor  # a later round gives a median of its own
        if self.settings.enabled and own and interval.relative_half_width <= self.settings.target:
            self.reason = STOP_TARGET
        elif len(samples) < self.min_samples:
            return False
        elif len(pooled) >= self.settings.max_samples:
            self.reason = STOP_LIMIT
        elif self.elapsed() >= self.settings.time_budget:
            self.reason = STOP_BUDGET
        else:
            return False
        return True


def precision_record(
    samples: Sequence[float],
    settings: PrecisionSettings | None,
    stop_reason: str | None,
    sampling_seconds: float,
    round_samples: Sequence[int] | None = None,
) -> dict[str, Any]:
    """What the result file keeps about one combination's precision.

    Parameters
    ----------
    samples : sequence of float
        All the combination's samples.
    settings : PrecisionSettings or None
        The settings in effect; None when the benchmark had no precision rule (e.g. the asv runner).
    stop_reason : str or None
        Why sampling stopped (the last round's reason).
    sampling_seconds : float
        Wall time spent sampling, all rounds.
    round_samples : sequence of int, optional
        How many of ``samples`` each round (measuring process) gave, in order; they must add up to
        ``len(samples)``. Kept as ``round_samples``; left out when not known (the asv runner).

    Returns
    -------
    dict
        ``median``, ``ci_low``, ``ci_high``, ``confidence``, ``coverage``, ``relative_half_width``,
        ``iqr_over_median``, ``samples``, ``target``, ``target_met``, ``stop``, ``time_budget``,
        ``sampling_seconds`` and, when given, ``round_samples``; JSON-ready (missing values are null).

    Raises
    ------
    ValueError
        When ``round_samples`` does not add up to the number of samples.
    """
    if round_samples is not None and (sum(round_samples) != len(samples) or min(round_samples, default=0) < 0):
        raise ValueError(f"round sample counts {list(round_samples)} do not add up to {len(samples)} samples")
    confidence = settings.confidence if settings is not None else float(PRECISION_ATTRIBUTES["precision_confidence"])
    interval = median_interval(samples, confidence)
    half_width = interval.relative_half_width
    iqr = interquartile_range(samples)
    target = settings.target if settings is not None and settings.enabled else None
    return {
        "median": interval.median,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "confidence": confidence,
        "coverage": interval.coverage,
        "relative_half_width": half_width if math.isfinite(half_width) else None,
        "iqr_over_median": iqr / abs(interval.median) if interval.median else None,
        "samples": interval.count,
        "target": target,
        "target_met": None if target is None else bool(half_width <= target),
        "stop": stop_reason,
        "time_budget": settings.time_budget if target is not None else None,
        "sampling_seconds": round(float(sampling_seconds), 6),
        **({"round_samples": [int(count) for count in round_samples]} if round_samples is not None else {}),
    }
