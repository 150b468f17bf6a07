"""The statistics behind every verdict: is one set of samples faster, slower, the same, or can we not tell?

The change test follows ``asv compare`` so that both tools give the same answer on the same
samples: a two-sided Mann–Whitney U test at p < 0.002 with asv's conservative handling of ties
(ties between the two sides are counted in whichever direction is least significant), and a
change counts only when the ratio of medians is also beyond the threshold. On top of that every
row gets a bootstrap interval for the ratio of medians, which decides between ``same`` (the
interval lies inside the threshold band) and ``uncertain`` (it does not, or there are too few
samples for the test to ever reach significance).

When the samples of a side come from several measuring processes (rounds), a ``faster`` or ``slower``
verdict must also hold between the processes' own medians: see :mod:`._rounds` for that rule and why.

scipy provides the test's distribution (``scipy.stats.mannwhitneyu``) and the resampling
(``scipy.stats.bootstrap``); the only code written here is asv's tie rule, which scipy does not
offer (scipy averages ties instead).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from pytest_nwb_benchmarks.report._rounds import check_rounds, round_medians, split_rounds

# The p-value below which a difference is significant: asv's value (``asv._stats.is_different``).
ALPHA = 0.002
# The confidence level of the bootstrap interval of the ratio.
CONFIDENCE = 0.99
# A change smaller than this fraction never counts (asv's ``--factor 1.1``).
DEFAULT_THRESHOLD = 0.10
# Resamples of the bootstrap: enough for a stable 99 % percentile interval, cheap for a few thousand rows.
_RESAMPLES = 2000
# Above this many samples on either side, asv switches from the exact distribution to the normal one.
_EXACT_LIMIT = 20
VERDICTS = ("faster", "slower", "same", "uncertain")


@dataclass(frozen=True)
class Verdict:
    """The judgement of a contender's samples against a baseline's.

    Attributes
    ----------
    baseline_median, contender_median : float
        The medians of each side.
    ratio : float or None
        ``contender_median / baseline_median`` (above 1 means slower, or more bytes); None when
        undefined (a median of zero or below).
    ci_low, ci_high : float or None
        The bootstrap interval of the ratio at :data:`CONFIDENCE`; None with fewer than two
        samples on a side.
    p_value : float or None
        The two-sided Mann–Whitney U p-value (0 or 1 for exact values); None when not computed.
    verdict : str
        ``faster``, ``slower``, ``same`` or ``uncertain``.
    reason : str
        Why, in a few words (always set for ``uncertain``).
    baseline_count, contender_count : int
        The number of samples on each side.
    exact : bool
        True when both sides are exact counts (constant integers), compared without statistics.
    baseline_rounds, contender_rounds : int or None
        The number of measuring processes (rounds) of each side; None when not recorded.
    baseline_round_medians, contender_round_medians : tuple of float or None
        The median of each round.
    round_spread : float or None
        The largest relative spread between two round medians of one side (0.18 for 18 %).
    note : str or None
        Set when the verdict could not be checked between processes (one round a side, or no
        round information): it then rests on one process per side.
    """

    baseline_median: float
    contender_median: float
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    verdict: str
    reason: str
    baseline_count: int
    contender_count: int
    exact: bool = False
    baseline_rounds: int | None = None
    contender_rounds: int | None = None
    baseline_round_medians: tuple[float, ...] | None = None
    contender_round_medians: tuple[float, ...] | None = None
    round_spread: float | None = None
    note: str | None = None


def smallest_p(m: int, n: int) -> float:
    """Return the smallest two-sided p-value a rank test can give for samples of sizes ``m`` and ``n``.

    This is asv's gate: when it is not below :data:`ALPHA`, no amount of difference can be
    significant, and the samples are too few to judge.
    """
    if m < 1 or n < 1:
        return 1.0
    arrangements = math.comb(m + n, min(m, n))
    # Past a float's range (thousands of samples a side) the smallest p-value is 0 for every purpose.
    return 1.0 / arrangements if arrangements.bit_length() < 1000 else 0.0


def _ranks(a: np.ndarray, b: np.ndarray, a_wins_ties: bool) -> tuple[np.ndarray, np.ndarray]:
    """Replace the samples by distinct ranks, breaking ties between the sides one way."""
    values = np.concatenate([a, b])
    side = np.concatenate([np.zeros(len(a)), np.ones(len(b))])
    if a_wins_ties:
        side = 1 - side
    order = np.lexsort((np.arange(len(values)), side, values))
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks[: len(a)], ranks[len(a) :]


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Return the two-sided Mann–Whitney U p-value of ``a`` against ``b``, the way asv computes it.

    The exact distribution is used up to 20 samples a side, the normal approximation (without
    continuity or tie correction) above; ties between the sides are resolved in the least
    significant direction.

    Parameters
    ----------
    a, b : sequence of float
        The two samples, at least one value each.

    Returns
    -------
    float
        The p-value.
    """
    from scipy.stats import mannwhitneyu, norm

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        raise ValueError("both samples need at least one value")
    differences = np.subtract.outer(x, y)
    above = int(np.count_nonzero(differences > 0))
    ties = int(np.count_nonzero(differences == 0))
    half = m * n // 2
    method = "exact" if max(m, n) <= _EXACT_LIMIT else "asymptotic"
    if ties and above <= half <= above + ties:
        # Some way of breaking the ties puts U at its centre: no evidence of a difference at all.
        if method == "exact":
            return 1.0
        return float(2 * norm.cdf((half - m * n / 2) / math.sqrt(m * n * (m + n + 1) / 12)))
    # The side of the ties that keeps U nearer its centre: x above y when U is already below it.
    x_ranks, y_ranks = _ranks(x, y, a_wins_ties=above + ties < half)
    result = mannwhitneyu(x_ranks, y_ranks, alternative="two-sided", method=method, use_continuity=False)
    return float(min(1.0, result.pvalue))


