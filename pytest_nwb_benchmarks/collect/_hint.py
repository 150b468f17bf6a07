"""Telling whoever runs a benchmark folder without ``--nwb-bench`` how to run it.

Without ``--nwb-bench`` the plugin collects nothing, so ``pytest benchmarks`` would end on
"collected 0 items" alone. The files pytest visits and does not collect as tests are remembered (not
read). At the end, in each path the run was given (``pytest benchmarks``, or ``testpaths``) that
yielded no test item, those that define asv benchmarks (module-level functions, or methods, named
``time_``, ``timeraw_``, ``peakmem_``, ``mem_``, ``track_``) are counted and a line says that
``--nwb-bench`` runs them; so ``pytest tests`` stays quiet about a demo suite among its test data,
while ``pytest tests benchmarks`` names the benchmarks. The exit status stays pytest's own.

The files are parsed, never imported: importing a suite can be slow or need its data. Under
pytest-xdist the workers collect; each reports the files it found through ``workeroutput``.
"""

from __future__ import annotations

import ast
import shlex
from pathlib import Path

import pytest

from pytest_nwb_benchmarks.collect._discovery import benchmark_type_for

_CANDIDATES = pytest.StashKey[list[Path]]()
_FOUND_BY_WORKERS = pytest.StashKey[set[str]]()
_HINT = pytest.StashKey[str]()
_WORKER_KEY = "nwb_benchmark_files"


def note_candidate(config: pytest.Config, path: Path) -> None:
    """Remember a ``.py`` file that pytest visited and that is not a test file."""
    config.stash.setdefault(_CANDIDATES, []).append(path)


def _defines_benchmarks(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return False
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    names = [node.name for node in tree.body if isinstance(node, functions)]
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names += [method.name for method in node.body if isinstance(method, functions)]
    return any(benchmark_type_for(name) is not None for name in names)


def _given_paths(session: pytest.Session) -> list[Path]:
    config = session.config
    return [(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args]


def _within(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def benchmark_files(session: pytest.Session) -> list[Path]:
    """Return the visited files that define ASV-style benchmarks in given paths that held no test.

    Parameters
    ----------
    session : pytest.Session
        The finished session (without ``--nwb-bench``).

    Returns
    -------
    list of pathlib.Path
        The files, in the given paths that yielded no test item, that define benchmarks.
    """
    items = [Path(item.path) for item in session.items]
    # pytest also calls pytest_collect_file for the files beside the directories it descends into.
    empty = [given for given in _given_paths(session) if not any(_within(item, given) for item in items)]
    candidates = dict.fromkeys(session.config.stash.get(_CANDIDATES, []))
    return [path for path in candidates if any(_within(path, given) for given in empty) and _defines_benchmarks(path)]


def finish_without_benchmarks(session: pytest.Session) -> None:
    """At the end of a run without ``--nwb-bench``: prepare the hint, or hand the files to xdist's controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output[_WORKER_KEY] = [str(path) for path in benchmark_files(session)]
        return
    hint = _hint_line(session)
    if hint:
        session.config.stash[_HINT] = hint


def hint_for(config: pytest.Config) -> str | None:
    """Return the hint prepared at the end of the session, if any."""
    return config.stash.get(_HINT, None)


def note_worker_files(config: pytest.Config, workeroutput: dict) -> None:
    """In the pytest-xdist controller, keep the benchmark files a finished worker reported."""
    config.stash.setdefault(_FOUND_BY_WORKERS, set()).update(workeroutput.get(_WORKER_KEY, []))


def _shown_name(config: pytest.Config, path: Path) -> str:
    return path.relative_to(config.rootpath).as_posix() if path.is_relative_to(config.rootpath) else str(path)


def _hint_line(session: pytest.Session) -> str | None:
    """The line saying that ``--nwb-bench`` runs the benchmarks found here or by the workers; None without any."""
    config = session.config
    found = {str(path) for path in benchmark_files(session)} | config.stash.get(_FOUND_BY_WORKERS, set())
    if not found:
        return None
    names = sorted(_shown_name(config, Path(path)) for path in found)
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    where = shown if len(names) == 1 else f"{len(names)} files ({shown})"
    command = shlex.join(["pytest", *config.invocation_params.args, "--nwb-bench"])
    return f"nwb benchmarks: the ASV-style benchmarks in {where} were not run; --nwb-bench runs them: {command}"
