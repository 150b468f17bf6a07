"""``mem_`` benchmarks: the deep size of the object the benchmark returns."""

from __future__ import annotations

import copy
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.run._measurers._base import RoundSettings
from pytest_nwb_benchmarks.run._round import Hooks, RoundResult


class MemMeasurer:
    """``mem_``: the deep size of the returned object, as pympler measures it (asv's way)."""

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Call the benchmark and size what it returns."""
        from pympler.asizeof import asizeof

        obj = benchmark.func(*args)
        # the size the object adds to a list beyond a second reference to it: its deep size
        return RoundResult("passed", [asizeof([obj, copy.copy(obj)]) - asizeof([obj, obj])], None)
