"""Reduce asv's own results files (results format version 2) to the project's result files.

asv stores one compact row per benchmark, whose meaning depends on a ``result_columns`` list;
rows lose their trailing empty columns, skipped combinations are ``NaN`` and failed ones
``null``. The reduced format keeps only what the project shares: for every benchmark, the raw
samples of each parameter combination that ran, keyed by ``str()`` of the tuple of asv's
parameter reprs (``"()"`` without parameters).

``python -m pytest_nwb_benchmarks reduce PATH...`` reduces files or folders of them; it also
takes pytest-benchmark JSON with raw timings (see :mod:`._pytest_benchmark`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._pytest_benchmark import PytestBenchmarkFileError

__all__ = [
    "AsvResultsError",
    "ReducedResults",
    "find_asv_results_files",
    "load_asv_results",
    "main",
    "reduce_asv_results",
    "reduce_asv_results_file",
]

TIMESTAMP_FORMAT = "%Y-%m-%d-%H-%M-%S"
# asv writes these next to the results files; they hold no results.
NOT_RESULTS_FILES = frozenset({"benchmarks.json", "machine.json"})
SUPPORTED_VERSION = 2


class AsvResultsError(ValueError):
    """An asv results file that cannot be reduced; the message says what is wrong and where."""


@dataclass
class ReducedResults:
    """An asv results file reduced to samples.

    Attributes
    ----------
    results : dict
        ``{benchmark id: {params key: samples}}``; samples are a list of numbers, or the dict
        (or list) a track benchmark gave as ``{"samples": ..., "number": None}``.
    commit_hash : str
        The commit the results were recorded against.
    timestamp : str
        The commit date asv recorded, in UTC, as ``%Y-%m-%d-%H-%M-%S``.
    notes : list of str
        Things a reader of the reduced file should know (for example that the result column
        stood in for samples that were not recorded).
    skipped : dict
        ``{benchmark id: [params key, ...]}`` of combinations asv skipped (``NaN``).
    failed : dict
        ``{benchmark id: [params key, ...]}`` of combinations that failed (``null``).
    extra : dict
        Further top-level entries of the reduced file (such as the ``benchmarks`` metadata).
    """

    results: dict[str, dict[str, Any]]
    commit_hash: str
    timestamp: str
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Standins:
    """Benchmarks whose samples were missing, by why they were missing."""

    not_recorded: list[str] = field(default_factory=list)  # timed, run without --record-samples
    single_value: list[str] = field(default_factory=list)  # track_/mem_/peakmem_: one value each
    dict_result: list[str] = field(default_factory=list)  # track_ returned a plain dict
    lost_sample_dicts: list[str] = field(default_factory=list)  # sample dicts, not recorded

    def notes(self) -> list[str]:
        notes = []
        if self.not_recorded:
            notes.append(
                "samples not recorded (run without --record-samples): the result column stands in for "
                f"{_count(self.not_recorded)}: {', '.join(self.not_recorded)}"
            )
        if self.single_value:
            notes.append(
                f"one value per combination (track_, mem_ or peakmem_): the result is the only sample of "
                f"{_count(self.single_value)}: {', '.join(self.single_value)}"
            )
        if self.dict_result:
            notes.append(
                f"the result is a dict without 'samples' and 'number' keys and is kept as the samples of "
                f"{_count(self.dict_result)}: {', '.join(self.dict_result)}"
            )
        if self.lost_sample_dicts:
            notes.append(
                "samples not recorded (run without --record-samples): asv kept only 'true' for the "
                f"sample dicts of {_count(self.lost_sample_dicts)}, which are left out: "
                f"{', '.join(self.lost_sample_dicts)}"
            )
        return notes


def _count(names: list[str]) -> str:
    return f"{len(names)} benchmark" + ("" if len(names) == 1 else "s")


def _require(condition: bool, where: str, problem: str) -> None:
    if not condition:
        raise AsvResultsError(f"{where}: {problem}")


def _describe(value: Any) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _timestamp(date: Any) -> str:
    _require(
        isinstance(date, (int, float)) and not isinstance(date, bool) and math.isfinite(date),
        "'date'",
        f"expected the commit date in milliseconds since 1970, got {_describe(date)}",
    )
    try:
        moment = datetime.fromtimestamp(date / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as error:
        raise AsvResultsError(f"'date': {date} is not a usable time ({error})") from None
    return moment.strftime(TIMESTAMP_FORMAT)


def _params_keys(params: Any, where: str) -> list[str]:
    """Keys of the parameter combinations, in asv's order (the last parameter varies fastest)."""
    _require(isinstance(params, list), where, f"expected a list of lists of strings, got {_describe(params)}")
    for number, values in enumerate(params):
        _require(
            isinstance(values, list) and values and all(isinstance(value, str) for value in values),
            where,
            f"parameter {number} should be a non-empty list of repr strings, got {_describe(values)}",
        )
    return [str(combination) for combination in itertools.product(*params)]


