"""Writing a result file as pytest-benchmark JSON, for ``pytest-benchmark compare`` and ``--benchmark-compare``.

Every timed combination becomes one pytest-benchmark entry whose raw ``data`` are the samples
and whose statistics pytest-benchmark's own :class:`~pytest_benchmark.stats.Stats` computes, so
the figures are exactly what pytest-benchmark would show for those timings. pytest-benchmark
knows only times in seconds: ``track_``, ``mem_`` and ``peakmem_`` benchmarks and the named values
of network tracking benchmarks are left out, and listed under ``nwb_benchmarks.left_out`` at the
top of the file.

``python -m pytest_nwb_benchmarks export --format pytest-benchmark RESULT_FILE -o OUT.json``
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._file_names import TIMESTAMP_FORMAT, environment_file_name, machine_file_name
from pytest_nwb_benchmarks.results._keys import readable_param  # the same text as the combination's pytest id
from pytest_nwb_benchmarks.results._pytest_benchmark import MEASURED_BY, OUR_EXTRA_INFO_KEY, json_safe
from pytest_nwb_benchmarks.results._result_files import (
    InvalidResultFile,
    ResultFile,
    read_result_file,
    replace_json_file,
)

# Method-name prefixes of asv's timed benchmark types (``Time``/``Timeraw`` classes included).
_TIMED_PREFIXES = ("time_", "timeraw_", "Time", "Timeraw")
_OTHER_TYPES = (("peakmem", "peakmemory", "bytes"), ("mem", "memory", "bytes"), ("track", "track", "unit"))


@dataclass
class Export:
    """A result file as pytest-benchmark JSON, and what could not be carried over."""

    content: dict[str, Any]
    left_out: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many benchmark entries the JSON holds."""
        return len(self.content["benchmarks"])


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _kind_and_unit(name: str, meta: dict[str, Any]) -> tuple[str, str]:
    if isinstance(meta.get("type"), str):
        return meta["type"], str(meta.get("unit", "seconds" if meta["type"] == "time" else "unit"))
    method = name.rsplit(".", 1)[-1]
    if method.startswith(_TIMED_PREFIXES):
        return "time", "seconds"
    for prefix, kind, unit in _OTHER_TYPES:
        if method.lower().startswith(prefix):
            return kind, unit
    return "unknown", "unknown"


def _reprs_of(key: str) -> list[str]:
    """The parameter reprs of a key (``str()`` of a tuple of strings); an unparsable key is one opaque value."""
    try:
        value = ast.literal_eval(key)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return [key]
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return list(value)
    return [key]


