"""The pytest side of precision-driven sampling and of the machine check.

Options (each also an ini setting, which a benchmark's own attribute beats and the option beats):
``--nwb-precision-target``, ``--nwb-precision-confidence``, ``--nwb-time-budget``, ``--nwb-max-samples``,
and the whole run's ``--nwb-suite-budget``.
At the start of a benchmark run the machine is checked (:mod:`._system_check`) and its warnings are
printed; the findings go into the result file as ``system_check``. At the end, after the summary
table, the run says how many combinations met their precision target and which were unstable.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nwb_benchmarks.report._summary import noise_report
from pytest_nwb_benchmarks.run._precision import PRECISION_ATTRIBUTES
from pytest_nwb_benchmarks.run._precision_options import PRECISION_OPTIONS, SUITE_BUDGET_HELP, SUITE_BUDGET_OPTION
from pytest_nwb_benchmarks.run._session import recorded_rows
from pytest_nwb_benchmarks.run._system_check import SystemCheck, check_system
from pytest_nwb_benchmarks.utils._options import option_group, setting

_CHECK = pytest.StashKey[SystemCheck]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = option_group(parser)
    for name, (option, ini, text) in PRECISION_OPTIONS.items():
        default = PRECISION_ATTRIBUTES[name]
        group.addoption(
            option,
            dest=ini,
            default=None,
            metavar="N",
            help=f"{text} (overrides benchmark attribute `{name}`; default: ini {ini}, else {default})",
        )
        parser.addini(ini, f"default {name} of benchmarks that set none (built-in {default})", default=None)
    option, ini = SUITE_BUDGET_OPTION
    group.addoption(option, dest=ini, default=None, metavar="DURATION", help=SUITE_BUDGET_HELP)
    parser.addini(ini, SUITE_BUDGET_HELP, default=None)


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
