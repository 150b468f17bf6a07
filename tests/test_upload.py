"""The uploader against the real results server, run under waitress in its own process.

Each test gets its own server home (with the server's own bare repositories standing in for the
remote stores) and its own benchmarks home (with the upload tracker), so what one test uploads
cannot leak into another.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import pytest_nwb_benchmarks
from pytest_nwb_benchmarks import upload
from pytest_nwb_benchmarks.upload import UploadTracker, UploadTrackerError, upload_result_files
from pytest_nwb_benchmarks.upload._upload import main

REPO_ROOT = Path(__file__).resolve().parents[1]
# The result files of 2024, kept in the repository (another copy can be named by the environment).
REFERENCE = Path(os.environ.get("NWB_BENCHMARKS_REFERENCE_RESULTS") or REPO_ROOT / "tests" / "data" / "results-2024")

# Started with `python -c`, so that the server runs exactly as in production: waitress in a process.
_LAUNCHER = """
import sys
from waitress import create_server
from server import create_app
server = create_server(create_app(None), host="127.0.0.1", port=int(sys.argv[1]), threads=4)
print(server.effective_port, flush=True)
server.run()
"""

MACHINE_HASH = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
ENVIRONMENT_HASH = "f0e1d2c3b4a5968778695a4b3c2d1e0f12345678"


class LiveServer:
    """The results server in a child process, on 127.0.0.1.

    Parameters
    ----------
    home : pathlib.Path
        The server's data directory; its default bare repositories are created under it.
    token : str, optional
        The upload token the server demands.
    settings : dict, optional
        More of the server's environment variables.
    """

    def __init__(self, home: Path, token: str | None = None, settings: dict[str, str] | None = None) -> None:
        self.home = home
        self.token = token
        self.settings = dict(settings or {})
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self.log = home.parent / f"{home.name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int | None = None) -> LiveServer:
        """Start the server, on ``port`` or (first time) a free port, and wait until it listens."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("NWB_BENCHMARKS_")}
        env["NWB_BENCHMARKS_SERVER_HOME"] = str(self.home)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        if self.token:
            env["NWB_BENCHMARKS_UPLOAD_TOKEN"] = self.token
        env.update(self.settings)
        port = port if port is not None else (self.port or 0)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else b""
        if not line.strip():
            self.stop()
            raise RuntimeError(f"the results server did not start:\n{self.log.read_text(errors='replace')}")
        self.port = int(line)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def _bare(self) -> Path:
        found = sorted(self.home.glob("remotes/result*.git"))
        assert found, f"no results repository under {self.home / 'remotes'}"
        return found[0]

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(self._bare()), *args], check=True, capture_output=True, text=True
        ).stdout

    def _branch(self) -> str | None:
        heads = self._git("for-each-ref", "--format=%(refname:short)", "refs/heads").split()
        return heads[0] if heads else None

    def remote_files(self) -> dict[str, str]:
        """File name -> path inside the remote results repository, for every stored file."""
        branch = self._branch()
        if branch is None:
            return {}
        paths = self._git("ls-tree", "-r", "--name-only", branch).split("\n")
        return {Path(p).name: p for p in paths if p.endswith(".json")}

    def remote_json(self, name: str) -> object:
        branch = self._branch()
        return json.loads(self._git("show", f"{branch}:{self.remote_files()[name]}"))

    def commit_order(self) -> list[str]:
        """File names in the order they were first committed to the remote."""
        branch = self._branch()
        log = self._git("log", "--reverse", "--format=", "--name-only", "--diff-filter=A", branch)
        return [Path(line).name for line in log.split("\n") if line.endswith(".json")]


# A stand-in for a failing proxy or an overloaded server in front of the real one: it answers the
# first N uploads with 503 and passes the rest through unchanged.
_FAULTY_PROXY = """
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream, faults = sys.argv[1], [int(sys.argv[2])]
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if faults[0] > 0:
            faults[0] -= 1
            return self.answer(503, b'{"error": "injected fault"}')
        keep = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization")}
        forwarded = urllib.request.Request(upstream + self.path, data=body, method="POST", headers=keep)
        try:
            with direct.open(forwarded, timeout=120) as answer:
                self.answer(answer.status, answer.read())
        except urllib.error.HTTPError as error:
            self.answer(error.code, error.read())

    def answer(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


proxy = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(proxy.server_address[1], flush=True)
proxy.serve_forever()
"""


