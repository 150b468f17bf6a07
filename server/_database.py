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

from pytest_nwb_benchmarks.results import InvalidFileName, ParsedFileName, parse_file_name, random_friendly_name

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
    values, indices : list of numpy.ndarray
        Each series' finite values and their sample indices.
    run : dict
        The ``runs`` row.
    """

    keys: list[tuple[str, str, str | None, str]]
    values: list[np.ndarray]
    indices: list[np.ndarray]
    run: dict[str, Any]

    @property
    def sample_count(self) -> int:
        """Samples in the run."""
        return sum(len(values) for values in self.values)


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
        content = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadFile(f"not readable as JSON: {type(error).__name__}: {error}"[:500]) from None
    if not isinstance(content, dict):
        raise BadFile(f"expected a JSON object at $, got {type(content).__name__}")
    return parsed, content


def _parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(re.sub(r"[_]", "-", text), "%Y-%m-%d-%H-%M-%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def unit_of(benchmark: str, variable: str | None) -> str:
    """Guess the unit from the benchmark's method prefix (ASV's convention) and the variable name."""
    method = benchmark.rsplit(".", 1)[-1]
    if variable:
        if variable.endswith("_bytes"):
            return "bytes"
        if "packets" in variable:
            return "packets"
        if "time" in variable:
            return "s"
    if method.startswith("time_"):
        return "s"
    if method.startswith(("peakmem_", "mem_")):
        return "bytes"
    return ""


def _number(value: Any, where: str) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:
        raise BadFile(f"the sample at {where} is an integer too large for a 64-bit float") from None
    return value if math.isfinite(value) else None


def _declared_unit(content: dict, benchmark: str) -> str | None:
    """The unit a result file of this project declares for a benchmark (under ``benchmarks``), if any."""
    metadata = content.get("benchmarks")
    entry = metadata.get(benchmark) if isinstance(metadata, dict) else None
    unit = entry.get("unit") if isinstance(entry, dict) else None
    return {"seconds": "s"}.get(unit, unit) if isinstance(unit, str) else None


_PLAIN = (int, float, type(None))


def _grouped(samples: Any) -> dict[str | None, tuple[list[int], list[Any]]]:
    """Sample indices and raw values of one benchmark and parameter key, by variable (None: plain)."""
    if isinstance(samples, list) and all(type(sample) in _PLAIN for sample in samples):
        return {None: (list(range(len(samples))), samples)}
    grouped: dict[str | None, tuple[list[int], list[Any]]] = {}

    def add(variable: str | None, index: int, value: Any) -> None:
        indices, values = grouped.setdefault(variable, ([], []))
        indices.append(index)
        values.append(value)

    if isinstance(samples, dict):
        # One repeat of a tracking benchmark that reports several quantities; a list of
        # values (e.g. per-request latencies) becomes one row per value.
        for key, value in samples.items():
            for index, item in enumerate(value if isinstance(value, list) else [value]):
                add(str(key), index, item)
    elif isinstance(samples, list):
        for index, sample in enumerate(samples):
            if isinstance(sample, dict):
                for key, value in sample.items():
                    add(str(key), index, value)
            else:
                add(None, index, sample)
    else:
        add(None, 0, samples)
    return grouped


def _finite(indices: list[int], raw: list[Any], where: str) -> tuple[np.ndarray, np.ndarray]:
    """The finite numbers of ``raw`` and their indices; nulls, text and booleans carry no measurement."""
    if all(type(value) in _PLAIN for value in raw):
        try:
            values = np.array(raw, dtype=float)
        except OverflowError:
            raise BadFile(f"a sample at {where} is an integer too large for a 64-bit float") from None
    else:
        values = np.array([_number(value, where) for value in raw], dtype=float)
    keep = np.isfinite(values)
    return values[keep], np.asarray(indices, dtype=np.int64)[keep]


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
    rows = RunRows([], [], [], {})
    for benchmark, by_params in results.items():
        if not isinstance(by_params, dict):
            continue
        declared_unit = _declared_unit(content, benchmark)
        for params, samples in by_params.items():
            for variable, (indices, raw) in _grouped(samples).items():
                values, kept = _finite(indices, raw, f"$.results[{benchmark!r}][{params!r}]")
                if not len(values):
                    continue
                unit = (declared_unit if variable is None else None) or unit_of(benchmark, variable)
                rows.keys.append((benchmark, params, variable, unit))
                rows.values.append(values)
                rows.indices.append(kept)
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
