"""Uploading result files and headers to the results server, with retries and an upload tracker.

The server takes one file per request (``POST {server}/data/contribute?filename=<name>`` with the
body ``{"json_content": <the file's JSON>}``). This module decides what to send and in which order
(headers before the results that name them), retries what may succeed later (connection errors,
5xx), reports what will not (4xx), and remembers in the upload tracker what the server accepted, so
that a second upload sends nothing and an interrupted one resumes where it stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import requests

from pytest_nwb_benchmarks.results._file_names import InvalidFileName, ParsedFileName, parse_file_name
from pytest_nwb_benchmarks.utils._paths import benchmarks_home

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_BACKOFF",
    "SERVER_URL_ENV",
    "TOKEN_ENV",
    "UploadOutcome",
    "UploadTracker",
    "UploadTrackerError",
    "classify",
    "find_result_files",
    "main",
    "normalize_server_url",
    "referenced_headers",
    "summarize",
    "upload_result_files",
]

SERVER_URL_ENV = "NWB_BENCHMARKS_UPLOAD_URL"
TOKEN_ENV = "NWB_BENCHMARKS_UPLOAD_TOKEN"
ATTEMPTS_ENV = "NWB_BENCHMARKS_UPLOAD_ATTEMPTS"
BACKOFF_ENV = "NWB_BENCHMARKS_UPLOAD_BACKOFF"

DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF = 1.0  # seconds before the second try; doubled before each further one
DEFAULT_TIMEOUT = 120.0  # seconds per request: the server pulls, commits and pushes before answering

# The outcomes of one file. Everything but FAILED means the server has the file.
UPLOADED = "uploaded"
PENDING = "pending push"
UNCHANGED = "unchanged"
SKIPPED = "already uploaded"
FAILED = "failed"

# The server's explanations can list every accepted file name; a summary line needs less.
_SAID_LIMIT = 600

# HTTP statuses worth another try: the server or something in front of it may recover.
_TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class UploadTrackerError(ValueError):
    """The upload tracker file cannot be read."""


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one file.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    status : str
        ``"uploaded"``, ``"pending push"`` (stored, the server pushes it later), ``"unchanged"`` (the
        server had it already), ``"already uploaded"`` (the tracker says so; nothing was sent) or
        ``"failed"``.
    message : str
        Why it failed, or what the server said.
    http_status : int or None
        The status of the last answer, if there was one.
    attempts : int
        How many requests were sent.
    """

    path: Path
    status: str
    message: str = ""
    http_status: int | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """Whether the server has the file (uploaded now, before, or pending its push)."""
        return self.status != FAILED

    @property
    def sent(self) -> bool:
        """Whether this call sent the file (false for files the tracker skipped)."""
        return self.status != SKIPPED

    def summary_line(self) -> str:
        """Return the one line that reports this file, e.g. ``failed  x.json: HTTP 409 ...``."""
        line = f"{self.status:<16} {self.path.name}"
        if self.status == FAILED and self.message:
            line += f": {self.message}"
        return line