@pytest.fixture
def faulty_proxy() -> Iterator:
    processes: list[subprocess.Popen] = []

    def start(upstream: str, faults: int) -> str:
        process = subprocess.Popen([sys.executable, "-c", _FAULTY_PROXY, upstream, str(faults)], stdout=subprocess.PIPE)
        processes.append(process)
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "the proxy did not start"
        return f"http://127.0.0.1:{int(process.stdout.readline())}"

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def benchmarks_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "benchmarks-home"
    monkeypatch.setenv("NWB_BENCHMARKS_HOME", str(home))
    for name in ("NWB_BENCHMARKS_UPLOAD_URL", "NWB_BENCHMARKS_UPLOAD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NWB_BENCHMARKS_UPLOAD_ATTEMPTS", "2")
    monkeypatch.setenv("NWB_BENCHMARKS_UPLOAD_BACKOFF", "0.01")
    return home


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator:
    servers: list[LiveServer] = []

    def start(token: str | None = None, port: int | None = None, **settings: str) -> LiveServer:
        server = LiveServer(tmp_path / f"server-home-{len(servers)}", token, settings)
        servers.append(server)
        return server.start(port)

    yield start
    for server in servers:
        server.stop()


MACHINE_HEADER = {
    "version": 1,
    "machine": "QuietHeron",
    "defaults": {"arch": "x86_64", "cpu": "AMD EPYC 7B13", "num_cpu": "2", "os": "Linux 6.1", "ram": "8 GB"},
    "platform": {"system": "Linux", "release": "6.1.0", "machine": "x86_64", "python_version": "3.11.7"},
    "psutil": {"number_of_processes": 2, "total_memory": 8589934592, "disk_partitions": []},
}
ENVIRONMENT_HEADER = {
    "3.11.7 (main, Dec  4 2023, 18:10:11) [GCC 12.2.0]": [
        {"name": "h5py", "version": "3.16.0", "build": "pypi_0", "channel": "pypi"},
        {"name": "numpy", "version": "2.1.3", "build": "pypi_0", "channel": "pypi"},
        {"name": "pynwb", "version": "4.2.0", "build": "pypi_0", "channel": "pypi"},
    ]
}


