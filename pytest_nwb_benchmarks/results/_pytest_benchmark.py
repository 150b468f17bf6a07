"""pytest-benchmark's results in the project's terms: benchmark ids, parameter keys, and reduction.

A test that uses pytest-benchmark's ``benchmark`` fixture becomes benchmark ``module.function``
(or ``module.Class.method``), with the same module naming as ASV-style benchmarks, and one
parameter combination per parametrization, keyed like ASV parameters: ``str()`` of the tuple of
the values' reprs, in the order pytest lists them. Its samples are pytest-benchmark's raw
per-round timings (``stats.data``, each the mean time of one call in that round). Both a live run
(:mod:`._pytest_benchmark_plugin`) and ``reduce`` of a saved pytest-benchmark JSON file build the
same ids, keys and metadata here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._file_names import TIMESTAMP_FORMAT
from pytest_nwb_benchmarks.results._keys import benchmark_location, params_key, repr_without_address
from pytest_nwb_benchmarks.results._reduce_asv import ReducedResults

MEASURED_BY = "pytest-benchmark"
# The key under which an exported file's ``extra_info`` names the benchmark id and parameter key.
OUR_EXTRA_INFO_KEY = "nwb_benchmarks"


class PytestBenchmarkFileError(ValueError):
    """A pytest-benchmark JSON file that cannot be reduced; the message says what and where."""


def json_safe(value: Any) -> Any:
    """Return ``value`` in a form the result files can hold (strict JSON, no NaN).

    Lists and tuples become lists, mapping keys become strings, non-finite floats and any other
    object become their repr (without memory addresses).
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return repr_without_address(value)


def key_of_params(params: Mapping[str, Any] | None, reprs: Sequence[str] | None = None) -> tuple[list[str], str]:
    """The parameter names and the result-file key of one pytest parametrization.

    Parameters
    ----------
    params : mapping or None
        ``{argument name: value}`` as pytest's callspec (or pytest-benchmark's JSON) gives it.
    reprs : sequence of str, optional
        The values' reprs when already known (to make duplicates unique); computed otherwise.

    Returns
    -------
    tuple
        ``(parameter names, key)``; ``([], "()")`` without parameters, as for ASV benchmarks.
    """
    if not params:
        return [], params_key(())
    names = [str(name) for name in params]
    if reprs is None:
        reprs = [repr_without_address(value) for value in params.values()]
    return names, params_key(reprs)


def benchmark_id(module_id: str, classes: Sequence[str], function: str) -> str:
    """``module.function`` or ``module.Class.method`` (nested classes joined by dots)."""
    return ".".join([module_id, *classes, function])


def benchmark_entry(param_names: Sequence[str], version: str | None) -> dict[str, Any]:
    """The result file's ``benchmarks`` entry for a benchmark that pytest-benchmark measured."""
    entry: dict[str, Any] = {
        "type": "time",
        "unit": "seconds",
        "param_names": list(param_names),
        "measured_by": MEASURED_BY,
    }
    if version:
        entry["pytest_benchmark_version"] = version
    return entry


def combination_details(
    *,
    name: str,
    fullname: str,
    group: Any,
    param: Any,
    params: Any,
    extra_info: Any,
    options: Any,
) -> dict[str, Any]:
    """What pytest-benchmark knew of one combination, kept so that an export can give it back."""
    extra = dict(extra_info) if isinstance(extra_info, Mapping) else {}
    extra.pop(OUR_EXTRA_INFO_KEY, None)
    return {
        "name": str(name),
        "fullname": str(fullname),
        "group": json_safe(group),
        "param": json_safe(param),
        "params": json_safe(params),
        "extra_info": json_safe(extra),
        "options": json_safe(options if isinstance(options, Mapping) else {}),
    }


def is_pytest_benchmark_json(raw: Any) -> bool:
    """Whether parsed JSON looks like pytest-benchmark's output (a ``benchmarks`` list and ``machine_info``)."""
    return isinstance(raw, dict) and isinstance(raw.get("benchmarks"), list) and "machine_info" in raw


def _split_fullname(fullname: str) -> tuple[str, list[str], str]:
    """``path/to/file.py::Class::test[param]`` -> ``("path/to/file.py", ["Class"], "test")``."""
    parts = fullname.split("::")
    if len(parts) < 2 or not parts[0] or not all(parts[1:]):
        raise PytestBenchmarkFileError(f"'fullname' {fullname!r} is not a pytest node id (file::test)")
    function = parts[-1].split("[", 1)[0]
    return parts[0], parts[1:-1], function


def _module_id(file_part: str, rootdir: Path) -> tuple[str, bool]:
    """The dotted module id of a node id's file, as ASV-style files are named; False when the file was not found."""
    path = rootdir / file_part
    if path.is_file():
        return benchmark_location(path)[1], True
    return Path(file_part).stem, False


