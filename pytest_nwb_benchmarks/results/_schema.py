"""The JSON Schemas of the three kinds of files, shipped with the package.

``result_file.schema.json``, ``machine_header.schema.json`` and ``environment_header.schema.json``
(next to this module) declare the format; :mod:`pytest_nwb_benchmarks.results._model` takes its
constants from them, and the results server validates uploads against them.

The package does not validate with :mod:`jsonschema` itself, and does not depend on it: the plugin
is installed into every benchmark environment (whose packages it records and measures), and the
reader walks hundreds of files for a comparison or a regression scan, where the pure-Python
validator takes about 200 ms on a full suite's file while the model's own checks take a few
milliseconds. :func:`first_schema_error` uses :mod:`jsonschema` when it is installed (the server and
the tests have it), so that the schema and the model can be held to agreement.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

#: The schema file of each kind of file.
SCHEMA_FILES: dict[str, str] = {
    "result": "result_file.schema.json",
    "machine": "machine_header.schema.json",
    "environment": "environment_header.schema.json",
}


@functools.cache
def _schema_text(kind: str) -> str:
    try:
        name = SCHEMA_FILES[kind]
    except KeyError:
        raise ValueError(f"unknown kind of file {kind!r}; expected one of {sorted(SCHEMA_FILES)}") from None
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of file (a fresh copy, which the caller may change).

    Parameters
    ----------
    kind : str
        ``"result"``, ``"machine"`` or ``"environment"``.

    Returns
    -------
    dict
        The schema (draft 2020-12).
    """
    return json.loads(_schema_text(kind))


def schema_validator(kind: str) -> Any:
    """A :mod:`jsonschema` ``Draft202012Validator`` of :func:`load_schema`'s ``kind``, made on first use.

    :mod:`jsonschema` must be installed.
    """
    return _validator(kind)


def first_schema_error(kind: str, content: Any) -> Any:
    """Validate with :mod:`jsonschema` and return the shallowest error, or None when the content is valid.

    Parameters
    ----------
    kind : str
        ``"result"``, ``"machine"`` or ``"environment"``.
    content : Any
        The decoded JSON document.

    Returns
    -------
    jsonschema.ValidationError or None
        The first error in document order among the shallowest ("results is missing" says more
        than a deep consequence of it).
    """
    errors = list(_validator(kind).iter_errors(content))
    if not errors:
        return None
    return min(errors, key=lambda error: (len(error.absolute_path), [str(part) for part in error.absolute_path]))


@functools.cache
def _validator(kind: str) -> Any:
    import jsonschema  # an optional dependency; see the module's docstring

    return jsonschema.Draft202012Validator(load_schema(kind))