def _ratio_interval(a: np.ndarray, b: np.ndarray) -> tuple[float | None, float | None]:
    """The percentile bootstrap interval of ``median(b) / median(a)``, reproducible (fixed seed)."""
    from scipy.stats import bootstrap

    def ratio(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.median(y, axis=axis) / np.median(x, axis=axis)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate (constant) data gives a zero-width interval: fine
        result = bootstrap(
            (a, b),
            ratio,
            n_resamples=_RESAMPLES,
            confidence_level=CONFIDENCE,
            method="percentile",
            vectorized=True,
            rng=np.random.default_rng(20240217),
        )
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None, None
    return low, high


def _is_exact(values: Sequence[float]) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values) and len(set(values)) == 1


def _outside(ratio: float, threshold: float) -> str | None:
    if ratio > 1.0 + threshold:
        return "slower"
    if ratio < 1.0 / (1.0 + threshold):
        return "faster"
    return None


def judge_samples(
    baseline: Sequence[float],
    contender: Sequence[float],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    baseline_rounds: Sequence[int] | None = None,
    contender_rounds: Sequence[int] | None = None,
) -> Verdict:
    """Judge ``contender`` against ``baseline``: lower values are better (time, memory, bytes).

    Parameters
    ----------
    baseline, contender : sequence of float
        The samples of each side, at least one each.
    threshold : float, optional
        The smallest relative change that counts (0.10 for 10 %): slower means a ratio above
        ``1 + threshold``, faster below ``1 / (1 + threshold)``.
    baseline_rounds, contender_rounds : sequence of int, optional
        How many of each side's samples each round (measuring process) gave, in order (a result
        file's ``round_samples``); None when not recorded. Counts that do not add up to the
        samples count as not recorded.

    Returns
    -------
    Verdict
        Medians, ratio, interval, p-value and verdict, checked between processes (:mod:`._rounds`).
    """
    judged = _judge_pooled(baseline, contender, threshold)
    if judged.exact:
        return judged
    medians = [
        round_medians(split_rounds(samples, counts))
        for samples, counts in ((baseline, baseline_rounds), (contender, contender_rounds))
    ]
    check = check_rounds(judged.verdict, medians[0], medians[1], threshold)
    return replace(
        judged,
        verdict=check.verdict,
        reason=check.reason or judged.reason,
        baseline_rounds=None if medians[0] is None else len(medians[0]),
        contender_rounds=None if medians[1] is None else len(medians[1]),
        baseline_round_medians=medians[0],
        contender_round_medians=medians[1],
        round_spread=check.round_spread,
        note=check.note,
    )


def _judge_pooled(baseline: Sequence[float], contender: Sequence[float], threshold: float) -> Verdict:
    """The verdict of the pooled samples, as ``asv compare`` gives it, with the bootstrap interval."""
    if not baseline or not contender:
        raise ValueError("both sides need at least one sample")
    if not (threshold >= 0 and math.isfinite(threshold)):
        raise ValueError(f"threshold must be a finite number >= 0, got {threshold!r}")
    a, b = np.asarray(baseline, dtype=float), np.asarray(contender, dtype=float)
    med_a, med_b = float(np.median(a)), float(np.median(b))
    counts = {"baseline_count": len(a), "contender_count": len(b)}
    ratio = med_b / med_a if med_a > 0 and med_b >= 0 else (1.0 if med_a == med_b == 0 else None)

    def verdict(verdict: str, reason: str, **fields: object) -> Verdict:
        values = {"ratio": ratio, "ci_low": None, "ci_high": None, "p_value": None, **counts, **fields}
        return Verdict(med_a, med_b, verdict=verdict, reason=reason, **values)  # type: ignore[arg-type]

    if _is_exact(baseline) and _is_exact(contender):
        if med_a == med_b:
            outcome = "same"
        elif ratio is None:  # from zero (or a negative count): the direction is all there is
            outcome = "slower" if med_b > med_a else "faster"
        else:
            outcome = _outside(ratio, threshold) or "same"
        return verdict(outcome, "exact values", p_value=1.0 if med_a == med_b else 0.0, exact=True)
    if len(a) < 2 or len(b) < 2:
        return verdict("uncertain", f"too few samples: {len(a)} vs {len(b)}")
    p_value = mann_whitney_p(a, b)
    if ratio is None:
        return verdict("uncertain", "ratio undefined (a median is zero or negative)", p_value=p_value)
    low, high = _ratio_interval(a, b)
    interval = {"ci_low": low, "ci_high": high, "p_value": p_value}
    if smallest_p(len(a), len(b)) >= ALPHA:
        return verdict("uncertain", f"too few samples: {len(a)} vs {len(b)} cannot reach p < {ALPHA}", **interval)
    change = _outside(ratio, threshold)
    if change is not None and p_value < ALPHA:
        return verdict(change, f"p = {p_value:.2g}", **interval)
    if low is not None and high is not None and _outside(low, threshold) is None and _outside(high, threshold) is None:
        return verdict("same", f"interval within ±{threshold:.0%}", **interval)
    if change is not None:
        return verdict("uncertain", f"too noisy: p = {p_value:.2g} is not below {ALPHA}", **interval)
    return verdict("uncertain", f"too noisy: the interval reaches beyond ±{threshold:.0%}", **interval)
