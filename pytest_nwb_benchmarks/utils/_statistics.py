"""Order statistics of samples: what the summary table and the comparisons show."""

from __future__ import annotations

import math
from collections.abc import Sequence


def quantile(samples: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile of ``samples`` with linear interpolation between order statistics.

    Parameters
    ----------
    samples : sequence of float
        At least one value.
    fraction : float
        Between 0 and 1.

    Returns
    -------
    float
        The quantile (numpy's default "linear" method, which asv uses too).
    """
    if not samples:
        raise ValueError("no samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within [0, 1], not {fraction}")
    ordered = sorted(float(value) for value in samples)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(samples: Sequence[float]) -> float:
    """Return the median of ``samples``."""
    return quantile(samples, 0.5)


def interquartile_range(samples: Sequence[float]) -> float:
    """Return the distance between the 75th and 25th percentiles of ``samples``."""
    return quantile(samples, 0.75) - quantile(samples, 0.25)
