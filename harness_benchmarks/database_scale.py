"""The results server's database at scale: ingest rate, rebuild time, memory, cold start, page latencies.

Run from the repository root (it takes minutes to an hour, and disk space: about 0.2 MB per run)::

    nice python -m harness_benchmarks.database_scale --runs 1000 --work /tmp/db-scale-1000
    nice python -m harness_benchmarks.database_scale --runs 10000 --work /tmp/db-scale-10000

Steps, each reported as one JSON line and all together at the end:

1. ``generate``: N full-suite result files (642 items, about 9,800 samples each, like a real
   default-profile run), four machines, one run an hour, written *directly* into a results store
   (one git commit) because uploading them one by one would take hours.
2. ``rebuild``: a live server (waitress, its own process) builds the tables from scratch
   (``POST /data/update-database?rebuild=1``); its peak memory is read from ``/proc``.
3. ``cold`` / ``warm``: the server is restarted; the first request of every page and endpoint
   after the restart, then the median of five more (warm).
4. ``upload``: ``--uploads`` more runs uploaded through the API by four concurrent clients; the
   rate, and the latency of each upload (answered once committed; the database update follows).
5. ``after_upload``: once ``/data/database-status`` says the tables hold the last upload (uploads
   are answered before the tables are updated; the wait is reported), the first request of every
   page.

``--keep`` keeps the work folder; ``--reuse`` then measures again on it (the store as it was
left, with the runs uploaded by the earlier measurement), skipping the generation, and the
rebuild too when the earlier run finished it, e.g. after a change of the server's read side::

    nice python -m harness_benchmarks.database_scale --work /tmp/db-scale-1000 --reuse --keep

``--ingest-only`` instead measures, in this process, the two halves of each of 12 sequential
uploads after the rebuild: the write to the results store and the database update (ingest), which
must not grow with N::

    nice python -m harness_benchmarks.database_scale --runs 400 --work /tmp/db-ingest --ingest-only

Timings on a shared machine are noisy: repeat a run before trusting a difference of less than
a factor of two.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
MACHINES = [f"{k:x}" * 40 for k in range(10, 14)]
MACHINES = [machine[:40] for machine in MACHINES]
ENVIRONMENT = "e" * 40

# A server process that binds a free port itself and reports it.
_SERVE = """
import socket, sys, waitress
from server import create_app
app = create_app()
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
sock.listen(128)
print(sock.getsockname()[1], flush=True)
waitress.serve(app, sockets=[sock], threads=8, _quiet=True)
"""


def suite_layout(seed: int = 0) -> list[tuple[str, str, str]]:
    """642 (benchmark, parameter key, kind) items: timings, memory and network tracking."""
    rng = random.Random(seed)
    items = []
    for module in range(12):
        for klass in range(9):
            kind = rng.choice(["time", "time", "time", "peakmem", "track"])
            method = {"time": "time_read", "peakmem": "peakmem_read", "track": "track_network_activity"}[kind]
            benchmark = f"suite_{module}.Case{klass}Benchmark.{method}"
            for param in range(6):
                items.append((benchmark, f"('https://example.org/file-{param}.nwb', 'library{param % 3}')", kind))
    return items[:642]


def result_file(index: int, items: list[tuple[str, str, str]], rng: random.Random) -> tuple[str, dict[str, Any]]:
    """One run's result file, about 9,800 samples."""
    machine = MACHINES[index % len(MACHINES)]
    stamp = time.gmtime(1735689600 + 3600 * index)  # 2025-01-01, one run an hour
    timestamp = time.strftime("%Y-%m-%d-%H-%M-%S", stamp)
    results: dict[str, dict[str, Any]] = {}
    for benchmark, params, kind in items:
        if kind == "track":
            # Statistics of the repeats, one list per quantity (the layout the upload schema accepts).
            results.setdefault(benchmark, {})[params] = {
                "amount_downloaded_in_bytes": [rng.randint(10**5, 10**7) for _ in range(4)],
                "amount_uploaded_in_bytes": [rng.randint(10**3, 10**5) for _ in range(4)],
                "total_transfer_time_in_seconds": [rng.random() for _ in range(4)],
                "number_of_packets": [rng.randint(10, 10**4) for _ in range(4)],
            }
        else:
            scale = 1e-3 if kind == "time" else 1e8
            results.setdefault(benchmark, {})[params] = [round(scale * (1 + rng.random()), 9) for _ in range(16)]
    name = f"result_timestamp-{timestamp}_machine-{machine}_environment-{ENVIRONMENT}.json"
    content = {
        "version": 2,
        "timestamp": timestamp,
        "commit_hash": f"{index:040x}",
        "environment_hash": ENVIRONMENT,
        "machine_hash": machine,
        "results": results,
    }
    return name, content


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def generate(work: Path, runs: int) -> Path:
    """Write ``runs`` result files and their headers into a new results store; return its bare remote."""
    tree = work / "generate"
    tree.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=tree)
    (tree / "results").mkdir()
    (tree / "machines").mkdir()
    (tree / "environments").mkdir()
    for k, machine in enumerate(MACHINES):
        header = {"version": 1, "machine": f"Machine{k}", "cpu": "Generated CPU", "num_cpu": "8", "ram": "16000000000"}
        (tree / "machines" / f"info_machine-{machine}.json").write_text(json.dumps(header))
    (tree / "environments" / f"info_environment-{ENVIRONMENT}.json").write_text(
        json.dumps({"3.11.7": [{"name": "numpy", "version": "2.0"}]})
    )
    items = suite_layout()
    rng = random.Random(1)
    for index in range(runs):
        name, content = result_file(index, items, rng)
        (tree / "results" / name).write_text(json.dumps(content))
    git("add", "-A", cwd=tree)
    git("-c", "user.name=gen", "-c", "user.email=gen@localhost", "commit", "--quiet", "-m", "generated", cwd=tree)
    remote = work / "results.git"
    git("clone", "--quiet", "--bare", str(tree), str(remote), cwd=work)
    shutil.rmtree(tree)
    return remote


