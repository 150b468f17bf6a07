"""A counting reverse proxy on 127.0.0.1, in its own process, for network-tracking runs only.

A client whose URLs point at the proxy instead of the real server has every request forwarded to the
target base URL and every byte counted on the way, whatever the client is (requests, aiohttp, libcurl in
h5py's ros3 driver). The extra hop costs time, so timing benchmarks never go through it.

Run directly: ``python -m pytest_nwb_benchmarks.nwb.network._proxy --target http://127.0.0.1:8000`` prints
``{"url": ..., "pid": ...}`` on one line once it listens. From Python use :class:`CountingProxy`.
Counters are read with ``GET /__counting_proxy__/stats`` and zeroed (returning the previous values) with
``GET`` or ``POST /__counting_proxy__/reset``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pytest_nwb_benchmarks.nwb.network._proxy_handler import CONTROL_PREFIX, _ProxyServer


class ProxyError(RuntimeError):
    """The counting proxy could not start, or does not answer."""


# --- the counters (inside the proxy process) -----------------------------------------------------

# --- the parent side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProxyInfo:
    """Where a running counting proxy listens, and how to read its counters.

    Attributes
    ----------
    url : str
        The proxy's base URL (``http://127.0.0.1:PORT``).
    target : str
        The base URL it forwards to.
    pid : int
        The proxy process id.
    """

    url: str
    target: str
    pid: int

    def _control(self, action: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"{self.url}{CONTROL_PREFIX}{action}", timeout=30) as answer:
                return json.loads(answer.read())
        except OSError as error:
            raise ProxyError(f"the counting proxy at {self.url} (pid {self.pid}) does not answer: {error}") from error

    def stats(self) -> dict[str, Any]:
        """The counters: ``totals``, ``paths`` (per URL path) and ``request_latencies_seconds``."""
        return self._control("stats")

    def reset_stats(self) -> dict[str, Any]:
        """Zero the counters and return their previous values."""
        return self._control("reset")

    def rewrite(self, url: str) -> str:
        """Route a URL on the target through the proxy.

        Raises
        ------
        ValueError
            If ``url`` does not start with the proxy's target.
        """
        if not url.startswith(self.target):
            raise ValueError(f"{url!r} is not on the proxy's target {self.target!r}")
        return self.url + url[len(self.target) :]


class CountingProxy:
    """Start and stop a counting reverse proxy process.

    Parameters
    ----------
    target_base_url : str
        The base URL to forward to, e.g. the streaming server's ``http://127.0.0.1:PORT``.

    Examples
    --------
    >>> with CountingProxy("http://127.0.0.1:8000") as proxy:  # doctest: +SKIP
    ...     requests.get(proxy.url + "/files/small/ecephys_uncompressed.nwb", headers={"Range": "bytes=0-99"})
    ...     proxy.stats()["totals"]["requests"]
    1
    """

    def __init__(self, target_base_url: str) -> None:
        parts = urlsplit(target_base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"the proxy target must be an http(s) base URL such as http://127.0.0.1:8000, not {target_base_url!r}"
            )
        self.target = target_base_url.rstrip("/")
        self._process: subprocess.Popen[str] | None = None
        self._info: ProxyInfo | None = None

    @property
    def info(self) -> ProxyInfo:
        """The running proxy's :class:`ProxyInfo` (picklable, for child processes)."""
        if self._info is None:
            raise ProxyError("the counting proxy is not running; call start() first")
        return self._info

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return self.info.url

    @property
    def pid(self) -> int:
        """The proxy process id."""
        return self.info.pid

    def start(self, timeout: float = 30.0) -> CountingProxy:
        """Start the proxy process and wait until it listens.

        Raises
        ------
        ProxyError
            If the process exits or does not report its address within ``timeout`` seconds.
        """
        if self._process is not None:
            raise ProxyError(f"the counting proxy for {self.target} is already running at {self.url}")
        command = [sys.executable, "-m", "pytest_nwb_benchmarks.nwb.network._proxy", "--target", self.target]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = _read_line(process, timeout)
        if not line:
            process.kill()
            _, err = process.communicate(timeout=10)
            raise ProxyError(
                f"the counting proxy for {self.target} did not start (exit code {process.returncode}): {err.strip()}"
            )
        announced = json.loads(line)
        self._process = process
        self._info = ProxyInfo(url=announced["url"], target=self.target, pid=process.pid)
        return self

    def stats(self) -> dict[str, Any]:
        """The proxy's counters (see :meth:`ProxyInfo.stats`)."""
        return self.info.stats()

    def reset_stats(self) -> dict[str, Any]:
        """Zero the proxy's counters and return their previous values."""
        return self.info.reset_stats()

    def is_alive(self) -> bool:
        """Whether the proxy process runs."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the proxy process (idempotent)."""
        process, self._process = self._process, None
        self._info = None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> CountingProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return result[0].strip() if result else ""


def _exit_with_parent() -> None:
    # A benchmark whose setup fails after starting the proxy never reaches teardown; the proxy must not
    # outlive the process that started it.
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """Run a counting proxy until terminated.

    Parameters
    ----------
    argv : list of str, optional
        ``--target URL [--port N]``.

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(prog="python -m pytest_nwb_benchmarks.nwb.network._proxy")
    parser.add_argument("--target", required=True, help="base URL to forward to")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    try:
        server = _ProxyServer(("127.0.0.1", args.port), args.target)
    except (ValueError, OSError) as error:
        print(f"counting proxy: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"url": server.own_url, "pid": os.getpid()}), flush=True)
    _exit_with_parent()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
