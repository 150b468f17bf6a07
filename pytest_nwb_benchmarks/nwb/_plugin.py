"""The NWB suite's pytest plugin: its options, its settings, the streaming server and the limit report.

The repository's root ``conftest.py`` loads it (``pytest_plugins``); the suite is the ``benchmarks/`` folder
next to that conftest. Options (each also an environment variable and an ini option; see :mod:`._settings`):

* ``--nwb-profile {small,default}``: size of the synthetic NWB files.
* ``--nwb-target {local,dandi}``: the local streaming server, or the real DANDI assets.
* ``--nwb-latencies 0,20``: the server's per-request latencies, one port each (default: the profile's,
  ``20`` on the default profile and ``0,20`` on the small one).
* ``--nwb-network {library,proxy,tshark}``: how ``track_network_`` benchmarks count traffic.

The settings are resolved once at configure time. Benchmarks run in forked or asv-spawned processes that
only see the environment, so a session that runs benchmarks (``--nwb-bench``) or the suite's folder exports
them as ``NWB_BENCHMARKS_SETTINGS``; the ``nwb_streaming_server`` fixture adds the running server to them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pytest_nwb_benchmarks.nwb._fsspec_reset  # noqa: F401 - forked measuring processes forget fsspec's instances
from pytest_nwb_benchmarks.nwb._server_info import ServerInfo
from pytest_nwb_benchmarks.nwb._settings import (
    NETWORK_METHODS,
    OPTION_VARIABLES,
    PROFILES,
    SETTINGS_ENV,
    SuiteSettings,
)

_settings_key = pytest.StashKey[SuiteSettings]()
_saved_environ = pytest.StashKey[dict[str, "str | None"]]()
_limit_report_text = pytest.StashKey[str]()
_session = pytest.StashKey[pytest.Session]()

# option name -> (help, choices)
_OPTIONS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "nwb_profile": (f"size profile of the synthetic NWB files: {', '.join(PROFILES)} (default 'default')", None),
    "nwb_target": ("where the benchmarks read from: 'local' (the embedded streaming server) or 'dandi'", None),
    "nwb_latencies": (
        "comma-separated per-request latencies of the local server in ms, one port each (default: 20 on the "
        "default profile, 0,20 on the small one)",
        None,
    ),
    "nwb_network": ("how track_network_ benchmarks count traffic (default: library-level accounting)", NETWORK_METHODS),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nwb-suite", "NWB benchmark suite (data, streaming server, network tracking)")
    for dest, (text, choices) in _OPTIONS.items():
        variable = OPTION_VARIABLES[dest]
        group.addoption(
            "--" + dest.replace("_", "-"),
            dest=dest,
            default=None,
            choices=choices,
            help=f"{text} (else env {variable}, else ini {dest})",
        )
        parser.addini(dest, f"{text} (when neither the option nor {variable} is given)", default="")


def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = SuiteSettings.from_config(config)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[_settings_key] = settings
    config.stash[_saved_environ] = {}
    if config.getoption("nwb_bench", False):
        # benchmark modules read the settings when they are imported, at collection
        hand_over(config, settings)


def pytest_unconfigure(config: pytest.Config) -> None:
    # Leave the environment as we found it (matters when pytest runs in-process, e.g. under pytester).
    for variable, value in config.stash.get(_saved_environ, {}).items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value


def suite_settings(config: pytest.Config) -> SuiteSettings:
    """The settings the session resolved at configure time.

    Parameters
    ----------
    config : pytest.Config
        The session's configuration.

    Returns
    -------
    SuiteSettings
        The settings (without the server; see :func:`pytest_nwb_benchmarks.nwb.current_settings`).
    """
    return config.stash[_settings_key]


def hand_over(config: pytest.Config, settings: SuiteSettings) -> None:
    """Export the settings for the session's child processes (undone when the session ends).

    Parameters
    ----------
    config : pytest.Config
        The session's configuration.
    settings : SuiteSettings
        What the children should see.
    """
    saved = config.stash[_saved_environ]
    saved.setdefault(SETTINGS_ENV, os.environ.get(SETTINGS_ENV))
    os.environ[SETTINGS_ENV] = settings.to_json()


def suite_dir(config: pytest.Config) -> Path:
    """The suite's folder: ``benchmarks/`` next to the conftest that loads this plugin (else the rootdir's).

    Parameters
    ----------
    config : pytest.Config
        The session's configuration.

    Returns
    -------
    pathlib.Path
        The folder, resolved.
    """
    for plugin in config.pluginmanager.get_plugins():
        names = getattr(plugin, "pytest_plugins", ())
        names = (names,) if isinstance(names, str) else tuple(names or ())
        location = getattr(plugin, "__file__", None)
        if __name__ in names and location:
            return Path(location).resolve().parent / "benchmarks"
    return (config.rootpath / "benchmarks").resolve()


def _suite_files(session: pytest.Session) -> Iterator[Path]:
    folder = suite_dir(session.config)
    for item in session.items:
        path = getattr(item, "path", None)
        if path is not None and Path(path).resolve().is_relative_to(folder):
            yield Path(path)


def session_runs_suite(session: pytest.Session) -> bool:
    """Whether any collected item comes from the suite's ``benchmarks/`` folder.

    Parameters
    ----------
    session : pytest.Session
        The running session.

    Returns
    -------
    bool
        ``True`` when the suite's data and server are needed.
    """
    return any(True for _ in _suite_files(session))


def session_runs_formats(session: pytest.Session) -> bool:
    """Whether any collected item is a Zarr or LINDI benchmark (which need the stores and reference files)."""
    names = {path.stem for path in _suite_files(session)}
    return any("zarr" in name or "lindi" in name or name == "network_tracking_formats" for name in names)


@pytest.fixture(scope="session", autouse=True)
def nwb_streaming_server(request: pytest.FixtureRequest) -> Iterator[ServerInfo | None]:
    """Make the profile's NWB files and serve them for the whole session (local target only).

    Yields ``None`` (and does nothing) unless the session runs benchmarks from ``benchmarks/``; for the
    ``dandi`` target it only hands the settings over. Otherwise it yields the running server's
    :class:`ServerInfo`, handed to child processes inside the settings, and stops the server at the end.
    """
    from pytest_nwb_benchmarks.nwb._lindi_files import ensure_all_lindi_files, remove_published_lindi
    from pytest_nwb_benchmarks.nwb._nwb_files import ensure_all_nwb_files, nwb_root
    from pytest_nwb_benchmarks.nwb._streaming_server import StreamingServer
    from pytest_nwb_benchmarks.nwb._zarr_files import ensure_all_zarr_stores, zarr_available

    config = request.config
    settings = suite_settings(config)
    if not session_runs_suite(request.session):
        yield None
        return
    if settings.target == "dandi":
        hand_over(config, settings)
        yield None
        return
    ensure_all_nwb_files(settings.profile)
    if session_runs_formats(request.session) and zarr_available():
        # Exported (or checksummed) once here, so no benchmark's setup pays for it.
        ensure_all_zarr_stores(settings.profile)
        ensure_all_lindi_files(settings.profile)
    server = StreamingServer(nwb_root(), latencies_ms=settings.latencies_ms).start()
    base_urls = list(server.info.base_urls.values())
    hand_over(config, settings.with_server(server.info))
    try:
        yield server.info
    finally:
        hand_over(config, settings)
        server.stop()
        # The LINDI copies that named this session's ports are useless once the server is gone.
        remove_published_lindi(base_urls, nwb_root())


def pytest_nwb_result_metadata(config: pytest.Config) -> dict | None:
    """Record the suite's settings in the result file: they change results several-fold."""
    session = config.stash.get(_session, None)
    if session is None or not session_runs_suite(session):
        return None
    from pytest_nwb_benchmarks.nwb._readers import reader_settings

    settings = suite_settings(config)
    return {
        "suite": {
            "profile": settings.profile,
            "target": settings.target,
            "latencies_ms": list(settings.latencies_ms),
            "network_tracking": settings.network,
            "readers": reader_settings(),
        }
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_session] = session


def pytest_nwb_results_written(config: pytest.Config, paths: list[Path]) -> None:
    """Prepare the table of each method against the physical limit, shown at the end of the run."""
    from pytest_nwb_benchmarks.nwb._limit_report import limit_report

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
