"""Defensive reading of an upload's body: strict JSON, bounded depth and size, values that survive a round trip.

An upload is stored as JSON in git and read back by every page, the API and the database build. Any
value that cannot be stored and read back unchanged (a number beyond the range of a double, an
integer too long to be exact, a string that is not valid Unicode) would break all of those for good,
so it is refused here, with the JSON path of the first offending value.

Python's :mod:`json` does the tokenizing (a well-tested C scanner); the hooks below keep the raw text
of every number so that the checks can tell ``1e400`` and a 400-digit integer from real values, and
one iterative walk (no recursion, so no depth can crash it) checks the decoded document.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

#: Deepest nesting accepted; the deepest real file (a result with named samples) is 5 levels deep.
MAX_DEPTH = 32
#: Largest integer magnitude accepted: every integer up to 2**53 is exact as a double (the database's type).
MAX_EXACT_INTEGER = 2**53
#: Most JSON values (numbers, strings, containers...) in one upload: bounds the walk and the database build.
MAX_VALUES = 1_000_000

_NONZERO_MANTISSA = re.compile(r"[1-9]")


class PayloadError(ValueError):
    """An upload that cannot be accepted as it is.

    Attributes
    ----------
    error : str
        A short title (``"malformed JSON"``, ``"value out of range"``...).
    json_path : str or None
        Where the problem is (``$`` is the document), when it is at one place.
    problem : str
        What is wrong.
    """

    def __init__(self, error: str, problem: str, json_path: str | None = None) -> None:
        self.error = error
        self.json_path = json_path
        self.problem = problem
        super().__init__(f"{error}: {problem}" + (f" at {json_path}" if json_path else ""))

    def detail(self) -> dict[str, str] | str:
        """The ``detail`` of the API's error reply."""
        return {"path": self.json_path, "message": self.problem} if self.json_path else self.problem


@dataclass(frozen=True)
class _Refused:
    """Stands in for a number whose text cannot be kept; reported with its path by the walk."""

    text: str
    reason: str


def _parse_float(text: str) -> float | _Refused:
    value = float(text)
    if value and value - value == 0.0:  # the common case first: non-zero and finite (inf - inf is nan)
        return value
    if not math.isfinite(value):
        return _Refused(text, "is beyond the range of a double-precision number")
    mantissa = text.lower().split("e", 1)[0]
    if value == 0.0 and _NONZERO_MANTISSA.search(mantissa):
        return _Refused(text, "is too small for a double-precision number (it would be stored as 0)")
    return value


def _parse_int(text: str) -> int | _Refused:
    # Compare lengths first: converting a huge digit string is itself costly (and limited by Python).
    digits = text.lstrip("-")
    if len(digits) > 16 or abs(int(text)) > MAX_EXACT_INTEGER:
        shown = text if len(text) <= 24 else f"{text[:12]}...({len(digits)} digits)"
        return _Refused(shown, f"is an integer larger than {MAX_EXACT_INTEGER} in magnitude (not exact as a double)")
    return int(text)


def _parse_constant(text: str) -> _Refused:
    return _Refused(text, "is not a JSON number (NaN and Infinity are not valid JSON)")


def _path_step(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.isidentifier() and key.isascii():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=True)}]"


