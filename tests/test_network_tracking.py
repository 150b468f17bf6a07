"""Network tracking: every method's counts against the streaming server's own counters.

The suite's streaming server (its own process) counts the requests and body bytes it serves per file;
those counters are the ground truth. Each streaming reader opens a small NWB file, or slices it, inside a
tracker, and the tracker's figures must match: request counts exactly, bytes within 2% (10% for tshark,
which counts TCP payload, headers included).
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pytest_nwb_benchmarks.nwb import _readers
from pytest_nwb_benchmarks.nwb._nwb_files import ensure_nwb_file, nwb_file_spec, nwb_root, slices_for
from pytest_nwb_benchmarks.nwb._streaming_server import SERVER_ENV, ServerInfo, StreamingServer
from pytest_nwb_benchmarks.nwb.network import (
    NetworkTracker,
    _library_hooks,
    network_activity_tracker,
    network_statistics_result,
    plan_network_tracking,
    selected_method,
)
from pytest_nwb_benchmarks.nwb.network._proxy import CountingProxy, ProxyError
from pytest_nwb_benchmarks.nwb.network._tshark import TsharkCapture, TsharkUnavailable

CASE, COMPRESSION, PROFILE = "ecephys", "uncompressed", "small"
READERS = (
    "remfile_no_cache",
    "remfile_with_cache",
    "fsspec_https_no_cache",
    "fsspec_https_with_cache",
    "fsspec_s3_no_cache",
    "fsspec_s3_with_cache",
    "ros3",
)
SERVER_COUNTS_ABORTED_PROBE = (
    "remfile sizes a file with a GET it aborts after the headers. How much of that body crosses the wire "
    "before the client hangs up is a race: the server counts what left its socket (TCP_INFO), "
    "the library hooks what the application read, and the two differ by up to the socket "
    "buffers. Request counts for this case are asserted exactly in test_request_count_is_exact."
)


# --- the served file -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[ServerInfo]:
    """A small ecephys file served by the suite's streaming server, with the suite's environment set."""
    with pytest.MonkeyPatch.context() as patch:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="nwb-network-tests-") as cache:
            patch.setenv("NWB_BENCHMARKS_CACHE_DIR", cache)
            patch.setenv("NWB_BENCHMARKS_PROFILE", PROFILE)
            patch.setenv("NWB_BENCHMARKS_TARGET", "local")
            patch.setenv("NWB_BENCHMARKS_LATENCIES", "0")
            patch.delenv("NWB_BENCHMARKS_NETWORK", raising=False)
            ensure_nwb_file(CASE, COMPRESSION, PROFILE)
            with StreamingServer(nwb_root(), latencies_ms=(0,)) as running:
                patch.setenv(SERVER_ENV, running.info.to_json())
                yield running.info


def _relative_path() -> str:
    return nwb_file_spec(CASE, COMPRESSION, PROFILE).relative_path


def _served(server: ServerInfo) -> dict[str, int]:
    """The server's counters for the file, once they stop moving (a handler records after it sent)."""
    previous: dict[str, int] | None = None
    for _ in range(100):
        current = server.stats()["paths"].get(_relative_path(), {"requests": 0, "bytes_sent": 0})
        if current == previous:
            return current
        previous = current
        time.sleep(0.05)
    return previous or {}


def _open(reader: str, server: ServerInfo, base_url: str | None = None) -> tuple:
    """Open the file with ``read_hdf5_h5py_<reader>``, through ``base_url`` (a proxy) when given."""
    relative_path = _relative_path()
    function = getattr(_readers, f"read_hdf5_h5py_{reader}")
    if reader.startswith(("fsspec_s3", "ros3")):
        return function(server.s3_url(relative_path), base_url or server.s3_endpoint())
    url = server.http_url(relative_path)
    if base_url is not None:
        url = base_url + url[len(server.s3_endpoint()) :]
    return function(url)


_MEASURED: dict[tuple[str, str, str], tuple[dict[str, Any], dict[str, int]]] = {}


