"""The native runner: each round of each benchmark case in a measuring process of its own.

Rounds are interleaved by default, as ``asv run`` orders them: every case's leading rounds run in passes
over the whole selection before the items run, and each item then runs its last round and pools them.
A change of load during the run then shows up as a spread between a case's rounds (which a comparison
weighs) instead of moving all of them alike.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.collect._case import Case, Outcome
from pytest_nwb_benchmarks.run._measure import SETUP_SEMANTICS, RoundResult
from pytest_nwb_benchmarks.run._precision import PrecisionSettings, precision_record, prepare_ranks
from pytest_nwb_benchmarks.run._worker import CACHE_FILE_NAME, Request, default_launch_method, launch, measure_here

# asv's --quick: one call, one sample, no warm-up, one round.
DEBUG_OVERRIDES: dict[str, Any] = {"number": 1, "repeat": 1, "warmup_time": 0.0, "rounds": 1}


@dataclass
class _CacheState:
    folder: str
    error: RoundResult | None


ROUND_ORDERS = ("interleaved", "consecutive")


@dataclass
class _Progress:
    """A case's rounds so far: what the next round needs, and what the earlier ones gave."""

    precision: PrecisionSettings | None
    own_budget: float | None
    work_dir: str | None
    has_cache: bool
    method: str
    outcome: Outcome = field(default_factory=lambda: Outcome("passed"))
    overrides: dict[str, Any] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    round_samples: list[int] = field(default_factory=list)  # how many samples each round gave
    spent: float = 0.0
    stop_reason: str | None = None
    # Set when no more rounds should run: the failed or skipped round's outcome, or ``outcome`` itself when
    # the case is complete early (a dict of samples, or the sample limit reached across rounds).
    final: Outcome | None = None


def _import_root(benchmark: Benchmark) -> str | None:
    """The folder from which ``benchmark.module`` was imported under its dotted name."""
    file = getattr(benchmark.module, "__file__", None)
    if not file:
        return None
    folder = Path(file).resolve().parent
    for _ in range(benchmark.module.__name__.count(".")):
        folder = folder.parent
    return str(folder)


