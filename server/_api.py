"""The JSON API: uploads, the database rebuild and read endpoints for scripts and the browser."""

from __future__ import annotations

import hmac
import math
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from pytest_nwb_benchmarks.results import ACCEPTED_PATTERNS, InvalidFileName, parse_file_name
from server._payload import PayloadError, count_samples, parse_body
from server._schemas import SchemaError, validate_content
from server._service import ResultsService
from server._stores import Conflict, StoreError

api = Blueprint("api", __name__)


def service() -> ResultsService:
    """The service of the running app."""
    return current_app.extensions["nwb_benchmarks"]


def error_response(status: int, error: str, detail: Any = None) -> tuple[Response, int]:
    """Every error of the API has the same shape: ``{"error": ..., "detail": ...}``."""
    return jsonify({"error": error, "detail": detail}), status


def _check_state_change() -> tuple[Response, int] | None:
    """What every state-changing request must pass: a JSON content type, no cross-site origin, the token.

    A browser sends a cross-site form or ``text/plain`` POST without asking first; requiring
    ``application/json`` (which a browser only sends cross-site after a CORS preflight this server
    never grants) and refusing a foreign ``Origin`` keep other web sites from storing files through
    a visitor's browser, also on a server without an upload token.
    """
    if request.mimetype != "application/json":
        given = request.content_type or "none"
        return error_response(
            415,
            "unsupported media type",
            f"state-changing requests need 'Content-Type: application/json'; this one has {given!r}",
        )
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
        return error_response(403, "cross-site request", f"requests from {origin!r} may not change this server")
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        return error_response(403, "cross-site request", "cross-site requests may not change this server")
    return _check_token()


def _check_token() -> tuple[Response, int] | None:
    token = service().config.upload_token
    if token is None:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return error_response(
            401, "missing upload token", "this server needs the header 'Authorization: Bearer <token>' for uploads"
        )
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return error_response(401, "wrong upload token", "the bearer token does not match the server's upload token")
    return None


