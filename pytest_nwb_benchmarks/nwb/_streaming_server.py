"""The local streaming server: the files under one folder over HTTP on 127.0.0.1, in its own process.

It stands in for DANDI and S3 when the machine is offline. One listening port per configured latency (every
request to the port of latency L waits L ms before it is answered), and the same layout on every port:

* ``/files/<relative path>``: the file, plain HTTP(S)-style (HEAD, GET, every Range form, 206, 416).
* ``/<bucket>/<relative path>``: the same file as a path-style S3 object, for s3fs and the ros3 driver
  (anonymous; ``GET /<bucket>?list-type=2`` lists keys; missing keys get S3's XML error).
* ``/api/assets/<relative path>/download/``: a 302 redirect to ``/files/<relative path>``, like DANDI's API.
* ``/__stats__``: exact counters per file (requests, HEAD/GET/range requests, body bytes, redirects) and totals;
  ``/__stats__/reset`` zeroes them and returns the values it cleared. ``/__alive__`` answers a ping.

Run it with ``python -m pytest_nwb_benchmarks.nwb._streaming_server --root DIR [--latencies 0,20]``: once
listening it prints one JSON line (a :class:`ServerInfo`) on stdout. :class:`StreamingServer` does that for
you from the parent process; :func:`current_server` finds the session's server from child processes through
the suite's settings (:func:`~pytest_nwb_benchmarks.nwb.current_settings`). The request side is
:mod:`._server_handler`, the description :mod:`._server_info`.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

from pytest_nwb_benchmarks.nwb._server_handler import serving
from pytest_nwb_benchmarks.nwb._server_info import (
    DEFAULT_BUCKET,
    DEFAULT_LATENCIES_MS,
    SERVER_ENV,  # noqa: F401
    ServerInfo,
    StreamingServerUnavailable,
)
from pytest_nwb_benchmarks.nwb._settings import current_settings, parse_latencies

_START_TIMEOUT_S = 30.0


def current_server() -> ServerInfo | None:
    """Return the server the session started (from the suite's settings), or ``None``.

    Returns
    -------
    ServerInfo or None
        The server description, or ``None`` when no server was handed over.

    Raises
    ------
    ValueError
        If the settings name a server in a form that is not a server description.
    """
    return current_settings().server


class StreamingServer:
    """Start and stop the streaming server in a child process.

    Parameters
    ----------
    root : pathlib.Path
        The folder whose files are served.
    latencies_ms : tuple of int
        One listening port per latency; each request to a port waits that long before it is answered.
    bucket : str
        The path-style S3 bucket name.

    Examples
    --------
    >>> with StreamingServer(root) as server:  # doctest: +SKIP
    ...     url = server.info.http_url("small/ecephys_gzip.nwb", latency_ms=20)
    """

    def __init__(
        self, root: Path, latencies_ms: tuple[int, ...] = DEFAULT_LATENCIES_MS, bucket: str = DEFAULT_BUCKET
    ) -> None:
        self.root = Path(root).resolve()
        self.latencies_ms = parse_latencies(latencies_ms)
        self.bucket = _check_bucket(bucket)
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._info: ServerInfo | None = None

    @property
    def info(self) -> ServerInfo:
        """The running server's description.

        Raises
        ------
        StreamingServerUnavailable
            If the server has not been started.
        """
        if self._info is None:
            raise StreamingServerUnavailable(f"the NWB streaming server for {self.root} has not been started")
        return self._info

    @property
    def pid(self) -> int | None:
        """The server process's id, or ``None`` before :meth:`start`."""
        return self._process.pid if self._process is not None else None

    def is_alive(self) -> bool:
        """Whether the server process is running."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = _START_TIMEOUT_S) -> StreamingServer:
        """Start the server process and wait until every port listens.

        Parameters
        ----------
        timeout : float
            Seconds to wait for the server to report its ports.

        Returns
        -------
        StreamingServer
            ``self``.

        Raises
        ------
        FileNotFoundError
            If the root folder does not exist.
        StreamingServerUnavailable
            If the process dies or does not report its ports in time; the message includes its stderr.
        """
        if self.is_alive():
            return self
        if not self.root.is_dir():
            raise FileNotFoundError(f"the streaming server's root folder does not exist: {self.root}")
        command = [
            sys.executable,
            "-m",
            "pytest_nwb_benchmarks.nwb._streaming_server",
            "--root",
            str(self.root),
            "--latencies",
            ",".join(str(latency) for latency in self.latencies_ms),
            "--bucket",
            self.bucket,
            "--parent-pid",
            str(os.getpid()),
        ]
        env = dict(os.environ)
        # Make the package importable in the child even when it is not installed.
        package_parent = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        try:
            line = self._read_ready_line(timeout)
            self._info = ServerInfo.from_json(line)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_ready_line(self, timeout: float) -> str:
        assert self._process is not None and self._process.stdout is not None
        deadline = time.monotonic() + timeout
        buffer = b""
        stdout = self._process.stdout
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StreamingServerUnavailable(
                    f"the NWB streaming server (pid {self._process.pid}) did not report its ports within "
                    f"{timeout:.0f} s{self._stderr_tail()}"
                )
            ready, _, _ = select.select([stdout], [], [], min(remaining, 0.2))
            if ready:
                chunk = os.read(stdout.fileno(), 4096)
                if not chunk:
                    self._process.wait(timeout=5)
                    raise StreamingServerUnavailable(
                        f"the NWB streaming server (pid {self._process.pid}) exited with code "
                        f"{self._process.returncode} before listening{self._stderr_tail()}"
                    )
                buffer += chunk
        return buffer.split(b"\n", 1)[0].decode()

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return f"; its stderr ends with:\n{text[-2000:]}" if text else ""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server process (SIGTERM, then SIGKILL after ``timeout`` seconds); idempotent.

        Parameters
        ----------
        timeout : float
            Seconds to wait for a clean exit.
        """
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=timeout)
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> StreamingServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_alive() else "stopped"
        return f"StreamingServer(root={str(self.root)!r}, latencies_ms={self.latencies_ms}, pid={self.pid}, {state})"


