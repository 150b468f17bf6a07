"""The OpenAPI description of the API, and a Swagger UI served from local files (no CDN)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, send_from_directory

from pytest_nwb_benchmarks.results import ACCEPTED_PATTERNS
from server._schemas import SCHEMAS

openapi = Blueprint("openapi", __name__)

# Only these files of the Swagger UI bundle are served; nothing else of the package is reachable.
_SWAGGER_FILES = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}


def _swagger_ui_dir() -> Path | None:
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json_list(description: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
        }
    }


# A full page carries a Link header (rel="next") to the following one.
_PAGING = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 10000},
    },
    {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0, "default": 0}},
]


def _as_openapi_30(schema: Any) -> Any:
    """Express a JSON Schema (draft 2020-12) in OpenAPI 3.0's dialect, which the bundled Swagger UI reads."""
    if isinstance(schema, list):
        return [_as_openapi_30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _as_openapi_30(value) for key, value in schema.items() if key not in ("$schema", "title")}
    types = out.get("type")
    if isinstance(types, list):
        others = [kind for kind in types if kind != "null"]
        del out["type"]
        if "null" in types:
            out["nullable"] = True
        if len(others) == 1:
            out["type"] = others[0]
        else:
            out["anyOf"] = [{"type": kind} for kind in others]
    if out.get("type") == "null":
        del out["type"]
        out["nullable"] = True
    return out


def openapi_document() -> dict[str, Any]:
    """Build the OpenAPI 3.1 description of the server's API."""
    names = "; ".join(ACCEPTED_PATTERNS)
    contribute_schemas = {f"{kind.capitalize()}File": schema for kind, schema in SCHEMAS.items()}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "NWB benchmarks results server",
            "version": "1",
            "description": "Receives benchmark result files and their machine and environment headers, keeps them in "
            "git-backed stores, builds Parquet tables from them and serves them to scripts and the results browser.",
        },
        "components": {
            "securitySchemes": {"uploadToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "detail": {"description": "text or object"}},
                },
                "Stored": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string", "enum": ["stored", "unchanged", "validated"]},
                        "filename": {"type": "string"},
                        "path": {"type": "string"},
                        "commit": {"type": "string", "nullable": True},
                        "pushed": {"type": "boolean"},
                        "message": {"type": "string"},
                        "debug": {"type": "boolean"},
                        "database": {"type": "string", "enum": ["pending", "unchanged"]},
                        "run": {"type": "string", "nullable": True},
                    },
                },
                **{
                    name: {k: v for k, v in schema.items() if k != "$schema"}
                    for name, schema in contribute_schemas.items()
                },
            },
        },
        "paths": {
            "/data/contribute": {
                "post": {
                    "summary": "Store one result, machine or environment file",
                    "security": [{"uploadToken": []}, {}],
                    "parameters": [
                        {
                            "name": "filename",
                            "in": "query",
                            "required": True,
                            "description": f"The file's name; accepted: {names}",
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["json_content"],
                                    "properties": {
                                        "json_content": {
                                            "oneOf": [
                                                {"$ref": "#/components/schemas/ResultFile"},
                                                {"$ref": "#/components/schemas/MachineFile"},
                                                {"$ref": "#/components/schemas/EnvironmentFile"},
                                            ]
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Stored and committed (pushed is false when the push is pending)",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stored"}}},
                        },
                        "200": {
                            "description": "Already stored with the same content; nothing committed",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stored"}}},
                        },
                        "400": _error_response("Bad file name, malformed JSON or content that fails its schema"),
                        "401": _error_response("Upload token missing or wrong"),
                        "409": _error_response("The same name is stored with different content"),
                        "413": _error_response("Body larger than the server's limit"),
                        "500": _error_response("The git store failed"),
                    },
                }
            },
            "/data/update-database": {
                "post": {
                    "summary": "Bring the Parquet tables of the database store up to date (incrementally)",
                    "security": [{"uploadToken": []}, {}],
                    "parameters": [
                        {
                            "name": "rebuild",
                            "in": "query",
                            "required": False,
                            "description": "1: read every stored file again and replace the tables",
                            "schema": {"type": "string", "enum": ["0", "1"]},
                        }
                    ],
                    "responses": {
                        "200": {"description": "The rebuild's commit, push state and table sizes"},
                        "401": _error_response("Upload token missing or wrong"),
                        "500": _error_response("The git store failed"),
                    },
                }
            },
            "/data/machines": {"get": {"summary": "Machines", "responses": _json_list("One row per machine")}},
            "/data/environments": {
                "get": {"summary": "Environments", "responses": _json_list("One row per environment")}
            },
            "/data/problems": {
                "get": {"summary": "Stored files that could not be ingested", "responses": _json_list("File and why")}
            },
            "/data/runs": {
                "get": {
                    "summary": "Runs (result files), oldest first, a page at a time",
                    "parameters": _PAGING,
                    "responses": {**_json_list("One row per run"), "400": _error_response("Bad paging")},
                }
            },
            "/data/benchmarks": {
                "get": {"summary": "Benchmarks", "responses": _json_list("One row per benchmark with counts")}
            },
            "/data/benchmarks/{benchmark}/samples": {
                "get": {
                    "summary": "Samples of one benchmark",
                    "parameters": [
                        {"name": "benchmark", "in": "path", "required": True, "schema": {"type": "string"}},
                        *(
                            {"name": column, "in": "query", "required": False, "schema": {"type": "string"}}
                            for column in ("machine", "params", "variable", "run")
                        ),
                        *_PAGING,
                    ],
                    "responses": {
                        **_json_list("One row per sample"),
                        "404": _error_response("No such benchmark"),
                        "400": _error_response("Bad paging"),
                    },
                }
            },
            "/data/compare": {
                "get": {
                    "summary": "Compare two runs: verdicts per benchmark, parameter key and quantity",
                    "description": "By default the latest run against the previous run of its machine and "
                    "environment. See docs/comparing.rst for the statistics.",
                    "parameters": [
                        *(
                            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                            for name in ("base", "head", "threshold", "sort", "only_changed", "allow_other_machine")
                        ),
                    ],
                    "responses": {
                        "200": {"description": "The two runs, the counts of each verdict and one row per series"},
                        "400": _error_response("A bad query value, or runs of different machines not allowed"),
                        "404": _error_response("No such run, or nothing to compare with"),
                    },
                }
            },
            "/data/regressions": {
                "get": {
                    "summary": "Steps (regressions and improvements) found in every series of the history",
                    "parameters": [
                        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                        for name in ("threshold", "machine")
                    ],
                    "responses": {
                        "200": {"description": "The threshold and one entry per confirmed step"},
                        "400": _error_response("A bad threshold"),
                    },
                }
            },
            "/data/database-status": {
                "get": {
                    "summary": "How far the tables lag behind the results store (uploads are ingested in the background)",
                    "responses": {"200": {"description": "pending_files: committed files not yet in the tables"}},
                }
            },
            "/health": {
                "get": {"summary": "Liveness and the stores' commits", "responses": {"200": {"description": "OK"}}}
            },
        },
    }


@openapi.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI description."""
    return jsonify(openapi_document())


@openapi.get("/docs")
def swagger_ui() -> str:
    """The Swagger UI, from the locally installed bundle."""
    return render_template("swagger.html", available=_swagger_ui_dir() is not None)


@openapi.get("/docs/assets/<name>")
def swagger_asset(name: str) -> Response:
    """One file of the locally installed Swagger UI bundle."""
    directory = _swagger_ui_dir()
    if directory is None or name not in _SWAGGER_FILES:
        abort(404)
    return send_from_directory(directory, name)
