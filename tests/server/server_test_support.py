"""Helpers for the results server's tests: reference files, git inspection, live server processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# Real result files of 2024, kept in the repository as test data (overridable, like the other tests).
REFERENCE_DIR = Path(
    os.environ.get("NWB_BENCHMARKS_REFERENCE_RESULTS") or REPO_ROOT / "tests" / "data" / "results-2024"
)

# Runs one server process: binds a free port itself (no race), reports it, then serves until killed.
_SERVE = """
import socket, sys, waitress
from server import create_app
app = create_app()
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(128)
print(sock.getsockname()[1], flush=True)
waitress.serve(app, sockets=[sock], threads=int(sys.argv[1]), connection_limit=200, _quiet=True)
"""


def reference_files() -> list[Path]:
    """Every reference file, headers first (as an uploader sends them)."""
    files = sorted(REFERENCE_DIR.glob("*.json"))
    return sorted(files, key=lambda path: (not path.name.startswith("info_"), path.name))


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git and return its stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def remote_files(bare: Path) -> list[str]:
    """Files on the main branch of a bare repository."""
    return [line for line in git("--git-dir", str(bare), "ls-tree", "-r", "--name-only", "main").splitlines() if line]


def remote_commit_count(bare: Path) -> int:
    """Commits on the main branch of a bare repository (0 when it has none)."""
    try:
        return int(git("--git-dir", str(bare), "rev-list", "--count", "main").strip())
    except subprocess.CalledProcessError:
        return 0


def result_content(index: int, machine: str = "a" * 40, environment: str = "b" * 40) -> tuple[str, dict[str, Any]]:
    """A small, valid result file of this project's layout; ``index`` makes it unique."""
    seconds = index % 60
    minutes = (index // 60) % 60
    timestamp = f"2026-01-02-03-{minutes:02d}-{seconds:02d}"
    name = f"result_timestamp-{timestamp}_machine-{machine}_environment-{environment}.json"
    content = {
        "version": 2,
        "timestamp": timestamp,
        "commit_hash": f"{index:040x}",
        "environment_hash": environment,
        "machine_hash": machine,
        "results": {
            "time_read.ReadBenchmark.time_read": {"('local',)": [0.1 + index / 1000, 0.11, 0.12]},
            "network_tracking.Net.track_network_activity": {
                "('http',)": {"amount_downloaded_in_bytes": 1000 + index, "total_transfer_time_in_seconds": 0.5}
            },
        },
    }
    return name, content


def upload(client: Any, name: str, content: Any, wait: bool = True, **kwargs: Any) -> Any:
    """POST one file the way the uploader does; with ``wait``, then wait until the tables hold it."""
    response = client.post(f"/data/contribute?filename={name}", json={"json_content": content}, **kwargs)
    if wait and response.status_code == 201:
        wait_for_database(client)
    return response


def wait_for_database(client: Any, timeout: float = 120.0) -> dict[str, Any]:
    """Poll ``/data/database-status`` (a Flask test client, or a live server's URL) until nothing is pending."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        if isinstance(client, str):
            status = requests.get(f"{client}/data/database-status", timeout=30).json()
        else:
            status = client.get("/data/database-status").json
        if status["pending_files"] == 0 and not status["updating"]:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"the tables did not catch up within {timeout:g} s: {status}")
        time.sleep(0.05)


class LiveServers:
    """Server processes (waitress) that share one home, as worker processes of one deployment do."""

    def __init__(self, env: dict[str, str], processes: int, threads: int) -> None:
        self.env = env
        self.procs: list[subprocess.Popen] = []
        self.urls: list[str] = []
        for _ in range(processes):
            proc = subprocess.Popen(
                [sys.executable, "-c", _SERVE, str(threads)],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            self.procs.append(proc)
        for proc in self.procs:
            line = proc.stdout.readline().strip()
            if not line.isdigit():
                self.stop()
                raise RuntimeError(f"the server process did not start: {line!r} {proc.stderr.read()}")
            self.urls.append(f"http://127.0.0.1:{line}")
            # Keep reading the server's output, so that a full pipe never blocks it.
            for stream in (proc.stdout, proc.stderr):
                threading.Thread(target=stream.read, daemon=True).start()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()


def load_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def post_file(url: str, name: str, content: Any, token: str | None = None) -> tuple[int, dict[str, Any]]:
    """Upload one file to a live server with requests; returns the status code and the JSON reply."""
    import requests

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(
        f"{url}/data/contribute",
        params={"filename": name},
        json={"json_content": content},
        headers=headers,
        timeout=120,
    )
    return response.status_code, response.json()


def upload_many(urls: list[str], indices: list[int], threads: int) -> list[tuple[int, int, dict[str, Any]]]:
    """Upload the generated files ``indices`` from a pool of threads, spread over the servers.

    Module-level so that a client process (spawned) can run it too.
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(index: int) -> tuple[int, int, dict[str, Any]]:
        name, content = result_content(index)
        status, reply = post_file(urls[index % len(urls)], name, content)
        return index, status, reply

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, indices))


def fsck_problems(git_dir: Path) -> str:
    """What ``git fsck --strict`` finds wrong in a repository (empty when it is clean)."""
    run = subprocess.run(
        ["git", "--git-dir", str(git_dir), "fsck", "--strict", "--no-dangling"], capture_output=True, text=True
    )
    return "" if run.returncode == 0 and not run.stdout.strip() else f"rc={run.returncode} {run.stdout} {run.stderr}"
