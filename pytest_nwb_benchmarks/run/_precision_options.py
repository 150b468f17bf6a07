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


# The whole run's budget: not a benchmark attribute, so it has an option and an ini setting of its own.
SUITE_BUDGET_OPTION = ("--nwb-suite-budget", "nwb_suite_budget")
SUITE_BUDGET_HELP = (
    "a time budget for the whole run (seconds, or with a unit: 90s, 20m, 1h): each combination samples for at "
    "most its own time budget and its share of what is left of this one; 0 or unset: no run budget"
)
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds from ``"1200"``, ``"90s"``, ``"20m"`` or ``"1.5h"``.

    Raises
    ------
    ValueError
        When ``text`` is not a finite number >= 0 with an optional unit s, m or h.
    """
    text = text.strip().lower()
    scale = _UNITS.get(text[-1:], None)
    number = _number(text[:-1] if scale is not None else text)
    return number * (scale or 1.0)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")) or value < 0:
        raise ValueError(f"expected a finite number >= 0, got {text!r}")
    return value


def precision_runner_options(config: pytest.Config) -> dict[str, Any]:
    """The native runner's precision settings: ``{"precision_overrides": options, "precision_defaults": ini,
    "suite_budget": seconds or None}``.

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
    return {"precision_overrides": overrides, "precision_defaults": defaults, "suite_budget": suite_budget(config)}


def suite_budget(config: pytest.Config) -> float | None:
    """The run's budget in seconds from ``--nwb-suite-budget`` or ini ``nwb_suite_budget`` (None: none).

    Raises
    ------
    pytest.UsageError
        When the value is not a duration.
    """
    option, ini = SUITE_BUDGET_OPTION
    value = setting(config, ini, ini=ini)
    if value is None or str(value).strip() == "":
        return None
    try:
        seconds = parse_duration(str(value))
    except ValueError as error:
        raise pytest.UsageError(f"{option} / ini {ini}: {error}") from None
    return seconds or None
