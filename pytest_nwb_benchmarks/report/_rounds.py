"""The process-level check of a verdict: do the measuring processes of the two sides agree on the change?

Every round of a benchmark is one measuring process, and the samples of one process share its
conditions: the CPU it ran on, the state of the caches, the load at that moment. A rank test on the
pooled samples takes hundreds of samples from one process as hundreds of independent observations,
so a difference between two *processes* comes out as a "significant" change of the code (two runs of
unchanged code flagged a third of the local file openings as 11–43 % faster that way). The process
is the unit that is independent, so a change must also show between the processes' own medians.

The rule (applied to a ``faster`` or ``slower`` verdict when both sides have at least two rounds):
let the *gap* be the smallest ratio between a round median of one side and a round median of the
other, in the verdict's direction (for ``slower``: the fastest contender round over the slowest
baseline round), and the *spread* the largest ratio between two round medians of the same side. The
change stands only when

1. the gap is beyond the threshold: every contender process differs from every baseline process by
   more than the smallest change that counts (so the rounds of the two sides do not overlap), and
2. the gap is larger than the spread: the two sides' processes are further apart than any two
   processes running the same code already were.

Otherwise the verdict becomes ``uncertain``, with the spread and the gap in the reason.

Why this rule: it is simple to state and to check by hand, it asks nothing of the distribution of
the process medians, and it is conservative in the direction that matters. It compares the
*closest* pair across the sides with the *farthest* pair within a side, so a change has to stand
out from the process-to-process noise the same data shows. With two rounds a side it is not a
significance test and cannot be one: even four perfectly ordered process medians happen by chance
with probability 1/6 per direction (the smallest p-value a rank test on 2 + 2 values can give), and
condition 2 cuts that to about 1/20 (simulated for normally and uniformly spread process medians);
with three rounds a side it is below 1/150, with four below 1/1000. It removes the verdicts the data itself contradicts, which is exactly the false alarm seen
above, and leaves a real change, which moves every process, standing. With one round a side (or
no round information, as in older result files) the verdict is left as it was and a note says that
it rests on one process per side.

The rounds are read from the ``round_samples`` counts the native runner keeps in the result file's
``precision`` section: the pooled samples are the rounds' samples in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The note of a verdict that could not be checked between processes, by why.
NOTE_ONE_PROCESS = (
    "rests on one measuring process per side: a difference between processes cannot be told from a change"
)
NOTE_UNKNOWN = "round structure not recorded: the verdict treats all samples as independent"


def split_rounds(samples: Sequence[float], counts: Sequence[int] | None) -> list[list[float]] | None:
    """Cut the pooled samples into their rounds; None when the counts are missing or do not fit.

    Parameters
    ----------
    samples : sequence of float
        The pooled samples, the rounds' samples in order.
    counts : sequence of int or None
        How many samples each round gave (``round_samples``).

    Returns
    -------
    list of list of float or None
        The rounds that gave samples, or None when ``counts`` is None, holds anything but
        non-negative integers, or does not add up to ``len(samples)``.
    """
    if counts is None or not isinstance(counts, (list, tuple)):
        return None
    if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
        return None
    if sum(counts) != len(samples):
        return None
    rounds, start = [], 0
    for count in counts:
        if count:
            rounds.append([float(value) for value in samples[start : start + count]])
        start += count
    return rounds


def round_medians(rounds: list[list[float]] | None) -> tuple[float, ...] | None:
    """The median of each round (None without round information)."""
    if rounds is None:
        return None
    return tuple(float(np.median(values)) for values in rounds)


def spread_of(medians: Sequence[float]) -> float | None:
    """The largest ratio between two round medians of one side, minus one (None with fewer than two, or at zero)."""
    if len(medians) < 2 or min(medians) <= 0:
        return None
    return max(medians) / min(medians) - 1.0


@dataclass(frozen=True)
class RoundCheck:
    """What the rounds of the two sides say about a verdict.

    Attributes
    ----------
    verdict : str
        The verdict after the check (a ``faster`` or ``slower`` one may become ``uncertain``).
    reason : str or None
        Why the check turned the verdict to ``uncertain``; None otherwise.
    note : str or None
        Set when the check could not be made (one process on a side, or no round information).
    round_spread : float or None
        The largest relative spread between the round medians of one side (0.18 for 18 %).
    """

    verdict: str
    reason: str | None
    note: str | None
    round_spread: float | None


def check_rounds(
    verdict: str,
    baseline: Sequence[float] | None,
    contender: Sequence[float] | None,
    threshold: float,
) -> RoundCheck:
    """Apply the process-level rule of this module to a verdict.

    Parameters
    ----------
    verdict : str
        The verdict of the pooled samples.
    baseline, contender : sequence of float or None
        The round medians of each side; None when not recorded.
    threshold : float
        The smallest relative change that counts.

    Returns
    -------
    RoundCheck
        The verdict (changed to ``uncertain`` when the rounds disagree), the reason, a note when
        the check could not be made, and the spread.
    """
    spreads = [s for s in (spread_of(baseline or ()), spread_of(contender or ())) if s is not None]
    spread = max(spreads) if spreads else None
    if baseline is None or contender is None:
        return RoundCheck(verdict, None, NOTE_UNKNOWN, spread)
    if len(baseline) < 2 or len(contender) < 2:
        sides = f"{len(baseline)} round(s) in the baseline, {len(contender)} in the contender"
        return RoundCheck(verdict, None, f"{NOTE_ONE_PROCESS} ({sides})", spread)
    if verdict not in ("faster", "slower"):
        return RoundCheck(verdict, None, None, spread)
    if min(baseline) <= 0 or min(contender) <= 0:
        return RoundCheck("uncertain", "rounds cannot be compared: a round median is zero or negative", None, spread)
    slow, fast = (contender, baseline) if verdict == "slower" else (baseline, contender)
    gap = min(slow) / max(fast) - 1.0
    within = spread if spread is not None else 0.0
    if gap <= threshold:
        overlap = "overlap" if gap <= 0 else f"are only {gap:.0%} apart"
        reason = f"rounds disagree: the two sides' processes {overlap} (threshold {threshold:.0%})"
        return RoundCheck("uncertain", f"{reason}; process-to-process spread {within:.0%} within a side", None, spread)
    if gap <= within:
        reason = (
            f"rounds disagree: process-to-process spread {within:.0%} within a side, "
            f"the sides' processes only {gap:.0%} apart"
        )
        return RoundCheck("uncertain", reason, None, spread)
    return RoundCheck(verdict, None, None, spread)
