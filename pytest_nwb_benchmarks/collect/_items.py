"""pytest collectors and items for ASV-style benchmarks.

A benchmark file becomes a :class:`BenchmarkModule`, a benchmark class a :class:`BenchmarkClass`,
and each parameter combination of each benchmark a :class:`BenchmarkItem` with a readable id
(``time_slice[ecephys-uncompressed-0]``), so that ``-k``, ``-m``, ``--lf``, ``-x`` and
``--collect-only`` work as on tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_nwb_benchmarks.collect._case import CASE_RUNNER, Case, Outcome
from pytest_nwb_benchmarks.collect._discovery import (
    Benchmark,
    BenchmarkDefinitionError,
    discover_benchmarks,
    line_of,
)
from pytest_nwb_benchmarks.results._keys import benchmark_location
from pytest_nwb_benchmarks.results._keys import readable_param as _readable


class BenchmarkFailure(Exception):
    """A benchmark failed in its measuring process; carries the child's traceback text."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


def outside_asv_packages(path: Path) -> bool:
    """Tell whether asv would never import the file ``path``: its folder is no package, but sits in one.

    asv imports the modules of the benchmark package and of its sub-packages only; a folder
    without ``__init__.py`` inside that package (data, helper scripts) is not searched, and the
    answer is then True.
    """
    return not (path.parent / "__init__.py").exists() and (path.parent.parent / "__init__.py").exists()


def combination_ids(benchmark: Benchmark) -> list[str]:
    """Readable, unique pytest ids for every parameter combination of a benchmark."""
    if not benchmark.params:
        return [""]
    ids = ["-".join(_readable(value) for value in combination) for combination in benchmark.combinations()]
    seen: dict[str, int] = {}
    unique = []
    for text in ids:
        if ids.count(text) > 1:
            seen[text] = seen.get(text, -1) + 1
            text = f"{text}{seen[text]}"
        unique.append(text)
    return unique


def _marks_of(*objects: Any) -> list[pytest.Mark]:
    marks: list[pytest.Mark] = []
    for obj in objects:
        found = getattr(obj, "pytestmark", [])
        marks.extend(found if isinstance(found, list) else [found])
    return [getattr(mark, "mark", mark) for mark in marks]


def _give_params_to_node_id(item: pytest.Item, nodeid: str) -> None:
    """Make ``item``'s node id ``nodeid`` on every supported pytest.

    pytest 9.2 and newer build a Function's id from ``originalname`` plus its parametrize callspec.
    These items carry their parameters in their name and have no callspec, so without this every
    combination of a benchmark would share one id (``--lf``, JUnit names and progress would then
    mix them up). The structured id is made by the same parser pytest applies to the ids it keeps
    in its cache, so ``--lf`` and ``--nf`` find the item again. Older pytest already derives the id
    from the name.
    """
    if item.nodeid == nodeid:
        return
    structured = getattr(item, "_id", None)
    parse = getattr(type(structured), "parse", None)
    if parse is None:  # pragma: no cover - a pytest whose ids are neither form
        raise RuntimeError(f"cannot give benchmark {nodeid!r} a node id of its own on this pytest")
    item._id = parse(nodeid)


def _placeholder() -> None:
    """Stands in for the test function: a benchmark item runs through its runner instead."""


