"""The schemas of the three kinds of uploaded files, and the validation that names the first problem.

The format is the package's: its JSON Schemas (shipped with :mod:`pytest_nwb_benchmarks.results`)
and its model, whose check runs after the schema's, so that whatever the server accepts the
package's reader reads. The schemas are as loose as the real files require: the reference results
of 2024 carry dict-valued samples (network tracking), host names as machine ids, timestamps with
underscores and machine headers without ``cpu``/``ram`` at the top level.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from pytest_nwb_benchmarks.results import (
    SCHEMA_FILES,
    InvalidContent,
    check_content,
    first_schema_error,
    load_schema,
    schema_validator,
)

SCHEMAS: dict[str, dict[str, Any]] = {kind: load_schema(kind) for kind in SCHEMA_FILES}
RESULT_SCHEMA = SCHEMAS["result"]
MACHINE_SCHEMA = SCHEMAS["machine"]
ENVIRONMENT_SCHEMA = SCHEMAS["environment"]

_VALIDATORS = {kind: schema_validator(kind) for kind in SCHEMAS}
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
    first = None if _FAST_VALIDATORS[kind].is_valid(content) else first_schema_error(kind, content)
    if first is None:
        try:
            check_content(kind, content)  # what a schema cannot say: a timestamp is a real date
        except InvalidContent as error:
            raise SchemaError(kind, error.json_path, error.problem) from None
        return
    if first.validator == "anyOf":
        problem = f"expected a list of numbers or a mapping of names to statistics, got {_describe(first.instance)}"
    else:
        problem = first.message
        if len(problem) > 300:
            problem = problem[:300] + "..."
    raise SchemaError(kind, first.json_path, problem)


def _describe(instance: Any) -> str:
    text = repr(instance)
    return text if len(text) <= 80 else text[:77] + "..."
