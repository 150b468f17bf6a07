"""Uploading result files to the results server: the pytest side (``--nwb-upload``).

Two ways in:

* ``pytest benchmarks --nwb-bench --nwb-upload`` uploads what the run wrote, when the benchmark
  plugin announces its files through ``pytest_nwb_results_written``;
* ``pytest --nwb-upload`` alone is an action, like ``pytest --fixtures``: it uploads every file of
  the results folder that the upload tracker does not list, and exits without collecting tests.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_nwb_benchmarks.run._session import results_dir
from pytest_nwb_benchmarks.upload._upload import (
    SERVER_URL_ENV,
    TOKEN_ENV,
    UploadOutcome,
    UploadTrackerError,
    find_result_files,
    normalize_server_url,
    referenced_headers,
    summarize,
    upload_result_files,
)
from pytest_nwb_benchmarks.utils._options import option_group, setting

# Set when an upload during a benchmark run failed, so that the run's exit status says so.
_UPLOAD_FAILED = pytest.StashKey[bool]()
# The lines reporting a benchmark run's upload, shown in the terminal summary.
_REPORT = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = option_group(parser)
    group.addoption(
        "--nwb-upload",
        action="store_true",
        default=False,
        help="upload result files to the results server: with --nwb-bench those the run writes, "
        "otherwise every file in the results folder not uploaded yet (then no tests are run)",
    )
    group.addoption(
        "--nwb-server-url",
        default=None,
        metavar="URL",
        help=f"the results server for --nwb-upload (default: ${SERVER_URL_ENV}, else ini nwb_server_url); "
        f"the upload token is read from ${TOKEN_ENV}",
    )
    parser.addini("nwb_server_url", "the results server that --nwb-upload sends result files to", default="")


def server_url(config: pytest.Config) -> str:
    """Return the results server for ``--nwb-upload``.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration.

    Returns
    -------
    str
        ``--nwb-server-url``, else ``$NWB_BENCHMARKS_UPLOAD_URL``, else the ini option ``nwb_server_url``.

    Raises
    ------
    pytest.UsageError
        When none is set, or the URL is not http(s).
    """
    configured = str(setting(config, "nwb_server_url", env=SERVER_URL_ENV, ini="nwb_server_url", default=""))
    if not configured.strip():
        raise pytest.UsageError(
            f"--nwb-upload needs a results server: pass --nwb-server-url URL, set {SERVER_URL_ENV}, "
            "or set nwb_server_url in the pytest configuration"
        )
    try:
        return normalize_server_url(configured)
    except ValueError as error:
        raise pytest.UsageError(f"--nwb-upload: {error}") from None


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if not config.getoption("nwb_upload"):
        return None
    url = server_url(config)  # a missing URL is a usage error in both modes, before anything runs
    if config.getoption("nwb_bench", default=False):
        return None  # the run goes on; pytest_nwb_results_written uploads what it writes
    folder = results_dir(config)
    try:
        files = find_result_files(folder)
    except FileNotFoundError:
        raise pytest.UsageError(
            f"--nwb-upload: the results folder {folder} does not exist; pass --nwb-results-dir DIR"
        ) from None
    print(f"nwb upload: {len(files)} result files and headers in {folder}, to {url}", flush=True)
    try:
        outcomes = upload_result_files(files, url, on_outcome=_print_sent)
    except UploadTrackerError as error:
        print(f"nwb upload: error: {error}", flush=True)
        return 1
    except ValueError as error:  # a bad NWB_BENCHMARKS_UPLOAD_ATTEMPTS or _BACKOFF
        raise pytest.UsageError(f"--nwb-upload: {error}") from None
    print(f"nwb upload: {summarize(outcomes)}", flush=True)
    return 0 if all(outcome.ok for outcome in outcomes) else 1


def _print_sent(outcome: UploadOutcome) -> None:
    # Files the tracker skipped are counted in the closing line rather than listed one by one.
    if outcome.sent:
        print(outcome.summary_line(), flush=True)


@pytest.hookimpl(trylast=True)
def pytest_nwb_results_written(config: pytest.Config, paths: list[Path]) -> None:
    if not config.getoption("nwb_upload"):
        return
    url = server_url(config)
    files = [Path(p) for p in paths]
    # A header written by an earlier run that was never uploaded must still go before this result.
    for path in list(files):
        files.extend(referenced_headers(path))
    lines = [f"to {url}"]
    config.stash[_REPORT] = lines
    try:
        outcomes = upload_result_files(files, url)
    except ValueError as error:  # a damaged tracker, or a bad NWB_BENCHMARKS_UPLOAD_ATTEMPTS or _BACKOFF
        lines.append(f"nwb upload: error: {error}")
        config.stash[_UPLOAD_FAILED] = True
        return
    lines += [outcome.summary_line() for outcome in outcomes if outcome.sent]
    lines.append(f"nwb upload: {summarize(outcomes)}")
    if not all(outcome.ok for outcome in outcomes):
        config.stash[_UPLOAD_FAILED] = True


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    # Reported after the benchmarks' own summary, which names the files that were uploaded.
    lines = config.stash.get(_REPORT, None)
    if lines:
        terminalreporter.section(f"nwb upload {lines[0]}")
        for line in lines[1:]:
            terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Generator[None, None, None]:
    result = yield
    # Benchmarks that ran but whose results did not reach the server still fail the run, so that
    # CI notices; the files stay in the results folder and the next `pytest --nwb-upload` retries.
    if session.config.stash.get(_UPLOAD_FAILED, False) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return result
