"""A benchmark run's state in the pytest process: its settings, runner, recorder and written files.

The main plugin makes one :class:`BenchSession` at configure time when ``--nwb-bench`` is given and
keeps it on ``config.stash``; the plugin's other modules reach it with :func:`bench_session`
instead of importing the main plugin. Benchmark items reach it as their
:class:`~pytest_nwb_benchmarks.collect._case.CaseRunner`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_nwb_benchmarks.collect._case import CASE_RUNNER, Case, Outcome, Runner
from pytest_nwb_benchmarks.report._summary import SummaryRow
from pytest_nwb_benchmarks.run._recorder import RunRecorder, WrittenFiles
from pytest_nwb_benchmarks.run._xdist import XdistSwitchedOff
from pytest_nwb_benchmarks.utils._options import setting

_SESSION = pytest.StashKey["BenchSession"]()


def results_dir(config: pytest.Config) -> Path:
    """Return the folder where result files are written, resolved against the invocation directory.

    ``--nwb-results-dir``, else the ini option ``nwb_results_dir`` (relative to the rootdir).
    """
    option = setting(config, "nwb_results_dir")
    if option:
        return Path(option).expanduser().resolve()
    return (config.rootpath / setting(config, ini="nwb_results_dir", default="results")).resolve()


@dataclass(frozen=True)
class BenchSettings:
    """The benchmark options of a run, as given on the command line or in the ini file.

    Attributes
    ----------
    debug : bool
        ``--nwb-debug``: in the pytest process, one sample each, nothing written.
    runner : {"native", "asv"}
        ``--nwb-runner``.
    setup_semantics : {"call", "sample"}
        ``--nwb-setup-semantics``.
    launch_method : {"fork", "spawn"} or None
        ``--nwb-launch-method``.
    commit_hash : str or None
        ``--nwb-commit-hash``.
    round_order : {"interleaved", "consecutive"}
        ``--nwb-round-order`` (ini ``nwb_round_order``).
    results_dir : pathlib.Path
        See :func:`results_dir`.
    """

    debug: bool
    runner: str
    setup_semantics: str
    launch_method: str | None
    commit_hash: str | None
    results_dir: Path
    round_order: str = "interleaved"

    @classmethod
    def from_config(cls, config: pytest.Config) -> BenchSettings:
        """Read the settings of ``config``."""
        return cls(
            debug=bool(setting(config, "nwb_debug", default=False)),
            runner=setting(config, "nwb_runner", default="native"),
            setup_semantics=setting(config, "nwb_setup_semantics", default="call"),
            launch_method=setting(config, "nwb_launch_method"),
            commit_hash=setting(config, "nwb_commit_hash"),
            results_dir=results_dir(config),
            round_order=_round_order(config),
        )


def _round_order(config: pytest.Config) -> str:
    from pytest_nwb_benchmarks.run._native_runner import ROUND_ORDERS

    order = str(setting(config, "nwb_round_order", ini="nwb_round_order", default="interleaved")).strip()
    if order not in ROUND_ORDERS:
        raise pytest.UsageError(f"nwb_round_order must be one of {', '.join(ROUND_ORDERS)}, not {order!r}")
    return order


def _make_runner(config: pytest.Config, settings: BenchSettings) -> Runner:
    if settings.runner == "asv":
        if settings.debug:
            raise pytest.UsageError(
                "--nwb-debug runs benchmarks in the pytest process; it cannot be combined with --nwb-runner=asv"
            )
        try:
            from pytest_nwb_benchmarks.run._asv_runner import AsvRunner, AsvUnavailable

            return AsvRunner(config.rootpath, settings.commit_hash, _terminal_writer(config))
        except (ImportError, AsvUnavailable) as error:
            raise pytest.UsageError(f"--nwb-runner=asv is unavailable: {error}") from None
    from pytest_nwb_benchmarks.run._native_runner import NativeRunner
    from pytest_nwb_benchmarks.run._precision_options import precision_runner_options

    return NativeRunner(
        setup_semantics=settings.setup_semantics,
        launch_method=settings.launch_method,
        debug=settings.debug,
        round_order=settings.round_order,
        **precision_runner_options(config),
    )


def _terminal_writer(config: pytest.Config) -> Any:
    def show(line: str) -> None:
        """Write a line to the terminal now, even while pytest captures output."""
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capture = config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            print(line, flush=True)
        elif capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)
        else:
            reporter.write_line(line)

    return show


class BenchSession:
    """One benchmark run: runs cases through its runner, records them, and writes the result files.

    Parameters
    ----------
    config : pytest.Config
        The run's configuration (its hooks are called when the files are written).
    settings : BenchSettings
        The run's options.
    runner : Runner
        What measures the cases.
    xdist_off : XdistSwitchedOff, optional
        Set when the run switched pytest-xdist off.
    """

    def __init__(
        self, config: pytest.Config, settings: BenchSettings, runner: Runner, xdist_off: XdistSwitchedOff | None
    ) -> None:
        self.config = config
        self.settings = settings
        self.runner = runner
        self.xdist_off = xdist_off
        self.recorder = RunRecorder()
        self.written = WrittenFiles()
        self._selected: list[Case] = []
        self._led = False

    @classmethod
    def install(cls, config: pytest.Config, xdist_off: XdistSwitchedOff | None = None) -> BenchSession:
        """Make the run's session from ``config`` and keep it on ``config.stash``.

        Raises
        ------
        pytest.UsageError
            When the options ask for a runner that cannot work.
        """
        settings = BenchSettings.from_config(config)
        session = cls(config, settings, _make_runner(config, settings), xdist_off)
        config.stash[_SESSION] = session
        config.stash[CASE_RUNNER] = session
        return session

    def select(self, cases: Sequence[Case]) -> None:
        """Tell the runner which cases the run selected, before the first one runs."""
        self._selected = list(cases)
        self.runner.start(cases)

    def run_leading_rounds(self, cases: Sequence[Case]) -> None:
        """Run the leading rounds of ``cases`` in passes over all of them.

        :meth:`run_case` calls this when the first item runs, so that the session's fixtures (the NWB
        suite's streaming server) are up. A case's last round runs when its item does, which pools every
        round. Progress is shown about once a minute; an interrupt here keeps no combination, since none
        has finished.
        """
        passes = self.runner.leading_passes(cases)
        if not passes:
            return
        show = _terminal_writer(self.config)
        show(
            f"nwb benchmarks: interleaved rounds: {sum(map(len, passes))} leading rounds in {len(passes)} "
            f"pass(es) over the selection first, then each combination's last round as its item runs"
        )
        for number, selection in enumerate(passes, 1):
            started = shown = time.monotonic()
            for index, case in enumerate(selection, 1):
                self.runner.lead(case)
                if time.monotonic() - shown >= 60:
                    shown = time.monotonic()
                    show(f"nwb benchmarks: leading pass {number}: {index} of {len(selection)} rounds run")
            show(
                f"nwb benchmarks: leading pass {number} of {len(passes)}: {len(selection)} rounds "
                f"in {time.monotonic() - started:.0f} s"
            )

    def run_case(self, case: Case) -> Outcome:
        """Measure ``case`` with the runner and record its outcome for the result file and the summary.

        The first call runs the selection's leading rounds first (see :meth:`run_leading_rounds`).
        """
        if not self._led:
            self._led = True
            self.run_leading_rounds(self._selected or [case])
        outcome = self.runner.run(case)
        self.recorder.record(case, outcome)
        return outcome

    def finish(self) -> None:
        """Stop the runner and write the result files (even after Ctrl-C: finished benchmarks are kept)."""
        try:
            self.runner.close()
        finally:
            self._write_results()

    def _commit_hash(self) -> str:
        if self.settings.commit_hash:
            return self.settings.commit_hash
        from pytest_nwb_benchmarks.run._commit import current_commit

        root = self.config.rootpath
        commit = current_commit(root)
        if commit.commit_hash is None:
            self.written.messages.append(
                f"no commit hash: {commit.problem} (in {root}); pass --nwb-commit-hash to set one"
            )
            return "unknown"
        if commit.dirty:
            self.written.messages.append(
                f"the benchmark repository has uncommitted changes; results are attributed to {commit.commit_hash[:12]}"
            )
        return commit.commit_hash

    def _write_results(self) -> None:
        written = self.written
        if self.settings.debug:
            written.messages.append("debug mode: no result file written")
            return
        hook = self.config.hook
        extra: dict[str, Any] = {"runner": self.runner.describe()}
        if self.xdist_off is not None:
            extra["xdist"] = self.xdist_off.record()
        for metadata in hook.pytest_nwb_result_metadata(config=self.config):
            extra.update(metadata or {})
        try:
            self.recorder.write(self.settings.results_dir, self._commit_hash(), extra, written)
        except Exception as error:  # say clearly that nothing was saved, then let pytest report it
            written.messages.append(f"could not write the result files: {type(error).__name__}: {error}")
            raise
        if written.paths:
            hook.pytest_nwb_results_written(config=self.config, paths=list(written.paths))


def bench_session(config: pytest.Config) -> BenchSession | None:
    """The run's benchmark session, or None when no benchmark run is under way (no ``--nwb-bench``)."""
    return config.stash.get(_SESSION, None)


def recorded_rows(config: pytest.Config) -> list[SummaryRow]:
    """The summary rows recorded so far (empty when no benchmark run is under way)."""
    session = bench_session(config)
    return session.recorder.rows if session is not None else []
