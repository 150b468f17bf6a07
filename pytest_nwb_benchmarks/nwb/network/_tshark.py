"""Opt-in packet capture with tshark: wire-level bytes and packets of the traffic to given server ports.

Capturing packets needs a privilege (root, or ``dumpcap`` with the ``cap_net_raw``/``cap_net_admin``
capabilities, or membership of the ``wireshark`` group), so this method is never chosen by default.

Settings:

* ``TSHARK_PATH``: the tshark executable (default: ``tshark`` on ``PATH``).
* ``NWB_BENCHMARKS_NETWORK_INTERFACE`` (the suite's settings' ``network_interface``): the capture interface (default ``lo``, right for the local
  streaming server; use the interface that carries the traffic, e.g. ``eth0``, for remote servers).

The capture keeps only the first 128 bytes of each packet (``-s 128``: the headers and the start of an HTTP
request line are all that is needed) with a 256 MiB kernel buffer (``-B 256``), so that it does not drop
packets on loopback, where one packet can carry 64 KiB.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_nwb_benchmarks.nwb._settings import current_settings

TSHARK_PATH_ENV = "TSHARK_PATH"
INTERFACE_ENV = "NWB_BENCHMARKS_NETWORK_INTERFACE"
DEFAULT_INTERFACE = "lo"
_READY_TIMEOUT_S = 30.0
# tshark reports "Capturing on ..." slightly before the kernel filter is live, and writes packets in
# batches: a short wait at both ends avoids missing the first and the last packets of the tracked block.
_SETTLE_S = 1.0
_REQUEST_PREFIXES = tuple(f"{m} ".encode().hex() for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"))


class TsharkUnavailable(RuntimeError):
    """tshark is missing or may not capture on the chosen interface."""


def tshark_path() -> str:
    """Find the tshark executable (``TSHARK_PATH``, else ``tshark`` on ``PATH``).

    Raises
    ------
    TsharkUnavailable
        If it is not found, with how to install it.
    """
    configured = os.environ.get(TSHARK_PATH_ENV)
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise TsharkUnavailable(f"{TSHARK_PATH_ENV}={configured!r} is not an executable file")
        return configured
    found = shutil.which("tshark")
    if found is None:
        raise TsharkUnavailable(
            "tshark was not found on PATH; install it (Debian/Ubuntu: apt-get install tshark; macOS: "
            f"brew install wireshark) or set {TSHARK_PATH_ENV} to its location"
        )
    return found


def default_ports() -> tuple[int, ...]:
    """The ports of the suite's streaming server (from the suite's settings), or none."""
    try:
        from pytest_nwb_benchmarks.nwb._streaming_server import current_server
    except ImportError:
        return ()
    server = current_server()
    if server is None:
        return ()
    return tuple(sorted({int(urlsplit(url).port or 80) for url in server.base_urls.values()}))


class TsharkCapture:
    """One packet capture of the TCP traffic to and from some server ports.

    Parameters
    ----------
    ports : sequence of int, optional
        The server-side ports; default :func:`default_ports`.
    interface : str, optional
        Default: the suite's settings (env ``NWB_BENCHMARKS_NETWORK_INTERFACE``), else ``"lo"``.
    """

    def __init__(self, ports: Sequence[int] | None = None, interface: str | None = None) -> None:
        self.ports = tuple(int(p) for p in (ports if ports is not None else default_ports()))
        if not self.ports:
            raise TsharkUnavailable(
                "the tshark method needs the server ports to capture: pass ports=... or run with the suite's "
                "streaming server (named in the suite's settings)"
            )
        self.interface = interface or current_settings().network_interface or DEFAULT_INTERFACE
        self.executable = tshark_path()
        self._folder: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: list[str] = []

    @property
    def capture_filter(self) -> str:
        """The BPF capture filter."""
        return " or ".join(f"tcp port {port}" for port in self.ports)

    def start(self) -> TsharkCapture:
        """Start capturing and wait until tshark is ready.

        Raises
        ------
        TsharkUnavailable
            If tshark exits before it captures (no privilege, unknown interface), with its message.
        """
        self._folder = tempfile.TemporaryDirectory(prefix="nwb-benchmarks-tshark-")
        capture_file = Path(self._folder.name) / "capture.pcapng"
        command = [self.executable, "-i", self.interface, "-s", "128", "-B", "256", "-f", self.capture_filter]
        command += ["-w", str(capture_file), "-q"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ready = threading.Event()

        def read_stderr() -> None:
            for raw in self._process.stderr:  # type: ignore[union-attr]
                line = raw.decode(errors="replace").rstrip()
                self._stderr.append(line)
                if line.startswith("Capturing on"):
                    ready.set()
            ready.set()  # the process ended

        threading.Thread(target=read_stderr, daemon=True).start()
        if not ready.wait(_READY_TIMEOUT_S) or self._process.poll() is not None:
            self._fail_start()
        time.sleep(_SETTLE_S)
        if self._process.poll() is not None:
            self._fail_start()
        return self

    def _fail_start(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        if process is not None:
            process.wait(timeout=10)
        self._process = None
        # tshark's own advice runs to a dozen lines; its first words name the problem, ours says what to do
        lines = [line.strip() for line in self._stderr if line.strip()]
        lines = [line for line in lines if "dangerous" not in line and not line.startswith("Capturing on")]
        message = " ".join(lines[:2]) or "no message"
        hint = ""
        if "permission" in message.lower() or "operation not permitted" in message.lower():
            hint = (
                " Packet capture needs a privilege: run as root, or give dumpcap the capabilities "
                "(sudo setcap cap_net_raw,cap_net_admin=eip $(command -v dumpcap)), or join the 'wireshark' "
                "group; or use the unprivileged 'library' or 'proxy' method instead."
            )
        elif "no such device" in message.lower() or "there is no device" in message.lower():
            hint = f" Choose an interface from `{self.executable} -D` with {INTERFACE_ENV}."
        self._cleanup()
        raise TsharkUnavailable(f"tshark could not capture on interface {self.interface!r}: {message}.{hint}")

    def stop(self) -> dict[str, Any]:
        """Stop capturing and return the statistics of the captured traffic.

        Returns
        -------
        dict
            ``requests``, ``bytes_downloaded``/``bytes_uploaded`` (TCP payload from/to the server ports:
            HTTP headers included), ``connections_opened``, ``request_latencies_seconds`` (request segment
            to the first answering segment), packet counts under the older key names, and
            ``packets_dropped`` when tshark reports drops.
        """
        process = self._process
        if process is None:
            raise RuntimeError("this capture is not running")
        self._process = None
        # dumpcap writes packets in batches; an interrupt right after the last response loses the batch
        # still in flight (measured: the last 2 to 4 requests of a slice), so let it write first.
        time.sleep(_SETTLE_S)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        try:
            capture_file = Path(self._folder.name) / "capture.pcapng"  # type: ignore[union-attr]
            rows = self._read_packets(capture_file)
        finally:
            self._cleanup()
        stats = _statistics(rows, set(self.ports))
        dropped = _dropped_packets(self._stderr)
        if dropped:
            stats["packets_dropped"] = dropped
        return stats

    def _read_packets(self, capture_file: Path) -> list[list[str]]:
        if not capture_file.exists():
            raise TsharkUnavailable(f"tshark wrote no capture file; its messages: {' '.join(self._stderr)}")
        fields = ["frame.time_epoch", "tcp.srcport", "tcp.dstport", "tcp.len", "tcp.flags.syn", "tcp.flags.ack"]
        fields.append("tcp.payload")
        command = [self.executable, "-r", str(capture_file), "-n", "-T", "fields", "-E", "separator=,"]
        for name in fields:
            command += ["-e", name]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise TsharkUnavailable(f"tshark could not read its capture: {result.stderr.strip()}")
        return [line.split(",") for line in result.stdout.splitlines() if line.strip()]

    def _cleanup(self) -> None:
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true")


def _statistics(rows: list[list[str]], server_ports: set[int]) -> dict[str, Any]:
    down_bytes = up_bytes = down_packets = up_packets = requests = connections = 0
    pending: dict[int, float] = {}  # client port -> time its request was sent
    latencies: list[float] = []
    times: list[float] = []
    for row in rows:
        if len(row) < 7 or not row[1] or not row[2]:
            continue
        when, source, destination, length = float(row[0]), int(row[1]), int(row[2]), int(row[3] or 0)
        syn, ack, payload = _flag(row[4]), _flag(row[5]), row[6].replace(":", "").lower()
        times.append(when)
        if source in server_ports:
            down_packets += 1
            down_bytes += length
            if length and destination in pending:
                latencies.append(when - pending.pop(destination))
        elif destination in server_ports:
            up_packets += 1
            up_bytes += length
            if syn and not ack:
                connections += 1
            if length and payload.startswith(_REQUEST_PREFIXES):
                requests += 1
                pending[source] = when
    return {
        "requests": requests,
        "bytes_downloaded": down_bytes,
        "bytes_uploaded": up_bytes,
        "connections_opened": connections,
        "request_latencies_seconds": latencies,
        "amount_downloaded_in_number_of_packets": down_packets,
        "amount_uploaded_in_number_of_packets": up_packets,
        "total_transfer_in_number_of_packets": down_packets + up_packets,
        # the span of the captured traffic, first packet to last
        "total_transfer_time_in_seconds": (max(times) - min(times)) if times else 0.0,
    }


def _dropped_packets(lines: list[str]) -> int:
    for line in lines:
        lowered = line.lower()
        if "dropped" in lowered:
            digits = "".join(ch if ch.isdigit() else " " for ch in lowered).split()
            if digits:
                return int(digits[0])
    return 0