class BenchmarkItem(pytest.Function):
    """One parameter combination of one benchmark.

    It is a :class:`pytest.Function` so that fixtures (autouse ones, ``usefixtures`` marks)
    apply to it as to any test.
    """

    benchmark: Benchmark
    combination_index: int

    @classmethod
    def from_benchmark(cls, parent: pytest.Collector, benchmark: Benchmark, index: int, param_id: str) -> BenchmarkItem:
        """Make the item of combination ``index`` of ``benchmark`` under ``parent``."""
        name = f"{benchmark.func_name}[{param_id}]" if benchmark.params else benchmark.func_name
        item = cls.from_parent(parent, name=name, callobj=_placeholder, originalname=benchmark.func_name)
        _give_params_to_node_id(item, f"{parent.nodeid}::{name}")
        item.benchmark = benchmark
        item.combination_index = index
        item.extra_keyword_matches.add(benchmark.name)
        item.add_marker("nwb_bench")
        item.add_marker(benchmark.benchmark_type.key)
        for mark in _marks_of(
            benchmark.module, benchmark.instance, getattr(benchmark.func, "__func__", benchmark.func)
        ):
            item.add_marker(mark)
        return item

    @property
    def case(self) -> Case:
        """This item as plain values, for a runner."""
        return Case(self.benchmark, self.combination_index, self.nodeid, Path(self.path))

    @property
    def params_key(self) -> str:
        """This combination's key in the reduced result file."""
        return self.case.params_key

    @property
    def param_values(self) -> tuple[Any, ...]:
        """This combination's parameter values."""
        return self.case.param_values

    def runtest(self) -> None:
        """Run the benchmark through the session's runner, which records what it measured."""
        outcome = self.config.stash[CASE_RUNNER].run_case(self.case)
        if outcome.status == "passed" and isinstance(outcome.samples, list) and outcome.samples:
            self.user_properties.append(("samples", len(outcome.samples)))
        if outcome.status == "skipped":
            pytest.skip(outcome.message or "skipped")
        if outcome.status == "failed":
            raise BenchmarkFailure(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
        """Show the measuring process's own traceback for failures that happened there."""
        if isinstance(excinfo.value, BenchmarkFailure):
            outcome = excinfo.value.outcome
            where = f"{self.benchmark.name}{' ' + self.params_key if self.benchmark.params else ''}"
            return f"{where}: {outcome.message}\n\n{outcome.details}".rstrip()
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Point reports at the benchmark's own definition."""
        line = line_of(self.benchmark.func)
        return self.path, max(line - 1, 0), self.benchmark.name + self.name[len(self.benchmark.func_name) :]


class _BrokenBenchmark(pytest.Collector):
    """Reports a benchmark whose definition is broken as a collection error of its own."""

    error: BenchmarkDefinitionError

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        raise self.CollectError(f"{self.path}: {self.error}")


def _items_for(parent: pytest.Collector, benchmarks: Iterable[Benchmark]) -> Iterator[pytest.Item]:
    for benchmark in benchmarks:
        for index, param_id in enumerate(combination_ids(benchmark)):
            yield BenchmarkItem.from_benchmark(parent, benchmark, index, param_id)


class BenchmarkClass(pytest.Collector):
    """The benchmarks of one class of a benchmark module."""

    benchmarks: list[Benchmark]

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        return list(_items_for(self, self.benchmarks))


class BenchmarkModule(pytest.Module):
    """A benchmark file, collected with asv's discovery rules instead of pytest's test rules."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        module = self.obj  # imported by pytest: an import error becomes a collection error naming the file
        root_package, id_prefix = benchmark_location(self.path)
        by_class: dict[str | None, list[Benchmark]] = {}
        collected: list[pytest.Item | pytest.Collector] = []
        for found in discover_benchmarks(module, id_prefix, root_package):
            if isinstance(found, BenchmarkDefinitionError):
                broken = _BrokenBenchmark.from_parent(self, name=found.benchmark_name.rsplit(".", 1)[-1])
                broken.error = found
                collected.append(broken)
                continue
            for problem in found.problems:
                self.warn(pytest.PytestCollectionWarning(problem))
            by_class.setdefault(found.class_name, []).append(found)
        for class_name, benchmarks in by_class.items():
            if class_name is None:
                collected.extend(_items_for(self, benchmarks))
            else:
                collector = BenchmarkClass.from_parent(self, name=class_name)
                collector.benchmarks = benchmarks
                collected.append(collector)
        # Tests using pytest-benchmark's fixture, found by pytest's own rules (_pytest_benchmark_plugin keeps only those).
        collected.extend(super().collect())
        return collected
