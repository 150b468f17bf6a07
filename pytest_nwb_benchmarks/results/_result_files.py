"""Reduced result files: writing them safely and reading every layout ever written.

A result file holds the raw samples of one run, tagged with the commit, machine and environment
it ran on (see ``docs/results.rst``). Files are written whole or not at all: the JSON goes to a
temporary file in the same folder, is flushed to disk and only then linked under its final name,
so a crash never leaves a truncated file behind and an existing file is never overwritten.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._file_names import (
    TIMESTAMP_FORMAT,
    InvalidFileName,
    parse_file_name,
    result_file_name,
)

__all__ = [
    "RESULT_FILE_VERSION",
    "InvalidResultFile",
    "ResultFile",
    "iter_result_files",
    "read_result_file",
    "replace_json_file",
    "write_new_json_file",
    "write_result_file",
]

RESULT_FILE_VERSION = 2
# The fixed keys of a result file, in the order they are written.
_FIXED_KEYS = ("version", "timestamp", "commit_hash", "environment_hash", "machine_hash", "results")
# The earliest files wrote their timestamp with underscores; both spellings are read.
_TIMESTAMP_FORMATS = (TIMESTAMP_FORMAT, "%Y_%m_%d_%H_%M_%S")
# How many one-second steps to try when a result file of the same name already exists.
_MAX_TIMESTAMP_BUMPS = 120


class InvalidResultFile(ValueError):
    """A file that is not a readable result file; the message names the file and the problem."""


@dataclass
class ResultFile:
    """The content of one result file.

    Attributes
    ----------
    version : int
        The format version (2).
    timestamp : str
        When the run ended, UTC, as ``YYYY-MM-DD-HH-MM-SS`` (older underscore spellings are
        normalised to this one).
    commit_hash : str
        The commit of the benchmark suite that was run.
    environment_hash : str
        The hash of the environment header.
    machine_hash : str
        The hash of the machine header (or, in early files, a host-like name).
    results : dict
        ``{benchmark id: {parameter key: samples}}``; samples are a list of numbers, or a dict of
        named numbers for network tracking benchmarks.
    extra : dict
        Any further top-level keys, such as runner metadata.
    path : pathlib.Path or None
        The file it was read from or written to.
    """

    version: int
    timestamp: str
    commit_hash: str
    environment_hash: str
    machine_hash: str
    results: dict[str, dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dump(obj: Any, indent: int) -> str:
    return json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _write_temporary(folder: Path, text: str) -> str:
    """Write ``text`` to a hidden temporary file in ``folder``, flushed to disk; return its path."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json.part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def write_new_json_file(path: Path, obj: Any, *, indent: int = 4) -> bool:
    """Write ``obj`` as JSON to ``path`` atomically, unless ``path`` already exists.

    Parameters
    ----------
    path : pathlib.Path
        The file to create; its folder is created when missing.
    obj : Any
        A JSON-serializable object without NaN or infinities.
    indent : int, optional
        The JSON indentation.

    Returns
    -------
    bool
        True when the file was written, False when it already existed (it is left untouched).
    """
    path = Path(path)
    text = _dump(obj, indent)  # serialize first: a bad object must not leave any file behind
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return False
    temporary = _write_temporary(path.parent, text)
    try:
        try:
            # A hard link cannot replace an existing file, so two racing writers cannot clobber each other.
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError:
            # File systems without hard links (FAT, some network shares): a rename after a last check.
            if path.exists():
                return False
            os.replace(temporary, path)
            return True
        return True
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def replace_json_file(path: Path, obj: Any, *, indent: int = 4) -> None:
    """Write ``obj`` as JSON to ``path`` atomically, replacing any previous content.

    Parameters
    ----------
    path : pathlib.Path
        The file to write; its folder is created when missing.
    obj : Any
        A JSON-serializable object without NaN or infinities.
    indent : int, optional
        The JSON indentation.
    """
    path = Path(path)
    text = _dump(obj, indent)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _write_temporary(path.parent, text)
    try:
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _finite_samples(benchmark: str, key: str, samples: Any) -> tuple[Any, int]:
    """Check one entry of ``results`` and drop non-finite numbers; return it and how many were dropped."""
    where = f"results[{benchmark!r}][{key!r}]"
    if isinstance(samples, (list, tuple)):
        bad = [value for value in samples if not _is_number(value)]
        if bad:
            raise TypeError(f"{where}: samples must be numbers, got {bad[0]!r}")
        kept = [value for value in samples if math.isfinite(value)]
        return kept, len(samples) - len(kept)
    if isinstance(samples, dict):
        kept_dict: dict[str, Any] = {}
        dropped = 0
        for name, value in samples.items():
            if not isinstance(name, str) or not _is_named_sample_value(value):
                raise TypeError(f"{where}: expected {{name: statistic}}, got {name!r}: {value!r}")
            if isinstance(value, list):
                finite = [item for item in value if math.isfinite(item)]
                dropped += len(value) - len(finite)
                kept_dict[name] = finite
            elif _is_number(value) and not math.isfinite(value):
                dropped += 1
            else:
                kept_dict[name] = value
        return kept_dict, dropped
    raise TypeError(f"{where}: samples must be a list of numbers or a dict of statistics, got {type(samples).__name__}")


