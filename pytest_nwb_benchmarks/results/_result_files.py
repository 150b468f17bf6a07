"""Result files and their headers: writing them safely and reading every layout ever written.

A result file holds the raw samples of one run, tagged with the commit, machine and environment
it ran on (see ``docs/results.rst``); its format is the model's
(:mod:`pytest_nwb_benchmarks.results._model`), which checks every file written and read here.
Files are written whole or not at all (:mod:`pytest_nwb_benchmarks.results._json_files`), and an
existing file is never overwritten.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._file_names import (
    TIMESTAMP_FORMAT,
    InvalidFileName,
    environment_file_name,
    machine_file_name,
    parse_file_name,
    result_file_name,
)
from pytest_nwb_benchmarks.results._json_files import (
    dump_json,
    load_json_text,
    replace_json_file,  # noqa: F401
    write_new_json_file,
)
from pytest_nwb_benchmarks.results._model import (
    FIXED_KEYS,
    RESULT_FILE_VERSION,
    EnvironmentHeader,
    InvalidContent,
    MachineHeader,
    ResultFile,
    check_content,
    is_named_sample_value,
    is_number,
)

# How many one-second steps to try when a result file of the same name already exists.
_MAX_TIMESTAMP_BUMPS = 120
_HEADER_FILE_NAMES = {"machine": machine_file_name, "environment": environment_file_name}


class InvalidResultFile(ValueError):
    """A file that is not a readable result (or header) file; the message names the file and the problem."""


def _finite_samples(benchmark: str, key: str, samples: Any) -> tuple[Any, int]:
    """Check one entry of ``results`` and drop non-finite numbers; return it and how many were dropped."""
    where = f"results[{benchmark!r}][{key!r}]"
    if isinstance(samples, (list, tuple)):
        bad = [value for value in samples if not is_number(value)]
        if bad:
            raise TypeError(f"{where}: samples must be numbers, got {bad[0]!r}")
        kept = [value for value in samples if math.isfinite(value)]
        return kept, len(samples) - len(kept)
    if isinstance(samples, dict):
        kept_dict: dict[str, Any] = {}
        dropped = 0
        for name, value in samples.items():
            if not isinstance(name, str) or not is_named_sample_value(value):
                raise TypeError(f"{where}: expected {{name: statistic}}, got {name!r}: {value!r}")
            if isinstance(value, list):
                finite = [item for item in value if math.isfinite(item)]
                dropped += len(value) - len(finite)
                kept_dict[name] = finite
            elif is_number(value) and not math.isfinite(value):
                dropped += 1
            else:
                kept_dict[name] = value
        return kept_dict, dropped
    raise TypeError(f"{where}: samples must be a list of numbers or a dict of statistics, got {type(samples).__name__}")


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


def _result_content(
    stamp: str, commit_hash: str, machine_hash: str, environment_hash: str, results: dict, extra: dict
) -> dict[str, Any]:
    return ResultFile(
        RESULT_FILE_VERSION, stamp, commit_hash, environment_hash, machine_hash, results, extra
    ).to_content()


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
    clashing = sorted(set(extra) & set(FIXED_KEYS))
    if clashing:
        raise ValueError(f"extra keys {clashing} would overwrite the fixed keys of a result file")
    cleaned = _clean_results(results)
    results_dir = Path(results_dir)
    stamp = moment.strftime(TIMESTAMP_FORMAT)
    # The model's own check: what is written must be readable, and acceptable to the results server.
    check_content("result", _result_content(stamp, commit_hash, machine_hash, environment_hash, cleaned, extra))
    for _ in range(_MAX_TIMESTAMP_BUMPS):
        stamp = moment.strftime(TIMESTAMP_FORMAT)
        content = _result_content(stamp, commit_hash, machine_hash, environment_hash, cleaned, extra)
        path = results_dir / result_file_name(stamp, machine_hash, environment_hash)
        if write_new_json_file(path, content):
            return path
        if path.read_text(encoding="utf-8") == dump_json(content):
            return path
        moment += timedelta(seconds=1)
    raise FileExistsError(
        f"could not find a free result file name in {results_dir} within {_MAX_TIMESTAMP_BUMPS} seconds of {timestamp}"
    )


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as error:  # ValueError: undecodable text, or a null byte in the path
        raise InvalidResultFile(f"{path}: cannot read the file ({error})") from None
    try:
        return load_json_text(text)
    except ValueError as error:
        raise InvalidResultFile(f"{path}: not valid JSON ({error})") from None


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
    content = _read_json(path)
    try:
        return ResultFile.from_content(content, path)
    except InvalidContent as error:
        raise InvalidResultFile(f"{path}: {error.problem} (at {error.json_path})") from None


def read_header_file(path: Path) -> MachineHeader | EnvironmentHeader:
    """Read and check a machine or environment header file; its name tells which.

    Parameters
    ----------
    path : pathlib.Path
        An ``info_machine-*.json``/``machine-*.json`` or ``info_environment-*.json``/``environment-*.json`` file.

    Returns
    -------
    MachineHeader or EnvironmentHeader
        Its content.

    Raises
    ------
    InvalidResultFile
        When the name is no header's, or the file cannot be read or is not a valid header.
    """
    path = Path(path)
    try:
        kind = parse_file_name(path.name).kind
    except InvalidFileName as error:
        raise InvalidResultFile(f"{path}: {error}") from None
    model = {"machine": MachineHeader, "environment": EnvironmentHeader}.get(kind)
    if model is None:
        raise InvalidResultFile(f"{path}: a {kind} file, not a header")
    content = _read_json(path)
    try:
        return model.from_content(content)
    except InvalidContent as error:
        raise InvalidResultFile(f"{path}: {error.problem} (at {error.json_path})") from None


@dataclass
class HeaderState:
    """A machine or environment header as written (or found) in a results folder.

    Attributes
    ----------
    header : dict
        The header.
    hash : str
        Its hash.
    path : pathlib.Path
        ``<results_dir>/info_<kind>-<hash>.json``.
    written : bool
        True when the file was created by this call, False when it was already there.
    """

    header: dict[str, Any]
    hash: str
    path: Path
    written: bool


def write_header_file(results_dir: Path, kind: str, header: dict[str, Any], digest: str) -> tuple[Path, bool]:
    """Check a machine or environment header and write it into ``results_dir`` unless already there.

    Parameters
    ----------
    results_dir : pathlib.Path
        The folder of result files.
    kind : str
        ``"machine"`` or ``"environment"``.
    header : dict
        The header.
    digest : str
        Its hash, which names the file.

    Returns
    -------
    tuple
        ``(path, written)``: the header file, and whether it was written now.

    Raises
    ------
    InvalidContent
        When the header is not valid; nothing is written then.
    """
    check_content(kind, header)
    path = Path(results_dir) / _HEADER_FILE_NAMES[kind](digest)
    return path, write_new_json_file(path, header, indent=4)


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
