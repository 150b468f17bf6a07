"""``track_`` benchmarks: keep the value the benchmark returns."""

from __future__ import annotations

from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.run._measurers._base import RoundSettings
from pytest_nwb_benchmarks.run._round import Hooks, RoundResult


class TrackMeasurer:
    """``track_``: the value the benchmark returns, or asv's ``{"samples": ..., "number": ...}`` form."""

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Call the benchmark and keep what it returns."""
        value = benchmark.func(*args)
        if value is None:
            return RoundResult(
                "failed", message=f"{benchmark.name} returned None (a track_ benchmark must return a value)"
            )
        if isinstance(value, dict) and "samples" in value and "number" in value:
            samples, number = value["samples"], value["number"]
            if number is None:
                return RoundResult("passed", samples if isinstance(samples, dict) else list(samples), None)
            return RoundResult("passed", [float(sample) for sample in samples], int(number))
        return RoundResult("passed", [value], None)
