"""The database: flat tables (pandas, stored as Parquet) built from every stored file.

``samples`` has one row per sample. A sample that is a mapping (network tracking records
several quantities per repeat) becomes one row per key, with the key in ``variable``. Machines,
environments and runs get a table each, so that a reader needs no JSON parsing at all.
"""

from __future__ import annotations

import io
import json
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from pytest_nwb_benchmarks._file_names import InvalidFileName, ParsedFileName, parse_file_name
from pytest_nwb_benchmarks._friendly_names import random_friendly_name

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


@dataclass
class Tables:
    """The four tables of the database."""

    samples: pd.DataFrame
    machines: pd.DataFrame
    environments: pd.DataFrame
    runs: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(getattr(self, name)) for name in ("samples", "machines", "environments", "runs")}

    def to_parquet_files(self) -> dict[str, bytes]:
        """Serialize every table to Parquet bytes, keyed by file name."""
        out: dict[str, bytes] = {}
        for name in ("samples", "machines", "environments", "runs"):
            buffer = io.BytesIO()
            getattr(self, name).to_parquet(buffer, index=False, engine="pyarrow")
            out[f"{name}.parquet"] = buffer.getvalue()
        return out


def store_path(name: str) -> str:
    """The path inside the results store of an uploaded file, by its (already validated) name."""
    return f"{KIND_FOLDERS[parse_file_name(name).kind]}/{name}"


def iter_stored_files(root: Path) -> Iterable[tuple[str, ParsedFileName, Any]]:
    """Yield ``(name, parsed name, content)`` for every file of a results store checkout.

    Parameters
    ----------
    root : Path
        The clone's folder.

    Yields
    ------
    tuple
        Files whose name or JSON is unreadable are skipped (they cannot have come through the API).
    """
    for folder in KIND_FOLDERS.values():
        directory = root / folder
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.json")):
            try:
                parsed = parse_file_name(path.name)
                content = json.loads(path.read_text(encoding="utf-8"))
            except (InvalidFileName, ValueError, OSError):
                continue
            yield path.name, parsed, content


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


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _declared_unit(content: dict, benchmark: str) -> str | None:
    """The unit a result file of this project declares for a benchmark (under ``benchmarks``), if any."""
    metadata = content.get("benchmarks")
    entry = metadata.get(benchmark) if isinstance(metadata, dict) else None
    unit = entry.get("unit") if isinstance(entry, dict) else None
    return {"seconds": "s"}.get(unit, unit) if isinstance(unit, str) else None


def _run_rows(name: str, parsed: ParsedFileName, content: dict) -> tuple[list[dict], dict]:
    run = name.removesuffix(".json")
    timestamp = _parse_timestamp(content.get("timestamp")) or _parse_timestamp(parsed.timestamp)
    machine = str(content.get("machine_hash") or parsed.machine_id or "")
    environment = str(content.get("environment_hash") or parsed.environment_id or "")
    commit = str(content.get("commit_hash") or "")
    rows: list[dict] = []
    results = content.get("results") or {}
    for benchmark, by_params in results.items():
        if not isinstance(by_params, dict):
            continue
        for params, samples in by_params.items():
            if isinstance(samples, dict):
                # One repeat of a tracking benchmark that reports several quantities; a list of
                # values (e.g. per-request latencies) becomes one row per value.
                series = []
                for key, value in samples.items():
                    values = value if isinstance(value, list) else [value]
                    series.extend((key, index, item) for index, item in enumerate(values))
            elif isinstance(samples, list):
                series = []
                for index, sample in enumerate(samples):
                    if isinstance(sample, dict):
                        series.extend((key, index, value) for key, value in sample.items())
                    else:
                        series.append((None, index, sample))
            else:
                series = [(None, 0, samples)]
            declared_unit = _declared_unit(content, benchmark)
            for variable, index, raw in series:
                value = _number(raw)
                if value is None:
                    continue  # a failed repeat (null) and text (a method name) carry no measurement
                rows.append(
                    {
                        "benchmark": benchmark,
                        "params": params,
                        "variable": variable,
                        "unit": (declared_unit if variable is None else None) or unit_of(benchmark, variable),
                        "value": value,
                        "sample_index": index,
                        "machine": machine,
                        "environment": environment,
                        "commit": commit,
                        "timestamp": timestamp,
                        "run": run,
                    }
                )
    run_row = {
        "run": run,
        "machine": machine,
        "environment": environment,
        "commit": commit,
        "timestamp": timestamp,
        "benchmarks": len(results),
        "samples": len(rows),
        "legacy": parsed.legacy,
        "file": name,
    }
    return rows, run_row


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def derived_friendly_name(machine_id: str) -> str:
    """A friendly name (e.g. ``SilentOrchid``) derived from a machine id, the same every time."""
    return random_friendly_name(random.Random(machine_id))


