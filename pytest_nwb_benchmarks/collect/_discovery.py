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
- an attribute is looked up on the function, then the class instance, then the module, and
  the first one found wins; ``setup`` and ``teardown`` are gathered from all three,
  case-insensitively;
- ``params`` that is not a list of lists is one parameter; combinations are the cartesian
  product with the last parameter varying fastest.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark_source import source_code, source_version
from pytest_nwb_benchmarks.collect._benchmark_types import (
    BENCHMARK_TYPES,
    BenchmarkType,
    SkipNotImplemented,
    benchmark_type_for,
    is_skip_not_implemented,
)
from pytest_nwb_benchmarks.collect._params import (
    BenchmarkDefinitionError,
    normalise_params,
    params_key,
    repr_without_address,
    unique_reprs,
)

__all__ = [
    "BENCHMARK_TYPES",
    "Benchmark",
    "BenchmarkDefinitionError",
    "BenchmarkType",
    "SkipNotImplemented",
    "benchmark_type_for",
    "discover_benchmarks",
    "is_skip_not_implemented",
    "params_key",
    "repr_without_address",
]


def _first_attr(sources: Sequence[Any], name: str, default: Any) -> Any:
    for source in sources:
        value = getattr(source, name, None)
        if value is not None:
            return value
    return default


def _all_attrs_ignoring_case(sources: Sequence[Any], name: str) -> list[Any]:
    found = []
    for source in sources:
        matches = [getattr(source, key) for key in dir(source) if key.lower() == name]
        if len(matches) > 1:
            owner = getattr(source, "__name__", type(source).__name__)
            raise BenchmarkDefinitionError(f"{owner} defines more than one {name!r} (names differing only in case)")
        found.extend(match for match in matches if match is not None)
    return found


def _setup_cache_key(func: Callable[..., Any] | None, root_package: str | None) -> str | None:
    if func is None:
        return None
    module = inspect.getmodule(func)
    module_name = module.__name__ if module else ""
    if root_package and module_name.startswith(root_package + "."):
        module_name = module_name[len(root_package) + 1 :]
    try:
        line = inspect.getsourcelines(func)[1]
    except (OSError, TypeError):
        line = 0
    return f"{module_name}:{line}"


