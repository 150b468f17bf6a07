"""Finding ASV-style benchmarks in an imported module, with asv's rules.

This module imports nothing heavy and nothing from pytest: the processes that measure
benchmarks import it too.

The rules follow asv 0.6 / asv_runner 0.3:

- every public name of the module is inspected, imported names included;
- module-level functions, and the functions and methods of non-abstract classes, whose names
  match a benchmark type (``time_``, ``timeraw_``, ``peakmem_``, ``mem_``, ``track_`` or their
  CamelCase forms) are benchmarks; the first matching type wins, in the order mem, peakmem,
  time, timeraw, track; other callables (``functools.partial``, builtins) are not;
- the id is ``module.Class.function`` with the class's and the function's own ``__name__``
  (not the name they are bound to in the module), unless the function sets
  ``benchmark_name``: then that is the id, and its last dotted part decides the type;
- a function with a true ``skip_benchmark`` attribute is not a benchmark (its class is then
  not even instantiated);
- how a benchmark's attributes, hooks and parameters resolve is :mod:`._benchmark`'s part.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark, _type_of, declared_name
from pytest_nwb_benchmarks.collect._benchmark_types import (
    BENCHMARK_TYPES,  # noqa: F401
    BenchmarkType,  # noqa: F401
    SkipNotImplemented,  # noqa: F401
    benchmark_type_for,  # noqa: F401
    is_skip_not_implemented,  # noqa: F401
)
from pytest_nwb_benchmarks.collect._params import BenchmarkDefinitionError, params_key, repr_without_address  # noqa: F401


def _is_benchmark_class(obj: Any) -> bool:
    return inspect.isclass(obj) and not inspect.isabstract(obj)


@dataclass(frozen=True)
class FoundBenchmark:
    """Where a benchmark is and what asv calls it.

    Attributes
    ----------
    class_name : str or None
        The name the class is bound to in the module (None for a module-level function).
    func_name : str
        The name the function is bound to in the module or class.
    name : str
        asv's benchmark id.
    line : int
        First source line (0 if unknown).
    """

    class_name: str | None
    func_name: str
    name: str
    line: int


def iter_benchmark_names(module: ModuleType, id_prefix: str) -> Iterator[FoundBenchmark | BenchmarkDefinitionError]:
    """Yield every benchmark of ``module`` (skipped ones left out), or the error of a broken one.

    Parameters
    ----------
    module : types.ModuleType
        An imported module.
    id_prefix : str
        The module's dotted path from the benchmark root.

    Yields
    ------
    FoundBenchmark or BenchmarkDefinitionError
        One per benchmark, in the order of the names in the module (sorted), then of the members.
    """

    def identify(
        class_attr: str | None, attr_name: str, func: Any, default_parts: list[str]
    ) -> FoundBenchmark | BenchmarkDefinitionError | None:
        if getattr(func, "skip_benchmark", False):
            return None
        try:
            if _type_of(attr_name, func) is None:
                return None
            name = declared_name(func) or ".".join(part for part in [id_prefix, *default_parts] if part)
        except BenchmarkDefinitionError as error:
            return BenchmarkDefinitionError(str(error), ".".join([id_prefix, *default_parts]))
        return FoundBenchmark(class_attr, attr_name, name, line_of(func))

    for module_attr, value in sorted(vars(module).items()):
        if module_attr.startswith("_"):
            continue
        if _is_benchmark_class(value):
            for member_name, member in inspect.getmembers(value):
                if inspect.isfunction(member) or inspect.ismethod(member):
                    found = identify(module_attr, member_name, member, [value.__name__, member_name])
                    if found is not None:
                        yield found
        elif inspect.isfunction(value):
            found = identify(None, module_attr, value, [value.__name__])
            if found is not None:
                yield found


def line_of(obj: Any) -> int:
    """The first source line of ``obj`` (0 when unknown)."""
    try:
        return inspect.getsourcelines(inspect.unwrap(obj))[1]
    except (OSError, TypeError):
        return 0


def discover_benchmarks(
    module: ModuleType, id_prefix: str, root_package: str | None
) -> Iterator[Benchmark | BenchmarkDefinitionError]:
    """Yield the benchmarks of ``module``, or the definition error of each one that is broken.

    Parameters
    ----------
    module : types.ModuleType
        The imported module.
    id_prefix : str
        The module's dotted path from the benchmark root (``sub.module``).
    root_package : str or None
        The root package name, if the benchmarks live in a package.

    Yields
    ------
    Benchmark or BenchmarkDefinitionError
        One per benchmark found; a broken one yields its error so that the others still run.
    """
    for found in iter_benchmark_names(module, id_prefix):
        if isinstance(found, BenchmarkDefinitionError):
            yield found
            continue
        name = found.name
        try:
            benchmark = Benchmark.load(module, found.class_name, found.func_name, name, root_package)
        except BenchmarkDefinitionError as error:
            yield BenchmarkDefinitionError(str(error), name)
            continue
        except Exception as error:  # noqa: BLE001 - a class that cannot be instantiated
            yield BenchmarkDefinitionError(f"{name}: cannot instantiate {found.class_name}: {error!r}", name)
            continue
        yield benchmark
