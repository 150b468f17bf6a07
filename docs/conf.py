"""Sphinx configuration for the pytest-nwb-benchmarks documentation."""

project = "pytest-nwb-benchmarks"
author = "the pytest-nwb-benchmarks developers"
copyright = "2026, the pytest-nwb-benchmarks developers"
release = "0.1.0"

extensions: list[str] = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
# Warnings fail the docs build in CI (sphinx-build -W), so every page must be in a toctree.
nitpicky = False