def _check_bucket(bucket: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket) or bucket in ("files", "api"):
        raise ValueError(f"invalid S3 bucket name {bucket!r} (lowercase letters, digits, '.', '-'; not files/api)")
    return bucket


def main(argv: list[str] | None = None) -> int:
    """Run the streaming server until SIGTERM/SIGINT or until the parent process is gone.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (``--root DIR [--latencies 0,20] [--bucket NAME] [--parent-pid PID]``).

    Returns
    -------
    int
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nwb_benchmarks.nwb._streaming_server",
        description="Serve a folder over HTTP and path-style S3 on 127.0.0.1, one port per latency.",
    )
    parser.add_argument("--root", required=True, type=Path, help="folder whose files are served")
    parser.add_argument("--latencies", default="0,20", help="comma-separated latencies in ms, one port each")
    parser.add_argument("--bucket", default=DEFAULT_BUCKET, help="path-style S3 bucket name")
    parser.add_argument("--parent-pid", type=int, default=0, help="exit when this process is gone")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not root.is_dir():
        parser.error(f"--root {root} is not a folder")
    try:
        latencies = parse_latencies(args.latencies)
        bucket = _check_bucket(args.bucket)
    except ValueError as error:
        parser.error(str(error))

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with serving(root, latencies, bucket) as servers:
        info = ServerInfo(
            root=str(root),
            bucket=bucket,
            base_urls={latency: server.base_url for latency, server in servers.items()},
            pid=os.getpid(),
        )
        sys.stdout.write(info.to_json() + "\n")
        sys.stdout.flush()
        # Nothing more goes to stdout; detach from the pipe so a parent that stops reading can't block us.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        while not stop.wait(0.5):
            if args.parent_pid and (os.getppid() != args.parent_pid or not _process_exists(args.parent_pid)):
                break  # orphaned: the session that started us is gone
    return 0


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    sys.exit(main())
