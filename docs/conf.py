"""Sphinx configuration for the pytest-nwb-benchmarks documentation."""

import sys
from pathlib import Path

# The API reference documents the package of this checkout, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

project = "pytest-nwb-benchmarks"
author = "the pytest-nwb-benchmarks developers"
copyright = "2026, the pytest-nwb-benchmarks developers"
release = "0.1.0"

extensions: list[str] = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
# Warnings fail the docs build in CI (sphinx-build -W), so every page must be in a toctree.
nitpicky = False

# The API reference (api.rst): the docstrings are NumPy style, and the public names are documented
# where users import them (pytest_nwb_benchmarks.X), not in the private modules that define them.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# "Attributes" sections become fields of their class, so a dataclass's fields are not described twice.
napoleon_use_ivar = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
