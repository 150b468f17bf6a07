"""Server configuration: environment variables, overridable by a dict passed to ``create_app``."""

from __future__ import annotations

import os
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
)

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
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
    """

    home: Path
    results_remote: str | None
    database_remote: str | None
    upload_token: str | None
    debug: bool
    max_upload_bytes: int


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
    max_bytes_text = get("NWB_BENCHMARKS_MAX_UPLOAD_BYTES")
    if max_bytes_text is None:
        max_bytes = DEFAULT_MAX_UPLOAD_BYTES
    else:
        try:
            max_bytes = int(max_bytes_text)
        except ValueError:
            raise ValueError(
                f"NWB_BENCHMARKS_MAX_UPLOAD_BYTES must be a whole number of bytes, got {max_bytes_text!r}"
            ) from None
        if max_bytes <= 0:
            raise ValueError(f"NWB_BENCHMARKS_MAX_UPLOAD_BYTES must be positive, got {max_bytes}")
    return ServerConfig(
        home=home,
        results_remote=get("NWB_BENCHMARKS_RESULTS_REMOTE"),
        database_remote=get("NWB_BENCHMARKS_DATABASE_REMOTE"),
        upload_token=get("NWB_BENCHMARKS_UPLOAD_TOKEN"),
        debug=(get("NWB_BENCHMARKS_DEBUG") or "").lower() in _TRUE,
        max_upload_bytes=max_bytes,
    )