def _machine_row(name: str, parsed: ParsedFileName, content: dict) -> dict:
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
    except ValueError:
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


def _environment_row(name: str, parsed: ParsedFileName, content: dict) -> dict:
    pythons = [key for key, value in content.items() if isinstance(value, list)]
    packages = {
        item["name"]: item.get("version", "")
        for key in pythons
        for item in content[key]
        if isinstance(item, dict) and "name" in item
    }
    return {
        "environment": parsed.environment_id or "",
        "python": "; ".join(pythons),
        "packages": json.dumps(packages, sort_keys=True),
        "package_count": len(packages),
        "file": name,
    }


def build_tables(files: Iterable[tuple[str, ParsedFileName, Any]]) -> Tables:
    """Build the database tables from stored files.

    Parameters
    ----------
    files : iterable of (name, parsed name, content)
        As yielded by :func:`iter_stored_files`.

    Returns
    -------
    Tables
        Sorted, so that the same files always give the same tables (and the same Parquet bytes).
    """
    samples: list[dict] = []
    runs: list[dict] = []
    machines: dict[str, dict] = {}
    environments: dict[str, dict] = {}
    for name, parsed, content in files:
        if not isinstance(content, dict):
            continue
        if parsed.kind == "result":
            rows, run = _run_rows(name, parsed, content)
            samples.extend(rows)
            runs.append(run)
        elif parsed.kind == "machine":
            row = _machine_row(name, parsed, content)
            # A legacy "machine-<id>.json" and an "info_machine-<id>.json" may both exist: keep the newer layout.
            if row["machine"] not in machines or not parsed.legacy:
                machines[row["machine"]] = row
        elif parsed.kind == "environment":
            row = _environment_row(name, parsed, content)
            if row["environment"] not in environments or not parsed.legacy:
                environments[row["environment"]] = row
    samples_frame = pd.DataFrame(samples, columns=SAMPLE_COLUMNS)
    samples_frame["timestamp"] = pd.to_datetime(samples_frame["timestamp"], utc=True)
    samples_frame["value"] = samples_frame["value"].astype("float64")
    samples_frame["sample_index"] = samples_frame["sample_index"].astype("int64")
    samples_frame = samples_frame.sort_values(
        ["benchmark", "params", "run", "variable", "sample_index"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    runs_frame = pd.DataFrame(runs, columns=RUN_COLUMNS)
    runs_frame["timestamp"] = pd.to_datetime(runs_frame["timestamp"], utc=True)
    runs_frame = runs_frame.sort_values(["timestamp", "run"], kind="stable").reset_index(drop=True)
    machines_frame = pd.DataFrame(sorted(machines.values(), key=lambda row: row["machine"]), columns=MACHINE_COLUMNS)
    environments_frame = pd.DataFrame(
        sorted(environments.values(), key=lambda row: row["environment"]), columns=ENVIRONMENT_COLUMNS
    )
    return Tables(samples_frame, machines_frame, environments_frame, runs_frame)