def _measure(method: str, reader: str, operation: str, server: ServerInfo) -> tuple[dict[str, Any], dict[str, int]]:
    """Track one open or slice; return (tracker statistics, server counters for the same span)."""
    key = (method, reader, operation)
    if key in _MEASURED:
        return _MEASURED[key]
    if reader == "ros3" and not _readers.ros3_available():
        pytest.skip("the installed h5py has no ros3 driver (pip install h5py-s3 to enable)")
    proxy = CountingProxy(server.s3_endpoint()).start() if method == "proxy" else None
    opened: tuple = ()
    try:
        selection = slices_for(nwb_file_spec(CASE, COMPRESSION, PROFILE))[-1]  # the wide one: beyond what opening read
        if operation == "slice":
            opened = _open(reader, server, proxy.url if proxy else None)
        server.reset_stats()
        options: dict[str, Any] = {"proxy": proxy} if proxy else {}
        if method == "tshark":
            options["ports"] = [int(server.s3_endpoint().rsplit(":", 1)[1])]
        with network_activity_tracker(method, **options) as tracker:
            if operation == "open":
                opened = _open(reader, server, proxy.url if proxy else None)
            else:
                opened[0][nwb_file_spec(CASE, COMPRESSION, PROFILE).object_path][selection]
        served = _served(server)
    finally:
        _readers.close_opened(opened)
        if proxy is not None:
            proxy.stop()
    _MEASURED[key] = (tracker.statistics, served)
    return _MEASURED[key]


# --- the proof: counts against the server -------------------------------------------------------------------

COMBINATIONS = [
    (method, reader, op) for method in ("library", "proxy") for reader in READERS for op in ("open", "slice")
]


def _id(combination: tuple[str, str, str]) -> str:
    return "-".join(combination)


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_request_count_is_exact(combination: tuple[str, str, str], server: ServerInfo) -> None:
    method, reader, operation = combination
    if method == "library" and reader == "ros3":
        pytest.skip("ros3 is invisible to the library hooks (see test_library_method_refuses_ros3)")
    stats, served = _measure(method, reader, operation, server)
    assert stats["method"] == method
    assert served["requests"] > 0
    assert stats["requests"] == served["requests"], (stats, served)
    assert len(stats["request_latencies_seconds"]) == stats["requests"]


def _bytes_cases() -> list[Any]:
    cases = []
    for combination in COMBINATIONS:
        marks = []
        if combination[1].startswith("remfile") and combination[2] == "open":
            marks.append(pytest.mark.xfail(strict=False, reason=SERVER_COUNTS_ABORTED_PROBE))
        cases.append(pytest.param(combination, marks=marks, id=_id(combination)))
    return cases


@pytest.mark.parametrize("combination", _bytes_cases())
def test_bytes_within_two_percent(combination: tuple[str, str, str], server: ServerInfo) -> None:
    method, reader, operation = combination
    if method == "library" and reader == "ros3":
        pytest.skip("ros3 is invisible to the library hooks")
    stats, served = _measure(method, reader, operation, server)
    assert served["bytes_sent"] > 0
    assert stats["bytes_downloaded"] == pytest.approx(served["bytes_sent"], rel=0.02), (stats, served)
    assert stats["amount_downloaded_in_bytes"] == stats["bytes_downloaded"]
    assert stats["total_transfer_in_bytes"] == stats["bytes_downloaded"] + stats["bytes_uploaded"]
    assert stats["bytes_uploaded"] >= 30 * stats["requests"]  # at least a request line each


def test_remfile_open_methods_agree_on_the_aborted_probe(server: ServerInfo) -> None:
    # Where the server's figure is off (see SERVER_COUNTS_ABORTED_PROBE), the two client-side methods still
    # see the same three range requests plus the probe; they differ only in how much of the probe's body
    # reached the client before it hung up, a race bounded by one socket buffer.
    library, _ = _measure("library", "remfile_no_cache", "open", server)
    proxy, _ = _measure("proxy", "remfile_no_cache", "open", server)
    assert library["requests"] == proxy["requests"]
    assert abs(library["bytes_downloaded"] - proxy["bytes_downloaded"]) < 512 * 1024


# --- tshark -------------------------------------------------------------------------------------------------


_TSHARK_PROBLEM: list[str] = []  # filled once: why tshark cannot run here ("" when it can)


