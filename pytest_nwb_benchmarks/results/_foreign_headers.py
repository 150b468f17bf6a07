"""Machine and environment headers for results made elsewhere (asv or pytest-benchmark files).

``reduce`` may be handed results from any machine: a colleague's, a CI runner's, an old archive.
An asv results file says which machine made it (``params``: asv's ``machine``, ``arch``, ``cpu``,
``num_cpu``, ``os`` and ``ram``, and the ``machine.json`` asv keeps beside it) and which Python it
ran (``python``, ``env_name``, ``requirements``); pytest-benchmark JSON says both in its
``machine_info``. The reduced file is named after headers made from those, so that results of
different machines never share a name.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._environment import environment_hash
from pytest_nwb_benchmarks.results._friendly_names import random_friendly_name
from pytest_nwb_benchmarks.results._machine import MACHINE_HEADER_VERSION, machine_hash
from pytest_nwb_benchmarks.results._result_files import write_header_file
from pytest_nwb_benchmarks.utils._hashing import sha1_hash

# The machine description asv records, each as a string.
ASV_MACHINE_KEYS = ("machine", "arch", "cpu", "num_cpu", "os", "ram")


@dataclass(frozen=True)
class ForeignHeaders:
    """The headers a reduced asv results file is named after.

    Attributes
    ----------
    machine_hash, environment_hash : str
        The hashes in the reduced file's name.
    notes : tuple of str
        What the user should know (for example: the file names no machine).
    """

    machine_hash: str
    environment_hash: str
    notes: tuple[str, ...] = ()


def _asv_machine(raw: dict[str, Any], path: Path) -> dict[str, str]:
    described: dict[str, str] = {}
    beside = Path(path).parent / "machine.json"
    if beside.is_file():
        try:
            machine_json = json.loads(beside.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            machine_json = {}
        if isinstance(machine_json, dict):
            described.update({key: str(machine_json[key]) for key in ASV_MACHINE_KEYS if key in machine_json})
    params = raw.get("params")
    if isinstance(params, dict):
        described.update({key: str(params[key]) for key in ASV_MACHINE_KEYS if key in params})
    return described


def _pytest_benchmark_machine(raw: dict[str, Any]) -> tuple[dict[str, str], str]:
    info = raw.get("machine_info") if isinstance(raw.get("machine_info"), dict) else {}
    cpu = info.get("cpu") if isinstance(info.get("cpu"), dict) else {}
    found = {
        "machine": info.get("node"),
        "arch": info.get("machine"),
        "cpu": cpu.get("brand_raw"),
        "num_cpu": cpu.get("count"),
        "os": " ".join(str(info[key]) for key in ("system", "release") if info.get(key)) or None,
    }
    python = " ".join(str(info[key]) for key in ("python_implementation", "python_version") if info.get(key))
    return {key: str(value) for key, value in found.items() if value not in (None, "")}, python


def _asv_environment(raw: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    python = str(raw.get("python") or "unknown")
    requirements = raw.get("requirements") if isinstance(raw.get("requirements"), dict) else {}
    label = f"{python} (asv environment {raw.get('env_name') or 'unknown'})"
    return label, [{"name": str(name), "version": str(version)} for name, version in requirements.items()]


def headers_of_results_file(raw: dict[str, Any], path: Path, results_dir: Path) -> ForeignHeaders:
    """Write the machine and environment headers an asv or pytest-benchmark results file describes.

    Parameters
    ----------
    raw : dict
        The file's content: asv results, or pytest-benchmark JSON (it has ``machine_info``).
    path : pathlib.Path
        Where it was read from (``machine.json`` beside it is read too).
    results_dir : pathlib.Path
        Where the headers are written (an existing header is left as it is).

    Returns
    -------
    ForeignHeaders
        The two hashes, and notes for the user.
    """
    notes: list[str] = []
    kind = "pytest-benchmark" if "machine_info" in raw else "asv"
    if kind == "asv":
        described = _asv_machine(raw, path)
        label, packages = _asv_environment(raw)
    else:
        described, python = _pytest_benchmark_machine(raw)
        label, packages = f"{python or 'unknown'} (pytest-benchmark machine_info)", []
    if not described:
        notes.append(f"the {kind} file names no machine: its header says 'unknown'")
    machine = {"version": MACHINE_HEADER_VERSION, **{key: described.get(key, "") for key in ASV_MACHINE_KEYS}}
    # Result files never carry a host name, and asv's and pytest-benchmark's machine names usually
    # are one: the header gets a friendly name drawn from the original name's digest instead. The
    # digest itself stays in the header, where the hash sees it (the hash leaves the name out),
    # because these tools tell machines apart by name alone and often describe nothing else.
    original = described.get("machine")
    digest = sha1_hash(original)[:16] if original else None
    machine["machine"] = random_friendly_name(random.Random(digest)) if digest else "unknown"
    machine["source"] = f"{kind} results file"
    machine["origin_name_digest"] = digest or ""
    machine_digest = machine_hash(machine)
    write_header_file(results_dir, "machine", machine, machine_digest)

    environment = {label: sorted(packages, key=lambda package: (package["name"], package["version"]))}
    environment_digest = environment_hash(environment)
    write_header_file(results_dir, "environment", environment, environment_digest)
    return ForeignHeaders(machine_digest, environment_digest, tuple(notes))
