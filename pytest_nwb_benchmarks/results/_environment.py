"""The environment header: which Python and which packages a run used.

The header has the same shape as the files already in the shared results::

    {"<sys.version>": [{"name": ..., "version": ...}, ...]}

with packages sorted by name. Under conda, ``conda list --json`` is the source (it also sees
non-Python libraries such as HDF5), and entries gain ``build`` and ``channel``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._result_files import HeaderState, write_header_file
from pytest_nwb_benchmarks.utils._hashing import sha1_hash

_THIS_PROJECT = "pytest-nwb-benchmarks"
_CONDA_TIMEOUT = 120  # seconds; conda can be slow to start, but must not hang a run forever


class EnvironmentHeaderState(HeaderState):
    """The outcome of :func:`ensure_environment_header` (the fields of :class:`HeaderState`)."""


def normalise_name(name: str) -> str:
    """Normalise a distribution name the way package indexes do (``Foo_Bar.baz`` -> ``foo-bar-baz``).

    Parameters
    ----------
    name : str
        A distribution name.

    Returns
    -------
    str
        The normalised name.
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def _stable_version(name: str, version: str) -> str:
    # An editable install of this project may carry a local version ("0.1.0+g1a2b3c") that changes
    # with every commit; the commit is recorded in the result file already, so drop it here.
    if name == _THIS_PROJECT:
        return version.split("+", 1)[0]
    return version


def _python_packages() -> list[dict[str, str]]:
    """Installed distributions, first occurrence on ``sys.path`` winning, as Python itself would import."""
    packages: dict[str, dict[str, str]] = {}
    for distribution in importlib.metadata.distributions():
        # .get: some metadata backends raise KeyError for a missing field instead of returning None
        raw_name = distribution.metadata.get("Name") if distribution.metadata else None
        if not raw_name:
            continue  # broken metadata (a half-removed package): nothing stable to record
        name = normalise_name(raw_name)
        if name not in packages:
            packages[name] = {"name": name, "version": _stable_version(name, distribution.version or "")}
    return [packages[name] for name in sorted(packages)]


def _conda_packages() -> list[dict[str, str]] | None:
    """Packages from ``conda list --json`` in the active environment, or None when that fails."""
    conda = shutil.which("conda")
    prefix = os.environ.get("CONDA_PREFIX")
    if not conda or not prefix:
        return None
    try:
        completed = subprocess.run(
            [conda, "list", "--json", "--prefix", prefix],
            capture_output=True,
            text=True,
            timeout=_CONDA_TIMEOUT,
            check=True,
        )
        listed = json.loads(completed.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        warnings.warn(f"'conda list --json' failed ({error}); recording Python packages only", stacklevel=3)
        return None
    packages: dict[str, dict[str, str]] = {}
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        name = normalise_name(str(entry["name"]))
        packages.setdefault(
            name,
            {
                "name": name,
                "version": _stable_version(name, str(entry.get("version", ""))),
                "build": str(entry.get("build_string", entry.get("build", ""))),
                "channel": str(entry.get("channel", "")),
            },
        )
    return [packages[name] for name in sorted(packages)]


def collect_environment_header() -> dict[str, list[dict[str, str]]]:
    """Describe the Python environment of this process.

    Returns
    -------
    dict
        ``{sys.version: [{"name", "version"[, "build", "channel"]}, ...]}`` sorted by name.
    """
    packages = _conda_packages()
    if packages is None:
        packages = _python_packages()
    return {sys.version: packages}


def environment_hash(header: dict[str, Any]) -> str:
    """Hash an environment header.

    Parameters
    ----------
    header : dict
        A header from :func:`collect_environment_header`.

    Returns
    -------
    str
        The hexadecimal SHA-1 hash.
    """
    return sha1_hash(header)


def ensure_environment_header(results_dir: Path) -> EnvironmentHeaderState:
    """Write this environment's header file into ``results_dir`` unless it is already there.

    Parameters
    ----------
    results_dir : pathlib.Path
        The folder of result files.

    Returns
    -------
    EnvironmentHeaderState
        The header, its hash, the header file and whether it was written now.
    """
    header = collect_environment_header()
    digest = environment_hash(header)
    path, written = write_header_file(results_dir, "environment", header, digest)
    return EnvironmentHeaderState(header=header, hash=digest, path=path, written=written)