def write_run(folder: Path, timestamp: str = "2026-11-25-21-00-00", headers: bool = True) -> list[Path]:
    """Write the files of one benchmark run: its two headers (unless ``headers`` is false) and its result."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if headers:
        machine = folder / f"info_machine-{MACHINE_HASH}.json"
        machine.write_text(json.dumps(MACHINE_HEADER, indent=1))
        environment = folder / f"info_environment-{ENVIRONMENT_HASH}.json"
        environment.write_text(json.dumps(ENVIRONMENT_HEADER, indent=1))
        written += [machine, environment]
    result = {
        "version": 2,
        "timestamp": timestamp,
        "commit_hash": "4cfe0f0a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e",
        "environment_hash": ENVIRONMENT_HASH,
        "machine_hash": MACHINE_HASH,
        "results": {
            "time_local.H5pyLocalRead.time_read": {"('small.nwb',)": [0.0123, 0.0119, 0.0121]},
            "peakmem_local.PynwbLocalRead.peakmem_read": {"('small.nwb',)": [73400320.0]},
        },
    }
    path = folder / f"result_timestamp-{timestamp}_machine-{MACHINE_HASH}_environment-{ENVIRONMENT_HASH}.json"
    path.write_text(json.dumps(result, indent=1))
    return [*written, path]


def _tracked(server_url: str) -> dict[str, dict]:
    return UploadTracker().entries(server_url)


def test_pytest_nwb_upload_sends_a_run_headers_first(
    pytester: pytest.Pytester, benchmarks_home: Path, start_server
) -> None:
    server = start_server()
    files = write_run(pytester.path / "results")  # the default results folder: <rootdir>/results

    result = pytester.runpytest("--nwb-upload", "--nwb-server-url", server.url + "/", "-p", "no:cacheprovider")

    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*3 result files and headers in*",
            f"uploaded *info_machine-{MACHINE_HASH}.json",
            f"uploaded *info_environment-{ENVIRONMENT_HASH}.json",
            "uploaded *result_timestamp-2026-11-25-21-00-00_*",
            "nwb upload: 3 uploaded",
        ]
    )
    assert "collected" not in result.stdout.str()  # an action: no collection, no test run
    assert set(server.remote_files()) == {p.name for p in files}
    order = server.commit_order()
    assert order.index(files[2].name) > max(order.index(files[0].name), order.index(files[1].name))
    for path in files:
        assert server.remote_json(path.name) == json.loads(path.read_text())
    # The tracker files the uploads under the URL without its trailing slash.
    assert set(_tracked(server.url)) == {str(p.resolve()) for p in files}


def test_second_upload_sends_nothing_even_with_the_server_gone(
    pytester: pytest.Pytester, benchmarks_home: Path, start_server
) -> None:
    server = start_server()
    folder = pytester.path / "elsewhere"
    write_run(folder)
    args = ("--nwb-upload", "--nwb-server-url", server.url, "--nwb-results-dir", str(folder), "-p", "no:cacheprovider")
    assert pytester.runpytest(*args).ret == 0
    commits = server.commit_order()
    server.stop()

    again = pytester.runpytest(*args)

    assert again.ret == 0, again.stdout.str()
    again.stdout.fnmatch_lines(["nwb upload: 3 already uploaded"])
    assert "failed" not in again.stdout.str()
    server.start()
    assert server.commit_order() == commits


def test_upload_resumes_after_the_server_was_down(
    pytester: pytest.Pytester, benchmarks_home: Path, start_server
) -> None:
    server = start_server()
    server.stop()  # the port is known and nothing listens on it
    files = write_run(pytester.path / "results")
    args = ("--nwb-upload", "--nwb-server-url", server.url, "-p", "no:cacheprovider")

    down = pytester.runpytest(*args)

    assert down.ret == 1
    down.stdout.fnmatch_lines(
        [
            "failed *info_machine-*: cannot reach the server (*), after 2 attempts",
            "failed *info_environment-*: not sent, the server is unreachable",
            "failed *result_timestamp-*: not sent, the server is unreachable",
            "nwb upload: 3 failed",
        ]
    )
    assert _tracked(server.url) == {}  # nothing is marked that the server did not accept

    server.start()
    up = pytester.runpytest(*args)

    assert up.ret == 0, up.stdout.str()
    up.stdout.fnmatch_lines(["nwb upload: 3 uploaded"])
    assert set(server.remote_files()) == {p.name for p in files}


def test_retries_until_the_server_answers(tmp_path: Path, benchmarks_home: Path, start_server) -> None:
    port = _free_port()
    files = write_run(tmp_path / "results")
    outcomes: list = []
    url = f"http://127.0.0.1:{port}"
    # Up to 12 tries, 0.1 s apart at first and doubling: minutes of patience for a start of seconds.
    uploader = threading.Thread(
        target=lambda: outcomes.extend(upload_result_files(files, url, attempts=12, backoff=0.1)), daemon=True
    )
    uploader.start()
    server = start_server(port=port)
    uploader.join(timeout=400)

    assert [o.status for o in outcomes] == ["uploaded"] * 3, [o.summary_line() for o in outcomes]
    assert outcomes[0].attempts > 1  # the first file waited for the server
    assert set(server.remote_files()) == {p.name for p in files}


def test_server_errors_are_retried_with_backoff(
    tmp_path: Path, benchmarks_home: Path, start_server, faulty_proxy
) -> None:
    server = start_server()
    files = write_run(tmp_path / "results")
    waits: list[float] = []

    outcomes = upload_result_files(files, faulty_proxy(server.url, 2), attempts=4, backoff=0.05, sleep=waits.append)

    assert [o.status for o in outcomes] == ["uploaded"] * 3
    assert [o.attempts for o in outcomes] == [3, 1, 1]
    assert waits == [0.05, 0.1]  # exponential: the base, then twice the base
    assert set(server.remote_files()) == {p.name for p in files}


def test_persistent_server_errors_are_reported_and_not_marked(
    tmp_path: Path, benchmarks_home: Path, start_server, faulty_proxy
) -> None:
    server = start_server()
    files = write_run(tmp_path / "results")
    url = faulty_proxy(server.url, 1000)

    outcomes = upload_result_files(files, url, attempts=3, backoff=0)

    assert [o.summary_line().split(": ", 1)[1] for o in outcomes] == [
        "HTTP 503 (injected fault), after 3 attempts",
        "HTTP 503 (injected fault), after 3 attempts",  # a 5xx is about one file: the next is still tried
        "not sent, its machine and environment header failed",
    ]
    assert _tracked(url) == {}
    assert server.remote_files() == {}


def test_a_pending_push_counts_as_uploaded(tmp_path: Path, benchmarks_home: Path, start_server) -> None:
    server = start_server()
    remote = server.home / "remotes" / "results.git"
    remote.rename(remote.with_name("results.git.away"))  # the remote store becomes unreachable
    files = write_run(tmp_path / "results")

    outcomes = upload_result_files(files, server.url)

    assert [o.status for o in outcomes] == ["pending push"] * 3, [o.message for o in outcomes]
    assert len(_tracked(server.url)) == 3  # the server has them: they are not sent again
    remote.with_name("results.git.away").rename(remote)
    later = write_run(tmp_path / "results", timestamp="2026-11-25-21-30-00", headers=False)
    assert [o.status for o in upload_result_files(files + later, server.url)] == ["already uploaded"] * 3 + ["uploaded"]
    assert set(server.remote_files()) == {p.name for p in files + later}  # the pending commits went out too


def test_server_refusals_are_explained(tmp_path: Path, benchmarks_home: Path, start_server, capsys) -> None:
    server = start_server(NWB_BENCHMARKS_MAX_UPLOAD_BYTES="4000")
    folder = tmp_path / "results"
    files = write_run(folder)
    badly_named = folder / "notes.json"
    badly_named.write_text("{}")
    no_samples = (
        folder / f"result_timestamp-2026-11-25-23-00-00_machine-{MACHINE_HASH}_environment-{ENVIRONMENT_HASH}.json"
    )
    no_samples.write_text(json.dumps({"version": 2, "timestamp": "2026-11-25-23-00-00"}))
    huge = folder / "info_environment-0123456789abcdef0123456789abcdef01234567.json"
    huge.write_text(json.dumps({"3.11.7": [{"name": f"package{i}", "version": "1.0"} for i in range(200)]}))

    code = main([str(p) for p in (*files, badly_named, no_samples, huge)] + ["--server-url", server.url])

    output = capsys.readouterr().out
    assert code == 1
    lines = {line.split()[1].rstrip(":"): line for line in output.splitlines() if line.startswith("failed")}
    assert set(lines) == {badly_named.name, no_samples.name, huge.name}, output
    assert "HTTP 400, the server rejected the file (invalid filename" in lines[badly_named.name]
    assert "HTTP 400" in lines[no_samples.name] and "schema" in lines[no_samples.name]
    assert "HTTP 413, the file is larger than the server accepts" in lines[huge.name]
    assert output.count("uploaded ") == 3  # the good files went through all the same
    assert set(server.remote_files()) == {p.name for p in files}


def test_the_command_needs_a_server(tmp_path: Path, benchmarks_home: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--results-dir", str(tmp_path)])
    assert stopped.value.code == 2
    assert "no results server: pass --server-url URL or set NWB_BENCHMARKS_UPLOAD_URL" in capsys.readouterr().err


def test_a_changed_file_is_sent_again_and_the_conflict_reported(
    pytester: pytest.Pytester, benchmarks_home: Path, start_server
) -> None:
    server = start_server()
    files = write_run(pytester.path / "results")
    args = ("--nwb-upload", "--nwb-server-url", server.url, "-p", "no:cacheprovider")
    assert pytester.runpytest(*args).ret == 0
    accepted = _tracked(server.url)[str(files[2].resolve())]["sha256"]
    edited = json.loads(files[2].read_text())
    edited["commit_hash"] = "0" * 40
    files[2].write_text(json.dumps(edited, indent=1))

    result = pytester.runpytest(*args)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [f"failed *{files[2].name}: HTTP 409, the server already has a different file named*", "*2 already uploaded*"]
    )
    assert _tracked(server.url)[str(files[2].resolve())]["sha256"] == accepted
    assert server.remote_json(files[2].name)["commit_hash"] != "0" * 40


@pytest.mark.parametrize("client_token", [None, "wrong-token"])
def test_a_wrong_or_missing_token_is_refused_and_explained(
    pytester: pytest.Pytester,
    benchmarks_home: Path,
    start_server,
    monkeypatch: pytest.MonkeyPatch,
    client_token: str | None,
) -> None:
    server = start_server(token="the-right-token")
    files = write_run(pytester.path / "results")
    if client_token:
        monkeypatch.setenv("NWB_BENCHMARKS_UPLOAD_TOKEN", client_token)
    args = ("--nwb-upload", "--nwb-server-url", server.url, "-p", "no:cacheprovider")

    refused = pytester.runpytest(*args)

    assert refused.ret == 1
    refused.stdout.fnmatch_lines(
        [
            "failed *info_machine-*: HTTP 401, the upload token is missing or wrong; set NWB_BENCHMARKS_UPLOAD_TOKEN*",
            "failed *info_environment-*: HTTP 401*",
            "failed *result_timestamp-*: not sent, its machine and environment header failed",
        ]
    )
    assert server.remote_files() == {}
    assert _tracked(server.url) == {}

    monkeypatch.setenv("NWB_BENCHMARKS_UPLOAD_TOKEN", "the-right-token")
    accepted = pytester.runpytest(*args)
    assert accepted.ret == 0, accepted.stdout.str()
    assert set(server.remote_files()) == {p.name for p in files}


def test_the_2024_reference_files_upload_as_they_are(
    tmp_path: Path, benchmarks_home: Path, start_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not REFERENCE.is_dir():
        pytest.fail(f"the reference result files are missing: expected them in {REFERENCE}")
    folder = tmp_path / "results-2024"
    shutil.copytree(REFERENCE, folder)
    server = start_server()

    # The command line, as a contributor runs it; the server URL comes from the environment.
    monkeypatch.setenv("NWB_BENCHMARKS_UPLOAD_URL", server.url)
    command = [sys.executable, "-m", "pytest_nwb_benchmarks", "upload", "--results-dir", str(folder)]
    completed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert f"{len(list(folder.iterdir()))} uploaded" in output
    stored = server.remote_files()
    assert set(stored) == {p.name for p in folder.iterdir()}
    for path in folder.iterdir():
        assert server.remote_json(path.name) == json.loads(path.read_text()), path.name
    order = server.commit_order()
    first_result = min(i for i, name in enumerate(order) if name.startswith("results_"))
    assert all(not name.startswith("results_") for name in order[:first_result])
    assert first_result == 8  # all 3 machine and 5 environment headers went first


_TINY_SUITE = """
class TinySuite:
    def time_sum(self):
        sum(range(1000))
