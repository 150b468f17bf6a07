"""Sending one file to the results server: the request, its retries, and what the answer means.

The server takes one file per request (``POST {server}/data/contribute?filename=<name>`` with the
body ``{"json_content": <the file's JSON>}``). Connection errors and transient statuses (5xx, 408,
425, 429) are tried again with exponential backoff; other refusals are explained in words that say
what to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from pytest_nwb_benchmarks.upload._outcome import FAILED, PENDING, UNCHANGED, UPLOADED, UploadOutcome

TOKEN_ENV = "NWB_BENCHMARKS_UPLOAD_TOKEN"

# The server's explanations can list every accepted file name; a summary line needs less.
_SAID_LIMIT = 600

# HTTP statuses worth another try: the server or something in front of it may recover.
_TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def _server_says(response: requests.Response) -> str:
    """The server's own explanation (its error, then the details), from its JSON answer or its text."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:_SAID_LIMIT]
    if not isinstance(body, dict):
        return json.dumps(body)[:_SAID_LIMIT]
    parts = [str(body[field]) for field in ("error", "message") if body.get(field)]
    detail = body.get("detail")
    if isinstance(detail, dict) and detail.get("message"):
        where = f" (at {detail['path']})" if detail.get("path") else ""
        parts.append(f"{detail['message']}{where}")
    elif detail:
        parts.append(str(detail))
    if not parts and body.get("status"):
        parts.append(str(body["status"]))
    return " ".join(": ".join(parts).split())[:_SAID_LIMIT]


def _connection_problem(error: Exception) -> str:
    """The operating system's reason for a failed connection (e.g. "Connection refused"), briefly."""
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    match = re.search(r"\[Errno -?[0-9]+\] ([^'\")\]]+)", str(error))
    return match.group(1).strip() if match else type(error).__name__


def _refusal(response: requests.Response, name: str) -> str:
    """Explain a permanent refusal in words that say what to do."""
    status = response.status_code
    if status == 401:
        text = f"HTTP 401, the upload token is missing or wrong; set {TOKEN_ENV} to the server's token"
    elif status == 403:
        text = "HTTP 403, the server refuses this upload"
    elif status == 409:
        text = (
            f"HTTP 409, the server already has a different file named {name}; result files must not change "
            "after they are uploaded, so write a new run instead of editing this one"
        )
    elif status == 413:
        text = "HTTP 413, the file is larger than the server accepts"
    elif status == 400:
        text = "HTTP 400, the server rejected the file"
    elif status in (404, 405):
        text = f"HTTP {status} from {response.url.split('?')[0]}; is the server URL right?"
    else:
        text = f"HTTP {status}"
    said = _server_says(response)
    return f"{text} ({said})" if said else text


@dataclass
class Attempt:
    """The result of sending one file, possibly several times.

    Attributes
    ----------
    response : requests.Response or None
        The server's last answer; None when it never answered.
    error : str
        Why the last try failed, if it did (unreachable, or a transient status).
    attempts : int
        How many requests were sent.
    unreachable : bool
        Whether every try failed to reach the server.
    """

    response: requests.Response | None
    error: str
    attempts: int
    unreachable: bool


def send(
    session: requests.Session,
    url: str,
    name: str,
    body: bytes,
    headers: dict[str, str],
    attempts: int,
    backoff: float,
    timeout: float,
    sleep: Callable[[float], None],
) -> Attempt:
    """POST one file, retrying connection errors and transient statuses with exponential backoff.

    The retries are written here rather than left to urllib3's ``Retry`` (mounted on the session
    through ``requests.adapters.HTTPAdapter``), which would also retry a POST if told to, for
    three reasons: ``Retry`` waits nothing before the first retry (its backoff starts at the second),
    where the uploader's documented backoff is "``backoff`` seconds before the second try, doubled
    before each next one"; it sleeps with ``time.sleep`` inside the connection pool, where the
    uploader takes ``sleep`` from its caller (the tests count the waits); and the uploader must count
    each file's tries and tell a server that never answered (stop sending the rest) from one that
    answered 5xx to this file (go on to the next), which ``Retry`` leaves to its retry history and
    to the exception that ends it.

    Parameters
    ----------
    session : requests.Session
        The session that keeps the connection open between files.
    url : str
        The server's upload endpoint, ``{server}/data/contribute``.
    name : str
        The file's name, sent as ``?filename=``.
    body : bytes
        The request body, ``{"json_content": <the file's JSON>}``.
    headers : dict
        The request headers (content type, and the token when there is one).
    attempts : int
        Tries at most, at least 1.
    backoff : float
        Seconds before the second try, doubled before each next one.
    timeout : float
        Seconds to wait for each answer.
    sleep : callable
        How to wait between tries.

    Returns
    -------
    Attempt
        The last answer (None if the server never answered), the last error and the tries made.
    """
    error = ""
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            sleep(backoff * 2 ** (attempt - 2))
        try:
            response = session.post(url, params={"filename": name}, data=body, headers=headers, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            error = f"cannot reach the server ({_connection_problem(exc)})"
            continue
        if response.status_code in _TRANSIENT_STATUSES:
            error = f"HTTP {response.status_code} ({_server_says(response)})"
            if attempt < attempts:
                continue
        return Attempt(response, error, attempt, unreachable=False)
    return Attempt(None, error, attempts, unreachable=True)


def judge(path: Path, sent: Attempt) -> UploadOutcome:
    """Turn the server's last answer to one file into that file's outcome.

    Parameters
    ----------
    path : pathlib.Path
        The file that was sent.
    sent : Attempt
        What :func:`send` returned for it.

    Returns
    -------
    UploadOutcome
        Uploaded (201, or "pending push" when the server says it has not pushed yet), unchanged
        (200) or failed, with the server's explanation.
    """
    response = sent.response
    tries = f"after {sent.attempts} attempt{'s' if sent.attempts != 1 else ''}"
    if response is None:
        return UploadOutcome(path, FAILED, f"{sent.error}, {tries}", None, sent.attempts)
    status = response.status_code
    if status == 201:
        try:
            body = response.json()
        except ValueError:
            body = {}
        pushed = body.get("pushed", True) if isinstance(body, dict) else True
        return UploadOutcome(path, UPLOADED if pushed else PENDING, _server_says(response), status, sent.attempts)
    if status == 200:
        return UploadOutcome(path, UNCHANGED, _server_says(response), status, sent.attempts)
    if status in _TRANSIENT_STATUSES:
        return UploadOutcome(path, FAILED, f"{sent.error}, {tries}", status, sent.attempts)
    return UploadOutcome(path, FAILED, _refusal(response, path.name), status, sent.attempts)
