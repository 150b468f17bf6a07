"""The pytest plugin: options, collection of ASV-style benchmarks, running them, writing results.

Without ``--nwb-bench`` it collects nothing of its own, so ``pytest tests`` runs tests only (and says
so when the paths hold benchmarks). With it, pytest-xdist is switched off: benchmarks are measured one at
a time in the pytest process.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_nwb_benchmarks.collect._hint import finish_without_benchmarks, hint_for, note_candidate, note_worker_files
from pytest_nwb_benchmarks.collect._items import BenchmarkItem, BenchmarkModule, outside_asv_packages
from pytest_nwb_benchmarks.report._summary import format_summary
from pytest_nwb_benchmarks.run._session import BenchSession, bench_session
from pytest_nwb_benchmarks.run._xdist import (
    RefusedInWorker,
    XdistSwitchedOff,
    in_worker,
    switch_off_requested,
    switch_off_resolved,
)
from pytest_nwb_benchmarks.utils._options import option_group

# The plugin's other rooms, registered with it so that they need no entry points of their own: the
# precision options, --nwb-compare, and pytest-benchmark tests in a benchmark run.
pytest_plugins = [
    "pytest_nwb_benchmarks.run._precision_plugin",
    "pytest_nwb_benchmarks.report._compare_plugin",
    "pytest_nwb_benchmarks.run._pytest_benchmark_plugin",
]

# pytest-xdist switched off before the session exists (pytest_cmdline_main); the session keeps it after.
_XDIST_OFF = pytest.StashKey[XdistSwitchedOff]()

BENCHMARK_MARKERS = {
    "nwb_bench": "an ASV-style benchmark collected by --nwb-bench",
    "time": "a time_ benchmark",
    "timeraw": "a timeraw_ benchmark (timed in a fresh interpreter)",
    "peakmem": "a peakmem_ benchmark (peak resident memory)",
    "mem": "a mem_ benchmark (size of the returned object)",
    "track": "a track_ benchmark (a value the benchmark returns)",
}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_nwb_benchmarks import _hookspec

    pluginmanager.add_hookspecs(_hookspec)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = option_group(parser)
    group.addoption(
        "--nwb-bench",
        action="store_true",
        default=False,
        help="collect and run ASV-style benchmarks (time_, timeraw_, peakmem_, mem_, track_) in the given paths",
    )
    group.addoption(
        "--nwb-runner",
        choices=("native", "asv"),
        default="native",
        help="time natively in measuring processes (default), or defer to `asv run --python=same`",
    )
    group.addoption(
        "--nwb-results-dir",
        default=None,
        help="folder for the result files and headers (default: ini nwb_results_dir, or ./results)",
    )
    group.addoption(
        "--nwb-commit-hash",
        default=None,
        help="attribute the results to this commit instead of the repository's HEAD (as asv's --set-commit-hash)",
    )
    group.addoption(
        "--nwb-debug",
        action="store_true",
        default=False,
        help="debug a suite: run in the pytest process, one sample each, full tracebacks; nothing written or uploaded",
    )
    group.addoption(
        "--nwb-setup-semantics",
        choices=("call", "sample"),
        default="call",
        help="'call': setup before every timed call (asv_runner >= 0.3, default); "
        "'sample': setup once per sample (asv_runner <= 0.2)",
    )
    group.addoption(
        "--nwb-launch-method",
        choices=("fork", "spawn"),
        default=None,
        help="how measuring processes start (default: fork where available)",
    )
    group.addoption(
        "--nwb-round-order",
        choices=("interleaved", "consecutive"),
        default=None,
        help="'interleaved' (default, asv's order): every combination's leading rounds run in passes over the "
        "selection first, so that a change of load shows as a spread between rounds; 'consecutive': back to back",
    )
    parser.addini("nwb_round_order", "interleaved (default) or consecutive: see --nwb-round-order", default="")
    parser.addini("nwb_results_dir", "folder for the benchmark result files", default="results")


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Generator[None, Any, Any]:
    # Runs before every implementation: pytest-xdist and the plugins that follow it see no distribution.
    if config.getoption("nwb_bench") and not in_worker(config):
        switched_off = switch_off_requested(config)
        if switched_off is not None:
            config.stash[_XDIST_OFF] = switched_off
    return (yield)


def pytest_configure(config: pytest.Config) -> None:
    for name, description in BENCHMARK_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    if not config.getoption("nwb_bench") or in_worker(config):
        return  # in a worker, pytest_collect_file reports every benchmark file as refused
    # Not trylast: this runs after pytest-xdist's pytest_cmdline_main and before its pytest_configure.
    switched_off = switch_off_resolved(config) or config.stash.get(_XDIST_OFF, None)
    # A broken benchmark file is reported, and the rest of the suite still runs.
    config.option.continue_on_collection_errors = True
    BenchSession.install(config, switched_off)


def pytest_collection_finish(session: pytest.Session) -> None:
    bench = bench_session(session.config)
    if bench is not None:
        bench.select([item.case for item in session.items if isinstance(item, BenchmarkItem)])


def _is_pytest_file(config: pytest.Config, path: Path) -> bool:
    if path.name in ("conftest.py", "__init__.py", "setup.py", "noxfile.py"):
        return True
    return any(fnmatch.fnmatch(path.name, pattern) for pattern in config.getini("python_files"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if file_path.suffix != ".py" or _is_pytest_file(config, file_path):
        return None
    if outside_asv_packages(file_path):
        return None
    if not config.getoption("nwb_bench"):
        note_candidate(config, file_path)  # for the hint that --nwb-bench runs it, if it holds benchmarks
        return None
    if in_worker(config):
        return RefusedInWorker.from_parent(parent, path=file_path)
    return BenchmarkModule.from_parent(parent, path=file_path)


def pytest_report_header(config: pytest.Config) -> str | None:
    bench = bench_session(config)
    switched_off = bench.xdist_off if bench is not None else config.stash.get(_XDIST_OFF, None)
    return switched_off.message() if switched_off is not None else None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist's controller: keep the benchmark files a worker found for the hint."""
    note_worker_files(node.config, getattr(node, "workeroutput", None) or {})


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    bench = bench_session(session.config)
    if bench is None:
        finish_without_benchmarks(session)
        return
    bench.finish()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    bench = bench_session(config)
    if bench is None:
        hint = hint_for(config)
        if hint:
            terminalreporter.write_line(hint)
        return
    recorder, written = bench.recorder, bench.written
    if recorder.rows:
        terminalreporter.section("nwb benchmarks")
        for line in format_summary(recorder.rows):
            terminalreporter.write_line(line)
    for name, notes in recorder.notes.items():
        for note in notes:
            terminalreporter.write_line(f"{name}: {note}")
    if bench.xdist_off is not None:
        terminalreporter.write_line(bench.xdist_off.message())
    for message in written.messages:
        terminalreporter.write_line(message)
    if written.paths:
        names = ", ".join(str(path) for path in written.paths)
        terminalreporter.write_line(f"nwb benchmarks: wrote {names}")