"""
_COMMIT = "4cfe0f0a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e"


def test_a_benchmark_run_uploads_what_it_wrote_and_the_headers_it_names(
    pytester: pytest.Pytester, benchmarks_home: Path, start_server
) -> None:
    server = start_server()
    pytester.makepyfile(bench_tiny=_TINY_SUITE)
    bench = ("bench_tiny.py", "--nwb-bench", "--nwb-commit-hash", _COMMIT, "-p", "no:cacheprovider")
    # An earlier run, not uploaded: it writes the headers, which the next run does not write again.
    assert pytester.runpytest(*bench).ret == 0
    folder = pytester.path / "results"
    earlier = {p.name for p in folder.iterdir()}
    assert len(earlier) == 3

    result = pytester.runpytest(*bench, "--nwb-upload", "--nwb-server-url", server.url)

    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*nwb benchmarks: wrote *",
            f"*nwb upload to {server.url}*",
            "uploaded *info_machine-*",
            "uploaded *info_environment-*",
            "uploaded *result_timestamp-*",
            "nwb upload: 3 uploaded",
        ]
    )
    new_result = ({p.name for p in folder.iterdir()} - earlier).pop()
    headers = {name for name in earlier if name.startswith("info_")}
    assert set(server.remote_files()) == headers | {new_result}  # the earlier result waits for `--nwb-upload`
    assert server.remote_json(new_result) == json.loads((folder / new_result).read_text())


def test_a_failed_upload_fails_the_benchmark_run(
    pytester: pytest.Pytester, benchmarks_home: Path, start_server
) -> None:
    server = start_server()
    server.stop()
    pytester.makepyfile(bench_tiny=_TINY_SUITE)

    result = pytester.runpytest(
        "bench_tiny.py",
        "--nwb-bench",
        "--nwb-commit-hash",
        _COMMIT,
        "-p",
        "no:cacheprovider",
        "--nwb-upload",
        "--nwb-server-url",
        server.url,
    )

    assert result.ret == 1
    result.stdout.fnmatch_lines(["failed *cannot reach the server*", "nwb upload: 3 failed", "*1 passed*"])
    assert len(list((pytester.path / "results").iterdir())) == 3  # the files stay for the next upload
    assert _tracked(server.url) == {}


def test_usage_errors_say_what_is_missing(
    pytester: pytest.Pytester, benchmarks_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_url = pytester.runpytest("--nwb-upload", "-p", "no:cacheprovider")
    assert no_url.ret == pytest.ExitCode.USAGE_ERROR
    no_url.stderr.fnmatch_lines(["*--nwb-upload needs a results server: pass --nwb-server-url URL*"])

    bad_url = pytester.runpytest("--nwb-upload", "--nwb-server-url", "ftp://127.0.0.1", "-p", "no:cacheprovider")
    assert bad_url.ret == pytest.ExitCode.USAGE_ERROR
    bad_url.stderr.fnmatch_lines(["*must start with http:// or https://, got 'ftp://127.0.0.1'*"])

    no_folder = pytester.runpytest(
        "--nwb-upload",
        "--nwb-server-url",
        "http://127.0.0.1:9",
        "--nwb-results-dir",
        "missing",
        "-p",
        "no:cacheprovider",
    )
    assert no_folder.ret == pytest.ExitCode.USAGE_ERROR
    no_folder.stderr.fnmatch_lines(["*the results folder */missing does not exist*"])

    monkeypatch.setenv("NWB_BENCHMARKS_UPLOAD_ATTEMPTS", "many")
    (pytester.path / "results").mkdir()
    bad_retries = pytester.runpytest("--nwb-upload", "--nwb-server-url", "http://127.0.0.1:9", "-p", "no:cacheprovider")
    assert bad_retries.ret == pytest.ExitCode.USAGE_ERROR
    bad_retries.stderr.fnmatch_lines(["*NWB_BENCHMARKS_UPLOAD_ATTEMPTS='many' is not a valid int*"])
    monkeypatch.setenv("NWB_BENCHMARKS_UPLOAD_ATTEMPTS", "2")

    pytester.makeini("[pytest]\nnwb_server_url = http://127.0.0.1:9\n")
    from_ini = pytester.runpytest("--nwb-upload", "-p", "no:cacheprovider")  # the URL from the ini file
    assert from_ini.ret == 0
    from_ini.stdout.fnmatch_lines(["*0 result files and headers in*, to http://127.0.0.1:9", "*nothing to upload"])


def test_bad_files_and_a_damaged_tracker_are_named(tmp_path: Path, benchmarks_home: Path) -> None:
    broken = tmp_path / f"info_machine-{MACHINE_HASH}.json"
    broken.write_text('{"version": 1,')
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens: a request would fail differently

    (outcome,) = upload_result_files([broken], url)

    assert outcome.status == "failed" and outcome.attempts == 0
    assert outcome.message.startswith("not valid JSON") and "nothing was sent" in outcome.message

    tracker_file = benchmarks_home / "uploads.json"
    tracker_file.write_text("{not json")
    with pytest.raises(UploadTrackerError, match=r"uploads\.json is not valid JSON.*delete it"):
        upload_result_files(write_run(tmp_path / "results"), url)
    assert tracker_file.read_text() == "{not json"  # reported, not overwritten


def _mark_many(tracker_path: str, worker: int) -> None:
    tracker = UploadTracker(tracker_path)
    for index in range(40):
        tracker.mark_uploaded("http://127.0.0.1:1", Path(f"/results/{worker}-{index}.json"), "0" * 64, "uploaded")


def test_concurrent_uploaders_keep_each_others_entries(tmp_path: Path) -> None:
    tracker_path = str(tmp_path / "uploads.json")
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    workers = [context.Process(target=_mark_many, args=(tracker_path, worker)) for worker in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0

    entries = UploadTracker(tracker_path).entries("http://127.0.0.1:1/")
    assert len(entries) == 120
    assert not list(tmp_path.glob("*.tmp"))  # no temporary file left behind


def test_the_public_names_are_the_same_from_the_package_and_the_subpackage() -> None:
    assert sorted(upload.__all__) == ["UploadOutcome", "UploadTracker", "UploadTrackerError", "upload_result_files"]
    for name in upload.__all__:
        assert name in pytest_nwb_benchmarks.__all__
        assert getattr(pytest_nwb_benchmarks, name) is getattr(upload, name)
    # `nwb-benchmarks upload` runs the command tested here
    from pytest_nwb_benchmarks.__main__ import COMMANDS

    assert importlib.import_module(COMMANDS["upload"][0], "pytest_nwb_benchmarks").main is main
