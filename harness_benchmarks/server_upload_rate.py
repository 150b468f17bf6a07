"""Upload throughput of the results server: a real server process, N concurrent clients, accepted uploads per second.

Run from the repository root, e.g.::

    python -m harness_benchmarks.server_upload_rate --clients 100 --uploads 600 --kind small
    python -m harness_benchmarks.server_upload_rate --clients 100 --uploads 300 --kind suite

It starts one waitress server process on 127.0.0.1 (an ephemeral port) with a fresh home and its
default bare remote, sends the uploads from client processes (each with threads), then checks that
every file reached the remote exactly once and that ``git fsck`` finds nothing. Uploads are answered
once committed; the tables catch up in the background, and the tool also waits for that (polling
``/data/database-status``). It prints one JSON line: uploads, seconds, accepted uploads per second,
when the tables held every run, commits, losses and the fsck verdict. Figures
depend on the machine and its load; repeat a run to see the spread.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

_SERVE = """
import socket, sys, waitress
from server import create_app
app = create_app()
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(1024)
print(sock.getsockname()[1], flush=True)
waitress.serve(app, sockets=[sock], threads=int(sys.argv[1]), connection_limit=1000, _quiet=True)
"""


def result_file(index: int, kind: str) -> tuple[str, dict[str, Any]]:
    """A unique result file: ``small`` (2 entries) or ``suite`` (about 3,000 samples, like a full suite run)."""
    timestamp = (
        f"2026-01-{1 + index // 86400 % 28:02d}-{index // 3600 % 24:02d}-{index // 60 % 60:02d}-{index % 60:02d}"
    )
    machine, environment = "a" * 40, "b" * 40
    if kind == "small":
        results = {"time_read.Read.time_read": {"('local',)": [0.1, 0.11, 0.12]}}
    else:
        results = {
            f"time_module{m}.Class{m}.time_case{c}": {
                f"('param{p}',)": [0.001 * (index + m + c + p + s) for s in range(10)] for p in range(6)
            }
            for m in range(10)
            for c in range(5)
        }
    ids = {"environment_hash": environment, "machine_hash": machine}
    content = {"version": 2, "timestamp": timestamp, "commit_hash": f"{index:040x}", **ids, "results": results}
    return f"result_timestamp-{timestamp}_machine-{machine}_environment-{environment}.json", content


def upload_range(url: str, indices: list[int], kind: str, threads: int) -> list[tuple[int, int, bool]]:
    """Upload the files ``indices`` from ``threads`` threads; return (index, status, pushed) per upload."""
    import requests

    def one(index: int) -> tuple[int, int, bool]:
        name, content = result_file(index, kind)
        try:
            response = requests.post(
                f"{url}/data/contribute", params={"filename": name}, json={"json_content": content}, timeout=300
            )
        except requests.RequestException:
            return index, 0, False
        return index, response.status_code, bool(response.ok and response.json().get("pushed"))

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, indices))


def _git_count(bare: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(bare), *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def tables_caught_up(url: str, started: float, timeout: float = 600.0) -> tuple[float | None, int]:
    """Poll the database status until the tables hold every committed file; seconds since ``started`` and runs.

    Uploads are answered before the tables hold them (the update runs in the background), so this
    is the time until a reader sees the last upload; None when the tables did not catch up in time.
    """
    import requests

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        status = requests.get(f"{url}/data/database-status", timeout=60).json()
        if status["pending_files"] == 0 and not status["updating"]:
            seconds = round(time.perf_counter() - started, 2)
            return seconds, len(requests.get(f"{url}/data/runs", params={"limit": 100000}, timeout=60).json())
        time.sleep(0.1)
    return None, 0


def measure(clients: int, uploads: int, kind: str, server_threads: int, client_processes: int) -> dict[str, Any]:
    """Start a server, upload concurrently, check the remote; return the figures."""
    home = Path(tempfile.mkdtemp(prefix="nwb-upload-rate-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("NWB_BENCHMARKS_")}
    env.update(NWB_BENCHMARKS_SERVER_HOME=str(home / "home"), PYTHONPATH=str(REPO_ROOT))
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(server_threads)], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        threading.Thread(target=server.stdout.read, daemon=True).start()  # a full pipe must never block the server
        shares = [list(range(k, uploads, client_processes)) for k in range(client_processes)]
        per_process = max(1, clients // client_processes)
        context = multiprocessing.get_context("spawn")
        started = time.perf_counter()
        with ProcessPoolExecutor(client_processes, mp_context=context) as pool:
            outcomes = [
                item
                for part in pool.map(
                    upload_range, [url] * len(shares), shares, [kind] * len(shares), [per_process] * len(shares)
                )
                for item in part
            ]
        elapsed = time.perf_counter() - started
        caught_up, in_tables = tables_caught_up(url, started)
        bare = home / "home" / "remotes" / "results.git"
        stored = _git_count(bare, "ls-tree", "-r", "--name-only", "main").splitlines()
        fsck = subprocess.run(
            ["git", "--git-dir", str(bare), "fsck", "--strict", "--no-dangling"], capture_output=True, text=True
        )
        accepted = sum(1 for _, status, _ in outcomes if status == 201)
        return {
            "kind": kind,
            "clients": per_process * client_processes,
            "uploads": uploads,
            "seconds": round(elapsed, 2),
            "accepted_per_second": round(accepted / elapsed, 1),
            "accepted": accepted,
            "pushed_when_answered": sum(1 for _, _, pushed in outcomes if pushed),
            "on_remote": len(set(stored)),
            "lost": uploads - len(set(stored)),
            "tables_caught_up_seconds": caught_up,
            "runs_in_tables": in_tables,
            "commits": int(_git_count(bare, "rev-list", "--count", "main") or 0),
            "fsck_clean": fsck.returncode == 0 and not fsck.stdout.strip(),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients (threads over processes)")
    parser.add_argument("--uploads", type=int, default=600, help="files to upload")
    parser.add_argument("--kind", choices=("small", "suite"), default="small", help="small files or full-suite files")
    parser.add_argument("--server-threads", type=int, default=64, help="waitress threads of the server")
    parser.add_argument("--client-processes", type=int, default=4, help="processes the clients run in")
    args = parser.parse_args(argv)
    figures = measure(args.clients, args.uploads, args.kind, args.server_threads, args.client_processes)
    print(json.dumps(figures))
    complete = figures["runs_in_tables"] == figures["uploads"]
    return 0 if figures["lost"] == 0 and figures["fsck_clean"] and complete else 1


if __name__ == "__main__":
    sys.exit(main())
