"""JSON schemas of the three kinds of uploaded files, and the validation that names the first problem.

The schemas are deliberately as loose as the real files require: the reference results of 2024
carry dict-valued samples (network tracking), host names as machine ids, timestamps with
underscores and machine headers without ``cpu``/``ram`` at the top level.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import jsonschema_rs

_NUMBER_OR_NULL = {"type": ["number", "null"]}

RESULT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Reduced benchmark results of one run",
    "type": "object",
    "required": ["version", "timestamp", "commit_hash", "environment_hash", "machine_hash", "results"],
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "timestamp": {
            "type": "string",
            "pattern": r"^[0-9]{4}[-_][0-9]{2}[-_][0-9]{2}[-_][0-9]{2}[-_][0-9]{2}[-_][0-9]{2}$",
        },
        "commit_hash": {"type": "string", "minLength": 1, "maxLength": 64},
        "environment_hash": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
        "machine_hash": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
        "results": {
            "type": "object",
            "description": "benchmark id -> parameter key -> samples",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {
                    "anyOf": [
                        {"type": "array", "items": _NUMBER_OR_NULL},
                        {
                            # named statistics, e.g. network tracking: counts, a method name, latencies
                            "type": "object",
                            "additionalProperties": {
                                "anyOf": [
                                    {"type": ["number", "null", "string", "boolean"]},
                                    {"type": "array", "items": {"type": "number"}},
                                ]
                            },
                        },
                        {"type": "number"},
                        {"type": "null"},
                    ]
                },
            },
        },
    },
}

MACHINE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Machine header",
    "type": "object",
    "required": ["version"],
    "minProperties": 2,
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "machine": {"type": "string"},
        "defaults": {"type": "object"},
        "platform": {"type": "object"},
        "psutil": {"type": "object"},
    },
}

ENVIRONMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Environment header: Python version -> installed packages",
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "type": "array",
        "items": {
            # The forerunner parsed `conda list` by splitting lines on spaces and pairing the words with
            # name/version/build/channel: a blank line gave {}, a short line a name alone. Such entries
            # are kept as they are (readers skip entries without a name), so every file it wrote is accepted.
            "type": "object",
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        },
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "result": RESULT_SCHEMA,
    "machine": MACHINE_SCHEMA,
    "environment": ENVIRONMENT_SCHEMA,
}

_VALIDATORS = {kind: jsonschema.Draft202012Validator(schema) for kind, schema in SCHEMAS.items()}
# The same schemas compiled by a validator written in Rust: about a thousand times faster on a full
# suite's result file (0.1 ms instead of 200 ms), which decides how many uploads a second the server
# takes. It answers "valid?"; the reference validator above words the error when the answer is no.
_FAST_VALIDATORS = {kind: jsonschema_rs.Draft202012Validator(schema) for kind, schema in SCHEMAS.items()}


class SchemaError(ValueError):
    """Content that does not match the schema of its kind.

    Attributes
    ----------
    json_path : str
        Where the problem is, as a JSON path (``$`` is the document).
    problem : str
        What is wrong there.
    """

    def __init__(self, kind: str, json_path: str, problem: str) -> None:
        self.kind = kind
        self.json_path = json_path
        self.problem = problem
        super().__init__(f"{kind} file does not match its schema at {json_path}: {problem}")


def validate_content(kind: str, content: Any) -> None:
    """Check uploaded content against the schema of its kind.

    Parameters
    ----------
    kind : str
        ``"result"``, ``"machine"`` or ``"environment"``.
    content : Any
        The decoded JSON content.

    Raises
    ------
    SchemaError
        Naming the first problem (the shallowest, in document order).
    """
    if _FAST_VALIDATORS[kind].is_valid(content):
        return
    errors = list(_VALIDATORS[kind].iter_errors(content))
    if not errors:
        return
    # The shallowest error first: "results is missing" is more useful than a deep consequence of it.
    first = min(errors, key=lambda error: (len(error.absolute_path), [str(part) for part in error.absolute_path]))
    if first.validator == "anyOf":
        problem = f"expected a list of numbers, a mapping of names to statistics, a number or null, got {_describe(first.instance)}"
    else:
        problem = first.message
        if len(problem) > 300:
            problem = problem[:300] + "..."
    raise SchemaError(kind, first.json_path, problem)


def _describe(instance: Any) -> str:
    text = repr(instance)
    return text if len(text) <= 80 else text[:77] + "..."
