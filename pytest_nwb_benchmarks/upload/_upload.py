"""Uploading result files and headers to the results server: the upload loop and its command.

This module decides what to send and in which order (headers before the results that name them,
see :mod:`._files`), sends each file with retries (:mod:`._client`), and remembers in the upload
tracker (:mod:`._tracker`) what the server accepted, so that a second upload sends nothing and an
interrupted one resumes where it stopped. ``python -m pytest_nwb_benchmarks upload`` is
:func:`main`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import requests

from pytest_nwb_benchmarks.upload._client import TOKEN_ENV, judge, send
from pytest_nwb_benchmarks.upload._files import classify, find_result_files, referenced_headers, upload_order  # noqa: F401
from pytest_nwb_benchmarks.upload._outcome import FAILED, SKIPPED, UploadOutcome, summarize
from pytest_nwb_benchmarks.upload._tracker import UploadTracker, UploadTrackerError, normalize_server_url

SERVER_URL_ENV = "NWB_BENCHMARKS_UPLOAD_URL"
ATTEMPTS_ENV = "NWB_BENCHMARKS_UPLOAD_ATTEMPTS"
BACKOFF_ENV = "NWB_BENCHMARKS_UPLOAD_BACKOFF"

DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF = 1.0  # seconds before the second try; doubled before each further one
DEFAULT_TIMEOUT = 120.0  # seconds per request: the server pulls, commits and pushes before answering


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        for path in upload_order(Path(p) for p in paths):
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
            sent = send(session, endpoint, path.name, body, headers, attempts, backoff, timeout, sleep)
            outcome = judge(path, sent)
            if outcome.ok:
                tracker.mark_uploaded(server_url, path, digest, outcome.status)
            else:
                if parsed is not None and parsed.kind != "result":
                    failed_headers.add((parsed.kind, parsed.machine_id or parsed.environment_id))
                if sent.unreachable:
                    unreachable = sent.error
            report(outcome)
    return outcomes


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
