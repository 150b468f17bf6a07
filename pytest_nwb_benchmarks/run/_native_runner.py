"""The native runner: each round of each benchmark case in a measuring process of its own."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
    ) -> None:
        if setup_semantics not in SETUP_SEMANTICS:
            raise ValueError(f"setup semantics must be one of {sorted(SETUP_SEMANTICS)}, not {setup_semantics!r}")
        self.setup_semantics = setup_semantics
        self.launch_method = launch_method or default_launch_method()
        self.debug = debug
        self.precision_overrides = {k: v for k, v in (precision_overrides or {}).items() if v is not None}
        self.precision_defaults = {k: v for k, v in (precision_defaults or {}).items() if v is not None}
        self.suite_budget = suite_budget or None
        self._caches: dict[str, _CacheState] = {}
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

    def run(self, case: Case) -> Outcome:
        """Run every round of ``case`` and pool its samples.

        Passed with the pooled samples, skipped with asv's reason, or failed with the traceback.
        """
        share = self.budget_share()
        try:
            return self._run(case, share)
        finally:
            self._pending = max(0, self._pending - 1)

    def _run(self, case: Case, share: float | None) -> Outcome:
        benchmark = case.benchmark
        work_dir = None
        has_cache = benchmark.setup_cache_key is not None
        if has_cache:
            state = self._cache_for(case)
            if state.error is not None:
                return Outcome(
                    "failed",
                    message=f"setup_cache failed: {state.error.message}",
                    details=state.error.details,
                )
            work_dir = state.folder
        if self.debug:
            return self._run_in_process(case, work_dir, has_cache)

        try:
            precision = self.precision_for(benchmark)
        except ValueError as error:
            return Outcome("failed", message=str(error))
        own_budget = None
        if precision is not None and precision.enabled and share is not None and share < precision.time_budget:
            own_budget = precision.time_budget
            precision = replace(precision, time_budget=share)
        overrides: dict[str, Any] = {}
        samples: list[float] = []
        round_samples: list[int] = []  # how many samples each round (measuring process) gave
        outcome = Outcome("passed")
        spent = 0.0
        stop_reason = None
        # peakmem reads the whole process's peak: measure it in a fresh interpreter, as asv does
        method = "spawn" if benchmark.benchmark_type.needs_fresh_interpreter else self.launch_method
        for done in range(benchmark.rounds):
            if precision is not None and precision.enabled and len(samples) >= precision.max_samples:
                break  # the sample limit holds across rounds
            request = self._request(case, "measure", work_dir, has_cache, overrides)
            if precision is not None:
                request.precision = precision.for_round(spent, benchmark.rounds - done, len(samples), done)
                request.prior_samples = list(samples)
            response = launch(request, benchmark.timeout, method)
            result = response.result
            outcome.rounds += 1
            outcome.duration += response.duration
            spent += result.sampling_seconds
            stop_reason = result.stop_reason or stop_reason
            outcome.notes.extend(note for note in result.notes if note not in outcome.notes)
            if result.status != "passed":
                return Outcome(
                    result.status, None, None, result.message, result.details, outcome.rounds, outcome.duration
                )
            if isinstance(result.samples, dict):
                outcome.samples = result.samples
                return outcome
            samples.extend(result.samples or [])
            round_samples.append(len(result.samples or []))
            outcome.number = result.number
            if result.number is not None:
                # later rounds reuse the number the first one calibrated, as asv does
                overrides["number"] = result.number
        outcome.samples = samples
        if benchmark.benchmark_type.timed and samples:
            outcome.precision = precision_record(samples, precision, stop_reason, spent, round_samples)
            if own_budget is not None:
                outcome.precision["own_time_budget"] = own_budget  # the run's budget cut this one's
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
