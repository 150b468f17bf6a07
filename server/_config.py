"""Server configuration: environment variables, overridable by a dict passed to ``create_app``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Every configuration key the server reads; the same names work as environment variables and
#: as keys of the dict given to :func:`server.create_app`.
CONFIG_KEYS: tuple[str, ...] = (
    "NWB_BENCHMARKS_SERVER_HOME",
    "NWB_BENCHMARKS_RESULTS_REMOTE",
    "NWB_BENCHMARKS_DATABASE_REMOTE",
    "NWB_BENCHMARKS_UPLOAD_TOKEN",
    "NWB_BENCHMARKS_DEBUG",
    "NWB_BENCHMARKS_MAX_UPLOAD_BYTES",
    "NWB_BENCHMARKS_MAX_SAMPLES_PER_ENTRY",
    "NWB_BENCHMARKS_MAX_SAMPLES_PER_FILE",
    "NWB_BENCHMARKS_GIT_TIMEOUT",
    "NWB_BENCHMARKS_PUSH_WAIT",
)

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The default suite writes a few thousand samples per file and at most a few hundred per entry.
DEFAULT_MAX_SAMPLES_PER_ENTRY = 10_000
DEFAULT_MAX_SAMPLES_PER_FILE = 100_000
# Seconds a git network operation (clone, fetch, push) may take before it is killed.
DEFAULT_GIT_TIMEOUT = 30.0
# Seconds an upload waits for its push before answering "push pending" (the push goes on in the background).
DEFAULT_PUSH_WAIT = 5.0
DEFAULT_HOME = Path("~/.nwb_benchmarks_server")

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ServerConfig:
    """The resolved configuration of one server instance.

    Attributes
    ----------
    home : Path
        Data directory: clones of both stores, the default bare remotes, lock files.
    results_remote : str or None
        Git URL of the results store; None means the bare repository under ``home/remotes``.
    database_remote : str or None
        Git URL of the database store; None means the bare repository under ``home/remotes``.
    upload_token : str or None
        When set, uploads need ``Authorization: Bearer <token>``.
    debug : bool
        Debug mode: uploads are validated but nothing is committed or pushed.
    max_upload_bytes : int
        Largest accepted request body.
    max_samples_per_entry : int
        Most samples accepted for one benchmark and parameter combination of a result file.
    max_samples_per_file : int
        Most samples accepted in one result file.
    git_timeout : float
        Seconds a git network operation may take before it is killed.
    push_wait : float
        Seconds an upload waits for its push before answering with the push pending.
    """

    home: Path
    results_remote: str | None
    database_remote: str | None
    upload_token: str | None
    debug: bool
    max_upload_bytes: int
    max_samples_per_entry: int = DEFAULT_MAX_SAMPLES_PER_ENTRY
    max_samples_per_file: int = DEFAULT_MAX_SAMPLES_PER_FILE
    git_timeout: float = DEFAULT_GIT_TIMEOUT
    push_wait: float = DEFAULT_PUSH_WAIT


def load_config(overrides: dict[str, Any] | None = None) -> ServerConfig:
    """Resolve the configuration from the environment, then from ``overrides``.

    Parameters
    ----------
    overrides : dict, optional
        Keys from :data:`CONFIG_KEYS`; a key present here wins over the environment variable.

    Returns
    -------
    ServerConfig
        The configuration.

    Raises
    ------
    ValueError
        For an unknown key or a value that cannot be understood.
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(CONFIG_KEYS))
    if unknown:
        raise ValueError(f"unknown server configuration key(s) {unknown}; known keys: {list(CONFIG_KEYS)}")

    def get(key: str) -> str | None:
        value = overrides[key] if key in overrides else os.environ.get(key)
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    home = Path(get("NWB_BENCHMARKS_SERVER_HOME") or DEFAULT_HOME).expanduser().resolve()
    return ServerConfig(
        home=home,
        results_remote=get("NWB_BENCHMARKS_RESULTS_REMOTE"),
        database_remote=get("NWB_BENCHMARKS_DATABASE_REMOTE"),
        upload_token=get("NWB_BENCHMARKS_UPLOAD_TOKEN"),
        debug=(get("NWB_BENCHMARKS_DEBUG") or "").lower() in _TRUE,
        max_upload_bytes=int(_positive(get, "NWB_BENCHMARKS_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, int)),
        max_samples_per_entry=int(
            _positive(get, "NWB_BENCHMARKS_MAX_SAMPLES_PER_ENTRY", DEFAULT_MAX_SAMPLES_PER_ENTRY, int)
        ),
        max_samples_per_file=int(
            _positive(get, "NWB_BENCHMARKS_MAX_SAMPLES_PER_FILE", DEFAULT_MAX_SAMPLES_PER_FILE, int)
        ),
        git_timeout=_positive(get, "NWB_BENCHMARKS_GIT_TIMEOUT", DEFAULT_GIT_TIMEOUT, float),
        push_wait=_positive(get, "NWB_BENCHMARKS_PUSH_WAIT", DEFAULT_PUSH_WAIT, float),
    )


def _positive(get: Callable[[str], str | None], key: str, default: float, kind: type) -> float:
    """A positive number from the configuration, or ``default`` when the key is not set."""
    text = get(key)
    if text is None:
        return default
    # ASCII digits only: int() and float() would also take other scripts' digits.
    if not text.isascii():
        raise ValueError(f"{key} must be a positive number, got {text!r}")
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{key} must be a positive {'whole ' if kind is int else ''}number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{key} must be positive and finite, got {text!r}")
    return value
