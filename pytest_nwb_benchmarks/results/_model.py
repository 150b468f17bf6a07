"""The typed model of the three kinds of files: a run's result file and its two headers.

The JSON Schemas shipped with the package (:mod:`pytest_nwb_benchmarks.results._schema`) declare
the format; this module reads its constants from them (the version, the fixed keys, the patterns
of hashes and timestamps, the types of the machine header's known keys) and checks content the
same way in plain Python, which is what the writer runs before writing, the reader after reading
and the results server after its schema check. :func:`check_content` is stricter than the schema
in one point a schema cannot express: a timestamp must be a real date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.results._file_names import TIMESTAMP_FORMAT
from pytest_nwb_benchmarks.results._schema import load_schema

_RESULT_SCHEMA = load_schema("result")
_RESULT_PROPERTIES = _RESULT_SCHEMA["properties"]
_MACHINE_SCHEMA = load_schema("machine")

#: The format version of result files.
RESULT_FILE_VERSION: int = _RESULT_PROPERTIES["version"]["const"]
#: The fixed keys of a result file, in the order they are written.
FIXED_KEYS: tuple[str, ...] = tuple(_RESULT_SCHEMA["required"])
# The earliest files wrote their timestamp with underscores; both spellings are read.
_TIMESTAMP_FORMATS = (TIMESTAMP_FORMAT, TIMESTAMP_FORMAT.replace("-", "_"))
_TIMESTAMP = re.compile(_RESULT_PROPERTIES["timestamp"]["pattern"])
_COMMIT_LENGTH = (_RESULT_PROPERTIES["commit_hash"]["minLength"], _RESULT_PROPERTIES["commit_hash"]["maxLength"])
_HASH_KEYS = ("environment_hash", "machine_hash")
_HASHES = {key: re.compile(_RESULT_PROPERTIES[key]["pattern"]) for key in _HASH_KEYS}
# What a hash may not hold: ".." or a final dot (it names a file, whose name ends in ".json").
_HASHES_NOT = {key: re.compile(_RESULT_PROPERTIES[key]["not"]["pattern"]) for key in _HASH_KEYS}
_MACHINE_VERSION_MINIMUM: int = _MACHINE_SCHEMA["properties"]["version"]["minimum"]
_MACHINE_MIN_KEYS: int = _MACHINE_SCHEMA["minProperties"]
_JSON_TYPES: dict[str, type] = {"string": str, "object": dict}
_MACHINE_KEY_TYPES = {
    key: _JSON_TYPES[spec["type"]] for key, spec in _MACHINE_SCHEMA["properties"].items() if key != "version"
}
_PLAIN_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")


class InvalidContent(ValueError):
    """Content that is not a valid file of its kind.

    Attributes
    ----------
    kind : str
        ``"result"``, ``"machine"`` or ``"environment"``.
    json_path : str
        Where the problem is, as a JSON path (``$`` is the document), spelled as :mod:`jsonschema` does.
    problem : str
        What is wrong there.
    """

    def __init__(self, kind: str, json_path: str, problem: str) -> None:
        self.kind = kind
        self.json_path = json_path
        self.problem = problem
        super().__init__(f"{kind} file: {problem} (at {json_path})")


def is_number(value: object) -> bool:
    """Tell whether ``value`` is a JSON number: an int or a float, but not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_named_sample_value(value: object) -> bool:
    """What one statistic of a dict sample may be: a number, a string, true/false/null, or a list of numbers.

    Network-tracking benchmarks report, for example, ``{"requests": 4, "method": "library",
    "request_latencies_seconds": [0.01, 0.02]}``.
    """
    if isinstance(value, list):
        return all(is_number(item) for item in value)
    return value is None or isinstance(value, (str, bool)) or is_number(value)


