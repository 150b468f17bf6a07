"""Telling whoever runs a benchmark folder without ``--nwb-bench`` how to run it.

Without ``--nwb-bench`` the plugin collects nothing, so ``pytest benchmarks`` would end on
"collected 0 items" alone. The files pytest visits and does not collect as tests are remembered (not
read); at the end of a run that named its paths or collected nothing, those that define functions
named as asv benchmarks (``time_``, ``timeraw_``, ``peakmem_``, ``mem_``, ``track_``) are counted and
a line says that ``--nwb-bench`` runs them. The exit status stays pytest's: nothing ran.

The files are scanned as text, never imported: importing a suite can be slow or need its data.
Under pytest-xdist the workers collect; each reports the files it found through ``workeroutput``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ._discovery import benchmark_type_for

__all__ = ["benchmark_files", "finish_without_benchmarks", "hint_for", "note_candidate", "note_worker_files"]

_CANDIDATES = pytest.StashKey[list[Path]]()
_FOUND_BY_WORKERS = pytest.StashKey[set[str]]()
_HINT = pytest.StashKey[str]()
_WORKER_KEY = "nwb_benchmark_files"
_DEFINITION = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z]\w*)", re.MULTILINE)


def note_candidate(config: pytest.Config, path: Path) -> None:
    """Remember a ``.py`` file that pytest visited and that is not a test file."""
    config.stash.setdefault(_CANDIDATES, []).append(path)


def _defines_benchmarks(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(benchmark_type_for(name) is not None for name in _DEFINITION.findall(text))


def _wanted(session: pytest.Session) -> bool:
    # Named paths, or a run that found nothing: a reminder there cannot be noise on every `pytest`.
    return session.config.args_source == pytest.Config.ArgsSource.ARGS or session.testscollected == 0


def benchmark_files(session: pytest.Session) -> list[Path]:
    """Return the visited files that define ASV-style benchmarks, when a hint is wanted.

    Parameters
    ----------
    session : pytest.Session
        The finished session (without ``--nwb-bench``).

    Returns
    -------
    list of pathlib.Path
        Empty unless the run named its paths or collected nothing.
    """
    if not _wanted(session):
        return []
    candidates = dict.fromkeys(session.config.stash.get(_CANDIDATES, []))
    return [path for path in candidates if _selected(session.config, path) and _defines_benchmarks(path)]


def _selected(config: pytest.Config, path: Path) -> bool:
    # pytest also calls pytest_collect_file for the files beside the directories it descends into.
    for arg in config.args:
        given = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == given or path.is_relative_to(given):
            return True
    return False


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
