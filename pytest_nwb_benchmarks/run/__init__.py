"""Running benchmarks: runners, measuring processes, precision, the session's state and recording."""

from pytest_nwb_benchmarks.run._child_reset import register_child_reset

__all__ = ["register_child_reset"]
