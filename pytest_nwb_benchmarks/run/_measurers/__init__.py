"""How each kind of benchmark is measured in the measuring process: one module per kind, as asv_runner does.

Each measurer states what one round of its kind does between the setup and the teardown; the kinds
themselves (their names, units, rounds) are :mod:`pytest_nwb_benchmarks.collect._benchmark_types`. They
are registered here by the kind's key.
"""

from __future__ import annotations

from pytest_nwb_benchmarks.collect._benchmark_types import BenchmarkType
from pytest_nwb_benchmarks.run._measurers._base import Measurer, RoundSettings
from pytest_nwb_benchmarks.run._measurers._mem import MemMeasurer
from pytest_nwb_benchmarks.run._measurers._peakmem import PeakmemMeasurer, maxrss_bytes
from pytest_nwb_benchmarks.run._measurers._time import TimeMeasurer
from pytest_nwb_benchmarks.run._measurers._track import TrackMeasurer

__all__ = ["MEASURERS", "Measurer", "RoundSettings", "maxrss_bytes", "measurer_for"]

MEASURERS: dict[str, Measurer] = {
    "mem": MemMeasurer(),
    "peakmem": PeakmemMeasurer(),
    "time": TimeMeasurer(),
    "timeraw": TimeMeasurer(raw=True),
    "track": TrackMeasurer(),
}


def measurer_for(benchmark_type: BenchmarkType) -> Measurer:
    """The measurer registered for ``benchmark_type``'s key.

    Raises
    ------
    KeyError
        When no measurer is registered for that kind.
    """
    return MEASURERS[benchmark_type.key]
