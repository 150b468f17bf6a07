"""Machine and environment headers for an asv results file made elsewhere.

``reduce`` may be handed asv results from any machine: a colleague's, a CI runner's, an old
archive. Each asv results file says which machine made it (``params``: asv's ``machine``,
``arch``, ``cpu``, ``num_cpu``, ``os`` and ``ram``, and the ``machine.json`` asv keeps beside it)
and which Python it ran (``python``, ``env_name``, ``requirements``). The reduced file is named
after headers made from those, so that results of different machines never share a name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._environment import environment_hash
from ._file_names import environment_file_name, machine_file_name
from ._machine import MACHINE_HEADER_VERSION, machine_hash
from ._result_files import write_new_json_file

__all__ = ["AsvHeaders", "headers_of_asv_file"]

# The machine description asv records, each as a string.
ASV_MACHINE_KEYS = ("machine", "arch", "cpu", "num_cpu", "os", "ram")


@dataclass(frozen=True)
class AsvHeaders:
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


def headers_of_asv_file(raw: dict[str, Any], path: Path, results_dir: Path) -> AsvHeaders:
    """Write the machine and environment headers an asv results file describes.

    Parameters
    ----------
    raw : dict
        The asv results file's content.
    path : pathlib.Path
        Where it was read from (``machine.json`` beside it is read too).
    results_dir : pathlib.Path
        Where the headers are written (an existing header is left as it is).

    Returns
    -------
    AsvHeaders
        The two hashes, and notes for the user.
    """
    notes: list[str] = []
    described = _asv_machine(raw, path)
    if not described:
        notes.append("the asv file names no machine: its header says 'unknown'")
    machine = {"version": MACHINE_HEADER_VERSION, **{key: described.get(key, "") for key in ASV_MACHINE_KEYS}}
    machine["machine"] = described.get("machine") or "unknown"
    # The hash leaves out the machine's name (so that renaming a machine keeps its hash), but asv
    # tells machines apart by name alone, and its files often describe nothing else: keep the name
    # where the hash sees it, so that two asv machines never share a header.
    machine["source"] = f"asv results file of machine {machine['machine']!r}"
    machine_digest = machine_hash(machine)
    write_new_json_file(Path(results_dir) / machine_file_name(machine_digest), machine, indent=4)

    python = str(raw.get("python") or "unknown")
    requirements = raw.get("requirements") if isinstance(raw.get("requirements"), dict) else {}
    label = f"{python} (asv environment {raw.get('env_name') or 'unknown'})"
    packages = sorted(({"name": str(name), "version": str(version)} for name, version in requirements.items()), key=str)
    environment = {label: packages}
    environment_digest = environment_hash(environment)
    write_new_json_file(Path(results_dir) / environment_file_name(environment_digest), environment, indent=4)
    return AsvHeaders(machine_digest, environment_digest, tuple(notes))