def _step(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{escaped}']"


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def normalise_timestamp(value: object) -> str | None:
    """The ``YYYY-MM-DD-HH-MM-SS`` spelling of a result file's timestamp, or None when it is not one.

    Parameters
    ----------
    value : object
        The ``timestamp`` of a result file: dashes or (in the earliest files) underscores.

    Returns
    -------
    str or None
        The timestamp with dashes, or None when ``value`` is no real date in either spelling.
    """
    # ASCII only (the pattern's [0-9]): strptime would also read other scripts' digits.
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        return None
    for spelling in _TIMESTAMP_FORMATS:
        try:
            return datetime.strptime(value, spelling).strftime(TIMESTAMP_FORMAT)
        except ValueError:
            continue
    return None


def _check_samples(path: str, samples: object) -> None:
    if isinstance(samples, list):
        for index, value in enumerate(samples):
            if not is_number(value):
                raise InvalidContent("result", _step(path, index), f"samples must be numbers, got {value!r}")
    elif isinstance(samples, dict):
        for name, value in samples.items():
            if not is_named_sample_value(value):
                raise InvalidContent(
                    "result",
                    _step(path, name),
                    f"a named statistic must be a number, a string, true/false/null or a list of numbers, got {value!r}",
                )
    else:
        raise InvalidContent(
            "result", path, f"expected a list of numbers or a mapping of named statistics, got {_type_name(samples)}"
        )


def _check_result(content: dict[str, Any]) -> None:
    missing = [key for key in FIXED_KEYS if key not in content]
    if missing:
        raise InvalidContent("result", "$", f"missing key(s) {missing}")
    version = content["version"]
    if version != RESULT_FILE_VERSION or isinstance(version, bool):
        raise InvalidContent("result", "$.version", f"unsupported version {version!r}; expected {RESULT_FILE_VERSION}")
    if normalise_timestamp(content["timestamp"]) is None:
        raise InvalidContent(
            "result", "$.timestamp", f"expected a real date as YYYY-MM-DD-HH-MM-SS, got {content['timestamp']!r}"
        )
    commit = content["commit_hash"]
    if not isinstance(commit, str) or not _COMMIT_LENGTH[0] <= len(commit) <= _COMMIT_LENGTH[1]:
        raise InvalidContent(
            "result", "$.commit_hash", f"expected a string of {_COMMIT_LENGTH[0]} to {_COMMIT_LENGTH[1]} characters"
        )
    for key, pattern in _HASHES.items():
        value = content[key]
        if not isinstance(value, str) or not pattern.fullmatch(value) or _HASHES_NOT[key].search(value):
            raise InvalidContent(
                "result",
                f"$.{key}",
                f"the {key.replace('_', ' ')} must be letters, digits, '_', '.' or '-' (never '..' nor a final '.'), got {value!r}",
            )
    results = content["results"]
    if not isinstance(results, dict):
        raise InvalidContent("result", "$.results", f"expected an object, got {_type_name(results)}")
    for benchmark, by_parameters in results.items():
        where = _step("$.results", benchmark)
        if not isinstance(by_parameters, dict):
            raise InvalidContent(
                "result", where, f"expected an object of parameter keys, got {_type_name(by_parameters)}"
            )
        for key, samples in by_parameters.items():
            _check_samples(_step(where, key), samples)


def _check_machine(content: dict[str, Any]) -> None:
    if "version" not in content:
        raise InvalidContent("machine", "$", "missing key 'version'")
    version = content["version"]
    if not is_number(version) or not float(version).is_integer() or version < _MACHINE_VERSION_MINIMUM:
        raise InvalidContent(
            "machine", "$.version", f"expected an integer of at least {_MACHINE_VERSION_MINIMUM}, got {version!r}"
        )
    if len(content) < _MACHINE_MIN_KEYS:
        raise InvalidContent("machine", "$", "a machine header needs more than its version")
    for key, expected in _MACHINE_KEY_TYPES.items():
        if key in content and not isinstance(content[key], expected):
            raise InvalidContent(
                "machine", _step("$", key), f"expected {expected.__name__}, got {_type_name(content[key])}"
            )


def _check_environment(content: dict[str, Any]) -> None:
    if not content:
        raise InvalidContent("environment", "$", "an environment header needs at least one Python")
    for python, packages in content.items():
        where = _step("$", python)
        if not isinstance(packages, list):
            raise InvalidContent("environment", where, f"expected a list of packages, got {_type_name(packages)}")
        for index, package in enumerate(packages):
            at = _step(where, index)
            if not isinstance(package, dict):
                raise InvalidContent("environment", at, f"expected an object, got {_type_name(package)}")
            for key, value in package.items():
                text_only = key in ("name", "version")
                if not (
                    isinstance(value, str)
                    or (not text_only and (value is None or is_number(value) or isinstance(value, bool)))
                ):
                    raise InvalidContent("environment", _step(at, key), f"unexpected value {value!r}")


_CHECKS = {"result": _check_result, "machine": _check_machine, "environment": _check_environment}


def check_content(kind: str, content: Any) -> None:
    """Check decoded content against the format of its kind.

    Parameters
    ----------
    kind : str
        ``"result"``, ``"machine"`` or ``"environment"``.
    content : Any
        The decoded JSON document.

    Raises
    ------
    InvalidContent
        Naming the first problem and its JSON path.
    ValueError
        For an unknown ``kind``.
    """
    try:
        check = _CHECKS[kind]
    except KeyError:
        raise ValueError(f"unknown kind of file {kind!r}; expected one of {sorted(_CHECKS)}") from None
    if not isinstance(content, dict):
        raise InvalidContent(kind, "$", f"expected a JSON object, got {_type_name(content)}")
    check(content)


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

    @classmethod
    def from_content(cls, content: Any, path: Path | None = None) -> ResultFile:
        """Check decoded content (see :func:`check_content`) and make a :class:`ResultFile` of it.

        Raises
        ------
        InvalidContent
            When the content is not a valid result file.
        """
        check_content("result", content)
        return cls(
            version=content["version"],
            timestamp=normalise_timestamp(content["timestamp"]) or "",
            commit_hash=content["commit_hash"],
            environment_hash=content["environment_hash"],
            machine_hash=content["machine_hash"],
            results=content["results"],
            extra={key: value for key, value in content.items() if key not in FIXED_KEYS},
            path=path,
        )

    def to_content(self) -> dict[str, Any]:
        """The JSON document of this result file: the fixed keys in order, then the extra keys."""
        fixed = (self.version, self.timestamp, self.commit_hash, self.environment_hash, self.machine_hash, self.results)
        return {**dict(zip(FIXED_KEYS, fixed)), **self.extra}


@dataclass(frozen=True)
class MachineHeader:
    """A machine header: what the machine a run ran on is.

    Attributes
    ----------
    version : int
        The header's format version.
    machine : str or None
        The machine's friendly name, when the header has one.
    content : dict
        The whole header as written (hardware, operating system, disks...).
    """

    version: int
    machine: str | None
    content: dict[str, Any]

    @classmethod
    def from_content(cls, content: Any) -> MachineHeader:
        """Check decoded content and make a :class:`MachineHeader` of it (raises :class:`InvalidContent`)."""
        check_content("machine", content)
        return cls(version=int(content["version"]), machine=content.get("machine"), content=content)


@dataclass(frozen=True)
class EnvironmentHeader:
    """An environment header: the packages installed, under the Python version's text.

    Attributes
    ----------
    packages : dict
        ``{python version text: [{"name": ..., "version": ..., ...}, ...]}``.
    """

    packages: dict[str, list[dict[str, Any]]]

    @classmethod
    def from_content(cls, content: Any) -> EnvironmentHeader:
        """Check decoded content and make an :class:`EnvironmentHeader` of it (raises :class:`InvalidContent`)."""
        check_content("environment", content)
        return cls(packages=content)

    def versions(self) -> dict[str, str]:
        """``{package name: version}`` over every Python, skipping entries without a name."""
        return {
            package["name"]: str(package.get("version", ""))
            for packages in self.packages.values()
            for package in packages
            if "name" in package
        }
