"""An ASV-style benchmark as asv_runner 0.3 resolves it: its attributes, hooks, parameters and id parts.

This module imports nothing heavy and nothing from pytest: the measuring processes load
benchmarks with it (:meth:`Benchmark.load`).

- an attribute is looked up on the function, then the class instance, then the module, and
  the first one found wins; ``setup`` and ``teardown`` are gathered from all three,
  case-insensitively;
- ``params`` that is not a list of lists is one parameter; combinations are the cartesian
  product with the last parameter varying fastest;
- a function that sets ``benchmark_name`` has that id, and its last dotted part decides the type.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark_source import source_code, source_version
from pytest_nwb_benchmarks.collect._benchmark_types import BenchmarkType, benchmark_type_for
from pytest_nwb_benchmarks.collect._params import (
    BenchmarkDefinitionError,
    normalise_params,
    params_key,
    unique_reprs,
)


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
        return self.benchmark_type.rounds(self.attr)

    @property
    def unit(self) -> str:
        """The unit of the samples."""
        return self.benchmark_type.unit(self.attr)

    @property
    def asv_type(self) -> str:
        """The ``type`` asv records; a ``track_`` benchmark may set its own ``type`` attribute."""
        return self.benchmark_type.recorded_type(self.attr)

    @property
    def code(self) -> str:
        """asv's ``code``: the source of the benchmark, its setups and its setup_cache."""
        return source_code([self.func, *self.setups, self.setup_cache])

    @property
    def version(self) -> str:
        """asv's ``version``: the benchmark's own ``version`` attribute, else a hash of :attr:`code`."""
        return source_version(self.code, self.attr("version", None), self.benchmark_type.version_env(self.attr))

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
