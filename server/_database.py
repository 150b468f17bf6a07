"""Reading stored files into rows of the database tables (see :mod:`server._dataset` for the tables).

``samples`` has one row per sample. A sample that is a mapping (network tracking records
several quantities per repeat) becomes one row per key, with the key in ``variable``. Machines,
environments and runs get a table each, so that a reader needs no JSON parsing at all.

A file that cannot be read (not JSON, not the layout of its kind, a value that no 64-bit float
holds) raises :class:`BadFile`; the caller skips it and reports it, so one bad file never stops
the others from being ingested.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import orjson

from pytest_nwb_benchmarks.results import InvalidFileName, ParsedFileName, parse_file_name, random_friendly_name
from server._samples import SampleError, declared_unit, flat_series, unit_of

#: Folders of the results store, one per kind of file.
KIND_FOLDERS: dict[str, str] = {"result": "results", "machine": "machines", "environment": "environments"}

SAMPLE_COLUMNS = [
    "benchmark",
    "params",
    "variable",
    "unit",
    "value",
    "sample_index",
    "machine",
    "environment",
    "commit",
    "timestamp",
    "run",
]
MACHINE_COLUMNS = ["machine", "name", "cpu", "num_cpu", "ram_bytes", "os", "arch", "file"]
ENVIRONMENT_COLUMNS = ["environment", "python", "packages", "package_count", "file"]
RUN_COLUMNS = ["run", "machine", "environment", "commit", "timestamp", "benchmarks", "samples", "legacy", "file"]


class BadFile(ValueError):
    """A stored file that cannot be ingested; the message says what and where."""


@dataclass
class RunRows:
    """The rows one result file contributes: its series of samples, and its ``runs`` row.

    Attributes
    ----------
    keys : list of tuple
        ``(benchmark, params, variable, unit)`` of each series (variable None for plain samples).
    values, indices : numpy.ndarray
        The finite values of every series, one after the other, and their sample indices.
    counts : numpy.ndarray
        How many of ``values`` each series has (at least one).
    run : dict
        The ``runs`` row.
    """

    keys: list[tuple[str, str, str | None, str]]
    values: np.ndarray
    indices: np.ndarray
    counts: np.ndarray
    run: dict[str, Any]

    @property
    def sample_count(self) -> int:
        """Samples in the run."""
        return len(self.values)


def store_path(name: str) -> str:
    """The path inside the results store of an uploaded file, by its (already validated) name."""
    return f"{KIND_FOLDERS[parse_file_name(name).kind]}/{name}"


def read_stored_file(name: str, data: bytes) -> tuple[ParsedFileName, dict]:
    """Read one stored file.

    Parameters
    ----------
    name : str
        The file's name.
    data : bytes
        Its content, as committed to the results store.

    Returns
    -------
    tuple of (ParsedFileName, dict)
        What its name says, and its content.

    Raises
    ------
    BadFile
        When the name, the JSON or the top-level layout cannot be read.
    """
    try:
        parsed = parse_file_name(name)
    except InvalidFileName as error:
        raise BadFile(f"unreadable file name: {error}") from None
    try:
        content = _loads(data, parsed.kind == "result")
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadFile(f"not readable as JSON: {type(error).__name__}: {error}"[:500]) from None
    if not isinstance(content, dict):
        raise BadFile(f"expected a JSON object at $, got {type(content).__name__}")
    return parsed, content


#: The fields of a result file that become text in a row (see :func:`run_rows`).
_TEXT_FIELDS = ("machine_hash", "environment_hash", "commit_hash")


def _loads(data: bytes, result: bool) -> Any:
    """JSON as :func:`json.loads` reads it; a result file by orjson (several times faster) when that gives the same.

    orjson reads an integer beyond 64 bits as a float (correctly rounded, as ``float()`` rounds it):
    the same sample values, but not the same text in a field that :func:`run_rows` turns into text,
    so such a file is read again by json; so are files that orjson refuses (NaN, Infinity, lone
    surrogates, deep nesting), which json reads or says what is wrong with.
    """
    if result:
        try:
            content = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            if not isinstance(content, dict) or not any(isinstance(content.get(k), float) for k in _TEXT_FIELDS):
                return content
    return json.loads(data.decode("utf-8"))


def _parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(re.sub(r"[_]", "-", text), "%Y-%m-%d-%H-%M-%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def run_rows(name: str, parsed: ParsedFileName, content: dict) -> RunRows:
    """The rows of one result file.

    Parameters
    ----------
    name : str
        The file name.
    parsed : ParsedFileName
        What the name says.
    content : dict
        The file's content.

    Returns
    -------
    RunRows
        Series in file order; failed repeats (null) and text carry no measurement and are left out.

    Raises
    ------
    BadFile
        When ``results`` is not a mapping or a sample does not fit a 64-bit float.
    """
    run = name.removesuffix(".json")
    timestamp = _parse_timestamp(content.get("timestamp")) or _parse_timestamp(parsed.timestamp)
    machine = str(content.get("machine_hash") or parsed.machine_id or "")
    environment = str(content.get("environment_hash") or parsed.environment_id or "")
    commit = str(content.get("commit_hash") or "")
    results = content.get("results")
    if results is None:
        results = {}
    if not isinstance(results, dict):
        raise BadFile(f"expected a mapping at $.results, got {type(results).__name__}")
    try:
        heads, values, indices, counts = flat_series(results)
    except SampleError as error:
        raise BadFile(str(error)) from None
    units: dict[str, str | None] = {}
    keys = []
    for benchmark, params, variable in heads:
        if variable is None and benchmark not in units:
            units[benchmark] = declared_unit(content, benchmark)
        unit = (units[benchmark] if variable is None else None) or unit_of(benchmark, variable)
        keys.append((benchmark, params, variable, unit))
    rows = RunRows(keys, values, indices, counts, {})
    rows.run = {
        "run": run,
        "machine": machine,
        "environment": environment,
        "commit": commit,
        "timestamp": timestamp,
        "benchmarks": len(results),
        "samples": rows.sample_count,
        "legacy": parsed.legacy,
        "file": name,
    }
    return rows


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def derived_friendly_name(machine_id: str) -> str:
    """A friendly name (e.g. ``SilentOrchid``) derived from a machine id, the same every time."""
    return random_friendly_name(random.Random(machine_id))


def machine_row(name: str, parsed: ParsedFileName, content: dict) -> dict:
    """The ``machines`` row of a header, from whichever of the known layouts it follows."""
    defaults = content.get("defaults") if isinstance(content.get("defaults"), dict) else {}
    platform = content.get("platform") if isinstance(content.get("platform"), dict) else {}
    psutil = content.get("psutil") if isinstance(content.get("psutil"), dict) else {}

    def first(*values: Any) -> str:
        for value in values:
            if _text(value):
                return _text(value)
        return ""

    ram_text = first(content.get("ram"), defaults.get("ram"), psutil.get("total_virtual_memory"))
    try:
        ram_bytes: float | None = float(ram_text)
    except (ValueError, OverflowError):
        ram_bytes = None
    if ram_bytes is not None and not math.isfinite(ram_bytes):
        ram_bytes = None
    os_os = content.get("os") if isinstance(content.get("os"), dict) else {}
    machine_id = parsed.machine_id or ""
    return {
        "machine": machine_id,
        # The project's header holds a friendly name in "machine"; early headers hold the id there,
        # so those get a name derived from the id: stable, and it reveals no host name.
        "name": first(
            content.get("friendly_name"),
            content.get("machine") if content.get("machine") != machine_id else None,
            derived_friendly_name(machine_id),
        ),
        "cpu": first(content.get("cpu"), content.get("cpu_model"), defaults.get("cpu"), platform.get("processor")),
        "num_cpu": first(content.get("num_cpu"), defaults.get("num_cpu"), os_os.get("cpu_count")),
        "ram_bytes": ram_bytes,
        "os": first(
            content.get("os") if isinstance(content.get("os"), str) else None,
            defaults.get("os"),
            platform.get("platform"),
            platform.get("system"),
        ),
        "arch": first(content.get("arch"), defaults.get("arch"), platform.get("machine")),
        "file": name,
    }


def environment_row(name: str, parsed: ParsedFileName, content: dict) -> dict:
    """The ``environments`` row of a header; entries without a name (``{}``) and other keys are ignored."""
    pythons = [str(key) for key, value in content.items() if isinstance(value, list)]
    packages = {
        str(item["name"]): _text(item.get("version"))
        for key, value in content.items()
        if isinstance(value, list)
        for item in value
        if isinstance(item, dict) and isinstance(item.get("name"), (str, int, float)) and _text(item["name"])
    }
    return {
        "environment": parsed.environment_id or "",
        "python": "; ".join(pythons),
        "packages": json.dumps(packages, sort_keys=True),
        "package_count": len(packages),
        "file": name,
    }
