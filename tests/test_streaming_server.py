"""The local streaming server: Range handling, keep-alive, counters, latency ports, redirect, S3, clients, faults."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fsspec
import h5py
import numpy as np
import pytest
import remfile
import requests
import s3fs

from pytest_nwb_benchmarks.nwb._nwb_files import ensure_nwb_file, nwb_file_spec, slices_for
from pytest_nwb_benchmarks.nwb._settings import SETTINGS_ENV, SuiteSettings
from pytest_nwb_benchmarks.nwb._streaming_server import (
    SERVER_ENV,
    ServerInfo,
    StreamingServer,
    StreamingServerUnavailable,
    current_server,
)

REPO = Path(__file__).resolve().parent.parent
BLOB = "small/blob.bin"
BLOB_SIZE = 1_000_003  # odd, so that range arithmetic has no round numbers to hide behind
NWB = "small/ecephys_uncompressed.nwb"


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``<cache>/nwb`` with one small NWB file and a blob of known random bytes."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(cache))
        ensure_nwb_file("ecephys", "uncompressed", "small")
        root = cache / "nwb"
        (root / BLOB).write_bytes(np.random.default_rng(7).integers(0, 256, BLOB_SIZE, dtype=np.uint8).tobytes())
        (root / "small" / ".hidden").write_bytes(b"secret")
        yield root


@pytest.fixture(scope="module")
def server(data_root: Path) -> Iterator[ServerInfo]:
    with StreamingServer(data_root, latencies_ms=(0, 20)) as running:
        yield running.info


@pytest.fixture
def blob(data_root: Path) -> bytes:
    return (data_root / BLOB).read_bytes()


@pytest.fixture
def fresh_stats(server: ServerInfo) -> ServerInfo:
    server.reset_stats()
    return server


# -- HTTP: Range, HEAD, errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=0-0", 0, 1),
        ("bytes=1000-1999", 1000, 2000),
        ("bytes=999990-", 999990, BLOB_SIZE),
        ("bytes=-10", BLOB_SIZE - 10, BLOB_SIZE),
        ("bytes=-5000000", 0, BLOB_SIZE),  # suffix longer than the file: the whole file
        ("bytes=999000-5000000", 999000, BLOB_SIZE),  # end past the end is clamped
    ],
)
def test_every_range_form_returns_exactly_the_bytes(
    server: ServerInfo, blob: bytes, header: str, start: int, stop: int
) -> None:
    response = requests.get(server.http_url(BLOB), headers={"Range": header})
    assert response.status_code == 206
    assert response.content == blob[start:stop]
    assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{BLOB_SIZE}"
    assert response.headers["Content-Length"] == str(stop - start)
    assert "Transfer-Encoding" not in response.headers


@pytest.mark.parametrize("header", [f"bytes={BLOB_SIZE}-", f"bytes={BLOB_SIZE + 5}-{BLOB_SIZE + 10}", "bytes=-0"])
def test_unsatisfiable_range_is_416_with_the_size(server: ServerInfo, header: str) -> None:
    response = requests.get(server.http_url(BLOB), headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{BLOB_SIZE}"


@pytest.mark.parametrize("header", ["bytes=9-3", "items=0-3", "bytes=-"])
def test_malformed_range_is_a_clear_400(server: ServerInfo, header: str) -> None:
    response = requests.get(server.http_url(BLOB), headers={"Range": header})
    assert response.status_code == 400
    assert "malformed Range header" in response.text and header in response.text


def test_get_without_range_sends_the_whole_file_with_a_length(server: ServerInfo, blob: bytes) -> None:
    response = requests.get(server.http_url(BLOB))
    assert response.status_code == 200 and response.content == blob
    assert response.headers["Content-Length"] == str(BLOB_SIZE)
    assert response.headers["Accept-Ranges"] == "bytes"


def test_head_has_the_headers_and_no_body(server: ServerInfo, data_root: Path) -> None:
    response = requests.head(server.http_url(BLOB))
    assert response.status_code == 200 and response.content == b""
    assert response.headers["Content-Length"] == str(BLOB_SIZE)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["ETag"].startswith('"') and response.headers["Last-Modified"].endswith("GMT")
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize("path", ["small/missing.nwb", "small/.hidden", "../etc/passwd", "small/../../x"])
def test_missing_hidden_or_outside_files_are_404(server: ServerInfo, path: str) -> None:
    # http.client sends the path as written (requests would normalise the "..").
    host, port = server.base_url().removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", f"/files/{path}")
        response = connection.getresponse()
        assert response.status == 404
        assert f"no such file: {path.strip('/')}" in response.read().decode()
    finally:
        connection.close()


# -- keep-alive and counters -------------------------------------------------------------------------------


def test_keep_alive_serves_several_requests_on_one_connection(fresh_stats: ServerInfo, blob: bytes) -> None:
    host, port = fresh_stats.base_url().removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for start in (0, 500, 999_000):
            connection.request("GET", f"/files/{BLOB}", headers={"Range": f"bytes={start}-{start + 99}"})
            response = connection.getresponse()
            assert response.status == 206 and response.read() == blob[start : start + 100]
            assert response.getheader("Connection") != "close"
        connection.request("HEAD", f"/files/{BLOB}")
        head = connection.getresponse()
        assert head.status == 200 and head.read() == b""
    finally:
        connection.close()
    totals = fresh_stats.stats()["totals"]
    assert totals["connections"] == 1 and totals["requests"] == 4


def test_counters_are_exact(fresh_stats: ServerInfo) -> None:
    with requests.Session() as session:
        session.head(fresh_stats.http_url(BLOB))
        session.get(fresh_stats.http_url(BLOB), headers={"Range": "bytes=0-99"})
        session.get(fresh_stats.http_url(BLOB), headers={"Range": "bytes=-7"})
        session.get(fresh_stats.http_url(BLOB))  # whole file
        session.get(fresh_stats.http_url(BLOB), headers={"Range": f"bytes={BLOB_SIZE}-"})  # 416: no body
        session.get(fresh_stats.redirect_url(BLOB), headers={"Range": "bytes=10-19"})  # 302 then 206
        session.get(fresh_stats.base_url() + f"/{fresh_stats.bucket}/{BLOB}", headers={"Range": "bytes=0-4"})
        session.get(fresh_stats.http_url("small/missing.bin"))
    stats = fresh_stats.reset_stats()
    assert stats["paths"] == {
        BLOB: {
            "requests": 7,
            "head_requests": 1,
            "get_requests": 6,
            "range_requests": 4,
            "bytes_sent": 100 + 7 + BLOB_SIZE + 10 + 5,
            "redirects": 1,
        }
    }
    assert stats["totals"]["other_requests"] == 1 and stats["totals"]["bytes_sent"] == 100 + 7 + BLOB_SIZE + 15
    # The reset returned those values and zeroed them; the stats requests themselves are not counted.
    assert fresh_stats.stats() == {
        "paths": {},
        "totals": {
            "requests": 0,
            "head_requests": 0,
            "get_requests": 0,
            "range_requests": 0,
            "bytes_sent": 0,
            "redirects": 0,
            "connections": 0,
            "other_requests": 0,
        },
    }


def test_counters_stay_exact_under_concurrent_clients(fresh_stats: ServerInfo, blob: bytes) -> None:
    threads, per_thread, span = 8, 25, 1000

    def client(index: int) -> bool:
        ok = True
        with requests.Session() as session:
            for step in range(per_thread):
                start = (index * per_thread + step) * span
                response = session.get(
                    fresh_stats.http_url(BLOB), headers={"Range": f"bytes={start}-{start + span - 1}"}
                )
                ok &= response.status_code == 206 and response.content == blob[start : start + span]
        return ok

    with ThreadPoolExecutor(max_workers=threads) as pool:
        assert all(pool.map(client, range(threads)))
    counters = fresh_stats.stats()["paths"][BLOB]
    assert counters["range_requests"] == counters["requests"] == threads * per_thread
    assert counters["bytes_sent"] == threads * per_thread * span
    assert fresh_stats.stats()["totals"]["connections"] == threads


def test_an_aborted_transfer_counts_what_was_sent(fresh_stats: ServerInfo, data_root: Path) -> None:
    size = (data_root / NWB).stat().st_size
    host, port = fresh_stats.base_url().removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as client:
        # Like remfile's size probe: ask for the whole file, read a little of the body, hang up.
        client.sendall(f"GET /files/{NWB} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        received = b""
        while b"\r\n\r\n" not in received or len(received.split(b"\r\n\r\n", 1)[1]) < 100_000:
            received += client.recv(65536)
        assert received.startswith(b"HTTP/1.1 200")
        body_received = len(received.split(b"\r\n\r\n", 1)[1])
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset
    deadline = time.monotonic() + 10
    # The handler records the bytes when its transfer ends; wait for that.
    while (counters := fresh_stats.stats()["paths"].get(NWB, {})).get("bytes_sent", 0) < body_received:
        assert time.monotonic() < deadline, counters
        time.sleep(0.02)
    assert counters["requests"] == 1 and counters["get_requests"] == 1
    assert body_received <= counters["bytes_sent"] < size
    assert requests.get(fresh_stats.http_url(BLOB), headers={"Range": "bytes=0-0"}).status_code == 206  # still up


# -- latency ports -----------------------------------------------------------------------------------------


def test_the_20ms_port_is_slower_than_the_0ms_port(server: ServerInfo) -> None:
    assert server.latencies_ms == (0, 20)
    durations = {}
    for latency in (0, 20):
        with requests.Session() as session:
            session.head(server.http_url(BLOB, latency))  # connect outside the comparison
            started = time.perf_counter()
            for _ in range(5):
                session.head(server.http_url(BLOB, latency))
            durations[latency] = time.perf_counter() - started
    assert durations[20] > durations[0]
    assert durations[20] >= 5 * 0.020  # each of the five waited 20 ms on the server


def test_unknown_latency_is_a_clear_error(server: ServerInfo) -> None:
    with pytest.raises(ValueError, match="no port with latency 50 ms.*0, 20"):
        server.http_url(BLOB, latency_ms=50)


# -- redirect ----------------------------------------------------------------------------------------------


def test_redirect_points_at_the_file_url(fresh_stats: ServerInfo, blob: bytes) -> None:
    response = requests.get(fresh_stats.redirect_url(BLOB, 20), allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"] == fresh_stats.http_url(BLOB, 20)
    followed = requests.head(fresh_stats.redirect_url(BLOB), allow_redirects=True)
    assert followed.url == fresh_stats.http_url(BLOB) and followed.headers["Content-Length"] == str(BLOB_SIZE)
    assert fresh_stats.stats()["paths"][BLOB]["redirects"] == 2
    assert requests.get(fresh_stats.redirect_url("small/none.nwb"), allow_redirects=False).status_code == 404


# -- clients: s3fs, remfile, fsspec ------------------------------------------------------------------------


def test_s3fs_reads_exact_bytes_through_the_path_style_endpoint(fresh_stats: ServerInfo, blob: bytes) -> None:
    fs = s3fs.S3FileSystem(anon=True, endpoint_url=fresh_stats.s3_endpoint(), skip_instance_cache=True)
    url = fresh_stats.s3_url(BLOB)
    assert url == f"s3://nwb-benchmarks/{BLOB}"
    assert fs.info(url)["size"] == BLOB_SIZE
    with fs.open(url, "rb", block_size=64 * 1024) as stream:
        stream.seek(123_456)
        assert stream.read(5000) == blob[123_456:128_456]
        stream.seek(BLOB_SIZE - 3)
        assert stream.read() == blob[-3:]
    assert fs.cat_file(url, start=10, end=20) == blob[10:20]
    with pytest.raises(FileNotFoundError):
        fs.info(fresh_stats.s3_url("small/missing.nwb"))
    with pytest.raises(FileNotFoundError):
        fs.info(f"s3://another-bucket/{BLOB}")
    assert f"{fresh_stats.bucket}/{BLOB}" in fs.ls(f"{fresh_stats.bucket}/small")
    assert fresh_stats.stats()["paths"][BLOB]["range_requests"] >= 3


def test_s3fs_with_latency_port(server: ServerInfo, blob: bytes) -> None:
    fs = s3fs.S3FileSystem(anon=True, endpoint_url=server.s3_endpoint(20), skip_instance_cache=True)
    assert fs.cat_file(server.s3_url(BLOB), start=0, end=16) == blob[:16]


def test_remfile_reads_the_same_as_the_local_file(fresh_stats: ServerInfo, data_root: Path) -> None:
    spec = nwb_file_spec("ecephys", "uncompressed", "small")
    selection = slices_for(spec)[-1]  # the wide slice: every column chunk
    with h5py.File(data_root / NWB, "r") as local:
        expected = local[spec.object_path][selection]
    remote = remfile.File(fresh_stats.http_url(NWB))
    with h5py.File(remote, "r") as file:
        assert np.array_equal(file[spec.object_path][selection], expected)
    remote.close()
    counters = fresh_stats.stats()["paths"][NWB]
    assert counters["range_requests"] >= 1 and counters["bytes_sent"] >= expected.nbytes


def test_fsspec_http_reads_the_same_as_the_local_file(server: ServerInfo, data_root: Path) -> None:
    spec = nwb_file_spec("ecephys", "uncompressed", "small")
    selection = slices_for(spec)[0]
    with h5py.File(data_root / NWB, "r") as local:
        expected = local[spec.object_path][selection]
    fs = fsspec.filesystem("http", skip_instance_cache=True)
    for url in (server.http_url(NWB), server.http_url(NWB, 20)):
        with fs.open(url, "rb", block_size=1 << 20, cache_type="bytes") as stream:
            with h5py.File(stream, "r") as file:
                assert np.array_equal(file[spec.object_path][selection], expected)
            stream.seek(1000)
            assert stream.read(64) == (data_root / NWB).read_bytes()[1000:1064]


@pytest.mark.skipif(
    "ros3" not in h5py.registered_drivers(),
    reason="this h5py has no ros3 driver; to run this test, install h5py-s3 in its own environment "
    "(pip install pynwb requests; pip install --force-reinstall --no-deps h5py-s3)",
)
def test_ros3_reads_the_same_as_the_local_file(
    server: ServerInfo, data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = nwb_file_spec("ecephys", "uncompressed", "small")
    selection = slices_for(spec)[-1]
    with h5py.File(data_root / NWB, "r") as local:
        expected = local[spec.object_path][selection]
    for latency in server.latencies_ms:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.s3_endpoint(latency))
        with h5py.File(server.s3_url(NWB), "r", driver="ros3", aws_region=b"us-east-1") as file:
            assert np.array_equal(file[spec.object_path][selection], expected)


# -- lifecycle and faults ----------------------------------------------------------------------------------


def test_server_info_round_trips_through_json_and_the_environment(
    server: ServerInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ServerInfo.from_json(server.to_json()) == server
    monkeypatch.delenv(SERVER_ENV, raising=False)
    assert current_server() is None
    monkeypatch.setenv(SERVER_ENV, server.to_json())
    assert current_server() == server
    monkeypatch.setenv(SERVER_ENV, "{broken")
    with pytest.raises(ValueError, match=SERVER_ENV):
        current_server()
    # what a session hands over wins over the per-field variable
    monkeypatch.setenv(SETTINGS_ENV, SuiteSettings().with_server(server).to_json())
    assert current_server() == server


def test_server_death_gives_a_clear_error(data_root: Path) -> None:
    server = StreamingServer(data_root, latencies_ms=(0,)).start()
    info = server.info
    info.check_alive()
    assert server.is_alive() and server.pid == info.pid
    os.kill(info.pid, signal.SIGKILL)  # a process this test started
    deadline = time.monotonic() + 10
    while server.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not server.is_alive()
    with pytest.raises(StreamingServerUnavailable) as raised:
        info.check_alive(timeout=2)
    message = str(raised.value)
    assert info.base_url() in message and f"pid {info.pid}" in message
    with pytest.raises(StreamingServerUnavailable, match=f"pid {info.pid}"):
        info.stats()
    server.stop()
    server.stop()  # idempotent


def test_stop_ends_the_process(data_root: Path) -> None:
    with StreamingServer(data_root, latencies_ms=(0, 5)) as server:
        pid = server.pid
        assert server.info.latencies_ms == (0, 5)
    assert not server.is_alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_server_that_dies_before_listening_is_reported_with_its_stderr(tmp_path: Path) -> None:
    server = StreamingServer(tmp_path)
    server.latencies_ms = (-5,)  # past the parent's checks, so that the child refuses it and exits
    with pytest.raises(StreamingServerUnavailable, match=r"(?s)exited with code 2 before listening.*latencies"):
        server.start()
    assert not server.is_alive()


def test_bad_configuration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="root folder does not exist"):
        StreamingServer(tmp_path / "nowhere").start()
    with pytest.raises(ValueError, match="latencies"):
        StreamingServer(tmp_path, latencies_ms=(0, 0))
    with pytest.raises(ValueError, match="bucket"):
        StreamingServer(tmp_path, bucket="Bad_Bucket")
    with pytest.raises(StreamingServerUnavailable, match="has not been started"):
        _ = StreamingServer(tmp_path).info


# -- the suite plugin (loaded by the top-level conftest): options and the session fixture -----------------------------------------------


SUITE_PROBE = """
import requests
from pytest_nwb_benchmarks.nwb import current_settings