class NativeRunner:
    """Runs benchmark cases in measuring processes (or in-process in debug mode).

    Parameters
    ----------
    setup_semantics : {"call", "sample"}
        asv_runner 0.3's cadence (setup before every timed call) or 0.2's (once per sample).
    launch_method : {"fork", "spawn"}, optional
        How measuring processes start; ``peakmem_`` benchmarks always use ``spawn``.
    debug : bool
        Run in the pytest process with one sample and let exceptions propagate.
    precision_overrides : dict, optional
        Precision settings given for the run (``precision_target``, ``time_budget``, ...); they win
        over the benchmarks' attributes.
    precision_defaults : dict, optional
        Precision settings used where a benchmark sets none (from the ini file).
    suite_budget : float, optional
        Seconds for the whole run. Each time benchmark's combination then samples for at most its
        own ``time_budget`` and at most an equal share of what is left of the run's budget among the
        combinations still to run (never fewer than its minimum samples). None or 0: no limit.
    round_order : {"interleaved", "consecutive"}
        ``interleaved`` (default, asv's order): :meth:`lead` runs a case's leading rounds in passes over
        the selection before the items run. ``consecutive``: a case's rounds run back to back.
    """

    name = "native"

    def __init__(
        self,
        setup_semantics: str = "call",
        launch_method: str | None = None,
        debug: bool = False,
        precision_overrides: dict[str, Any] | None = None,
        precision_defaults: dict[str, Any] | None = None,
        suite_budget: float | None = None,
        round_order: str = "interleaved",
    ) -> None:
        if setup_semantics not in SETUP_SEMANTICS:
            raise ValueError(f"setup semantics must be one of {sorted(SETUP_SEMANTICS)}, not {setup_semantics!r}")
        if round_order not in ROUND_ORDERS:
            raise ValueError(f"round order must be one of {list(ROUND_ORDERS)}, not {round_order!r}")
        self.round_order = round_order
        self.setup_semantics = setup_semantics
        self.launch_method = launch_method or default_launch_method()
        self.debug = debug
        self.precision_overrides = {k: v for k, v in (precision_overrides or {}).items() if v is not None}
        self.precision_defaults = {k: v for k, v in (precision_defaults or {}).items() if v is not None}
        self.suite_budget = suite_budget or None
        self._caches: dict[str, _CacheState] = {}
        self._progress: dict[str, _Progress | Outcome] = {}  # by node id: leading rounds already run
        self._cases: list[Case] = []
        self._started = time.monotonic()
        self._pending = 0

    def start(self, cases: Sequence[Case]) -> None:
        """Remember the selected cases (those sharing a setup_cache give it the longest of their timeouts).

        The run's budget, if any, starts now and is shared among them.
        """
        self._cases = list(cases)
        self._started = time.monotonic()
        self._pending = len(self._cases)

    def budget_share(self) -> float | None:
        """Seconds of the run's budget left for the next combination (None without a run budget)."""
        if self.suite_budget is None:
            return None
        left = self.suite_budget - (time.monotonic() - self._started)
        return max(0.0, left) / max(1, self._pending)

    def describe(self) -> dict[str, Any]:
        """How samples were produced, for the result file."""
        return {
            "name": self.name,
            "launch_method": self.launch_method,
            "setup_semantics": self.setup_semantics,
            "setup_semantics_description": SETUP_SEMANTICS[self.setup_semantics],
            "debug": self.debug,
            "precision": {"overrides": self.precision_overrides, "defaults": self.precision_defaults},
            "suite_budget": self.suite_budget,
            "round_order": self.round_order,
        }

    def precision_for(self, benchmark: Benchmark) -> PrecisionSettings | None:
        """The precision settings of a time benchmark (None for other kinds and in debug mode).

        Raises
        ------
        ValueError
            When an attribute or option holds an unusable value; the message names the benchmark.
        """
        if self.debug or not benchmark.benchmark_type.timed:
            return None
        try:
            settings = PrecisionSettings.resolve(benchmark.attr, self.precision_overrides, self.precision_defaults)
        except ValueError as error:
            raise ValueError(f"{benchmark.name}: {error}") from None
        if settings.enabled:
            prepare_ranks(settings.max_samples, settings.confidence)  # forked measuring processes inherit them
        return settings

    # -- setup_cache ------------------------------------------------------------------------

    def _cache_for(self, case: Case) -> _CacheState:
        benchmark = case.benchmark
        key = benchmark.setup_cache_key
        assert key is not None
        state = self._caches.get(key)
        if state is not None:
            return state
        folder = tempfile.mkdtemp(prefix="nwb-bench-setup-cache-")
        own_timeout = getattr(benchmark.setup_cache, "timeout", None)
        timeout = (
            float(own_timeout)
            if own_timeout is not None
            else max(
                [user.benchmark.timeout for user in self._cases if user.benchmark.setup_cache_key == key]
                or [benchmark.timeout]
            )
        )
        if self.debug:
            previous = os.getcwd()
            os.chdir(folder)
            try:
                with open(CACHE_FILE_NAME, "wb") as stream:
                    pickle.dump(benchmark.setup_cache(), stream)
            finally:
                os.chdir(previous)
            error = None
        else:
            response = launch(self._request(case, "setup_cache", folder, has_cache=False), timeout, self.launch_method)
            error = None if response.result.status == "passed" else response.result
        state = self._caches[key] = _CacheState(folder, error)
        return state

    def close(self) -> None:
        """Delete the setup_cache folders."""
        for state in self._caches.values():
            shutil.rmtree(state.folder, ignore_errors=True)
        self._caches.clear()

    # -- running ----------------------------------------------------------------------------

    def _request(
        self,
        case: Case,
        action: str,
        work_dir: str | None,
        has_cache: bool,
        overrides: dict[str, Any] | None = None,
    ) -> Request:
        benchmark = case.benchmark
        return Request(
            action=action,
            module_name=benchmark.module.__name__,
            class_name=benchmark.class_name,
            func_name=benchmark.func_name,
            benchmark_name=benchmark.name,
            root_package=benchmark.root_package,
            combination_index=case.combination_index,
            overrides=dict(overrides or {}),
            setup_semantics=self.setup_semantics,
            work_dir=work_dir,
            has_cache=has_cache,
            import_root=_import_root(benchmark),
        )

    def leading_passes(self, cases: Sequence[Case]) -> list[list[Case]]:
        """The passes of leading rounds that :meth:`lead` should run before the items, in asv's order.

        With ``R`` the most rounds any case has, pass ``p`` (from 0 to ``R - 2``) holds the cases of more
        than ``R - 1 - p`` rounds, so each case runs all but its last round in the passes, the last
        passes holding every case of two rounds or more. Empty for consecutive rounds and in debug mode.
        """
        if self.round_order != "interleaved" or self.debug:
            return []
        most = max((case.benchmark.rounds for case in cases), default=1)
        return [[case for case in cases if case.benchmark.rounds > most - 1 - index] for index in range(most - 1)]

    def lead(self, case: Case) -> None:
        """Run the next leading round of ``case`` now; its item later runs the rest and pools them."""
        progress = self._progress.get(case.node_id)
        if progress is None:
            progress = self._progress[case.node_id] = self._begin(case, self.budget_share())
        if isinstance(progress, _Progress) and progress.final is None:
            self._step(case, progress)

    def run(self, case: Case) -> Outcome:
        """Run every round of ``case`` not yet run by :meth:`lead`, and pool its samples.

        Passed with the pooled samples, skipped with asv's reason, or failed with the traceback.
        """
        try:
            progress = self._progress.pop(case.node_id, None)
            if progress is None:
                if self.debug:
                    return self._run_in_process(case, *self._work_dir(case))
                progress = self._begin(case, self.budget_share())
            if isinstance(progress, Outcome):
                return progress
            while progress.final is None and progress.outcome.rounds < case.benchmark.rounds:
                self._step(case, progress)
            return self._finish(case, progress)
        finally:
            self._pending = max(0, self._pending - 1)

    def _work_dir(self, case: Case) -> tuple[str | None, bool]:
        """The setup_cache folder the case's rounds run in, and whether it has one."""
        if case.benchmark.setup_cache_key is None:
            return None, False
        return self._cache_for(case).folder, True

    def _begin(self, case: Case, share: float | None) -> _Progress | Outcome:
        """The state before a case's first round, or its outcome when it cannot run at all."""
        benchmark = case.benchmark
        if benchmark.setup_cache_key is not None:
            state = self._cache_for(case)
            if state.error is not None:
                return Outcome(
                    "failed", message=f"setup_cache failed: {state.error.message}", details=state.error.details
                )
        work_dir, has_cache = self._work_dir(case)
        try:
            precision = self.precision_for(benchmark)
        except ValueError as error:
            return Outcome("failed", message=str(error))
        own_budget = None
        if precision is not None and precision.enabled and share is not None and share < precision.time_budget:
            own_budget = precision.time_budget
            precision = replace(precision, time_budget=share)
        # peakmem reads the whole process's peak: measure it in a fresh interpreter, as asv does
        method = "spawn" if benchmark.benchmark_type.needs_fresh_interpreter else self.launch_method
        return _Progress(precision, own_budget, work_dir, has_cache, method)

    def _step(self, case: Case, progress: _Progress) -> None:
        """Run one more round of ``case`` in a measuring process and add what it gave to ``progress``."""
        benchmark, precision, outcome = case.benchmark, progress.precision, progress.outcome
        done = outcome.rounds
        if precision is not None and precision.enabled and len(progress.samples) >= precision.max_samples:
            progress.final = outcome  # the sample limit holds across rounds
            return
        request = self._request(case, "measure", progress.work_dir, progress.has_cache, progress.overrides)
        if precision is not None:
            request.precision = precision.for_round(
                progress.spent, benchmark.rounds - done, len(progress.samples), done
            )
            request.prior_samples = list(progress.samples)
        response = launch(request, benchmark.timeout, progress.method)
        result = response.result
        outcome.rounds += 1
        outcome.duration += response.duration
        progress.spent += result.sampling_seconds
        progress.stop_reason = result.stop_reason or progress.stop_reason
        outcome.notes.extend(note for note in result.notes if note not in outcome.notes)
        if result.status != "passed":
            progress.final = Outcome(
                result.status, None, None, result.message, result.details, outcome.rounds, outcome.duration
            )
            return
        if isinstance(result.samples, dict):
            outcome.samples = result.samples
            progress.final = outcome
            return
        progress.samples.extend(result.samples or [])
        progress.round_samples.append(len(result.samples or []))
        outcome.number = result.number
        if result.number is not None:
            # later rounds reuse the number the first one calibrated, as asv does
            progress.overrides["number"] = result.number

    def _finish(self, case: Case, progress: _Progress) -> Outcome:
        """The case's outcome over all its rounds, with its precision record."""
        if progress.final is not None and progress.final is not progress.outcome:
            return progress.final  # a round failed or was skipped
        outcome = progress.outcome
        if isinstance(outcome.samples, dict):
            return outcome
        outcome.samples = progress.samples
        if case.benchmark.benchmark_type.timed and progress.samples:
            outcome.precision = precision_record(
                progress.samples, progress.precision, progress.stop_reason, progress.spent, progress.round_samples
            )
            if progress.own_budget is not None:
                outcome.precision["own_time_budget"] = progress.own_budget  # the run's budget cut this one's
        return outcome

    def _run_in_process(self, case: Case, work_dir: str | None, has_cache: bool) -> Outcome:
        found = case.benchmark
        benchmark = Benchmark.load(
            found.module, found.class_name, found.func_name, found.name, found.root_package, DEBUG_OVERRIDES
        )
        previous = os.getcwd()
        folder = work_dir or tempfile.mkdtemp(prefix="nwb-bench-debug-")
        os.chdir(folder)
        try:
            result = measure_here(
                benchmark,
                case.combination_index,
                has_cache=has_cache,
                setup_semantics=self.setup_semantics,
                raise_errors=True,
            )
        finally:
            os.chdir(previous)
            if work_dir is None:
                shutil.rmtree(folder, ignore_errors=True)
        return Outcome(
            result.status, result.samples, result.number, result.message, result.details, 1, 0.0, result.notes
        )
