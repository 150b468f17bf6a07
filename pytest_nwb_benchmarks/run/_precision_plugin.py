"""The pytest side of precision-driven sampling and of the machine check.

Options (each also an ini setting, which a benchmark's own attribute beats and the option beats):
``--nwb-precision-target``, ``--nwb-precision-confidence``, ``--nwb-time-budget``, ``--nwb-max-samples``.
At the start of a benchmark run the machine is checked (:mod:`._system_check`) and its warnings are
printed; the findings go into the result file as ``system_check``. At the end, after the summary
table, the run says how many combinations met their precision target and which were unstable.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nwb_benchmarks.report._summary import noise_report
from pytest_nwb_benchmarks.run._precision import PRECISION_ATTRIBUTES
from pytest_nwb_benchmarks.run._session import recorded_rows
from pytest_nwb_benchmarks.run._system_check import SystemCheck, check_system
from pytest_nwb_benchmarks.utils._options import setting

__all__ = ["precision_runner_options"]

_CHECK = pytest.StashKey[SystemCheck]()

# attribute -> (option, ini name, help)
_OPTIONS: dict[str, tuple[str, str, str]] = {
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


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nwb-benchmarks", "ASV-style benchmarks (pytest-nwb-benchmarks)")
    for name, (option, ini, text) in _OPTIONS.items():
        default = PRECISION_ATTRIBUTES[name]
        group.addoption(
            option,
            dest=ini,
            default=None,
            metavar="N",
            help=f"{text} (overrides benchmark attribute `{name}`; default: ini {ini}, else {default})",
        )
        parser.addini(ini, f"default {name} of benchmarks that set none (built-in {default})", default=None)


def precision_runner_options(config: pytest.Config) -> dict[str, dict[str, Any]]:
    """The native runner's precision settings: the options (overrides) and the ini values (defaults).

    Parameters
    ----------
    config : pytest.Config
        The run's configuration.

    Returns
    -------
    dict
        ``{"precision_overrides": {...}, "precision_defaults": {...}}``.

    Raises
    ------
    pytest.UsageError
        When an option or ini value is not a number >= 0 (or the confidence not within (0, 1)).
    """
    overrides: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for name, (option, ini, _) in _OPTIONS.items():
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


def _benchmark_run(config: pytest.Config) -> bool:
    return bool(setting(config, "nwb_bench")) and not setting(config, "nwb_debug")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if _benchmark_run(config) and not hasattr(config, "workerinput"):  # an xdist worker's controller checks
        config.stash[_CHECK] = check_system()


def pytest_report_header(config: pytest.Config) -> list[str]:
    check = config.stash.get(_CHECK, None)
    if check is None or not check.warnings:
        return []
    lines = [f"nwb benchmarks: WARNING {message}" for message in check.warnings]
    lines.append("nwb benchmarks: this machine is not quiet; the findings are kept in the result file (system_check)")
    return lines


def pytest_nwb_result_metadata(config: pytest.Config) -> dict | None:
    check = config.stash.get(_CHECK, None)
    return {"system_check": check.to_dict()} if check is not None else None


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    lines = noise_report(recorded_rows(config))
    if not lines:
        return
    terminalreporter.section("nwb benchmarks: precision and noise")
    for line in lines:
        terminalreporter.write_line(line, yellow=line.startswith("WARNING"))
