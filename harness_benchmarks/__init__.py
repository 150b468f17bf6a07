"""Benchmarks of the harness itself (run with ``pytest harness_benchmarks --nwb-bench``)."""
