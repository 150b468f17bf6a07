"""The asv runner (``--nwb-runner=asv``): pytest selects, asv times, the plugin records.

On the first case it runs, the runner hands every selected case to one ``asv run`` with a
``--bench`` expression that matches exactly those cases, shows asv's progress as it comes,
reduces asv's results file and then answers each case from it: passed with asv's samples,
skipped, or failed with asv's own traceback text.

asv is driven through a configuration written for the run (in a temporary folder) that points
at the cases' benchmark folder and keeps asv's results in ``.asv/pytest_run_results`` under the
pytest root folder: a folder of the plugin's own, emptied before every run so that only this run's
results are read. ``.asv/intermediate_results``, where a plain ``asv run`` keeps its results, is
never touched.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.collect._case import Case, Outcome
from pytest_nwb_benchmarks.results._reduce import (
    AsvResultsError,
    find_asv_results_files,
    load_asv_results,
    reduce_asv_results,
)
from pytest_nwb_benchmarks.run._asv_output import (
    asv_output_sections,
    bench_expression,
    combination_text,
    combinations_of,
    last_error_line,
    rounds_of,
    tidy_progress_line,
)

# Never asv's own results folder (``.asv/intermediate_results``): this one is emptied before each run.
RUN_RESULTS = Path(".asv") / "pytest_run_results"
# asv starts and discovers the suite before it times anything; allow for that on top of the
# benchmarks' own limits (asv enforces those itself, and a killed benchmark is just a failure).
STARTUP_ALLOWANCE = 300.0


@dataclass
class _Run:
    """One ``asv run``: its command, output and what came of it."""

    command: list[str]
    output: list[str] = field(default_factory=list)
    returncode: int | None = None
    problem: str = ""


class AsvUnavailable(RuntimeError):
    """asv cannot be run from this environment."""


class AsvRunner:
    """Runs the selected cases through ``asv run`` once, then reports each from asv's results.

    Parameters
    ----------
    root : pathlib.Path
        The pytest root folder, under which asv's results of this run are kept.
    commit_hash : str, optional
        The commit to attribute the results to; by default the benchmarks' repository's HEAD.
    show : callable, optional
        Writes a line to the terminal at once (asv's progress); ``print`` by default.

    Raises
    ------
    AsvUnavailable
        When asv is not installed.
    """

    name = "asv"

    def __init__(self, root: Path, commit_hash: str | None = None, show: Callable[[str], None] | None = None) -> None:
        if importlib.util.find_spec("asv") is None:
            raise AsvUnavailable(
                "--nwb-runner=asv needs asv, which is not installed in this environment "
                f"({sys.executable}); install it with `pip install asv` (the project's 'asv' dependency group)"
            )
        self.root = Path(root)
        self.commit_hash = commit_hash
        self._show = show or (lambda line: print(line, flush=True))
        self._selected: list[Case] = []
        self.asv = [sys.executable, "-u", "-m", "asv"]
        self._outcomes: dict[tuple[str, str], Outcome] | None = None
        self._runs: list[_Run] = []
        self._process: subprocess.Popen[str] | None = None
        self._temporary = tempfile.mkdtemp(prefix="nwb-bench-asv-")

    # -- the interface the plugin uses --------------------------------------------------------

    def start(self, cases: Sequence[Case]) -> None:
        """Remember the selected cases, which the first :meth:`run` hands to asv together."""
        self._selected = list(cases)

    def leading_passes(self, cases: Sequence[Case]) -> list[list[Case]]:
        """None: asv orders the rounds itself (each round over every benchmark in turn)."""
        return []

    def lead(self, case: Case) -> None:
        """Nothing to do: see :meth:`leading_passes`."""

    def run(self, case: Case) -> Outcome:
        """Answer ``case`` from asv's results (the first call runs asv for every selected case).

        Passed with asv's samples, skipped, or failed with asv's message and output.
        """
        if self._outcomes is None:
            self._outcomes = {}
            self._run_all(self._selected or [case])
        outcome = self._outcomes.get((case.name, case.params_key))
        if outcome is not None:
            return outcome
        problems = "; ".join(run.problem for run in self._runs if run.problem)
        return Outcome(
            "failed",
            message=f"asv reported no result for this benchmark{': ' + problems if problems else ''}",
            details="\n".join(line for run in self._runs for line in run.output[-40:]),
        )

    def close(self) -> None:
        """Stop asv if it is still running (an interrupted session) and remove temporary files."""
        if self._process is not None and self._process.poll() is None:
            _stop(self._process)
        shutil.rmtree(self._temporary, ignore_errors=True)

    def describe(self) -> dict[str, Any]:
        """How the samples were produced, for the result file."""
        return {
            "name": self.name,
            "asv_version": _version("asv"),
            "asv_runner_version": _version("asv_runner"),
            # The command without its temporary configuration path or the (long) selection.
            "command": "asv run --python=same --record-samples --show-stderr --set-commit-hash <commit> "
            "--bench <the selected items>",
            "asv_runs": sum(1 for run in self._runs if "run" in run.command),
            "samples": "recorded by asv itself (asv run --record-samples), reduced from asv's results file",
        }

    # -- running asv -----------------------------------------------------------------------------

    def _commit(self, repository: Path) -> str:
        if self.commit_hash:
            return self.commit_hash
        from pytest_nwb_benchmarks.run._commit import current_commit

        commit = current_commit(repository)
        if commit.commit_hash is None:
            raise _RunProblem(f"asv needs the commit of the benchmarks: {commit.problem} (in {repository})")
        return commit.commit_hash

    def _run_all(self, cases: list[Case]) -> None:
        by_folder: dict[Path, list[Case]] = {}
        for selected in cases:
            by_folder.setdefault(_benchmark_folder(selected.path), []).append(selected)
        results_root = self.root / RUN_RESULTS
        for number, (folder, group) in enumerate(by_folder.items()):
            results_dir = results_root if len(by_folder) == 1 else results_root / str(number)
            try:
                self._run_group(folder, group, results_dir)
            except _RunProblem as problem:
                self._runs.append(_Run(command=[], problem=str(problem)))
                self._fail_all(group, str(problem), "")

    def _run_group(self, folder: Path, cases: list[Case], results_dir: Path) -> None:
        repository = _git_toplevel(folder)
        commit = self._commit(repository)
        # Only this run's results may be read back.
        shutil.rmtree(results_dir, ignore_errors=True)
        results_dir.mkdir(parents=True)
        config_path = Path(tempfile.mkstemp(prefix="asv-", suffix=".conf.json", dir=self._temporary)[1])
        config_path.write_text(
            json.dumps(
                {
                    "version": 1,
                    "project": repository.name,
                    "repo": str(repository),
                    "dvcs": "git",
                    # asv resolves its branches even when told the commit; the commit itself always resolves.
                    "branches": [commit],
                    "environment_type": "existing",
                    "benchmark_dir": str(folder),
                    "env_dir": str(Path(self._temporary) / "env"),
                    "results_dir": str(results_dir),
                    "html_dir": str(results_dir.parent / "html"),
                },
                indent=4,
            )
        )
        self._show(f"asv: timing {len(cases)} selected item{'s' * (len(cases) != 1)} in {folder} with asv")
        machine = self._execute([*self.asv, "--config", str(config_path), "machine", "--yes"], timeout=120.0)
        if machine.returncode != 0:
            raise _RunProblem(f"`asv machine --yes` failed ({machine.problem or f'exit {machine.returncode}'})")
        command = [
            *self.asv,
            "--config",
            str(config_path),
            "run",
            "--python=same",
            "--record-samples",
            "--show-stderr",
            "--set-commit-hash",
            commit,
            "--bench",
            bench_expression(cases),
        ]
        run = self._execute(command, timeout=_overall_timeout(cases), live=True)
        sections = asv_output_sections(run.output)
        if run.returncode not in (0, 2) and not run.problem:
            # 2 means "some benchmark failed"; anything else means asv itself did not get through.
            run.problem = f"asv run exited with status {run.returncode}"
        files = list(find_asv_results_files([results_dir])) if results_dir.exists() else []
        if not files:
            problem = run.problem or "asv wrote no results file"
            run.problem = problem
            self._fail_all(cases, f"asv did not produce results: {problem}", "\n".join(run.output[-60:]))
            return
        for path in files:
            try:
                raw = load_asv_results(path)
                self._read_results(raw, sections, rounds_of(results_dir))
            except AsvResultsError as error:
                run.problem = f"{path}: {error}"
        if run.problem:
            self._fail_all(
                [case for case in cases if (case.name, case.params_key) not in self._outcomes],
                f"asv did not finish this benchmark: {run.problem}",
                "\n".join(run.output[-60:]),
            )

    def _read_results(self, raw: dict[str, Any], sections: dict[str, list[str]], rounds: dict[str, int]) -> None:
        assert self._outcomes is not None
        reduced = reduce_asv_results(raw)
        columns = raw["result_columns"]
        for name, row_values in raw["results"].items():
            row = dict(zip(columns, row_values))
            params = row.get("params") or []
            reprs_of = combinations_of(params)
            keys = [str(reprs) for reprs in reprs_of]
            numbers = row.get("stats_number") or [None] * len(keys)
            ran = [key for key in keys if key in reduced.results.get(name, {})]
            duration = float(row.get("duration") or 0.0) / max(len(ran), 1)
            section = sections.get(name, [])
            for index, key in enumerate(keys):
                text = combination_text(section, reprs_of[index] if params else None)
                if key in reduced.results.get(name, {}):
                    outcome = Outcome(
                        "passed",
                        samples=reduced.results[name][key],
                        number=numbers[index] if index < len(numbers) else None,
                        rounds=rounds.get(name, 1),
                        duration=duration,
                    )
                elif key in reduced.skipped.get(name, []):
                    reason = next((line for line in text.splitlines() if line.startswith("asv: skipped")), "")
                    outcome = Outcome("skipped", message=reason.removeprefix("asv: ") or "skipped by asv")
                else:
                    whole = "\n".join(section)
                    message = (
                        last_error_line(text)
                        or last_error_line(whole)
                        or (
                            "failed under asv, which printed no error for it (a track_ benchmark returning None fails so)"
                        )
                    )
                    if "setup_cache failed" in (section[0] if section else ""):
                        message = f"setup_cache failed under asv: {message}"
                    outcome = Outcome("failed", message=message, details=text or whole)
                self._outcomes[(name, key)] = outcome

    def _fail_all(self, cases: Iterable[Case], message: str, details: str) -> None:
        assert self._outcomes is not None
        for case in cases:
            self._outcomes.setdefault((case.name, case.params_key), Outcome("failed", message=message, details=details))

    def _execute(self, command: list[str], timeout: float, live: bool = False) -> _Run:
        """Run an asv command, echoing its output when ``live``; stop it after ``timeout`` seconds."""
        run = _Run(command=command)
        self._runs.append(run)
        if live:
            self._show("$ " + shlex.join(_shown(command)))
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                start_new_session=True,  # so that a timeout stops asv and its benchmark processes together
                # asv shortens benchmark names to the terminal width; full names let its output be matched.
                env=dict(os.environ, COLUMNS="1000"),
            )
        except OSError as error:
            run.problem = f"asv could not be started: {error}"
            run.returncode = -1
            return run
        self._process = process
        echo: Callable[[str], None] = (
            (lambda line: self._show(tidy_progress_line(line))) if live else (lambda line: None)
        )
        reader = threading.Thread(target=_read_lines, args=(process, run.output, echo), daemon=True)
        reader.start()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            run.problem = f"asv did not finish within {timeout:.0f} s and was stopped"
        finally:
            reader.join(timeout=10)
            self._process = None
        run.returncode = process.returncode
        return run


class _RunProblem(Exception):
    """asv could not be run for a group of items; every item of the group fails with this message."""


def _read_lines(process: subprocess.Popen[str], into: list[str], echo: Callable[[str], None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.append(line.rstrip("\n"))
        echo(line.rstrip("\n"))


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop asv and everything it started: politely, then for good."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _benchmark_folder(path: Path) -> Path:
    """The folder asv is told to discover: the root package of the benchmark file, or its folder."""
    folder = Path(path).parent
    while (folder / "__init__.py").exists() and (folder.parent / "__init__.py").exists():
        folder = folder.parent
    return folder


def _git_toplevel(folder: Path) -> Path:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise _RunProblem(f"asv needs git, which could not be run: {error}") from None
    if done.returncode != 0:
        raise _RunProblem(
            f"asv records results against a git commit, but {folder} is not in a git repository ({done.stderr.strip()})"
        )
    return Path(done.stdout.strip())


def _overall_timeout(cases: Sequence[Case]) -> float:
    """A generous limit for the whole asv run: every case's timeout for each of its rounds, plus startup."""
    return STARTUP_ALLOWANCE + sum(case.benchmark.timeout * case.benchmark.rounds for case in cases)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _shown(command: list[str]) -> list[str]:
    """The command as a person would type it: ``asv ...`` rather than ``<python> -u -m asv ...``."""
    if command[:4] == [sys.executable, "-u", "-m", "asv"]:
        return ["asv", *command[4:]]
    return list(command)
