"""Session setup for the NWB benchmark suite in ``benchmarks/``: data profile, target and the streaming server.

Options (each also readable from its environment variable, which wins over nothing but loses to the option):

* ``--nwb-profile {small,default}`` (``NWB_BENCHMARKS_PROFILE``): size of the synthetic NWB files.
* ``--nwb-target {local,dandi}`` (``NWB_BENCHMARKS_TARGET``): the local streaming server, or the real DANDI assets.
* ``--nwb-latencies 0,20`` (``NWB_BENCHMARKS_LATENCIES``): the server's per-request latencies, one port each.

The resolved values are written into ``os.environ`` at configure time, because benchmarks run in forked or
asv-spawned child processes that only see the environment. When the session collects benchmarks from
``benchmarks/`` with the local target, the ``nwb_streaming_server`` fixture makes the files, starts the
server in its own process and exports ``NWB_BENCHMARKS_SERVER`` for the children.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pytest_nwb_benchmarks.nwb._fsspec_reset  # noqa: F401 - forked measuring processes forget fsspec's instances
from pytest_nwb_benchmarks.nwb import (
    PROFILES,
    SERVER_ENV,
    ServerInfo,
    StreamingServer,
    ensure_all_lindi_files,
    ensure_all_nwb_files,
    ensure_all_zarr_stores,
    nwb_root,
    remove_published_lindi,
    zarr_available,
)

SUITE_DIR = Path(__file__).resolve().parent / "benchmarks"
TARGETS = ("local", "dandi")

# option dest -> (environment variable, default)
_SETTINGS = {
    "nwb_profile": ("NWB_BENCHMARKS_PROFILE", "default"),
    "nwb_target": ("NWB_BENCHMARKS_TARGET", "local"),
    "nwb_latencies": ("NWB_BENCHMARKS_LATENCIES", "0,20"),
}
_saved_environ = pytest.StashKey[dict[str, "str | None"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nwb-suite", "NWB benchmark suite (data and streaming server)")
    group.addoption(
        "--nwb-profile",
        dest="nwb_profile",
        default=None,
        help=f"size profile of the synthetic NWB files: {', '.join(PROFILES)} "
        "(default: env NWB_BENCHMARKS_PROFILE, else 'default')",
    )
    group.addoption(
        "--nwb-target",
        dest="nwb_target",
        default=None,
        help="where the benchmarks read from: 'local' (the embedded streaming server) or 'dandi' "
        "(default: env NWB_BENCHMARKS_TARGET, else 'local')",
    )
    group.addoption(
        "--nwb-latencies",
        dest="nwb_latencies",
        default=None,
        help="comma-separated per-request latencies of the local server in ms, one port each "
        "(default: env NWB_BENCHMARKS_LATENCIES, else '0,20')",
    )


def _resolve(config: pytest.Config, dest: str) -> str:
    variable, default = _SETTINGS[dest]
    value = config.getoption(dest)
    if value is None:
        value = os.environ.get(variable, "").strip() or default
    return str(value).strip()


def parse_latencies(text: str) -> tuple[int, ...]:
    """Parse ``"0,20"`` into ``(0, 20)``.

    Parameters
    ----------
    text : str
        Comma-separated, distinct, non-negative whole milliseconds.

    Returns
    -------
    tuple of int
        The latencies in the given order.

    Raises
    ------
    ValueError
        If the text is not such a list.
    """
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts) or len(set(map(int, parts))) != len(parts):
        raise ValueError(f"expected distinct non-negative whole milliseconds such as '0,20', got {text!r}")
    return tuple(int(part) for part in parts)


def pytest_configure(config: pytest.Config) -> None:
    profile = _resolve(config, "nwb_profile")
    target = _resolve(config, "nwb_target")
    latencies = _resolve(config, "nwb_latencies")
    if profile not in PROFILES:
        raise pytest.UsageError(
            f"--nwb-profile / NWB_BENCHMARKS_PROFILE: unknown profile {profile!r}; accepted: {', '.join(PROFILES)}"
        )
    if target not in TARGETS:
        raise pytest.UsageError(
            f"--nwb-target / NWB_BENCHMARKS_TARGET: unknown target {target!r}; accepted: {', '.join(TARGETS)}"
        )
    try:
        parsed = parse_latencies(latencies)
    except ValueError as error:
        raise pytest.UsageError(f"--nwb-latencies / NWB_BENCHMARKS_LATENCIES: {error}") from None
    values = {"nwb_profile": profile, "nwb_target": target, "nwb_latencies": ",".join(map(str, parsed))}
    saved: dict[str, str | None] = {}
    for dest, value in values.items():
        variable = _SETTINGS[dest][0]
        saved[variable] = os.environ.get(variable)
        os.environ[variable] = value
    config.stash[_saved_environ] = saved


def pytest_unconfigure(config: pytest.Config) -> None:
    # Leave the environment as we found it (matters when pytest runs in-process, e.g. under pytester).
    for variable, value in config.stash.get(_saved_environ, {}).items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value


def session_runs_suite(session: pytest.Session) -> bool:
    """Whether any collected item comes from this repository's ``benchmarks/`` folder.

    Parameters
    ----------
    session : pytest.Session
        The running session.

    Returns
    -------
    bool
        ``True`` when the suite's data and server are needed.
    """
    for item in session.items:
        path = getattr(item, "path", None)
        if path is not None and Path(path).resolve().is_relative_to(SUITE_DIR):
            return True
    return False


def session_runs_formats(session: pytest.Session) -> bool:
    """Whether any collected item is a Zarr or LINDI benchmark (which need the stores and reference files)."""
    for item in session.items:
        path = getattr(item, "path", None)
        if path is not None and Path(path).resolve().is_relative_to(SUITE_DIR):
            name = Path(path).stem
            if "zarr" in name or "lindi" in name or name == "network_tracking_formats":
                return True
    return False


@pytest.fixture(scope="session", autouse=True)
def nwb_streaming_server(request: pytest.FixtureRequest) -> Iterator[ServerInfo | None]:
    """Make the profile's NWB files and serve them for the whole session (local target only).

    Yields ``None`` (and does nothing) unless the session runs benchmarks from ``benchmarks/`` against the
    local target. Otherwise it yields the running server's :class:`ServerInfo`, with
    ``NWB_BENCHMARKS_SERVER`` exported for child processes, and stops the server at the end.
    """
    if not session_runs_suite(request.session) or os.environ.get("NWB_BENCHMARKS_TARGET") == "dandi":
        yield None
        return
    ensure_all_nwb_files(os.environ["NWB_BENCHMARKS_PROFILE"])
    if session_runs_formats(request.session) and zarr_available():
        # Exported (or checksummed) once here, so no benchmark's setup pays for it.
        ensure_all_zarr_stores(os.environ["NWB_BENCHMARKS_PROFILE"])
        ensure_all_lindi_files(os.environ["NWB_BENCHMARKS_PROFILE"])
    latencies = parse_latencies(os.environ["NWB_BENCHMARKS_LATENCIES"])
    server = StreamingServer(nwb_root(), latencies_ms=latencies).start()
    base_urls = list(server.info.base_urls.values())
    previous = os.environ.get(SERVER_ENV)
    os.environ[SERVER_ENV] = server.info.to_json()
    try:
        yield server.info
    finally:
        if previous is None:
            os.environ.pop(SERVER_ENV, None)
        else:
            os.environ[SERVER_ENV] = previous
        server.stop()
        # The LINDI copies that named this session's ports are useless once the server is gone.
        remove_published_lindi(base_urls, nwb_root())


_limit_report_text = pytest.StashKey[str]()
_session = pytest.StashKey[pytest.Session]()


def pytest_nwb_result_metadata(config: pytest.Config) -> dict | None:
    """Record the suite's settings in the result file: they change results several-fold."""
    session = config.stash.get(_session, None)
    if session is None or not session_runs_suite(session):
        return None
    from pytest_nwb_benchmarks.nwb import reader_settings

    return {
        "suite": {
            "profile": os.environ.get("NWB_BENCHMARKS_PROFILE"),
            "target": os.environ.get("NWB_BENCHMARKS_TARGET"),
            "latencies_ms": list(parse_latencies(os.environ.get("NWB_BENCHMARKS_LATENCIES", "0"))),
            "network_tracking": os.environ.get("NWB_BENCHMARKS_NETWORK", "library"),
            "readers": reader_settings(),
        }
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_session] = session


def pytest_nwb_results_written(config: pytest.Config, paths: list[Path]) -> None:
    """Prepare the table of each method against the physical limit, shown at the end of the run."""
    from pytest_nwb_benchmarks.nwb import limit_report

    for path in paths:
        if path.name.startswith("result_"):
            report = limit_report(path)
            if report.strip():
                config.stash[_limit_report_text] = report


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    report = config.stash.get(_limit_report_text, "")
    if report:
        terminalreporter.section("nwb benchmarks: each method against the physical limit")
        for line in report.splitlines():
            terminalreporter.write_line(line)