def _tshark_or_skip(server: ServerInfo) -> None:
    if not _TSHARK_PROBLEM:
        if shutil.which("tshark") is None:
            _TSHARK_PROBLEM.append("tshark is not installed (apt-get install tshark)")
        else:
            try:
                TsharkCapture(ports=[int(server.s3_endpoint().rsplit(":", 1)[1])]).start().stop()
                _TSHARK_PROBLEM.append("")
            except TsharkUnavailable as error:
                _TSHARK_PROBLEM.append(f"tshark cannot capture here: {error}")
    if _TSHARK_PROBLEM[0]:
        pytest.skip(_TSHARK_PROBLEM[0])


@pytest.mark.parametrize("reader", ["remfile_no_cache", "fsspec_https_no_cache", "fsspec_s3_no_cache", "ros3"])
def test_tshark_bytes_within_ten_percent(reader: str, server: ServerInfo) -> None:
    _tshark_or_skip(server)
    stats, served = _measure("tshark", reader, "slice", server)
    assert stats["method"] == "tshark"
    assert stats["requests"] == served["requests"]
    assert stats["bytes_downloaded"] == pytest.approx(served["bytes_sent"], rel=0.10), (stats, served)
    assert stats["amount_downloaded_in_number_of_packets"] > 0
    assert stats["total_transfer_in_number_of_packets"] == (
        stats["amount_downloaded_in_number_of_packets"] + stats["amount_uploaded_in_number_of_packets"]
    )
    assert stats.get("packets_dropped", 0) == 0


def test_tshark_missing_executable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("TSHARK_PATH", str(tmp_path / "no-tshark-here"))
    with pytest.raises(TsharkUnavailable, match="TSHARK_PATH"):
        TsharkCapture(ports=[8000])


