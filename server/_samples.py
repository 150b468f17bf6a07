"""The samples of one result file as flat arrays: one pass over its ``results``, one conversion to numbers.

A full-suite run holds about a thousand series of a few to a few dozen samples each. Converting
them one series at a time (a NumPy array, a mask and an index array per series) costs more than
reading the file; here every series' raw values are gathered into one list, checked for their
types with one ``set(map(type, ...))`` and converted with one ``numpy.array`` call, and the series
boundaries are kept as counts. Files with anything else than numbers and nulls in their samples
(a text, a boolean, a mapping inside a list: rare, hand-written files) take the slower route that
looks at each value, with the same outcome.
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np

#: A series' key without its unit: ``(benchmark, params, variable)``.
Head = tuple[str, str, str | None]

_PLAIN = (int, float, type(None))
_PLAIN_TYPES = frozenset(_PLAIN)


class SampleError(ValueError):
    """A sample that no 64-bit float holds; the message says where."""


@lru_cache(maxsize=65536)
def unit_of(benchmark: str, variable: str | None) -> str:
    """Guess the unit from the benchmark's method prefix (ASV's convention) and the variable name."""
    method = benchmark.rsplit(".", 1)[-1]
    if variable:
        if variable.endswith("_bytes"):
            return "bytes"
        if "packets" in variable:
            return "packets"
        if "time" in variable:
            return "s"
    if method.startswith("time_"):
        return "s"
    if method.startswith(("peakmem_", "mem_")):
        return "bytes"
    return ""


def declared_unit(content: dict, benchmark: str) -> str | None:
    """The unit a result file of this project declares for a benchmark (under ``benchmarks``), if any."""
    metadata = content.get("benchmarks")
    entry = metadata.get(benchmark) if isinstance(metadata, dict) else None
    unit = entry.get("unit") if isinstance(entry, dict) else None
    return {"seconds": "s"}.get(unit, unit) if isinstance(unit, str) else None


def flat_series(results: dict) -> tuple[list[Head], np.ndarray, np.ndarray, np.ndarray]:
    """Every series of ``results`` that has a finite sample, with the samples one series after the other.

    Parameters
    ----------
    results : dict
        The ``results`` mapping of a result file (benchmark -> parameter key -> samples).

    Returns
    -------
    tuple of (list, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        The series' ``(benchmark, params, variable)`` in file order, their finite values, the
        sample index of each value, and each series' number of values. Failed repeats (null),
        text and booleans carry no measurement and are left out; a series left empty is dropped.

    Raises
    ------
    SampleError
        When a sample is an integer too large for a 64-bit float.
    """
    heads: list[Head] = []
    raws: list[list[Any]] = []
    for benchmark, by_params in results.items():
        if not isinstance(by_params, dict):
            continue
        for params, samples in by_params.items():
            if isinstance(samples, list):
                heads.append((benchmark, params, None))
                raws.append(samples)
            elif isinstance(samples, dict):
                # One repeat of a tracking benchmark that reports several quantities; a list of
                # values (e.g. per-request latencies) becomes one row per value.
                for key, value in samples.items():
                    heads.append((benchmark, params, str(key)))
                    raws.append(value if isinstance(value, list) else [value])
            else:
                heads.append((benchmark, params, None))
                raws.append([samples])
    flat = list(chain.from_iterable(raws))
    if not set(map(type, flat)) <= _PLAIN_TYPES:
        return _each_value(results)
    try:
        values = np.array(flat, dtype=float)
    except OverflowError:
        return _each_value(results)  # which says where
    lengths = np.fromiter(map(len, raws), dtype=np.int64, count=len(raws))
    return _finite(heads, values, lengths)


def _finite(
    heads: list[Head], values: np.ndarray, lengths: np.ndarray, indices: np.ndarray | None = None
) -> tuple[list[Head], np.ndarray, np.ndarray, np.ndarray]:
    """Keep the finite values of series laid end to end (``lengths`` each; indices 0, 1, ... unless given)."""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    if indices is None:
        indices = np.arange(len(values), dtype=np.int64) - np.repeat(starts, lengths)
    keep = np.isfinite(values)
    kept_before = np.concatenate(([0], np.cumsum(keep)))
    counts = kept_before[ends] - kept_before[starts]
    present = counts > 0
    kept_heads = [head for head, there in zip(heads, present.tolist()) if there]
    return kept_heads, values[keep], indices[keep], counts[present]


def _each_value(results: dict) -> tuple[list[Head], np.ndarray, np.ndarray, np.ndarray]:
    """:func:`flat_series` for samples of any layout, looking at each value."""
    heads: list[Head] = []
    values: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    for benchmark, by_params in results.items():
        if not isinstance(by_params, dict):
            continue
        for params, samples in by_params.items():
            for variable, (where, raw) in _grouped(samples).items():
                heads.append((benchmark, params, variable))
                values.append(_numbers(raw, f"$.results[{benchmark!r}][{params!r}]"))
                indices.append(np.asarray(where, dtype=np.int64))
    lengths = np.array([len(array) for array in values], dtype=np.int64)
    if not values:
        return [], np.array([], dtype=float), np.array([], dtype=np.int64), lengths
    return _finite(heads, np.concatenate(values), lengths, np.concatenate(indices))


def _grouped(samples: Any) -> dict[str | None, tuple[list[int], list[Any]]]:
    """Sample indices and raw values of one benchmark and parameter key, by variable (None: plain)."""
    if isinstance(samples, list) and all(type(sample) in _PLAIN for sample in samples):
        return {None: (list(range(len(samples))), samples)}
    grouped: dict[str | None, tuple[list[int], list[Any]]] = {}

    def add(variable: str | None, index: int, value: Any) -> None:
        indices, values = grouped.setdefault(variable, ([], []))
        indices.append(index)
        values.append(value)

    if isinstance(samples, dict):
        for key, value in samples.items():
            for index, item in enumerate(value if isinstance(value, list) else [value]):
                add(str(key), index, item)
    elif isinstance(samples, list):
        for index, sample in enumerate(samples):
            if isinstance(sample, dict):
                for key, value in sample.items():
                    add(str(key), index, value)
            else:
                add(None, index, sample)
    else:
        add(None, 0, samples)
    return grouped


def _numbers(raw: list[Any], where: str) -> np.ndarray:
    """``raw`` as floats; nulls, text and booleans become NaN."""
    if all(type(value) in _PLAIN for value in raw):
        try:
            return np.array(raw, dtype=float)
        except OverflowError:
            raise SampleError(f"a sample at {where} is an integer too large for a 64-bit float") from None
    return np.array([_number(value, where) for value in raw], dtype=float)


def _number(value: Any, where: str) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        raise SampleError(f"the sample at {where} is an integer too large for a 64-bit float") from None
    return value if math.isfinite(value) else None