class Server:
    """One live server process on ``home``."""

    def __init__(self, home: Path, results_remote: Path) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("NWB_BENCHMARKS_")}
        env.update(
            NWB_BENCHMARKS_SERVER_HOME=str(home),
            NWB_BENCHMARKS_RESULTS_REMOTE=str(results_remote),
            # Cloning a store of 10,000 runs takes minutes on a loaded machine, not the default 30 s.
            NWB_BENCHMARKS_GIT_TIMEOUT="3600",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVE], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        self.url = f"http://127.0.0.1:{self.proc.stdout.readline().strip()}"
        # Keep reading what the server prints after its port, so that a full pipe never blocks it.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def peak_memory_mb(self) -> float:
        """The process's peak resident memory (VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def pages(url: str) -> dict[str, str]:
    """Every page and read endpoint, with a real benchmark, parameter key and pair of runs."""
    benchmark, params, _ = next(item for item in suite_layout() if item[2] == "time")
    runs = requests.get(f"{url}/data/runs", params={"limit": 2}, timeout=600).json()
    tracked = next(item for item in suite_layout() if item[2] == "track")
    return {
        "/": "/",
        "/machines": "/machines",
        "/benchmarks": "/benchmarks",
        "/benchmark": f"/benchmark?name={benchmark}",
        "/benchmark/plot.svg": f"/benchmark/plot.svg?name={benchmark}",
        "/benchmark/plot.svg (tracked)": f"/benchmark/plot.svg?name={tracked[0]}&variable=number_of_packets",
        "/benchmark/plot.svg?x=commit": f"/benchmark/plot.svg?name={benchmark}&x=commit",
        "/compare": f"/compare?base={runs[0]['run']}&head={runs[1]['run']}" if len(runs) > 1 else "/compare",
        "/problems": "/problems",
        "/data/runs": "/data/runs",
        "/data/benchmarks": "/data/benchmarks",
        "/data/benchmarks/<b>/samples": f"/data/benchmarks/{benchmark}/samples?params={requests.utils.quote(params)}",
        "/data/machines": "/data/machines",
    }


def timed_get(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = requests.get(url, timeout=600)
    response.raise_for_status()
    return time.perf_counter() - start, len(response.content)


def wait_for_database(url: str, timeout: float = 600.0) -> float:
    """Poll ``/data/database-status`` until the tables hold every stored file; the seconds it took."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        status = requests.get(f"{url}/data/database-status", timeout=600).json()
        if status["state"] == "current" and not status["updating"]:
            return time.perf_counter() - start
        time.sleep(0.05)
    raise TimeoutError(f"the database did not catch up with the uploads within {timeout} s")


def latencies(url: str, repeats: int) -> dict[str, Any]:
    """First request of every page, then the median of ``repeats`` more."""
    out = {}
    for label, path in pages(url).items():
        first, size = timed_get(url + path)
        warm = [timed_get(url + path)[0] for _ in range(repeats)]
        out[label] = {"first_s": round(first, 3), "warm_median_s": round(statistics.median(warm), 3), "bytes": size}
    return out


def report(step: str, **figures: Any) -> dict[str, Any]:
    line = {"step": step, **figures}
    print(json.dumps(line), flush=True)
    return line


def ingest_only(work: Path, runs: int) -> dict[str, Any]:
    """Rebuild in this process, then time the results write and the ingest of 12 uploads apart."""
    from server import create_app
    from server._database import store_path

    remote = generate(work, runs)
    app = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(work / "home"), "NWB_BENCHMARKS_RESULTS_REMOTE": str(remote)})
    service = app.extensions["nwb_benchmarks"]
    start = time.perf_counter()
    service.update_database()
    rebuild = time.perf_counter() - start
    items, rng = suite_layout(), random.Random(5)
    writes, ingests = [], []
    for k in range(12):
        name, content = result_file(runs + k, items, rng)
        start = time.perf_counter()
        service.results.write_json(store_path(name), content, f"Add {name}")
        writes.append(time.perf_counter() - start)
        start = time.perf_counter()
        service.ingestor.catch_up()
        ingests.append(time.perf_counter() - start)
    return report(
        "ingest_only",
        runs=runs,
        rebuild_s=round(rebuild, 1),
        results_write_median_s=round(statistics.median(writes), 3),
        ingest_median_s=round(statistics.median(ingests), 3),
        ingest_max_s=round(max(ingests), 3),
    )


