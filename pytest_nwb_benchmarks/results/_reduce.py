"""Reduce asv's own results files (results format version 2) to the project's result files.

The conversion of a file's content is :mod:`._reduce_asv`'s; this module reads the files, writes
the reduced result files and runs the command: ``python -m pytest_nwb_benchmarks reduce PATH...``
reduces files or folders of them; it also takes pytest-benchmark JSON with raw timings (see
:mod:`._pytest_benchmark`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._pytest_benchmark import PytestBenchmarkFileError
from pytest_nwb_benchmarks.results._reduce_asv import AsvResultsError, ReducedResults, reduce_asv_results

# asv writes these next to the results files; they hold no results.
NOT_RESULTS_FILES = frozenset({"benchmarks.json", "machine.json"})


def load_asv_results(path: Path) -> dict[str, Any]:
    """Read an asv results file (asv writes ``NaN`` and ``Infinity``, which :mod:`json` accepts).

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    dict
        Its parsed content.

    Raises
    ------
    AsvResultsError
        When the file cannot be read or is not JSON.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AsvResultsError(f"cannot read the file: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise AsvResultsError(f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None


def _write(reduced: ReducedResults, results_dir: Path, machine_hash: str, environment_hash: str) -> Path:
    from pytest_nwb_benchmarks.results._result_files import write_result_file

    return write_result_file(
        results_dir,
        results=reduced.results,
        commit_hash=reduced.commit_hash,
        machine_hash=machine_hash,
        environment_hash=environment_hash,
        timestamp=reduced.timestamp,
        extra=reduced.extra or None,
    )


def reduce_asv_results_file(path: Path, results_dir: Path, machine_hash: str, environment_hash: str) -> Path:
    """Reduce one asv results file and write the project's result file for it.

    Parameters
    ----------
    path : pathlib.Path
        The asv results file (``<results_dir>/<machine>/<commit>-<env>.json``).
    results_dir : pathlib.Path
        Where the reduced result file is written.
    machine_hash, environment_hash : str
        The hashes that name the machine and environment headers of the run.

    Returns
    -------
    pathlib.Path
        The result file written.

    Raises
    ------
    AsvResultsError
        When the file is unreadable or malformed; the message starts with the file's path.
    """
    try:
        reduced = reduce_asv_results(load_asv_results(path))
    except AsvResultsError as error:
        raise AsvResultsError(f"{path}: {error}") from None
    return _write(reduced, Path(results_dir), machine_hash, environment_hash)


def find_asv_results_files(paths: list[Path]) -> Iterator[Path]:
    """Yield the asv results files named by ``paths``: files as given, folders searched recursively.

    ``benchmarks.json`` and ``machine.json`` (asv's metadata, not results) are left out.

    Parameters
    ----------
    paths : list of pathlib.Path
        Files and folders.

    Yields
    ------
    pathlib.Path
        Each results file, folders' files in sorted order.
    """
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for found in sorted(path.rglob("*.json")):
                if found.name not in NOT_RESULTS_FILES and found.is_file():
                    yield found
        elif path.name not in NOT_RESULTS_FILES:
            yield path


def _reduce_any(raw: Any, rootdir: Path) -> ReducedResults:
    """Reduce asv results, or pytest-benchmark JSON (told apart by its ``benchmarks`` list)."""
    from pytest_nwb_benchmarks.results._pytest_benchmark import is_pytest_benchmark_json, reduce_pytest_benchmark

    if is_pytest_benchmark_json(raw):
        return reduce_pytest_benchmark(raw, rootdir)
    return reduce_asv_results(raw)


def main(argv: list[str]) -> int:
    """The ``reduce`` command: reduce asv results files into this project's result files.

    Parameters
    ----------
    argv : list of str
        ``PATH... [--results-dir DIR]``.

    Returns
    -------
    int
        0 when every file was reduced, 1 when any could not be (the others are still written),
        2 for a usage error.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nwb_benchmarks reduce",
        description="Reduce asv results files (format version 2), and pytest-benchmark JSON saved with raw "
        "data, into this project's result files. Each is named after the machine and environment its file "
        "describes (asv's machine parameters and machine.json, its Python and requirements; pytest-benchmark's "
        "machine_info), or after this machine and environment with --headers-from this. A folder stands for "
        "every results file below it.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="asv results file or folder")
    parser.add_argument("--results-dir", type=Path, default=Path("results"), help="where to write (default: ./results)")
    parser.add_argument(
        "--headers-from",
        choices=("file", "this"),
        default="file",
        help="name the reduced files after the machine and environment each asv file describes (file, the "
        "default) or after this machine and environment (this)",
    )
    parser.add_argument(
        "--rootdir",
        type=Path,
        default=Path("."),
        help="pytest-benchmark files: the folder their node ids are relative to (default: the current folder)",
    )
    args = parser.parse_args(argv)

    missing = [str(path) for path in args.paths if not path.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    files = list(find_asv_results_files(args.paths))
    if not files:
        print(f"error: no asv or pytest-benchmark results files in {', '.join(map(str, args.paths))}", file=sys.stderr)
        return 1

    from pytest_nwb_benchmarks.results._environment import ensure_environment_header
    from pytest_nwb_benchmarks.results._foreign_headers import ForeignHeaders, headers_of_results_file
    from pytest_nwb_benchmarks.results._machine import ensure_machine_header

    results_dir: Path = args.results_dir
    results_dir.mkdir(parents=True, exist_ok=True)
    this_machine: ForeignHeaders | None = None
    if args.headers_from == "this":
        this_machine = ForeignHeaders(
            ensure_machine_header(results_dir).hash, ensure_environment_header(results_dir).hash
        )
    failures = 0
    for path in files:
        try:
            raw = load_asv_results(path)
            reduced = _reduce_any(raw, args.rootdir)
        except (AsvResultsError, PytestBenchmarkFileError) as error:
            failures += 1
            print(f"error: {path}: {error}", file=sys.stderr)
            continue
        try:
            headers = this_machine or headers_of_results_file(raw, path, results_dir)
            written = _write(reduced, results_dir, headers.machine_hash, headers.environment_hash)
        except (OSError, TypeError, ValueError) as error:
            failures += 1
            print(f"error: {path}: cannot write the reduced file: {error}", file=sys.stderr)
            continue
        counts = sum(len(keys) for keys in reduced.results.values())
        print(
            f"{path} -> {written} ({len(reduced.results)} benchmarks, {counts} combinations; "
            f"{sum(map(len, reduced.skipped.values()))} skipped, {sum(map(len, reduced.failed.values()))} failed)"
        )
        for note in (*headers.notes, *reduced.notes):
            print(f"  note: {note}")
    if failures:
        print(f"{failures} of {len(files)} files could not be reduced", file=sys.stderr)
        return 1
    return 0