def _per_combination(value: Any, count: int, where: str) -> list[Any]:
    """A column that holds one entry per combination, or ``null`` for "none of them"."""
    if value is None:
        return [None] * count
    _require(isinstance(value, list), where, f"expected a list or null, got {_describe(value)}")
    _require(
        len(value) == count,
        where,
        f"has {len(value)} entries but the params column makes {count} combination{'s' * (count != 1)}",
    )
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_samples(sample: Any, where: str) -> list[Any] | dict[str, Any]:
    """Check one combination's samples: a list of numbers, a dict of numbers, or one number."""
    if isinstance(sample, list):
        for value in sample:
            _require(_is_number(value), where, f"samples must be numbers, got {_describe(value)}")
        return sample
    if isinstance(sample, dict):
        for name, value in sample.items():
            _require(_is_number(value), where, f"a dict of samples must hold numbers, got {name!r}: {_describe(value)}")
        return sample
    _require(_is_number(sample), where, f"expected a list of samples, a dict or a number, got {_describe(sample)}")
    return [sample]


def _reduce_row(name: str, row: dict[str, Any], reduced: ReducedResults, standins: _Standins) -> None:
    keys = _params_keys(row.get("params"), f"benchmark {name!r}, column 'params'")
    results = _per_combination(row.get("result"), len(keys), f"benchmark {name!r}, column 'result'")
    samples_column = row.get("samples")
    samples = _per_combination(samples_column, len(keys), f"benchmark {name!r}, column 'samples'")
    # asv fills the stats columns only for timed results (time_, timeraw_, track dicts with a number).
    timed = row.get("stats_number") is not None
    kept: dict[str, Any] = {}
    # Each list of ``standins`` that this benchmark belongs in (a list is not hashable: keep ids).
    why_standin: dict[int, list[str]] = {}
    for index, (key, result, sample) in enumerate(zip(keys, results, samples)):
        where = f"benchmark {name!r}, combination {index} {key}"
        if result is None:
            reduced.failed.setdefault(name, []).append(key)
        elif result is True:
            # A track_ benchmark returned {"samples": ..., "number": None}: the samples are the result.
            if sample is None:
                why_standin[id(standins.lost_sample_dicts)] = standins.lost_sample_dicts
            else:
                kept[key] = _as_samples(sample, f"{where}, column 'samples'")
        elif isinstance(result, dict):
            kept[key] = _as_samples(result, f"{where}, column 'result'")
            why_standin[id(standins.dict_result)] = standins.dict_result
        elif _is_number(result):
            if math.isnan(result):
                reduced.skipped.setdefault(name, []).append(key)
            elif math.isinf(result):
                # Not something asv writes for a result that ran; never let it pass as a sample.
                reduced.failed.setdefault(name, []).append(key)
            elif sample is not None:
                kept[key] = _as_samples(sample, f"{where}, column 'samples'")
            else:
                kept[key] = [result]
                reason = standins.not_recorded if timed or samples_column is not None else standins.single_value
                why_standin[id(reason)] = reason
        else:
            raise AsvResultsError(
                f"{where}, column 'result': expected a number, NaN, null, true or a dict, got {_describe(result)}"
            )
    for names in why_standin.values():
        names.append(name)
    if kept:
        reduced.results[name] = kept


def reduce_asv_results(raw: dict[str, Any]) -> ReducedResults:
    """Reduce the content of one asv results file.

    Parameters
    ----------
    raw : dict
        The parsed JSON of an asv results file (results format version 2, as written by asv
        0.5 and 0.6; ``NaN`` and ``Infinity`` already decoded by :func:`json.loads`).

    Returns
    -------
    ReducedResults
        The samples of every combination that ran, and what was skipped, failed or stood in.

    Raises
    ------
    AsvResultsError
        When ``raw`` is not a version 2 results file; the message names the key, benchmark,
        column and combination at fault.
    """
    _require(isinstance(raw, dict), "file", f"expected a JSON object, got {_describe(raw)}")
    version = raw.get("version")
    _require(
        version == SUPPORTED_VERSION,
        "'version'",
        f"only asv results format {SUPPORTED_VERSION} is supported, got {_describe(version)}"
        + (" (is this an asv results file?)" if version is None else ""),
    )
    commit_hash = raw.get("commit_hash")
    _require(isinstance(commit_hash, str) and commit_hash != "", "'commit_hash'", f"got {_describe(commit_hash)}")
    timestamp = _timestamp(raw.get("date"))
    columns = raw.get("result_columns")
    _require(
        isinstance(columns, list) and all(isinstance(column, str) for column in columns),
        "'result_columns'",
        f"expected a list of column names, got {_describe(columns)}",
    )
    for needed in ("result", "params"):
        _require(needed in columns, "'result_columns'", f"has no {needed!r} column")
    rows = raw.get("results")
    _require(isinstance(rows, dict), "'results'", f"expected an object of benchmark rows, got {_describe(rows)}")

    reduced = ReducedResults(results={}, commit_hash=commit_hash, timestamp=timestamp)
    standins = _Standins()
    for name, row in rows.items():
        _require(isinstance(row, list), f"benchmark {name!r}", f"expected a row (a list), got {_describe(row)}")
        _require(
            len(row) <= len(columns),
            f"benchmark {name!r}",
            f"the row has {len(row)} entries but 'result_columns' names only {len(columns)}",
        )
        # asv drops trailing empty columns, so a short row means null for the rest.
        _reduce_row(name, dict(zip(columns, row)), reduced, standins)
    reduced.notes = standins.notes()
    return reduced


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