def main(argv: list[str] | None = None) -> int:
    """Run every step; print one JSON line per step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--work", type=Path, required=True, help="an empty or absent folder (deleted at the end)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--ingest-only", action="store_true", help="only time uploads' ingest, in this process")
    parser.add_argument(
        "--reuse", action="store_true", help="measure again on the store an earlier --keep run left (no generation)"
    )
    args = parser.parse_args(argv)
    if args.reuse:
        if not (args.work / "results.git").is_dir():
            parser.error(f"--reuse needs the folder an earlier run with --keep left, not {args.work}")
        remote = args.work / "results.git"
        listing = subprocess.run(
            ["git", "--git-dir", str(remote), "ls-tree", "--name-only", "main", "results/"],
            capture_output=True,
            text=True,
            check=True,
        )
        # The uploads go on after the runs stored (new names: one run an hour after the last).
        args.runs = len(listing.stdout.splitlines())
        figures = [report("reuse", runs=args.runs)]
        if not (args.work / "home" / "clones" / "database" / "tables" / "manifest.json").is_file():
            figures.append(rebuild(args.work, remote, args.runs))  # the earlier run stopped before its tables
        return _measure(args, remote, figures)
    args.work.mkdir(parents=True, exist_ok=False)
    if args.ingest_only:
        try:
            ingest_only(args.work, args.runs)
        finally:
            if not args.keep:
                shutil.rmtree(args.work, ignore_errors=True)
        return 0
    figures: list[dict[str, Any]] = []
    try:
        start = time.perf_counter()
        remote = generate(args.work, args.runs)
        figures.append(report("generate", runs=args.runs, seconds=round(time.perf_counter() - start, 1)))
        figures.append(rebuild(args.work, remote, args.runs))
    except BaseException:
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
        raise
    return _measure(args, remote, figures)


def rebuild(work: Path, remote: Path, runs: int) -> dict[str, Any]:
    """Step 2: a live server builds the tables from scratch; its time and peak memory."""
    home = work / "home"
    server = Server(home, remote)
    try:
        start = time.perf_counter()
        reply = requests.post(f"{server.url}/data/update-database", params={"rebuild": "1"}, json={}, timeout=86400)
        elapsed = time.perf_counter() - start
        return report(
            "rebuild",
            seconds=round(elapsed, 1),
            runs_per_s=round(runs / elapsed, 1),
            counts=reply.json()["counts"],
            problems=reply.json()["problems"],
            peak_memory_mb=round(server.peak_memory_mb()),
            database_bytes=sum(p.stat().st_size for p in (home / "clones" / "database" / "tables").rglob("*.parquet")),
        )
    finally:
        server.stop()


def _measure(args: argparse.Namespace, remote: Path, figures: list[dict[str, Any]]) -> int:
    """Steps 3-5 on the work folder's store: restart, page latencies, uploads, pages after an upload."""
    home = args.work / "home"
    try:
        start = time.perf_counter()
        server = Server(home, remote)
        figures.append(report("restart", seconds=round(time.perf_counter() - start, 2)))
        try:
            figures.append(
                report("cold_and_warm", pages=latencies(server.url, 5), peak_memory_mb=round(server.peak_memory_mb()))
            )
            items = suite_layout()
            rng = random.Random(2)
            files = [result_file(args.runs + k, items, rng) for k in range(args.uploads)]

            def upload(named: tuple[str, dict]) -> float:
                began = time.perf_counter()
                response = requests.post(
                    f"{server.url}/data/contribute",
                    params={"filename": named[0]},
                    json={"json_content": named[1]},
                    timeout=600,
                )
                assert response.status_code == 201, response.text
                return time.perf_counter() - began

            start = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                each = list(pool.map(upload, files))
            elapsed = time.perf_counter() - start
            figures.append(
                report(
                    "upload",
                    uploads=args.uploads,
                    per_s=round(args.uploads / elapsed, 2),
                    latency_median_s=round(statistics.median(each), 3),
                    latency_max_s=round(max(each), 3),
                    peak_memory_mb=round(server.peak_memory_mb()),
                )
            )
            name, content = result_file(args.runs + args.uploads, items, rng)
            upload((name, content))
            # Uploads are answered before the tables hold them: time the pages once the database caught up.
            caught_up = wait_for_database(server.url)
            first = {label: round(timed_get(server.url + path)[0], 3) for label, path in pages(server.url).items()}
            figures.append(
                report(
                    "after_upload",
                    database_caught_up_s=round(caught_up, 2),
                    first_request_s=first,
                    peak_memory_mb=round(server.peak_memory_mb()),
                )
            )
        finally:
            server.stop()
    finally:
        if not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