def _is_named_sample_value(value: Any) -> bool:
    """What one statistic of a dict sample may be: a number, a string, true/false/null, or a list of numbers.

    Network-tracking benchmarks report, for example, ``{"requests": 4, "method": "library",
    "request_latencies_seconds": [0.01, 0.02]}``.
    """
    if isinstance(value, list):
        return all(_is_number(item) for item in value)
    return value is None or isinstance(value, (str, bool)) or _is_number(value)


def _clean_results(results: dict) -> dict[str, dict[str, Any]]:
    if not isinstance(results, dict):
        raise TypeError(f"results must be a dict {{benchmark id: {{parameter key: samples}}}}, got {type(results)}")
    cleaned: dict[str, dict[str, Any]] = {}
    dropped = 0
    for benchmark, by_parameters in results.items():
        if not isinstance(benchmark, str) or not isinstance(by_parameters, dict):
            raise TypeError(f"results[{benchmark!r}] must map parameter keys to samples, got {type(by_parameters)}")
        cleaned[benchmark] = {}
        for key, samples in by_parameters.items():
            if not isinstance(key, str):
                raise TypeError(f"results[{benchmark!r}] has a non-string parameter key {key!r}")
            cleaned[benchmark][key], count = _finite_samples(benchmark, key, samples)
            dropped += count
    if dropped:
        # NaN and infinities are not JSON; a failed sample is better missing than a broken file.
        warnings.warn(f"dropped {dropped} non-finite sample(s) (NaN or infinity) from the results", stacklevel=3)
    return cleaned


def write_result_file(
    results_dir: Path,
    *,
    results: dict,
    commit_hash: str,
    machine_hash: str,
    environment_hash: str,
    timestamp: str | None = None,
    extra: dict | None = None,
) -> Path:
    """Write one run's reduced result file into ``results_dir``.

    Non-finite samples (NaN, infinities) are dropped with a warning, since JSON cannot hold them.
    When a file of the same name exists (two runs in the same second) and holds other content,
    the timestamp is moved forward one second at a time until the name is free, so that names
    stay valid and nothing is overwritten; when it holds exactly the same content, that file is
    returned and nothing is written.

    Parameters
    ----------
    results_dir : pathlib.Path
        The folder of result files; created when missing.
    results : dict
        ``{benchmark id: {parameter key: samples}}``.
    commit_hash : str
        The commit of the benchmark suite that was run.
    machine_hash : str
        The machine header's hash.
    environment_hash : str
        The environment header's hash.
    timestamp : str, optional
        ``YYYY-MM-DD-HH-MM-SS``; the current UTC time by default.
    extra : dict, optional
        Further top-level keys written after ``results`` (e.g. ``"runner"`` metadata); they may not
        reuse a fixed key.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    TypeError, ValueError
        When an argument has the wrong type or form; nothing is written then.
    """
    if timestamp is None:
        moment = datetime.now(timezone.utc).replace(microsecond=0)
    else:
        try:
            moment = datetime.strptime(timestamp, TIMESTAMP_FORMAT)
        except (TypeError, ValueError):
            raise ValueError(f"invalid timestamp {timestamp!r}: expected YYYY-MM-DD-HH-MM-SS") from None
    if not isinstance(commit_hash, str) or not commit_hash:
        raise ValueError(f"commit_hash must be a non-empty string, got {commit_hash!r}")
    extra = dict(extra or {})
    clashing = sorted(set(extra) & set(_FIXED_KEYS))
    if clashing:
        raise ValueError(f"extra keys {clashing} would overwrite the fixed keys of a result file")
    cleaned = _clean_results(results)
    results_dir = Path(results_dir)
    for _ in range(_MAX_TIMESTAMP_BUMPS):
        stamp = moment.strftime(TIMESTAMP_FORMAT)
        content = {
            "version": RESULT_FILE_VERSION,
            "timestamp": stamp,
            "commit_hash": commit_hash,
            "environment_hash": environment_hash,
            "machine_hash": machine_hash,
            "results": cleaned,
            **extra,
        }
        path = results_dir / result_file_name(stamp, machine_hash, environment_hash)
        if write_new_json_file(path, content):
            return path
        if path.read_text(encoding="utf-8") == _dump(content, 4):
            return path
        moment += timedelta(seconds=1)
    raise FileExistsError(
        f"could not find a free result file name in {results_dir} within {_MAX_TIMESTAMP_BUMPS} seconds of {timestamp}"
    )


