"""The precision settings of a run: ``--nwb-precision-target`` and friends, and their ini defaults."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nwb_benchmarks.utils._options import setting

# attribute -> (option, ini name, help)
PRECISION_OPTIONS: dict[str, tuple[str, str, str]] = {
    "precision_target": (
        "--nwb-precision-target",
        "nwb_precision_target",
        "sample until the median's confidence interval is within +-this fraction of it (e.g. 0.05); 0 turns "
        "precision-driven sampling off (asv's `repeat` decides)",
    ),
    "precision_confidence": (
        "--nwb-precision-confidence",
        "nwb_precision_confidence",
        "confidence of the median's interval (default 0.95)",
    ),
    "time_budget": (
        "--nwb-time-budget",
        "nwb_time_budget",
        "seconds of sampling per parameter combination, warm-up and setups included",
    ),
    "max_samples": ("--nwb-max-samples", "nwb_max_samples", "never more samples than this per combination"),
}


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise ValueError(f"expected a finite number >= 0, got {text!r}")
    return value


def precision_runner_options(config: pytest.Config) -> dict[str, dict[str, Any]]:
    """The native runner's precision settings: ``{"precision_overrides": options, "precision_defaults": ini}``.

    Raises
    ------
    pytest.UsageError
        When an option or ini value is not a number >= 0 (or the confidence not within (0, 1)).
    """
    overrides: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for name, (option, ini, _) in PRECISION_OPTIONS.items():
        for source, where, target in (
            (setting(config, ini), option, overrides),
            (setting(config, ini=ini), f"ini option {ini}", defaults),
        ):
            if source is None:
                continue
            try:
                value = _number(str(source).strip())
                if name == "precision_confidence" and not 0 < value < 1:
                    raise ValueError(f"expected a number between 0 and 1, got {source!r}")
                if name == "max_samples" and (value < 1 or value != int(value)):
                    raise ValueError(f"expected a whole number >= 1, got {source!r}")
            except ValueError as error:
                raise pytest.UsageError(f"{where}: {error}") from None
            target[name] = int(value) if name == "max_samples" else value
    return {"precision_overrides": overrides, "precision_defaults": defaults}
