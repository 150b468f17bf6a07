"""The upload tracker: which files each results server has accepted, kept in a JSON file.

The tracker lets a second upload send nothing and an interrupted one resume where it stopped. It is
rewritten atomically under a lock, so that concurrent uploaders merge their entries.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from pytest_nwb_benchmarks.utils._paths import benchmarks_home


class UploadTrackerError(ValueError):
    """The upload tracker file cannot be read."""


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
            The server that accepted it; entries are filed under its normalized URL.
        path : pathlib.Path
            The file, recorded by its absolute path.
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
