"""The one place that knows the names of result and header files, old and new.

The project writes three kinds of files into a results folder::

    result_timestamp-<YYYY-MM-DD-HH-MM-SS>_machine-<id>_environment-<id>.json
    info_machine-<id>.json
    info_environment-<id>.json

Older collections of results use other names, which are still read (``legacy=True``)::

    results_timestamp-<YYYY-MM-DD-HH-MM-SS>_machine-<id>_environment-<id>.json
    machine-<id>.json
    environment-<id>.json
    <name>_results.json

An ``<id>`` is normally a hexadecimal hash, but early machine files were named after the host
(``Ackermann``), so letters, digits, ``-``, ``_`` and ``.`` are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

TIMESTAMP_FORMAT = "%Y-%m-%d-%H-%M-%S"

ACCEPTED_PATTERNS: tuple[str, ...] = (
    "result_timestamp-YYYY-MM-DD-HH-MM-SS_machine-<id>_environment-<id>.json",
    "info_machine-<id>.json",
    "info_environment-<id>.json",
    "results_timestamp-YYYY-MM-DD-HH-MM-SS_machine-<id>_environment-<id>.json (older runs)",
    "machine-<id>.json (older runs)",
    "environment-<id>.json (older runs)",
    "<name>_results.json (oldest runs)",
)

# An id starts with a letter or digit so that it can never be "..", "." or a hidden name.
_ID = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
# ASCII digits only: "\d" would also match Arabic-Indic or fullwidth digits, giving one run several names.
_TIMESTAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}"
# The machine id is matched lazily: the first "_environment-" ends it.
_RESULT = re.compile(
    rf"(?P<prefix>results?)_timestamp-(?P<timestamp>{_TIMESTAMP})"
    rf"_machine-(?P<machine>{_ID}?)_environment-(?P<environment>{_ID})\.json"
)
_HEADER = re.compile(rf"(?P<prefix>info_)?(?P<kind>machine|environment)-(?P<id>{_ID})\.json")
_OLDEST_RESULT = re.compile(rf"{_ID}_results\.json")
# Well under the usual 255-byte limit of one path component, leaving room for the prefix and suffix of
# the temporary file a writer creates next to it (and for UTF-8 names, whose bytes outnumber characters).
_MAX_LENGTH = 200


class InvalidFileName(ValueError):
    """A file name that is not one of :data:`ACCEPTED_PATTERNS`."""


@dataclass(frozen=True)
class ParsedFileName:
    """What a result or header file name says.

    Attributes
    ----------
    kind : str
        ``"result"``, ``"machine"`` or ``"environment"``.
    timestamp : str or None
        ``YYYY-MM-DD-HH-MM-SS`` for result files that carry one.
    machine_id : str or None
        The machine hash (or early host-like name) for result and machine files.
    environment_id : str or None
        The environment hash for result and environment files.
    legacy : bool
        True when the name follows an older layout than the one this project writes.
    """

    kind: str
    timestamp: str | None
    machine_id: str | None
    environment_id: str | None
    legacy: bool


def _reject(name: object, problem: str) -> InvalidFileName:
    accepted = "\n  ".join(ACCEPTED_PATTERNS)
    return InvalidFileName(
        f"invalid results file name {name!r}: {problem}.\nAccepted names (<id> is letters, digits, '-', '_' "
        f"or '.', starting with a letter or digit):\n  {accepted}"
    )


def _check_safe(name: object) -> str:
    """Refuse names that could escape the results folder or hide in it, before any matching."""
    if not isinstance(name, str):
        raise _reject(name, f"expected a string, got {type(name).__name__}")
    if not name:
        raise _reject(name, "the name is empty")
    if "/" in name or "\\" in name:
        raise _reject(name, "it contains a path separator; give a bare file name")
    if ".." in name:
        raise _reject(name, "it contains '..'")
    if name.startswith("."):
        raise _reject(name, "it starts with a dot")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise _reject(name, "it contains control characters")
    if len(name) > _MAX_LENGTH:
        raise _reject(name, f"it is longer than {_MAX_LENGTH} characters")
    if not name.endswith(".json"):
        raise _reject(name, "only '.json' files are accepted")
    return name


def _check_timestamp(name: str, timestamp: str) -> None:
    try:
        datetime.strptime(timestamp, TIMESTAMP_FORMAT)
    except ValueError:
        raise _reject(name, f"{timestamp!r} is not a real date and time") from None


def parse_file_name(name: str) -> ParsedFileName:
    """Tell what kind of file ``name`` is and which ids it carries.

    Parameters
    ----------
    name : str
        A bare file name (no folder).

    Returns
    -------
    ParsedFileName
        The kind, timestamp, ids and whether the name is of an older layout.

    Raises
    ------
    InvalidFileName
        When the name is unsafe (path separators, ``..``, leading dot, control characters) or
        matches none of :data:`ACCEPTED_PATTERNS`; the message lists the accepted patterns.
    """
    name = _check_safe(name)
    match = _RESULT.fullmatch(name)
    if match:
        _check_timestamp(name, match["timestamp"])
        return ParsedFileName(
            kind="result",
            timestamp=match["timestamp"],
            machine_id=match["machine"],
            environment_id=match["environment"],
            legacy=match["prefix"] == "results",
        )
    match = _HEADER.fullmatch(name)
    if match:
        kind = match["kind"]
        return ParsedFileName(
            kind=kind,
            timestamp=None,
            machine_id=match["id"] if kind == "machine" else None,
            environment_id=match["id"] if kind == "environment" else None,
            legacy=match["prefix"] is None,
        )
    if name.startswith(("result_", "results_timestamp", "info_")):
        # Looks like one of ours but is malformed: say so rather than taking it as the oldest layout.
        raise _reject(name, "it looks like a result or header file name but does not match the pattern")
    if _OLDEST_RESULT.fullmatch(name):
        return ParsedFileName(kind="result", timestamp=None, machine_id=None, environment_id=None, legacy=True)
    raise _reject(name, "it matches no accepted pattern")


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(_ID, value) or ".." in value:
        raise ValueError(
            f"invalid {what} {value!r}: use letters, digits, '-', '_' or '.', starting with a letter or digit"
        )
    return value


def result_file_name(timestamp: str, machine_hash: str, environment_hash: str) -> str:
    """Name the result file of one run.

    Parameters
    ----------
    timestamp : str
        The run's UTC time as ``YYYY-MM-DD-HH-MM-SS``.
    machine_hash : str
        The machine header's hash.
    environment_hash : str
        The environment header's hash.

    Returns
    -------
    str
        ``result_timestamp-<timestamp>_machine-<hash>_environment-<hash>.json``.

    Raises
    ------
    ValueError
        When the timestamp is not ``YYYY-MM-DD-HH-MM-SS`` or a hash holds unsafe characters.
    """
    if not isinstance(timestamp, str) or not re.fullmatch(_TIMESTAMP, timestamp):
        raise ValueError(f"invalid timestamp {timestamp!r}: expected YYYY-MM-DD-HH-MM-SS")
    _check_id(machine_hash, "machine hash")
    _check_id(environment_hash, "environment hash")
    name = f"result_timestamp-{timestamp}_machine-{machine_hash}_environment-{environment_hash}.json"
    parse_file_name(name)  # the writer and the reader must agree
    return name


def machine_file_name(hash: str) -> str:  # noqa: A002 - the contract's parameter name
    """Name a machine header file: ``info_machine-<hash>.json``.

    Parameters
    ----------
    hash : str
        The machine header's hash.

    Returns
    -------
    str
        The file name.
    """
    return f"info_machine-{_check_id(hash, 'machine hash')}.json"


def environment_file_name(hash: str) -> str:  # noqa: A002 - the contract's parameter name
    """Name an environment header file: ``info_environment-<hash>.json``, as :func:`machine_file_name` does."""
    return f"info_environment-{_check_id(hash, 'environment hash')}.json"
