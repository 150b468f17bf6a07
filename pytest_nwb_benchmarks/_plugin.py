"""The pytest plugin: options, collection of ASV-style benchmarks, running them, writing results.

Without ``--nwb-bench`` it collects nothing of its own, so ``pytest tests`` runs tests only.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any

import pytest

from ._items import BenchmarkItem, BenchmarkModule, outside_asv_packages
from ._outcome import Outcome
from ._recorder import RunRecorder, WrittenFiles
from ._summary import format_summary

__all__ = ["record_outcome", "results_dir", "runner_for"]

_RUNNER = pytest.StashKey[Any]()
_RECORDER = pytest.StashKey[RunRecorder]()
_WRITTEN = pytest.StashKey[WrittenFiles]()

BENCHMARK_MARKERS = {
    "nwb_bench": "an ASV-style benchmark collected by --nwb-bench",
    "time": "a time_ benchmark",
    "timeraw": "a timeraw_ benchmark (timed in a fresh interpreter)",
    "peakmem": "a peakmem_ benchmark (peak resident memory)",
    "mem": "a mem_ benchmark (size of the returned object)",
    "track": "a track_ benchmark (a value the benchmark returns)",
}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import _hookspec

    pluginmanager.add_hookspecs(_hookspec)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nwb-benchmarks", "ASV-style benchmarks (pytest-nwb-benchmarks)")
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
        "--nwb-network",
        choices=("library", "proxy", "tshark"),
        default=None,
        help="how track_network_ benchmarks count traffic (default: library-level accounting)",
    )
    parser.addini("nwb_results_dir", "folder for the benchmark result files", default="results")


def results_dir(config: pytest.Config) -> Path:
    """Return the folder where result files are written, resolved against the invocation directory.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration.

    Returns
    -------
    pathlib.Path
        ``--nwb-results-dir``, else the ini option ``nwb_results_dir`` (relative to the rootdir).
    """
    option = config.getoption("nwb_results_dir")
    if option:
        return Path(option).expanduser().resolve()
    return (config.rootpath / config.getini("nwb_results_dir")).resolve()


def _make_runner(config: pytest.Config) -> Any:
    debug = config.getoption("nwb_debug")
    if config.getoption("nwb_runner") == "asv":
        if debug:
            raise pytest.UsageError(
                "--nwb-debug runs benchmarks in the pytest process; it cannot be combined with --nwb-runner=asv"
            )
        try:
            from ._asv_runner import AsvRunner
        except ImportError as error:
            raise pytest.UsageError(f"--nwb-runner=asv is unavailable: {error}") from None
        return AsvRunner(config)
    from ._native_runner import NativeRunner

    return NativeRunner(
        setup_semantics=config.getoption("nwb_setup_semantics"),
        launch_method=config.getoption("nwb_launch_method"),
        debug=debug,
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, description in BENCHMARK_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    if not config.getoption("nwb_bench"):
        return
    if config.getoption("nwb_network"):
        os.environ["NWB_BENCHMARKS_NETWORK"] = config.getoption("nwb_network")
    # A broken benchmark file is reported, and the rest of the suite still runs.
    config.option.continue_on_collection_errors = True
    config.stash[_RUNNER] = _make_runner(config)
    config.stash[_RECORDER] = RunRecorder()
    config.stash[_WRITTEN] = WrittenFiles()


def runner_for(config: pytest.Config) -> Any:
    """Return the session's runner (native or asv)."""
    return config.stash[_RUNNER]


def record_outcome(item: BenchmarkItem, outcome: Outcome) -> None:
    """Remember an item's outcome for the result file and the summary."""
    item.config.stash[_RECORDER].record(item, outcome)
    if outcome.status == "passed" and isinstance(outcome.samples, list) and outcome.samples:
        item.user_properties.append(("samples", len(outcome.samples)))


def _is_pytest_file(config: pytest.Config, path: Path) -> bool:
    if path.name in ("conftest.py", "__init__.py", "setup.py", "noxfile.py"):
        return True
    return any(fnmatch.fnmatch(path.name, pattern) for pattern in config.getini("python_files"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if not config.getoption("nwb_bench") or file_path.suffix != ".py" or _is_pytest_file(config, file_path):
        return None
    if outside_asv_packages(file_path):
        return None
    return BenchmarkModule.from_parent(parent, path=file_path)


def _commit_hash(config: pytest.Config, written: WrittenFiles) -> str:
    override = config.getoption("nwb_commit_hash")
    if override:
        return override
    from ._commit import current_commit

    commit = current_commit(config.rootpath)
    if commit.commit_hash is None:
        written.messages.append(
            f"no commit hash: {commit.problem} (in {config.rootpath}); pass --nwb-commit-hash to set one"
        )
        return "unknown"
    if commit.dirty:
        written.messages.append(
            f"the benchmark repository has uncommitted changes; results are attributed to {commit.commit_hash[:12]}"
        )
    return commit.commit_hash


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _RUNNER not in config.stash:
        return
    runner = config.stash[_RUNNER]
    try:
        runner.close()
    finally:
        # even after Ctrl-C: the benchmarks that finished are kept
        _write_results(config, runner)


def _write_results(config: pytest.Config, runner: Any) -> None:
    written = config.stash[_WRITTEN]
    if config.getoption("nwb_debug"):
        written.messages.append("debug mode: no result file written")
        return
    extra: dict[str, Any] = {"runner": runner.describe()}
    for metadata in config.hook.pytest_nwb_result_metadata(config=config):
        extra.update(metadata or {})
    try:
        config.stash[_RECORDER].write(results_dir(config), _commit_hash(config, written), extra, written)
    except Exception as error:  # say clearly that nothing was saved, then let pytest report it
        written.messages.append(f"could not write the result files: {type(error).__name__}: {error}")
        raise
    if written.paths:
        config.hook.pytest_nwb_results_written(config=config, paths=list(written.paths))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _RECORDER not in config.stash:
        return
    recorder = config.stash[_RECORDER]
    written = config.stash[_WRITTEN]
    if recorder.rows:
        terminalreporter.section("nwb benchmarks")
        for line in format_summary(recorder.rows):
            terminalreporter.write_line(line)
    for name, notes in recorder.notes.items():
        for note in notes:
            terminalreporter.write_line(f"{name}: {note}")
    for message in written.messages:
        terminalreporter.write_line(message)
    if written.paths:
        names = ", ".join(str(path) for path in written.paths)
        terminalreporter.write_line(f"nwb benchmarks: wrote {names}")
