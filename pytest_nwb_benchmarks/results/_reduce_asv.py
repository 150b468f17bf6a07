"""Reduce the content of asv's own results files (results format version 2) to samples.

asv stores one compact row per benchmark, whose meaning depends on a ``result_columns`` list;
rows lose their trailing empty columns, skipped combinations are ``NaN`` and failed ones
``null``. The reduced format keeps only what the project shares: for every benchmark, the raw
samples of each parameter combination that ran, keyed by ``str()`` of the tuple of asv's
parameter reprs (``"()"`` without parameters).

Reading and writing files, and the ``reduce`` command, are in :mod:`._reduce`.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pytest_nwb_benchmarks.results._file_names import TIMESTAMP_FORMAT
from pytest_nwb_benchmarks.results._model import is_number

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
        is_number(date) and math.isfinite(date),
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


def _as_samples(sample: Any, where: str) -> list[Any] | dict[str, Any]:
    """Check one combination's samples: a list of numbers, a dict of numbers, or one number."""
    if isinstance(sample, list):
        for value in sample:
            _require(is_number(value), where, f"samples must be numbers, got {_describe(value)}")
        return sample
    if isinstance(sample, dict):
        for name, value in sample.items():
            _require(is_number(value), where, f"a dict of samples must hold numbers, got {name!r}: {_describe(value)}")
        return sample
    _require(is_number(sample), where, f"expected a list of samples, a dict or a number, got {_describe(sample)}")
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
        elif is_number(result):
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
