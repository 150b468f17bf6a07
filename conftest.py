"""The repository's pytest setup: the NWB benchmark suite in ``benchmarks/`` and its plugin.

The suite's options, settings, streaming server and limit report live in :mod:`pytest_nwb_benchmarks.nwb._plugin`.
"""

pytest_plugins = ["pytest_nwb_benchmarks.nwb._plugin"]