def test_probe():
    settings = current_settings()
    info = settings.server
    print("PROBE", settings.profile, settings.target, ",".join(map(str, settings.latencies_ms)),
          info.to_json() if info else None)
    if info is not None:
        assert requests.head(info.http_url("small/ecephys_gzip.nwb", 7)).status_code == 200
"""


@pytest.fixture
def project_copy(pytester: pytest.Pytester, data_root: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A directory with the repository's conftest.py, a ``benchmarks/`` probe and a ``tests/`` probe."""
    shutil.copy(REPO / "conftest.py", pytester.path / "conftest.py")
    for folder in ("benchmarks", "tests"):
        (pytester.path / folder).mkdir()
        (pytester.path / folder / f"test_{folder}_probe.py").write_text(SUITE_PROBE)
    monkeypatch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(data_root.parent))
    for variable in (
        "NWB_BENCHMARKS_PROFILE",
        "NWB_BENCHMARKS_TARGET",
        "NWB_BENCHMARKS_LATENCIES",
        SERVER_ENV,
        SETTINGS_ENV,
    ):
        monkeypatch.delenv(variable, raising=False)
    return pytester


def _probe_lines(result: pytest.RunResult) -> list[list[str]]:
    # With -s the probe's print shares its line with pytest's progress output.
    return [line[line.index("PROBE ") :].split(" ", 4)[1:] for line in result.outlines if "PROBE " in line]