@dataclass
class Benchmark:
    """One ASV-style benchmark: a function, or a method of a class, and its resolved attributes.

    Instances are made in every process that needs them (the pytest process for collection,
    the measuring process for running) from the module, class and method names.

    Attributes
    ----------
    name : str
        asv's benchmark id: ``module.Class.method`` or ``module.function``, dotted from the root.
    benchmark_type : BenchmarkType
        What it measures.
    module : types.ModuleType
        The imported module.
    class_name : str or None
        The class holding the method; None for a module-level function.
    func_name : str
        The method or function name.
    func : callable
        The benchmark, bound to a fresh instance for a method.
    instance : object or None
        That instance.
    params : list of list
        The values of each parameter.
    param_names : list of str
        One name per parameter.
    param_reprs : list of list of str
        asv's repr of each value, made unique within each parameter.
    overrides : dict
        Attributes that win over the benchmark's own.
    problems : list of str
        Questionable definitions asv accepts (and the plugin with it), to be reported as warnings.
    """

    name: str
    benchmark_type: BenchmarkType
    module: ModuleType
    class_name: str | None
    func_name: str
    func: Callable[..., Any]
    instance: Any
    root_package: str | None
    params: list[list[Any]] = field(default_factory=list)
    param_names: list[str] = field(default_factory=list)
    param_reprs: list[list[str]] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        module: ModuleType,
        class_name: str | None,
        func_name: str,
        name: str,
        root_package: str | None,
        overrides: dict[str, Any] | None = None,
    ) -> Benchmark:
        """Build the benchmark from names (instantiating the class, as asv does, once per benchmark).

        Parameters
        ----------
        module : types.ModuleType
            The imported module.
        class_name : str or None
            The class, or None for a module-level function.
        func_name : str
            The function or method name.
        name : str
            The benchmark id.
        root_package : str or None
            The benchmark root package, stripped from setup_cache keys.
        overrides : dict, optional
            Attributes that win over the function, class and module ones (for example the
            ``number`` an earlier round calibrated, or the one-sample debug mode).

        Returns
        -------
        Benchmark
            The benchmark, with ``params`` validated.
        """
        owner = module if class_name is None else getattr(module, class_name)
        benchmark_type = _type_of(func_name, getattr(owner, func_name))
        if benchmark_type is None:
            raise BenchmarkDefinitionError(f"{name}: {func_name!r} is not a benchmark name")
        if class_name is None:
            instance = None
            func = getattr(module, func_name)
        else:
            instance = owner()
            func = getattr(instance, func_name)
        benchmark = cls(
            name=name,
            benchmark_type=benchmark_type,
            module=module,
            class_name=class_name,
            func_name=func_name,
            func=func,
            instance=instance,
            root_package=root_package,
            overrides=dict(overrides or {}),
        )
        raw_params = benchmark.attr("params", [])
        raw_names = benchmark.attr("param_names", [])
        benchmark.params, benchmark.param_names, benchmark.problems = normalise_params(raw_params, raw_names, name)
        benchmark.param_reprs = [unique_reprs(values) for values in benchmark.params]
        return benchmark

    # -- attributes ---------------------------------------------------------------------------

    @property
    def sources(self) -> list[Any]:
        """Where attributes are looked up, first match winning: overrides, function, instance, module."""
        sources: list[Any] = [self.func]
        if self.instance is not None:
            sources.append(self.instance)
        sources.append(self.module)
        return sources

    def attr(self, attr_name: str, default: Any = None) -> Any:
        """Return the first non-None attribute of that name (overrides first), or ``default``."""
        if self.overrides.get(attr_name) is not None:
            return self.overrides[attr_name]
        return _first_attr(self.sources, attr_name, default)

    @property
    def setups(self) -> list[Callable[..., Any]]:
        """Setup hooks, module first, then class, then function attribute."""
        return _all_attrs_ignoring_case(self.sources, "setup")[::-1]

    @property
    def teardowns(self) -> list[Callable[..., Any]]:
        """Teardown hooks, function attribute first, then class, then module."""
        return _all_attrs_ignoring_case(self.sources, "teardown")

    @property
    def setup_cache(self) -> Callable[..., Any] | None:
        """The ``setup_cache`` function, if any."""
        return _first_attr(self.sources, "setup_cache", None)

    @property
    def setup_cache_key(self) -> str | None:
        """asv's key of the setup_cache: ``module:line``; benchmarks sharing it share one cache."""
        return _setup_cache_key(self.setup_cache, self.root_package)

    @property
    def timeout(self) -> float:
        """Wall-clock limit of one measuring process, in seconds (asv's default is 60)."""
        return float(self.attr("timeout", 60.0))

    @property
    def setup_cache_timeout(self) -> float:
        """Limit for running setup_cache: its own ``timeout`` attribute, else the benchmark's."""
        own = getattr(self.setup_cache, "timeout", None)
        return float(own) if own is not None else self.timeout

    @property
    def rounds(self) -> int:
        """Number of measuring processes per parameter combination (time benchmarks only)."""
        if self.benchmark_type.key not in ("time", "timeraw"):
            return 1
        return int(self.attr("rounds", int(self.attr("processes", 2))))

    @property
    def unit(self) -> str:
        """The unit of the samples."""
        if self.benchmark_type.key == "track":
            return str(self.attr("unit", "unit"))
        return self.benchmark_type.default_unit

    @property
    def asv_type(self) -> str:
        """The ``type`` asv records; a ``track_`` benchmark may set its own ``type`` attribute."""
        if self.benchmark_type.key == "track":
            return str(self.attr("type", "track"))
        return self.benchmark_type.asv_type

    @property
    def code(self) -> str:
        """asv's ``code``: the source of the benchmark, its setups and its setup_cache."""
        return source_code([self.func, *self.setups, self.setup_cache])

    @property
    def version(self) -> str:
        """asv's ``version``: the benchmark's own ``version`` attribute, else a hash of :attr:`code`."""
        env = self.attr("env", None) if self.benchmark_type.key == "timeraw" else None
        return source_version(self.code, self.attr("version", None), env if isinstance(env, dict) else None)

    @property
    def pretty_name(self) -> str | None:
        """asv reads ``pretty_name`` from the function object only."""
        return getattr(self.func, "pretty_name", None)

    @property
    def skip_params(self) -> list[tuple[Any, ...]]:
        """Raw value tuples of the combinations to skip."""
        return [tuple(entry) for entry in self.attr("skip_params", [])]

    # -- combinations -------------------------------------------------------------------------

    def combinations(self) -> list[tuple[Any, ...]]:
        """Every combination of parameter values, the last parameter varying fastest."""
        return list(itertools.product(*self.params))

    def combination_reprs(self) -> list[tuple[str, ...]]:
        """asv's repr strings of every combination, in the same order as :meth:`combinations`."""
        return list(itertools.product(*self.param_reprs))

    def params_key(self, index: int) -> str:
        """The reduced result file's key for combination ``index``."""
        if not self.params:
            return params_key(())
        return params_key(self.combination_reprs()[index])


def _is_benchmark_class(obj: Any) -> bool:
    return inspect.isclass(obj) and not inspect.isabstract(obj)


def declared_name(func: Any) -> str | None:
    """Return the ``benchmark_name`` a benchmark function declares, or None.

    Parameters
    ----------
    func : callable
        The function (or method) as found in the module or class.

    Returns
    -------
    str or None
        The declared id.

    Raises
    ------
    BenchmarkDefinitionError
        When ``benchmark_name`` is set to something other than a non-empty string.
    """
    declared = getattr(func, "benchmark_name", None)
    if declared is None:
        return None
    if not isinstance(declared, str) or not declared.strip():
        where = getattr(func, "__qualname__", repr(func))
        raise BenchmarkDefinitionError(f"{where}: benchmark_name must be a non-empty string, not {declared!r}")
    return declared


def _type_of(attr_name: str, func: Any) -> BenchmarkType | None:
    """The type asv gives ``func``: from the last part of its ``benchmark_name``, else from its name."""
    declared = declared_name(func)
    return benchmark_type_for(declared.rsplit(".", 1)[-1] if declared else attr_name)


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
        return FoundBenchmark(class_attr, attr_name, name, _line_of(func))

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


def _line_of(obj: Any) -> int:
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
