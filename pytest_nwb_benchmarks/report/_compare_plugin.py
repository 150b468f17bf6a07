"""pytest options ``--nwb-compare=REF`` and ``--nwb-compare-fail=PCT``: judge this run against an earlier one.

Registered by :mod:`._plugin` (``pytest_plugins``), so it needs no entry point of its own. It acts once the run's
result file is written (the ``pytest_nwb_results_written`` hook), prints the comparison after the
benchmarks' summary table, and turns a passing session into a failing one when a significant
regression is larger than the ``--nwb-compare-fail`` percentage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_nwb_benchmarks.results._file_names import InvalidFileName, parse_file_name
from pytest_nwb_benchmarks.utils._options import option_group

# The statistics (numpy, scipy) are imported only when a comparison is asked for: this plugin is
# loaded into every pytest session.

_REPORT = pytest.StashKey[list[str]]()
_FAILED = pytest.StashKey[bool]()


def _percentage(text: str) -> float:
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        raise pytest.UsageError(f"--nwb-compare-fail expects a percentage such as 10, not {text!r}") from None
    if not 0 <= value < 1000:
        raise pytest.UsageError(f"--nwb-compare-fail must be between 0 and 1000 (percent), not {text!r}")
    return value / 100.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = option_group(parser)
    group.addoption(
        "--nwb-compare",
        default=None,
        metavar="REF",
        help="after the run, compare it with REF: a result file, a results folder (its latest run), or 'latest' "
        "(the newest earlier run of this machine and environment in the results folder)",
    )
    group.addoption(
        "--nwb-compare-fail",
        default=None,
        metavar="PCT",
        help="exit non-zero when the comparison finds a significant regression larger than PCT percent",
    )


def pytest_configure(config: pytest.Config) -> None:
    fail = config.getoption("nwb_compare_fail")
    if fail is not None:
        _percentage(fail)  # a bad value stops the session before any benchmark runs
        if config.getoption("nwb_compare") is None:
            raise pytest.UsageError("--nwb-compare-fail needs --nwb-compare=REF")


def _compare(config: pytest.Config, result_path: Path) -> Any:
    from pytest_nwb_benchmarks.report._compare import compare_result_files, resolve_run
    from pytest_nwb_benchmarks.report._verdict import DEFAULT_THRESHOLD
    from pytest_nwb_benchmarks.results._result_files import read_result_file

    reference = config.getoption("nwb_compare")
    fail = config.getoption("nwb_compare_fail")
    threshold = _percentage(fail) if fail is not None else DEFAULT_THRESHOLD
    contender = read_result_file(result_path)
    if reference == "latest":
        # the run's results folder: the one its result file was just written into
        baseline = resolve_run(result_path.parent, before=contender)
    else:
        path = Path(reference)
        if not path.is_absolute():
            path = Path(config.invocation_params.dir) / path
        baseline = resolve_run(path, machine=contender.machine_hash if path.is_dir() else None)
    return compare_result_files(baseline, contender, threshold=threshold)


def _result_file(paths: list[Path]) -> Path | None:
    for path in paths:
        try:
            if parse_file_name(Path(path).name).kind == "result":
                return Path(path)
        except InvalidFileName:
            continue
    return None


@pytest.hookimpl(trylast=True)
def pytest_nwb_results_written(config: pytest.Config, paths: list[Path]) -> None:
    if config.getoption("nwb_compare") is None:
        return
    result_path = _result_file(paths)
    if result_path is None:
        return
    from pytest_nwb_benchmarks.report._compare import IncomparableRuns
    from pytest_nwb_benchmarks.report._compare_cli import format_comparison
    from pytest_nwb_benchmarks.results._result_files import InvalidResultFile

    try:
        comparison = _compare(config, result_path)
    except (IncomparableRuns, InvalidResultFile) as error:
        # Nothing to compare with (a first run, say) is reported, not failed, like pytest-benchmark does.
        config.stash[_REPORT] = [f"nwb compare: not compared: {error}"]
        return
    config.stash[_REPORT] = format_comparison(comparison, fmt="table", sort="verdict").splitlines()
    config.stash[_FAILED] = config.getoption("nwb_compare_fail") is not None and comparison.has("regression")
    if config.stash[_FAILED]:
        config.stash[_REPORT].append(
            f"nwb compare: failing the session: significant regression above {comparison.threshold:.0%}"
        )


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    lines = config.stash.get(_REPORT, None)
    if lines:
        terminalreporter.section("nwb compare")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Runs after the main plugin's own (tryfirst) implementation has written the results and so
    # triggered the comparison; pytest exits with the session's status as it stands afterwards.
    if session.config.stash.get(_FAILED, False) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