def normalize_server_url(url: str) -> str:
    """Return the server URL without surrounding blanks or a trailing slash.

    Parameters
    ----------
    url : str
        The configured URL, e.g. ``http://127.0.0.1:5000/``.

    Returns
    -------
    str
        The URL the tracker files uploads under.

    Raises
    ------
    ValueError
        When the URL is empty or not http(s).
    """
    cleaned = (url or "").strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", cleaned):
        raise ValueError(f"the results server URL must start with http:// or https://, got {url!r}")
    return cleaned


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` so that two uploaders do not overwrite each other."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: msvcrt locks a byte range instead
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class UploadTracker:
    """Which files each server has accepted, kept in a JSON file (``<benchmarks home>/uploads.json``).

    Entries are keyed by server URL, then by the file's absolute path, and hold the SHA-256 of the
    content that was accepted: a file that changed since is not "uploaded" any more. The file is
    rewritten atomically (a temporary file renamed over it) under a lock, re-read before each
    change, so concurrent uploaders merge their entries instead of losing them.

    Parameters
    ----------
    path : pathlib.Path, optional
        The tracker file; ``<benchmarks home>/uploads.json`` by default.
    """

    VERSION = 1

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else benchmarks_home() / "uploads.json"

    def _read(self) -> dict:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"version": self.VERSION, "servers": {}}
        hint = "fix it, or delete it to upload everything again (the server answers 'unchanged' for files it has)"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise UploadTrackerError(f"the upload tracker {self.path} is not valid JSON ({error}); {hint}") from None
        if not isinstance(data, dict) or not isinstance(data.get("servers"), dict):
            raise UploadTrackerError(f"the upload tracker {self.path} has no 'servers' object; {hint}")
        return data

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, indent=1, sort_keys=True)
                stream.write("\n")
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def entries(self, server_url: str) -> dict[str, dict]:
        """Return the tracker's entries for one server: absolute path -> ``{"sha256", "status", "time"}``.

        Parameters
        ----------
        server_url : str
            The server.

        Returns
        -------
        dict
            A copy of the entries.
        """
        servers = self._read()["servers"]
        return dict(servers.get(normalize_server_url(server_url), {}))

    def is_uploaded(self, server_url: str, path: Path, sha256: str) -> bool:
        """Whether the server accepted this file with exactly this content.

        Parameters
        ----------
        server_url : str
            The server.
        path : pathlib.Path
            The file.
        sha256 : str
            The SHA-256 of its current content.

        Returns
        -------
        bool
            True when the tracker has the file with the same hash.
        """
        entry = self.entries(server_url).get(str(Path(path).resolve()))
        return bool(entry) and entry.get("sha256") == sha256

    def mark_uploaded(self, server_url: str, path: Path, sha256: str, status: str) -> None:
        """Record that the server accepted this file with this content.

        Parameters
        ----------
        server_url : str
            The server.
        path : pathlib.Path
            The file.
        sha256 : str
            The SHA-256 of the content the server accepted.
        status : str
            How it was accepted (``"uploaded"``, ``"pending push"`` or ``"unchanged"``).
        """
        key = normalize_server_url(server_url)
        with _locked(self.path.with_name(self.path.name + ".lock")):
            data = self._read()
            data["version"] = self.VERSION
            data["servers"].setdefault(key, {})[str(Path(path).resolve())] = {
                "sha256": sha256,
                "status": status,
                "time": _now(),
            }
            self._write(data)


def classify(name: str) -> ParsedFileName | None:
    """Tell what a file name is (a header or a result file), or None for any other name.

    Parameters
    ----------
    name : str
        The file name (no folder).

    Returns
    -------
    ParsedFileName or None
        The kind and ids the name carries.
    """
    try:
        return parse_file_name(name)
    except InvalidFileName:
        return None


def find_result_files(results_dir: Path | str) -> list[Path]:
    """List the result files and headers in a results folder (not its subfolders).

    Parameters
    ----------
    results_dir : pathlib.Path or str
        The folder.

    Returns
    -------
    list of pathlib.Path
        The files whose names the server accepts, in upload order (headers first).

    Raises
    ------
    FileNotFoundError
        When the folder does not exist.
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"the results folder {folder} does not exist")
    return _upload_order(p for p in folder.iterdir() if p.is_file() and classify(p.name) is not None)


def _upload_order(paths: Iterable[Path]) -> list[Path]:
    """Sort headers before results (the server and its readers need the header a result names)."""
    rank = {"machine": 0, "environment": 1, "result": 2}

    def key(path: Path) -> tuple[int, str]:
        parsed = classify(path.name)
        return (rank[parsed.kind] if parsed else 3, path.name)

    unique = {Path(p).resolve(): None for p in paths}
    return sorted(unique, key=key)


def referenced_headers(path: Path) -> list[Path]:
    """Return the header files next to a result file that the result names (those that exist).

    Parameters
    ----------
    path : pathlib.Path
        A result file, e.g. ``result_timestamp-…_machine-abc_environment-def.json``.

    Returns
    -------
    list of pathlib.Path
        ``info_machine-abc.json`` and ``info_environment-def.json`` (or the older ``machine-abc.json``
        names) from the same folder, when present.
    """
    parsed = classify(path.name)
    if parsed is None or parsed.kind != "result" or parsed.machine_id is None:
        return []
    found = []
    for header_kind, header_id in (("machine", parsed.machine_id), ("environment", parsed.environment_id)):
        for prefix in ("info_", ""):
            candidate = path.with_name(f"{prefix}{header_kind}-{header_id}.json")
            if candidate.is_file():
                found.append(candidate)
                break
    return found


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
class _Attempt:
    """The result of sending one file, possibly several times."""

    response: requests.Response | None
    error: str
    attempts: int
    unreachable: bool


def _send(
    session: requests.Session,
    url: str,
    name: str,
    body: bytes,
    headers: dict[str, str],
    attempts: int,
    backoff: float,
    timeout: float,
    sleep: Callable[[float], None],
) -> _Attempt:
    """POST one file, retrying connection errors and transient statuses with exponential backoff."""
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
        return _Attempt(response, error, attempt, unreachable=False)
    return _Attempt(None, error, attempts, unreachable=True)


def upload_result_files(
    paths: Iterable[Path | str],
    server_url: str,
    token: str | None = None,
    tracker: UploadTracker | None = None,
    *,
    attempts: int | None = None,
    backoff: float | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    force: bool = False,
    on_outcome: Callable[[UploadOutcome], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[UploadOutcome]:
    """Upload result files and headers to the results server, headers first.

    Files the tracker lists as accepted with the same content are skipped. A file is marked in the
    tracker only when the server accepted it (HTTP 201, including "push pending", or 200
    "unchanged"). Connection errors and 5xx answers are retried with exponential backoff; when the
    server stays unreachable, the remaining files are reported as failed without being sent. A
    result file whose header failed in the same call is not sent either.

    Parameters
    ----------
    paths : iterable of pathlib.Path or str
        The files (result files, ``info_machine-…`` and ``info_environment-…`` headers).
    server_url : str
        The server's base URL, e.g. ``http://127.0.0.1:5000``.
    token : str, optional
        The upload token, sent as ``Authorization: Bearer <token>``; by default it is read from
        ``NWB_BENCHMARKS_UPLOAD_TOKEN``. Pass ``""`` to send none.
    tracker : UploadTracker, optional
        The upload tracker; ``<benchmarks home>/uploads.json`` by default.
    attempts : int, optional
        Tries per file, at least 1 (``NWB_BENCHMARKS_UPLOAD_ATTEMPTS``, else 4).
    backoff : float, optional
        Seconds before the second try, doubled before each next one (``NWB_BENCHMARKS_UPLOAD_BACKOFF``,
        else 1.0).
    timeout : float
        Seconds to wait for each answer.
    force : bool
        Send files even when the tracker lists them.
    on_outcome : callable, optional
        Called with each outcome as soon as it is known, for progress reports.
    sleep : callable
        How to wait between tries.

    Returns
    -------
    list of UploadOutcome
        One per file, in upload order.

    Raises
    ------
    ValueError
        When the server URL, ``attempts`` or ``backoff`` is invalid.
    UploadTrackerError
        When the tracker file cannot be read.
    """
    server_url = normalize_server_url(server_url)
    attempts = _setting(attempts, ATTEMPTS_ENV, DEFAULT_ATTEMPTS, int)
    backoff = _setting(backoff, BACKOFF_ENV, DEFAULT_BACKOFF, float)
    if attempts < 1 or backoff < 0:
        raise ValueError(f"attempts must be at least 1 and backoff at least 0, got {attempts} and {backoff}")
    token = os.environ.get(TOKEN_ENV, "") if token is None else token
    tracker = tracker if tracker is not None else UploadTracker()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    endpoint = f"{server_url}/data/contribute"

    outcomes: list[UploadOutcome] = []
    failed_headers: set[tuple[str, str]] = set()
    unreachable = ""

    def report(outcome: UploadOutcome) -> None:
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    with requests.Session() as session:
        for path in _upload_order(Path(p) for p in paths):
            parsed = classify(path.name)
            try:
                raw = path.read_bytes()
            except OSError as error:
                report(UploadOutcome(path, FAILED, f"cannot read the file ({error.strerror or error})"))
                continue
            try:
                json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                report(UploadOutcome(path, FAILED, f"not valid JSON ({error}); nothing was sent"))
                continue
            digest = _sha256(raw)
            if not force and tracker.is_uploaded(server_url, path, digest):
                report(UploadOutcome(path, SKIPPED))
                continue
            if unreachable:
                report(UploadOutcome(path, FAILED, "not sent, the server is unreachable"))
                continue
            if parsed is not None and parsed.kind == "result":
                ids = {"machine": parsed.machine_id, "environment": parsed.environment_id}
                missing = [k for k in ("machine", "environment") if (k, ids[k]) in failed_headers]
                if missing:
                    report(UploadOutcome(path, FAILED, f"not sent, its {' and '.join(missing)} header failed"))
                    continue
            # Send the file's own bytes, so the server stores exactly what is on disk.
            body = b'{"json_content": ' + raw + b"}"
            sent = _send(session, endpoint, path.name, body, headers, attempts, backoff, timeout, sleep)
            outcome = _judge(path, sent)
            if outcome.ok:
                tracker.mark_uploaded(server_url, path, digest, outcome.status)
            else:
                if parsed is not None and parsed.kind != "result":
                    failed_headers.add((parsed.kind, parsed.machine_id or parsed.environment_id))
                if sent.unreachable:
                    unreachable = sent.error
            report(outcome)
    return outcomes


def _judge(path: Path, sent: _Attempt) -> UploadOutcome:
    """Turn the server's last answer into an outcome."""
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


def _setting(value: object, env: str, default: object, kind: type) -> object:
    """An explicit value, else the environment variable, else the default; bad values are named."""
    if value is not None:
        return kind(value)
    configured = os.environ.get(env, "").strip()
    if not configured:
        return default
    try:
        return kind(configured)
    except ValueError:
        raise ValueError(f"{env}={configured!r} is not a valid {kind.__name__}") from None


def summarize(outcomes: list[UploadOutcome]) -> str:
    """Return the closing line of a report, e.g. ``2 uploaded, 1 unchanged, 3 already uploaded, 1 failed``.

    Parameters
    ----------
    outcomes : list of UploadOutcome
        The outcomes.

    Returns
    -------
    str
        Counts per status, in a fixed order; ``nothing to upload`` when the list is empty.
    """
    counts = {status: 0 for status in (UPLOADED, PENDING, UNCHANGED, SKIPPED, FAILED)}
    for outcome in outcomes:
        counts[outcome.status] += 1
    parts = [f"{count} {status}" for status, count in counts.items() if count]
    return ", ".join(parts) if parts else "nothing to upload"


def main(argv: list[str] | None = None) -> int:
    """``python -m pytest_nwb_benchmarks upload``: upload result files that the server does not have yet.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``upload``.

    Returns
    -------
    int
        0 when every file is on the server, 1 when any failed, 2 for a usage error.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nwb_benchmarks upload",
        description="Upload result files and headers to the results server. Without FILES, every file in the "
        "results folder that the upload tracker does not list as uploaded.",
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILES", help="files to upload (default: all)")
    parser.add_argument(
        "--server-url",
        default=os.environ.get(SERVER_URL_ENV),
        help=f"the results server (default: ${SERVER_URL_ENV})",
    )
    parser.add_argument("--results-dir", type=Path, default=Path("results"), help="default: ./results")
    parser.add_argument("--attempts", type=int, default=None, help=f"tries per file (default {DEFAULT_ATTEMPTS})")
    parser.add_argument("--backoff", type=float, default=None, help="seconds before the first retry, then doubled")
    parser.add_argument("--force", action="store_true", help="send files even if the tracker lists them")
    parser.add_argument("--tracker", type=Path, default=None, help="the tracker file (default: <home>/uploads.json)")
    args = parser.parse_args(argv)
    if not args.server_url:
        parser.error(f"no results server: pass --server-url URL or set {SERVER_URL_ENV}")
    try:
        server_url = normalize_server_url(args.server_url)
        files = list(args.files) if args.files else find_result_files(args.results_dir)
    except (ValueError, FileNotFoundError) as error:
        parser.error(str(error))
    print(f"uploading to {server_url}")
    try:
        outcomes = upload_result_files(
            files,
            server_url,
            tracker=UploadTracker(args.tracker) if args.tracker else None,
            attempts=args.attempts,
            backoff=args.backoff,
            force=args.force,
            on_outcome=lambda outcome: outcome.sent and print(outcome.summary_line(), flush=True),
        )
    except (ValueError, UploadTrackerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summarize(outcomes))
    return 0 if all(outcome.ok for outcome in outcomes) else 1