def _normalise_timestamp(path: Path, value: object) -> str:
    # ASCII only: strptime would also read other scripts' digits, giving one run several spellings.
    if isinstance(value, str) and value.isascii():
        for fmt in _TIMESTAMP_FORMATS:
            try:
                return datetime.strptime(value, fmt).strftime(TIMESTAMP_FORMAT)
            except ValueError:
                continue
    raise InvalidResultFile(f"{path}: 'timestamp' must be a string YYYY-MM-DD-HH-MM-SS, got {value!r}")


def _check_results(path: Path, results: object) -> dict[str, dict[str, Any]]:
    if not isinstance(results, dict):
        raise InvalidResultFile(f"{path}: 'results' must be an object, got {type(results).__name__}")
    for benchmark, by_parameters in results.items():
        if not isinstance(by_parameters, dict):
            raise InvalidResultFile(
                f"{path}: results[{benchmark!r}] must be an object of parameter keys, got {type(by_parameters).__name__}"
            )
        for key, samples in by_parameters.items():
            where = f"{path}: results[{benchmark!r}][{key!r}]"
            if isinstance(samples, list):
                if not all(_is_number(value) for value in samples):
                    raise InvalidResultFile(f"{where}: samples must all be numbers")
            elif isinstance(samples, dict):
                if not all(_is_named_sample_value(value) for value in samples.values()):
                    raise InvalidResultFile(
                        f"{where}: named samples must be numbers, strings, true/false/null or lists of numbers"
                    )
            else:
                raise InvalidResultFile(f"{where}: expected a list or an object, got {type(samples).__name__}")
    return results


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def read_result_file(path: Path) -> ResultFile:
    """Read and check a result file of any layout this project or its forerunner wrote.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    ResultFile
        Its content.

    Raises
    ------
    InvalidResultFile
        When the file cannot be read, is not JSON, is of another version, misses a key or holds a
        value of the wrong type; the message names the file and the problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidResultFile(f"{path}: cannot read the file ({error})") from None
    try:
        content = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise InvalidResultFile(f"{path}: not valid JSON ({error})") from None
    if not isinstance(content, dict):
        raise InvalidResultFile(f"{path}: expected a JSON object, got {type(content).__name__}")
    missing = [key for key in _FIXED_KEYS if key not in content]
    if missing:
        raise InvalidResultFile(f"{path}: missing key(s) {missing}")
    version = content["version"]
    if version != RESULT_FILE_VERSION or isinstance(version, bool):
        raise InvalidResultFile(f"{path}: unsupported version {version!r}; expected {RESULT_FILE_VERSION}")
    for key in ("commit_hash", "environment_hash", "machine_hash"):
        if not isinstance(content[key], str) or not content[key]:
            raise InvalidResultFile(f"{path}: {key!r} must be a non-empty string, got {content[key]!r}")
    return ResultFile(
        version=version,
        timestamp=_normalise_timestamp(path, content["timestamp"]),
        commit_hash=content["commit_hash"],
        environment_hash=content["environment_hash"],
        machine_hash=content["machine_hash"],
        results=_check_results(path, content["results"]),
        extra={key: value for key, value in content.items() if key not in _FIXED_KEYS},
        path=path,
    )


def iter_result_files(results_dir: Path) -> Iterator[Path]:
    """Yield the result files of a folder in name order (which is time order for one machine).

    Header files, temporary files and files of other names are skipped.

    Parameters
    ----------
    results_dir : pathlib.Path
        The folder.

    Yields
    ------
    pathlib.Path
        Each result file.
    """
    for path in sorted(Path(results_dir).iterdir()):
        if not path.is_file():
            continue
        try:
            parsed = parse_file_name(path.name)
        except InvalidFileName:
            continue
        if parsed.kind == "result":
            yield path