def _timestamp(value: Any) -> str:
    if not isinstance(value, str):
        raise PytestBenchmarkFileError(f"'datetime': expected an ISO 8601 time, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PytestBenchmarkFileError(f"'datetime': {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:  # pytest-benchmark has always written UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)


def _data_of(bench: dict[str, Any], where: str) -> list[float]:
    stats = bench.get("stats")
    if not isinstance(stats, dict):
        raise PytestBenchmarkFileError(f"{where}: no 'stats' object")
    data = stats.get("data")
    if data is None:
        raise PytestBenchmarkFileError(
            f"{where}: no raw timings ('stats.data'); save with --benchmark-save-data, or use --benchmark-json"
        )
    if not isinstance(data, list) or not data:
        raise PytestBenchmarkFileError(f"{where}: 'stats.data' must be a non-empty list of numbers")
    for value in data:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise PytestBenchmarkFileError(f"{where}: 'stats.data' holds {value!r}, not a finite number")
    return list(data)


def _iterations(bench: dict[str, Any], where: str) -> int:
    iterations = bench["stats"].get("iterations", 1)
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 1:
        raise PytestBenchmarkFileError(f"{where}: 'stats.iterations' must be a positive integer, got {iterations!r}")
    return iterations


def _where_from(bench: dict[str, Any], extra: Any, rootdir: Path, notes: set[str]) -> tuple[str, str, list[str]]:
    """The benchmark id, parameter key and names of one entry."""
    ours = extra.get(OUR_EXTRA_INFO_KEY) if isinstance(extra, dict) else None
    params = bench.get("params")
    if params is not None and not isinstance(params, dict):
        raise PytestBenchmarkFileError(f"'params' must be an object or null, got {params!r}")
    names, key = key_of_params(params)
    if isinstance(ours, dict) and isinstance(ours.get("id"), str) and isinstance(ours.get("params_key"), str):
        # Exported by this project: the original id and key, exactly (reprs do not survive JSON).
        return ours["id"], ours["params_key"], list(ours.get("param_names") or names)
    fullname = bench.get("fullname")
    if not isinstance(fullname, str):
        raise PytestBenchmarkFileError(f"'fullname' must be a string, got {fullname!r}")
    file_part, classes, function = _split_fullname(fullname)
    module_id, found = _module_id(file_part, rootdir)
    if not found:
        notes.add(f"{file_part} was not found under {rootdir}: its module id is the file name alone")
    return benchmark_id(module_id, classes, function), key, names


def reduce_pytest_benchmark(raw: dict[str, Any], rootdir: Path) -> Any:
    """Reduce pytest-benchmark JSON (saved with raw data) to the project's result format.

    Parameters
    ----------
    raw : dict
        The parsed JSON of ``--benchmark-json`` or of a run saved with ``--benchmark-save-data``.
    rootdir : pathlib.Path
        The folder the node ids are relative to (pytest's rootdir of that run), used to name
        modules as ASV-style files are named.

    Returns
    -------
    ReducedResults
        Samples per benchmark and key, with ``extra`` holding the ``benchmarks`` metadata.

    Raises
    ------
    PytestBenchmarkFileError
        When the file is not usable; the message names the benchmark at fault.
    """
    if not is_pytest_benchmark_json(raw):
        raise PytestBenchmarkFileError("not pytest-benchmark JSON (no 'benchmarks' list and 'machine_info')")
    commit = raw.get("commit_info") if isinstance(raw.get("commit_info"), dict) else {}
    commit_hash = commit.get("id") if isinstance(commit.get("id"), str) and commit.get("id") else "unknown"
    version = raw.get("version") if isinstance(raw.get("version"), str) else None
    reduced = ReducedResults(results={}, commit_hash=commit_hash, timestamp=_timestamp(raw.get("datetime")))
    benchmarks: dict[str, dict[str, Any]] = {}
    notes: set[str] = set()
    origin: dict[tuple[str, str], str] = {}
    for index, bench in enumerate(raw["benchmarks"]):
        where = f"benchmark {index}"
        if not isinstance(bench, dict):
            raise PytestBenchmarkFileError(f"{where}: expected an object, got {type(bench).__name__}")
        where = f"benchmark {index} ({bench.get('fullname')!r})"
        try:
            name, key, names = _where_from(bench, bench.get("extra_info"), rootdir, notes)
        except PytestBenchmarkFileError as error:
            raise PytestBenchmarkFileError(f"{where}: {error}") from None
        data = _data_of(bench, where)
        if (name, key) in origin:
            raise PytestBenchmarkFileError(
                f"{where}: gives benchmark {name!r} {key} again (also {origin[(name, key)]!r}); "
                "pass --rootdir so that modules are named after their packages"
            )
        origin[(name, key)] = str(bench.get("fullname"))
        reduced.results.setdefault(name, {})[key] = data
        entry = benchmarks.setdefault(name, {**benchmark_entry(names, version), "number": {}, "pytest_benchmark": {}})
        entry["number"][key] = _iterations(bench, where)
        entry["pytest_benchmark"][key] = combination_details(
            name=bench.get("name", ""),
            fullname=bench.get("fullname", ""),
            group=bench.get("group"),
            param=bench.get("param"),
            params=bench.get("params"),
            extra_info=bench.get("extra_info"),
            options=bench.get("options"),
        )
    if commit.get("dirty") is True:
        notes.add(f"the run had uncommitted changes on top of {commit_hash[:12]}")
    reduced.notes = sorted(notes)
    reduced.extra = {"benchmarks": benchmarks, "pytest_benchmark": {"version": version, "reduced_from": "json"}}
    return reduced


def load_json(path: Path) -> Any:
    """Read a JSON file (pytest-benchmark's or asv's; ``NaN`` is accepted as :mod:`json` does)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise PytestBenchmarkFileError(f"{path}: cannot read the file ({error})") from None
    except json.JSONDecodeError as error:
        raise PytestBenchmarkFileError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None