def test_missing_tshark_skips_the_benchmark(server: ServerInfo, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from pytest_nwb_benchmarks.nwb._assets import resolve_asset

    monkeypatch.setenv("TSHARK_PATH", str(tmp_path / "absent"))
    with pytest.raises(NotImplementedError, match="TSHARK_PATH"):
        plan_network_tracking(resolve_asset(f"{CASE}-{COMPRESSION}", 0), "remfile", "tshark")


def test_tshark_without_the_privilege_says_so(
    server: ServerInfo, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run the real tshark as an unprivileged user (nobody, no capabilities), as a user without sudo would.
    import os

    _tshark_or_skip(server)
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to drop the capture privilege")
    wrapper = tmp_path / "tshark-as-nobody"
    wrapper.write_text(
        f"#!/bin/sh\nHOME={tmp_path} exec {setpriv} --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "
        f'{shutil.which("tshark")} "$@"\n'
    )
    wrapper.chmod(0o755)
    tmp_path.chmod(0o777)  # the capture file is written by nobody
    monkeypatch.setenv("TSHARK_PATH", str(wrapper))
    with pytest.raises(TsharkUnavailable, match="privilege") as raised:
        TsharkCapture(ports=[8000]).start()
    assert "permission" in str(raised.value).lower() and "setcap" in str(raised.value)


def test_tshark_unknown_interface_is_a_clear_error(server: ServerInfo) -> None:
    _tshark_or_skip(server)
    with pytest.raises(TsharkUnavailable, match="no-such-interface"):
        TsharkCapture(ports=[8000], interface="no-such-interface").start()


# --- the tracker's contract ---------------------------------------------------------------------------------


def test_method_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NWB_BENCHMARKS_NETWORK", raising=False)
    assert selected_method() == "library"
    monkeypatch.setenv("NWB_BENCHMARKS_NETWORK", "Proxy")
    assert selected_method() == "proxy"
    assert selected_method("tshark") == "tshark"
    monkeypatch.setenv("NWB_BENCHMARKS_NETWORK", "sudo")
    with pytest.raises(ValueError, match="NWB_BENCHMARKS_NETWORK"):
        selected_method()
    with pytest.raises(ValueError, match="'wire'"):
        NetworkTracker("wire")


def test_proxy_method_needs_a_proxy() -> None:
    with pytest.raises(ValueError, match="CountingProxy"):
        NetworkTracker("proxy")


def test_hooks_are_removed_after_tracking(server: ServerInfo) -> None:
    import aiohttp

    send, request = requests.adapters.HTTPAdapter.send, aiohttp.ClientSession._request
    with network_activity_tracker("library") as tracker:
        assert requests.adapters.HTTPAdapter.send is not send
        with pytest.raises(RuntimeError, match="already active"):
            NetworkTracker("library").start()
    assert requests.adapters.HTTPAdapter.send is send
    assert aiohttp.ClientSession._request is request
    assert _library_hooks.active_recorder() is None
    assert tracker.statistics is not None and tracker.statistics["requests"] == 0


def test_statistics_are_filled_when_the_block_raises(server: ServerInfo) -> None:
    url = server.http_url(_relative_path())
    with pytest.raises(KeyError), network_activity_tracker("library") as tracker:
        requests.get(url, headers={"Range": "bytes=0-999"}, timeout=30)
        raise KeyError("boom")
    stats = tracker.statistics
    assert stats is not None
    assert (stats["requests"], stats["bytes_downloaded"], stats["connections_opened"]) == (1, 1000, 1)
    for key in (
        "elapsed_seconds",
        "network_total_time",
        "total_transfer_time_in_seconds",
        "total_traffic_in_number_of_web_packets",
        "amount_uploaded_in_bytes",
    ):
        assert key in stats
    assert network_statistics_result(tracker) == {"samples": stats, "number": None}
    json.dumps(stats)  # result files store it as JSON


def test_tracker_counts_only_its_own_block(server: ServerInfo) -> None:
    url = server.http_url(_relative_path())
    with requests.Session() as session:
        session.get(url, headers={"Range": "bytes=0-99"}, timeout=30)  # before: not counted
        with network_activity_tracker("library") as tracker:
            session.get(url, headers={"Range": "bytes=0-4999"}, timeout=30)
            session.get(url, headers={"Range": "bytes=0-4999"}, timeout=30)
        session.get(url, headers={"Range": "bytes=0-99"}, timeout=30)  # after: not counted
    stats = tracker.statistics
    assert (stats["requests"], stats["bytes_downloaded"]) == (2, 10000)
    assert stats["connections_opened"] == 0  # the session's connection was opened before the block


def test_library_counts_each_redirect_hop_once(server: ServerInfo) -> None:
    redirect = server.redirect_url(_relative_path())
    hop = requests.get(redirect, allow_redirects=False, timeout=30)
    assert hop.status_code in (301, 302, 303, 307, 308)
    server.reset_stats()
    with network_activity_tracker("library") as tracker:
        answer = requests.get(redirect, headers={"Range": "bytes=0-9"}, timeout=30)
    assert answer.status_code == 206 and len(answer.content) == 10
    stats = tracker.statistics
    assert stats["requests"] == 2
    assert stats["bytes_downloaded"] == 10 + len(hop.content)
    assert _served(server)["redirects"] == 1


# --- the proxy ----------------------------------------------------------------------------------------------


def test_proxy_rejects_a_bad_target() -> None:
    with pytest.raises(ValueError, match="http"):
        CountingProxy("ftp://example.org")


def test_proxy_reports_an_unreachable_target() -> None:
    with CountingProxy("http://127.0.0.1:9") as proxy:  # nothing listens on the discard port
        answer = requests.get(proxy.url + "/files/x", timeout=30)
        assert answer.status_code == 502
        assert "127.0.0.1:9" in answer.text
    assert not proxy.is_alive()
    with pytest.raises(ProxyError, match="not running"):
        proxy.stats()


def test_proxy_rewrites_redirects_to_itself(server: ServerInfo) -> None:
    with CountingProxy(server.s3_endpoint()) as proxy:
        redirect = server.redirect_url(_relative_path())
        answer = requests.get(proxy.info.rewrite(redirect), headers={"Range": "bytes=0-9"}, timeout=30)
        assert answer.status_code == 206 and len(answer.content) == 10
        assert answer.history and answer.history[0].headers["Location"].startswith(proxy.url)
        totals = proxy.stats()["totals"]
        assert totals["requests"] == 2 and totals["bytes_downloaded"] == 10
        with pytest.raises(ValueError, match="target"):
            proxy.info.rewrite("http://elsewhere/x")


# --- the benchmarks -----------------------------------------------------------------------------------------


def _benchmark_modules() -> list[Any]:
    # the grids are read from the environment at import time: import the suite afresh under this one
    for loaded in [name for name in sys.modules if name == "benchmarks" or name.startswith("benchmarks.")]:
        del sys.modules[loaded]
    return [
        importlib.import_module("benchmarks.network_tracking_remote_file_reading"),
        importlib.import_module("benchmarks.network_tracking_remote_slicing"),
    ]


def _benchmark_classes(module: Any) -> list[type]:
    return [value for name, value in vars(module).items() if name.endswith("Benchmark") and isinstance(value, type)]


@pytest.mark.parametrize("method", ["library", "proxy"])
def test_every_network_benchmark_runs_once(method: str, server: ServerInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NWB_BENCHMARKS_NETWORK", method)
    timing = {
        "benchmarks.network_tracking_remote_file_reading": "benchmarks.time_remote_file_reading",
        "benchmarks.network_tracking_remote_slicing": "benchmarks.time_remote_slicing",
    }
    for module in _benchmark_modules():
        classes = [c for c in _benchmark_classes(module) if any(n.startswith("track_") for n in dir(c))]
        timed = importlib.import_module(timing[module.__name__])
        timed_names = {c.__name__ for c in _benchmark_classes(timed) if "Preloaded" not in c.__name__}
        assert {c.__name__ for c in classes} == timed_names  # the same classes as the timing benchmarks
        for cls in classes:
            track = next(getattr(cls, name) for name in dir(cls) if name.startswith("track_network_activity_"))
            # the served file, preferring its wide slice (a narrow one can sit in what opening fetched)
            ours = sorted((v for v in cls.params[0] if v.startswith(f"{CASE}-{COMPRESSION}")), key=len)
            params = (ours[-1], *(values[0] for values in cls.params[1:]))
            bench = cls()
            if "Ros3" in cls.__name__ and (method == "library" or not _readers.ros3_available()):
                with pytest.raises(NotImplementedError):
                    bench.setup(*params)
                continue
            bench.setup(*params)
            try:
                server.reset_stats()
                result = track(bench, *params)
                served = _served(server)
            finally:
                bench.teardown(*params)
            assert result["number"] is None
            samples = result["samples"]
            assert samples["method"] == method
            assert samples["requests"] == served["requests"], (cls.__name__, params, samples, served)
            if served["requests"]:
                assert samples["bytes_downloaded"] > 0, (cls.__name__, samples)


def test_library_method_refuses_ros3(server: ServerInfo) -> None:
    from pytest_nwb_benchmarks.nwb._assets import resolve_asset

    asset = resolve_asset(f"{CASE}-{COMPRESSION}", 0)
    with pytest.raises(NotImplementedError, match="proxy"):
        plan_network_tracking(asset, "ros3", "library")
    plan = plan_network_tracking(asset, "ros3", "proxy")  # the proxy sees any client, libcurl included
    try:
        assert plan.s3_endpoint == plan.proxy.url
        answer = requests.head(plan.s3_endpoint + "/" + asset.s3_url[len("s3://") :], timeout=30)
        assert answer.status_code == 200
    finally:
        plan.close()


def test_proxy_stats_endpoint_is_json(server: ServerInfo) -> None:
    with CountingProxy(server.s3_endpoint()) as proxy:
        with urllib.request.urlopen(proxy.url + "/__counting_proxy__/stats", timeout=30) as answer:
            body = json.loads(answer.read())
        assert set(body) >= {"totals", "paths", "request_latencies_seconds", "requests_log"}
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(proxy.url + "/__counting_proxy__/nonsense", timeout=30)


def test_overhead_benchmark_runs_both_ways(server: ServerInfo) -> None:
    module = _benchmark_modules()[1]
    cls = module.RemfileTrackingOverheadBenchmark
    assert cls.params[1] == ["off", "library"]
    for tracking in cls.params[1]:
        bench = cls()
        bench.setup(cls.params[0][0], tracking)
        try:
            bench.time_open_and_slice(cls.params[0][0], tracking)
            assert bench.opened[0].id.valid
        finally:
            bench.teardown(cls.params[0][0], tracking)
    assert _library_hooks.active_recorder() is None
