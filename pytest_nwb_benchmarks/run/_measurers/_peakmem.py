"""``peakmem_`` benchmarks: the measuring process's peak resident memory after the call."""

from __future__ import annotations

import sys
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.run._measurers._base import RoundSettings
from pytest_nwb_benchmarks.run._round import Hooks, RoundResult


def maxrss_bytes() -> int:
    """Return the peak resident set size of this process so far, in bytes (what asv's peakmem reads).

    On Linux the high-water mark of this process image (``VmHWM``) is read: ``ru_maxrss`` of a
    process started from a large one also counts the parent's memory at the time of the start.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        import psutil

        return int(psutil.Process().memory_info().peak_wset)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class PeakmemMeasurer:
    """``peakmem_``: the measuring process's peak resident memory after the call."""

    def measure(
        self, benchmark: Benchmark, args: tuple[Any, ...], hooks: Hooks, settings: RoundSettings
    ) -> RoundResult:
        """Call the benchmark and read the process's high-water mark."""
        benchmark.func(*args)
        return RoundResult("passed", [maxrss_bytes()], None)