def test_session_fixture_serves_the_suite(project_copy: pytest.Pytester) -> None:
    result = project_copy.runpytest_subprocess(
        "-s", "-p", "no:cacheprovider", "--nwb-profile=small", "--nwb-latencies=0,7", "benchmarks"
    )
    result.assert_outcomes(passed=1)
    [(profile, target, latencies, info_json)] = _probe_lines(result)
    assert (profile, target, latencies) == ("small", "local", "0,7")
    info = ServerInfo.from_json(info_json)
    assert info.latencies_ms == (0, 7) and Path(info.root).name == "nwb"
    with pytest.raises(ProcessLookupError):  # stopped at the end of the session
        os.kill(info.pid, 0)


def test_session_fixture_stays_idle_without_the_suite_or_for_dandi(
    project_copy: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = project_copy.runpytest_subprocess("-s", "-p", "no:cacheprovider", "tests")
    result.assert_outcomes(passed=1)
    assert _probe_lines(result) == [["default", "local", "20", "None"]]  # the default profile's one latency
    monkeypatch.setenv("NWB_BENCHMARKS_TARGET", "dandi")
    result = project_copy.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--nwb-profile=small", "benchmarks")
    result.assert_outcomes(passed=1)
    assert _probe_lines(result) == [["small", "dandi", "0,20", "None"]]


def test_bad_options_are_usage_errors(project_copy: pytest.Pytester) -> None:
    result = project_copy.runpytest_subprocess("--nwb-profile=huge", "tests")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown profile 'huge'; accepted: small, default*"])
    result = project_copy.runpytest_subprocess("--nwb-latencies=0,x", "tests")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nwb-latencies*0,x*"])
