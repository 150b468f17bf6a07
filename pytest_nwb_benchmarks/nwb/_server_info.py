"""Where a running streaming server listens, and how to ask it for its counters.

:class:`ServerInfo` is what the server process prints once it listens, what the session hands to the
benchmark processes (inside the suite's settings) and what the benchmarks build their URLs from.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

SERVER_ENV = "NWB_BENCHMARKS_SERVER"
DEFAULT_BUCKET = "nwb-benchmarks"
DEFAULT_LATENCIES_MS: tuple[int, ...] = (0, 20)


class StreamingServerUnavailable(RuntimeError):
    """The streaming server does not answer (it died, or was never started)."""


# ---------------------------------------------------------------------------------------------------------
# Parent side: where the server is and how to talk to it


@dataclass(frozen=True)
class ServerInfo:
    """Where a running streaming server listens; JSON round-trips through :meth:`to_json`/:meth:`from_json`.

    Attributes
    ----------
    root : str
        The folder whose files are served.
    bucket : str
        The path-style S3 bucket name.
    base_urls : dict of int to str
        ``{latency_ms: "http://127.0.0.1:PORT"}``, one port per latency.
    pid : int
        The server process's id.
    """

    root: str
    bucket: str
    base_urls: dict[int, str] = field(default_factory=dict)
    pid: int = 0

    def to_json(self) -> str:
        """Serialise to JSON (as the settings hand it over, and the value ``NWB_BENCHMARKS_SERVER`` takes).

        Returns
        -------
        str
            One line of JSON.
        """
        payload = {
            "root": self.root,
            "bucket": self.bucket,
            "base_urls": {str(latency): url for latency, url in self.base_urls.items()},
            "pid": self.pid,
        }
        return json.dumps(payload, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ServerInfo:
        """Parse what :meth:`to_json` wrote.

        Parameters
        ----------
        text : str
            The JSON text.

        Returns
        -------
        ServerInfo
            The server description.

        Raises
        ------
        ValueError
            If the text is not such a JSON object.
        """
        try:
            payload = json.loads(text)
            return cls(
                root=str(payload["root"]),
                bucket=str(payload["bucket"]),
                base_urls={int(latency): str(url) for latency, url in payload["base_urls"].items()},
                pid=int(payload["pid"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a streaming server description ({error}): {text[:200]!r}") from None

    @property
    def latencies_ms(self) -> tuple[int, ...]:
        """The configured latencies, in ms, ascending."""
        return tuple(sorted(self.base_urls))

    def base_url(self, latency_ms: int = 0) -> str:
        """Return ``http://127.0.0.1:PORT`` of the port that waits ``latency_ms`` per request.

        Parameters
        ----------
        latency_ms : int
            One of the configured latencies.

        Returns
        -------
        str
            The base URL, without a trailing slash.

        Raises
        ------
        ValueError
            If the server has no port for that latency.
        """
        try:
            return self.base_urls[int(latency_ms)]
        except KeyError:
            configured = ", ".join(str(latency) for latency in self.latencies_ms)
            raise ValueError(
                f"the streaming server has no port with latency {latency_ms} ms (configured: {configured})"
            ) from None

    def http_url(self, relative_path: str, latency_ms: int = 0) -> str:
        """Return the plain HTTP URL of a file: ``<base>/files/<relative path>``."""
        return f"{self.base_url(latency_ms)}/files/{_quote_path(relative_path)}"

    def redirect_url(self, relative_path: str, latency_ms: int = 0) -> str:
        """Return the DANDI-like URL that redirects (302) to :meth:`http_url`."""
        return f"{self.base_url(latency_ms)}/api/assets/{_quote_path(relative_path)}/download/"

    def s3_url(self, relative_path: str) -> str:
        """Return the S3 URL of a file: ``s3://<bucket>/<relative path>`` (pair it with :meth:`s3_endpoint`)."""
        return f"s3://{self.bucket}/{relative_path.lstrip('/')}"

    def s3_endpoint(self, latency_ms: int = 0) -> str:
        """Return the endpoint URL for s3fs (``endpoint_url``) or ros3 (``AWS_ENDPOINT_URL``)."""
        return self.base_url(latency_ms)

    def stats(self) -> dict[str, Any]:
        """Return the server's counters (``GET /__stats__``).

        Returns
        -------
        dict
            ``{"paths": {relative path: counters}, "totals": counters + connections and other requests}``.

        Raises
        ------
        StreamingServerUnavailable
            If the server does not answer.
        """
        return self._get_json("/__stats__")

    def reset_stats(self) -> dict[str, Any]:
        """Zero the server's counters and return the values they had (``/__stats__/reset``).

        Returns
        -------
        dict
            The counters before the reset, as :meth:`stats` returns them.

        Raises
        ------
        StreamingServerUnavailable
            If the server does not answer.
        """
        return self._get_json("/__stats__/reset", method="POST")

    def check_alive(self, timeout: float = 5.0) -> None:
        """Raise :class:`StreamingServerUnavailable` unless the server answers a ping.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the answer.

        Raises
        ------
        StreamingServerUnavailable
            With a message naming the server's URL and process id.
        """
        self._get_json("/__alive__", timeout=timeout)

    def describe(self) -> str:
        """Name the server for error messages: its URL(s) and process id."""
        urls = ", ".join(f"{url} ({latency} ms)" for latency, url in sorted(self.base_urls.items()))
        return f"the NWB streaming server at {urls or '<no ports>'} (pid {self.pid}, serving {self.root})"

    def _get_json(self, path: str, method: str = "GET", timeout: float = 10.0) -> dict[str, Any]:
        # The stats live in the server process, shared by every port; ask the first.
        url = self.base_url(self.latencies_ms[0]) + path if self.base_urls else ""
        try:
            request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except (OSError, ValueError) as error:
            raise StreamingServerUnavailable(f"{self.describe()} does not answer {path}: {error}") from None


def _quote_path(relative_path: str) -> str:
    return quote(relative_path.lstrip("/"), safe="/")