def _records(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: times in ISO 8601, missing values as null."""
    clean = []
    for row in rows:
        item = {}
        for key, value in row.items():
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, float) and not math.isfinite(value):
                value = None
            item[key] = value
        clean.append(item)
    return clean


@api.post("/data/contribute")
def contribute() -> tuple[Response, int]:
    """Store one result, machine or environment file."""
    refused = _check_state_change()
    if refused is not None:
        return refused
    name = request.args.get("filename", "")
    if not name:
        return error_response(
            400, "missing filename", {"message": "give ?filename=<name>", "accepted": list(ACCEPTED_PATTERNS)}
        )
    try:
        parsed = parse_file_name(name)
    except InvalidFileName as error:
        return error_response(400, "invalid filename", {"message": str(error), "accepted": list(ACCEPTED_PATTERNS)})
    # Reading the body here makes werkzeug enforce the size limit (413) before any parsing.
    raw = request.get_data(cache=False)
    config = service().config
    try:
        body = parse_body(raw)
        if not isinstance(body, dict) or "json_content" not in body:
            return error_response(400, "malformed body", 'expected a JSON object {"json_content": {...}}')
        content = body["json_content"]
        validate_content(parsed.kind, content)
        if parsed.kind == "result":
            count_samples(content["results"], config.max_samples_per_entry, config.max_samples_per_file)
    except PayloadError as error:
        # Paths name places in the file, as the schema's do: "$" is the file, not the request body.
        if error.json_path is not None and error.json_path.startswith("$.json_content"):
            error.json_path = "$" + error.json_path.removeprefix("$.json_content")
        return error_response(400, error.error, error.detail())
    except SchemaError as error:
        return error_response(
            400,
            f"{parsed.kind} file does not match its schema",
            {"path": error.json_path, "message": error.problem},
        )
    mismatch = _name_content_mismatch(parsed, content)
    if mismatch:
        return error_response(400, "file name and content disagree", mismatch)
    try:
        outcome = service().contribute(name, content)
    except Conflict as error:
        return error_response(409, "already stored with different content", str(error))
    except StoreError as error:
        current_app.logger.error("storing %s failed: %s", name, error)
        return error_response(503, "the results store failed", str(error))
    current_app.logger.info("%s: %s (%s)", name, outcome.status, outcome.message)
    payload = {
        "status": outcome.status,
        "filename": name,
        "path": outcome.path,
        "commit": outcome.commit,
        "pushed": outcome.pushed,
        "message": outcome.message,
        "debug": service().config.debug,
        # The tables catch up in the background: GET /data/database-status says when they hold the file.
        "database": "pending" if outcome.status == "stored" else "unchanged",
        "run": name.removesuffix(".json") if parsed.kind == "result" else None,
    }
    # "validated" (debug mode) is a 201 too: the client did everything right.
    return jsonify(payload), 200 if outcome.status == "unchanged" else 201


def _name_content_mismatch(parsed: Any, content: dict) -> dict[str, str] | None:
    """A result file must carry the machine and environment ids that its name announces."""
    if parsed.kind != "result":
        return None
    for key, expected in (("machine_hash", parsed.machine_id), ("environment_hash", parsed.environment_id)):
        if expected is not None and content.get(key) != expected:
            return {"path": f"$.{key}", "message": f"the name says {expected!r}, the content says {content.get(key)!r}"}
    return None


@api.post("/data/update-database")
def update_database() -> tuple[Response, int]:
    """Bring the database store's Parquet tables up to date with the results store (``?rebuild=1``: from scratch)."""
    refused = _check_state_change()
    if refused is not None:
        return refused
    rebuild = request.args.get("rebuild", "").lower() in ("1", "true", "yes")
    try:
        outcome = service().update_database(rebuild=rebuild)
    except StoreError as error:
        return error_response(503, "the database store failed", str(error))
    write = outcome.write
    return jsonify(
        {
            "status": write.status,
            "commit": write.commit,
            "pushed": write.pushed,
            "message": write.message,
            "results_commit": outcome.results_commit,
            "counts": outcome.counts,
            "files_read": outcome.files_read,
            "rebuilt": outcome.rebuilt,
            "problems": outcome.problems,
        }
    ), 200


#: Rows one request returns at most (``?limit=`` asks for fewer); page on with ``?offset=``.
MAX_ROWS = 100_000
DEFAULT_ROWS = 10_000


def _page() -> tuple[int, int] | tuple[Response, int]:
    try:
        limit = int(request.args.get("limit", DEFAULT_ROWS))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        return error_response(400, "invalid paging", "limit and offset must be whole numbers")
    if not (0 < limit <= MAX_ROWS) or offset < 0:
        return error_response(400, "invalid paging", f"limit must be in 1..{MAX_ROWS} and offset at least 0")
    return limit, offset


def _paged(rows: list[dict[str, Any]], limit: int, offset: int) -> Response:
    """A page of rows; when it is full, the ``Link`` header points to the next one.

    Serialized by orjson, which writes what :func:`_records` makes of a row (times in ISO 8601,
    NaN as null) ten times faster than the standard library: a page holds up to 100,000 rows.
    """
    # Naive times are UTC (see Queries.samples): written with their zone, like the others.
    response = Response(orjson.dumps(rows, option=orjson.OPT_NAIVE_UTC), mimetype="application/json")
    if len(rows) == limit:
        args = {**request.args.to_dict(), "limit": str(limit), "offset": str(offset + limit)}
        query = "&".join(f"{key}={quote(value, safe='')}" for key, value in args.items())
        response.headers["Link"] = f'<{request.path}?{query}>; rel="next"'
    return response


@api.get("/data/machines")
def machines() -> Response:
    """Every machine header, summarized."""
    return jsonify(_records(service().queries.header("machines")))


@api.get("/data/environments")
def environments() -> Response:
    """Every environment header, summarized (packages as a JSON object text)."""
    return jsonify(_records(service().queries.header("environments")))


@api.get("/data/problems")
def problems() -> Response:
    """Stored files that the database could not ingest, and why."""
    return jsonify(_records(service().queries.header("problems")))


@api.get("/data/runs")
def runs() -> tuple[Response, int] | Response:
    """Stored runs (result files), oldest first, a page at a time (``?limit=``, ``?offset=``)."""
    page = _page()
    if isinstance(page[0], Response):
        return page
    limit, offset = page
    return _paged(service().queries.runs(limit, offset), limit, offset)


@api.get("/data/benchmarks")
def benchmarks() -> Response:
    """Every benchmark with its number of samples, runs and machines."""
    rows = service().queries.benchmarks()
    return jsonify(
        _records([{key: row[key] for key in ("benchmark", "samples", "runs", "machines", "unit")} for row in rows])
    )


@api.get("/data/benchmarks/<path:benchmark>/samples")
def benchmark_samples(benchmark: str) -> tuple[Response, int] | Response:
    """The samples of one benchmark; filter with ``?machine=``, ``?params=``, ``?variable=`` or ``?run=``."""
    page = _page()
    if isinstance(page[0], Response):
        return page
    limit, offset = page
    queries = service().queries
    if not queries.options(benchmark):
        return error_response(404, "unknown benchmark", f"no samples for {benchmark!r}; see /data/benchmarks")
    filters = {
        column: request.args[column] for column in ("machine", "params", "variable", "run") if column in request.args
    }
    return _paged(queries.samples(benchmark, filters, limit, offset), limit, offset)


@api.get("/data/database-status")
def database_status() -> Response:
    """How many committed files the tables do not hold yet (poll it for read-after-write)."""
    return jsonify(service().database_status())


@api.get("/health")
def health() -> Response:
    """Liveness, with the commits the stores are at."""
    svc = service()
    return jsonify(
        {
            "status": "ok",
            "debug": svc.config.debug,
            "results_commit": svc.results.head_commit(),
            "database_commit": svc.database.head_commit(),
        }
    )


def handle_http_error(error: HTTPException) -> tuple[Response, int]:
    """Turn werkzeug's HTML error pages into the API's JSON errors."""
    if error.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return error_response(413, "request body too large", f"the limit is {limit} bytes")
    return error_response(error.code or 500, error.name, error.description)
