"""Where the project keeps its per-user state: the benchmarks home and the data cache."""

from __future__ import annotations

import os
from pathlib import Path


def benchmarks_home() -> Path:
    """Return the user's benchmarks home (``NWB_BENCHMARKS_HOME`` or ``~/.nwb_benchmarks``).

    Returns
    -------
    pathlib.Path
        The directory; it is created when missing.
    """
    home = Path(os.environ.get("NWB_BENCHMARKS_HOME") or Path.home() / ".nwb_benchmarks")
    home.mkdir(parents=True, exist_ok=True)
    return home


def cache_dir() -> Path:
    """Return the benchmarks cache directory (``NWB_BENCHMARKS_CACHE_DIR`` or ``<home>/cache``).

    Generated NWB files and other data that can be remade on demand live here.

    Returns
    -------
    pathlib.Path
        The directory; it is created when missing.
    """
    configured = os.environ.get("NWB_BENCHMARKS_CACHE_DIR")
    path = Path(configured) if configured else benchmarks_home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
