"""The NWB benchmark suite: how fast can an NWB file be opened and sliced, locally and streamed?

Run it with ``pytest benchmarks --nwb-bench`` (or ``asv run``); see ``docs/suite.rst``.
"""