def _check_text(text: str, path: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PayloadError(
            "invalid text",
            f"{what} holds a lone surrogate (\\u{ord(text[error.start]):04x}), which is not valid Unicode",
            path,
        ) from None


def check_values(document: Any, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES) -> None:
    """Walk a decoded document and refuse what cannot be stored and read back faithfully.

    Parameters
    ----------
    document : Any
        As returned by :func:`parse_body` (before the check).
    max_depth : int
        Deepest nesting accepted.
    max_values : int
        Most values accepted in the document.

    Raises
    ------
    PayloadError
        Naming the first problem and its JSON path.
    """
    # A quick walk that builds no paths (most uploads are fine); the path is looked for only on a problem.
    stack: list[tuple[Any, int]] = [(document, 0)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > max_values:
            raise PayloadError("too many values", f"the document holds more than {max_values} JSON values")
        if isinstance(value, (float, int, bool)) or value is None:
            continue
        if isinstance(value, dict):
            if depth >= max_depth or not all(_valid_text(key) for key in value):
                break
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            if depth >= max_depth:
                break
            stack.extend((child, depth + 1) for child in value)
        elif not isinstance(value, str) or not _valid_text(value):
            break
    else:
        return
    _locate_problem(document, max_depth)


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _locate_problem(document: Any, max_depth: int) -> None:
    """Walk again, with paths, and raise for the first problem in document order."""
    stack: list[tuple[Any, str, int]] = [(document, "$", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, _Refused):
            raise PayloadError("value out of range", f"the number {value.text} {value.reason}", path)
        if isinstance(value, str):
            _check_text(value, path, "the string")
        elif isinstance(value, (dict, list)):
            if depth >= max_depth:
                raise PayloadError("nested too deeply", f"the document is nested more than {max_depth} levels", path)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = []
            for key, child in items:
                if isinstance(key, str):
                    _check_text(key, path, f"the key {key.encode('utf-8', 'backslashreplace').decode()!r}")
                children.append((child, _path_step(path, key), depth + 1))
            # Reversed, so that the first problem in document order is the one reported.
            stack.extend(reversed(children))


def parse_body(raw: bytes, *, max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES) -> Any:
    """Decode an upload's body: UTF-8, strict JSON, bounded depth, values that survive a round trip.

    Parameters
    ----------
    raw : bytes
        The request body.
    max_depth : int
        Deepest nesting accepted.
    max_values : int
        Most values accepted.

    Returns
    -------
    Any
        The decoded document.

    Raises
    ------
    PayloadError
        For invalid UTF-8, malformed JSON, nesting deeper than ``max_depth`` (even far deeper than
        Python's recursion allows), out-of-range numbers, lone surrogates or too many values.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadError("malformed JSON", f"the body is not valid UTF-8 (byte {error.start})") from None
    try:
        document = json.loads(text, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_parse_constant)
    except RecursionError:
        raise PayloadError("nested too deeply", f"the document is nested more than {max_depth} levels") from None
    except ValueError as error:
        raise PayloadError("malformed JSON", str(error)) from None
    check_values(document, max_depth=max_depth, max_values=max_values)
    return document


def count_samples(results: Any, max_per_entry: int, max_per_file: int) -> None:
    """Refuse a result file with more samples than the server's limits allow.

    Parameters
    ----------
    results : Any
        The ``results`` of a result file (already schema-checked: benchmark -> parameters -> samples).
    max_per_entry : int
        Most samples for one benchmark and parameter combination.
    max_per_file : int
        Most samples in the whole file.

    Raises
    ------
    PayloadError
        Naming the limit and the entry that passes it.
    """
    if not isinstance(results, dict):
        return
    total = 0
    for benchmark, by_params in results.items():
        if not isinstance(by_params, dict):
            continue
        for params, samples in by_params.items():
            count = _sample_count(samples)
            if count <= max_per_entry and total + count <= max_per_file:
                total += count
                continue
            path = _path_step(_path_step("$.results", benchmark), params)
            if count > max_per_entry:
                raise PayloadError(
                    "too many samples",
                    f"{count} samples in one entry; this server accepts at most {max_per_entry} per benchmark "
                    "and parameter combination",
                    path,
                )
            total += count
            if total > max_per_file:
                raise PayloadError(
                    "too many samples",
                    f"more than {max_per_file} samples in one file (reached here); this server accepts at most "
                    f"{max_per_file} per file",
                    path,
                )


def _sample_count(samples: Any) -> int:
    """Samples of one entry: list items, or the values of named statistics (each list item counts)."""
    if isinstance(samples, list):
        return len(samples)
    if isinstance(samples, dict):
        return sum(len(value) if isinstance(value, list) else 1 for value in samples.values())
    return 1
