"""Parameters of ASV-style benchmarks: asv's reading of ``params``/``param_names`` and its repr keys."""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

from pytest_nwb_benchmarks.results._keys import params_key, repr_without_address  # noqa: F401


class BenchmarkDefinitionError(ValueError):
    """A benchmark whose attributes cannot be used (for example ``params``/``param_names`` disagree).

    Parameters
    ----------
    message : str
        What is wrong, starting with the benchmark id.
    benchmark_name : str, optional
        The benchmark id, when known.
    """

    def __init__(self, message: str, benchmark_name: str = "") -> None:
        super().__init__(message)
        self.benchmark_name = benchmark_name


def unique_reprs(values: Sequence[Any]) -> list[str]:
    """Reprs of one parameter's values; a repr that occurs twice gets `` (0)``, `` (1)``, … as asv does."""
    reprs = [repr_without_address(value) for value in values]
    counts = collections.Counter(reprs)
    seen: dict[str, int] = collections.defaultdict(int)
    unique = []
    for text in reprs:
        if counts[text] > 1:
            unique.append(f"{text} ({seen[text]})")
            seen[text] += 1
        else:
            unique.append(text)
    return unique


def normalise_params(raw_params: Any, raw_names: Any, name: str) -> tuple[list[list[Any]], list[str], list[str]]:
    """asv's reading of ``params`` and ``param_names``, and what is questionable about them.

    asv accepts a ``param_names`` of the wrong length (cutting it, or adding ``paramN`` names)
    and a parameter without values (the benchmark then has no combinations); so does the
    plugin, so that such a suite still runs as under asv, but it says so.
    """
    try:
        params = list(raw_params)
    except TypeError:
        raise BenchmarkDefinitionError(f"{name}: params must be a list, not {type(raw_params).__name__}") from None
    if params and not isinstance(params[0], (list, tuple)):
        params = [params]  # a flat list is the values of a single parameter
    else:
        params = [list(values) for values in params]
    try:
        names = [str(item) for item in raw_names]
    except TypeError:
        raise BenchmarkDefinitionError(f"{name}: param_names must be a list, not {type(raw_names).__name__}") from None
    problems = []
    if isinstance(raw_names, str):
        problems.append(f"{name}: param_names is a string; asv takes each of its characters as a name")
    if names and len(names) != len(params):
        problems.append(
            f"{name}: params has {len(params)} parameter(s) but param_names has {len(names)} name(s) {names!r}; "
            "asv's rule applies: extra names are dropped, missing ones become param1, param2, ..."
        )
    names = names[: len(params)] + [f"param{index + 1}" for index in range(len(names), len(params))]
    for values, param_name in zip(params, names):
        if not values:
            problems.append(f"{name}: parameter {param_name!r} has no values, so the benchmark has no combinations")
    return params, names, problems