def _value_of(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def _node_names(name: str, meta: dict[str, Any], key: str) -> dict[str, Any]:
    """pytest-benchmark's naming of a combination that pytest-benchmark did not measure (an ASV-style one)."""
    parts = name.split(".")
    classes = []
    while len(parts) > 2 and parts[-2][:1].isupper():
        classes.insert(0, parts.pop(-2))
    module, function = parts[:-1], parts[-1]
    reprs = [] if key == "()" else _reprs_of(key)
    values = [_value_of(text) for text in reprs]
    names = [str(text) for text in meta.get("param_names") or []] if isinstance(meta.get("param_names"), list) else []
    names = (names + [f"param{index + 1}" for index in range(len(names), len(values))])[: len(values)]
    param = "-".join(readable_param(value) for value in values) if values else None
    suffix = f"[{param}]" if param is not None else ""
    return {
        "name": function + suffix,
        "fullname": "::".join(["/".join(module) + ".py", *classes, function]) + suffix,
        "group": None,
        "param": param,
        "params": json_safe(dict(zip(names, values))) if values else None,
        "extra_info": {},
        "options": {},
    }


def _stats(samples: list[float], iterations: int) -> dict[str, Any]:
    from pytest_benchmark.stats import Stats  # pytest-benchmark's own statistics, not a copy of them

    stats = Stats()
    for value in samples:
        stats.update(value)
    return {**stats.as_dict(), "data": list(samples), "iterations": iterations}


def _machine_info(machine: dict[str, Any] | None, environment: dict[str, Any] | None) -> dict[str, Any]:
    """pytest-benchmark's ``machine_info`` fields, filled from the (anonymous) headers."""
    machine = machine or {}
    platform = machine.get("platform") if isinstance(machine.get("platform"), dict) else {}
    python = next(iter(environment), "") if isinstance(environment, dict) else ""
    version = python.split(" ", 1)[0] if isinstance(python, str) else ""
    count = machine.get("num_cpu")
    return {
        "node": machine.get("machine", ""),
        "processor": platform.get("processor", ""),
        "machine": machine.get("arch", platform.get("machine", "")),
        "python_compiler": "",
        "python_implementation": platform.get("python_implementation", ""),
        "python_implementation_version": version,
        "python_version": version,
        "python_build": [],
        "release": platform.get("release", ""),
        "system": platform.get("system", ""),
        "cpu": {
            "brand_raw": machine.get("cpu", ""),
            "arch_string_raw": machine.get("arch", ""),
            "count": int(count) if isinstance(count, str) and count.isdigit() else count,
        },
    }


def _pytest_benchmark_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytest-benchmark")
    except PackageNotFoundError:  # pragma: no cover - the export needs it installed anyway
        return "unknown"


def to_pytest_benchmark(
    result: ResultFile, machine: dict[str, Any] | None = None, environment: dict[str, Any] | None = None
) -> Export:
    """Convert a result file to pytest-benchmark's JSON layout.

    Parameters
    ----------
    result : ResultFile
        The result file.
    machine, environment : dict, optional
        Its machine and environment headers (for ``machine_info``).

    Returns
    -------
    Export
        The JSON content, and the combinations left out with the reason.
    """
    metadata = _mapping(result.extra.get("benchmarks"))
    entries: list[dict[str, Any]] = []
    left_out: list[dict[str, str]] = []
    for name, by_key in result.results.items():
        meta = _mapping(metadata.get(name))
        kind, unit = _kind_and_unit(name, meta)
        for key, samples in by_key.items():
            reason = None
            if isinstance(samples, dict):
                reason = "named values (network tracking), not timings"
            elif kind != "time" or unit != "seconds":
                reason = f"a {kind} benchmark in {unit}; pytest-benchmark holds times in seconds only"
            elif not samples:
                reason = "no samples"
            if reason:
                left_out.append({"benchmark": name, "params": key, "reason": reason})
                continue
            known = _mapping(meta.get("pytest_benchmark")).get(key)
            names = dict(known) if isinstance(known, dict) else _node_names(name, meta, key)
            number = _mapping(meta.get("number")).get(key)
            ours = {
                "id": name,
                "params_key": key,
                "param_names": meta.get("param_names") if isinstance(meta.get("param_names"), list) else [],
                "measured_by": str(meta.get("measured_by", "pytest-nwb-benchmarks")),
            }
            names["extra_info"] = {**_mapping(names.get("extra_info")), OUR_EXTRA_INFO_KEY: ours}
            iterations = number if isinstance(number, int) and not isinstance(number, bool) and number > 0 else 1
            entries.append({**names, "stats": _stats(samples, iterations)})
    moment = datetime.strptime(result.timestamp, TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    content = {
        "machine_info": _machine_info(machine, environment),
        "commit_info": {"id": result.commit_hash},
        "benchmarks": entries,
        "datetime": moment.isoformat(),
        "version": _pytest_benchmark_version(),
        OUR_EXTRA_INFO_KEY: {
            "result_file": result.path.name if result.path else None,
            "machine_hash": result.machine_hash,
            "environment_hash": result.environment_hash,
            "left_out": left_out,
        },
    }
    notes = []
    if any(entry["extra_info"][OUR_EXTRA_INFO_KEY]["measured_by"] != MEASURED_BY for entry in entries):
        notes.append("ASV-style benchmarks are named after their ids (module path, class, method and parameters)")
    return Export(content=content, left_out=left_out, notes=notes)


def _header(folder: Path, names: list[str]) -> dict[str, Any] | None:
    for name in names:
        path = folder / name
        if path.is_file():
            try:
                value = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                return None
            return value if isinstance(value, dict) else None
    return None


def export_result_file(path: Path, out: Path) -> Export:
    """Write a result file as pytest-benchmark JSON.

    Parameters
    ----------
    path : pathlib.Path
        The result file; its headers are looked for next to it.
    out : pathlib.Path
        The JSON file to write (replaced atomically when it exists).

    Returns
    -------
    Export
        What was written and left out.

    Raises
    ------
    InvalidResultFile
        When ``path`` is not a readable result file.
    """
    result = read_result_file(path)
    folder = Path(path).parent
    try:
        machine_names = [machine_file_name(result.machine_hash), f"machine-{result.machine_hash}.json"]
        environment_names = [
            environment_file_name(result.environment_hash),
            f"environment-{result.environment_hash}.json",
        ]
    except ValueError:
        machine_names, environment_names = [], []
    machine = _header(folder, machine_names)
    environment = _header(folder, environment_names)
    export = to_pytest_benchmark(result, machine, environment)
    if machine is None:
        export.notes.append(f"no machine header for {result.machine_hash} next to {path}: machine_info is empty")
    replace_json_file(Path(out), export.content, indent=4)
    return export


def describe(export: Export, out: Path) -> list[str]:
    """Lines that tell what an export wrote and what it left out."""
    lines = [f"wrote {out} ({export.count} pytest-benchmark entries)"]
    for item in export.left_out:
        lines.append(f"  left out {item['benchmark']} {item['params']}: {item['reason']}")
    lines.extend(f"  note: {note}" for note in export.notes)
    return lines


def main(argv: list[str]) -> int:
    """The ``export`` command.

    Parameters
    ----------
    argv : list of str
        ``--format pytest-benchmark RESULT_FILE -o OUT``.

    Returns
    -------
    int
        0 on success, 1 when the result file is unusable, 2 for a usage error.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nwb_benchmarks export",
        description="Write a result file in another tool's format (pytest-benchmark JSON: for "
        "`pytest-benchmark compare` and `pytest --benchmark-compare`).",
    )
    parser.add_argument("--format", required=True, choices=("pytest-benchmark",), help="the output format")
    parser.add_argument("result_file", type=Path, metavar="RESULT_FILE")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="the file to write")
    args = parser.parse_args(argv)
    try:
        export = export_result_file(args.result_file, args.output)
    except ImportError as error:
        print(f"error: pytest-benchmark is needed for this format: {error}", file=sys.stderr)
        return 1
    except (InvalidResultFile, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\n".join(describe(export, args.output)))
    return 0
