"""Every reader helper against the local streaming server, the closing order, ros3 and the asset targets."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import requests

from pytest_nwb_benchmarks.nwb import _readers as readers
from pytest_nwb_benchmarks.nwb._assets import (
    DandiUnavailable,
    asset_names,
    current_target,
    format_selection,
    resolve_asset,
    resolve_slice_case,
    slice_cases,
)
from pytest_nwb_benchmarks.nwb._nwb_files import ensure_all_nwb_files
from pytest_nwb_benchmarks.nwb._streaming_server import (
    SERVER_ENV,
    ServerInfo,
    StreamingServer,
    StreamingServerUnavailable,
)

STREAMED = [
    name for name in readers.__all__ if name.startswith("read_hdf5_") and not name.endswith(("_local", "_ros3"))
]
ASSETS = ["ecephys-gzip", "ophys-uncompressed", "icephys-uncompressed"]


@pytest.fixture(scope="module")
def suite_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    """Small synthetic files and a streaming server (its own process) at 0 and 20 ms, for this module."""
    patch = pytest.MonkeyPatch()
    patch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "nwb-suite-cache"))
    patch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    patch.setenv("NWB_BENCHMARKS_TARGET", "local")
    try:
        files = ensure_all_nwb_files("small")
        root = next(iter(files.values())).parent.parent
        with StreamingServer(root, latencies_ms=(0, 20)) as server:
            patch.setenv(SERVER_ENV, server.info.to_json())
            yield server.info
    finally:
        patch.undo()


def _arguments(name: str, asset: Any) -> tuple:
    if "_s3_" in name:
        return (asset.s3_url, asset.s3_endpoint)
    return (asset.http_url,)


def _first_slice(asset_name: str) -> tuple[slice, ...]:
    return resolve_slice_case(next(c for c in slice_cases() if c.startswith(asset_name + "[")))[1]


@pytest.mark.parametrize("asset_name", ASSETS)
@pytest.mark.parametrize("name", STREAMED)
def test_streamed_reader_reads_what_local_h5py_reads(suite_env: ServerInfo, name: str, asset_name: str) -> None:
    asset = resolve_asset(asset_name, latency_ms=0)
    selection = _first_slice(asset_name)
    with h5py.File(asset.local_path, "r") as local:
        expected = local[asset.dataset_path][selection]
    suite_env.reset_stats()
    opened = getattr(readers, name)(*_arguments(name, asset))
    try:
        if "_pynwb_" in name:
            assert type(opened[0]).__name__ == "NWBFile"
            data = readers.get_object_by_name(opened[0], asset.object_name).data[selection]
        else:
            assert isinstance(opened[0], h5py.File)
            data = opened[0][asset.dataset_path][selection]
        np.testing.assert_array_equal(data, expected)
    finally:
        readers.close_opened(opened)
    # The bytes came through the server, from this very file.
    served = suite_env.stats()["paths"][asset.local_path.relative_to(asset.local_path.parent.parent).as_posix()]
    assert served["requests"] > 0 and served["bytes_sent"] > 0
    # Everything is closed, caches deleted.
    files = [o for o in opened if isinstance(o, h5py.File)]
    assert files and not any(f.id.valid for f in files)
    for obj in opened:
        if isinstance(obj, tempfile.TemporaryDirectory):
            assert not Path(obj.name).exists()
        if hasattr(obj, "closed") and not isinstance(obj, h5py.File):
            assert obj.closed


@pytest.mark.parametrize("name", ["read_hdf5_h5py_local", "read_hdf5_pynwb_local"])
def test_local_readers(suite_env: ServerInfo, name: str) -> None:
    asset = resolve_asset("ecephys-uncompressed", remote=False)
    assert asset.http_url is None
    opened = getattr(readers, name)(asset.local_path)
    try:
        if name.endswith("pynwb_local"):
            series = readers.get_object_by_name(opened[0], "ElectricalSeries")
            assert series.data.shape[1] == 384
        else:
            assert opened[0][asset.dataset_path].chunks == (8192, 32)
    finally:
        readers.close_opened(opened)
    assert not opened[-1].id.valid


def test_latency_is_applied_by_the_server(suite_env: ServerInfo) -> None:
    # Ratios within one run, not a wall-clock threshold: 20 ms per request must show over ~10 requests.
    timings = {}
    for latency in (0, 20):
        asset = resolve_asset("ecephys-uncompressed", latency_ms=latency)
        started = time.perf_counter()
        readers.close_opened(readers.read_hdf5_h5py_remfile_no_cache(asset.http_url))
        timings[latency] = time.perf_counter() - started
    assert timings[20] > timings[0]


def test_close_opened_survives_double_close_and_none(suite_env: ServerInfo) -> None:
    asset = resolve_asset("ecephys-uncompressed", latency_ms=0)
    opened = readers.read_hdf5_pynwb_fsspec_https_with_cache(asset.http_url)
    readers.close_opened(opened)
    readers.close_opened(opened)  # closing twice is harmless
    readers.close_opened((None,))


def test_reader_settings_are_recorded_as_plain_json() -> None:
    settings = readers.reader_settings()
    json.dumps(settings)
    assert settings["h5py_rdcc_nbytes"] == readers.RDCC_NBYTES
    assert settings["fsspec_https_block_size"] == readers.FSSPEC_BLOCK_SIZE
    assert settings["s3fs_block_size"] == readers.S3FS_BLOCK_SIZE
    assert settings["remfile_max_threads"] == readers.REMFILE_MAX_THREADS
    assert settings["ros3_available"] == ("ros3" in h5py.registered_drivers())


@pytest.mark.skipif("ros3" in h5py.registered_drivers(), reason="this h5py has ros3; the read test covers it")
@pytest.mark.parametrize("name", ["read_hdf5_h5py_ros3", "read_hdf5_pynwb_ros3"])
def test_ros3_missing_says_how_to_enable_it(name: str) -> None:
    with pytest.raises(NotImplementedError, match="h5py-s3") as raised:
        getattr(readers, name)("s3://bucket/key.nwb", "http://127.0.0.1:9")
    assert "registered_drivers" in str(raised.value)


@pytest.mark.skipif("ros3" not in h5py.registered_drivers(), reason="needs an h5py with the ros3 driver")
@pytest.mark.parametrize("name", ["read_hdf5_h5py_ros3", "read_hdf5_pynwb_ros3"])
def test_ros3_reads_through_the_server(suite_env: ServerInfo, name: str) -> None:
    asset = resolve_asset("ecephys-uncompressed", latency_ms=0)
    selection = _first_slice("ecephys-uncompressed")
    with h5py.File(asset.local_path, "r") as local:
        expected = local[asset.dataset_path][selection]
    opened = getattr(readers, name)(asset.s3_url, asset.s3_endpoint)
    try:
        if name.endswith("pynwb_ros3"):
            data = readers.get_object_by_name(opened[0], asset.object_name).data[selection]
        else:
            data = opened[0][asset.dataset_path][selection]
        np.testing.assert_array_equal(data, expected)
    finally:
        readers.close_opened(opened)


def test_s3_url_must_be_s3() -> None:
    with pytest.raises(ValueError, match="s3://bucket/key"):
        readers.read_hdf5_h5py_fsspec_s3_no_cache("http://127.0.0.1:9/x.nwb", None)


# --- assets and targets ---------------------------------------------------------------------------------------


def test_asset_and_slice_names_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    monkeypatch.delenv("NWB_BENCHMARKS_TARGET", raising=False)
    assert current_target() == "local"
    assert asset_names()[:2] == ["ecephys-uncompressed", "ecephys-gzip"]
    for case in slice_cases():
        asset, selection = resolve_slice_case(case)
        assert case == f"{asset}[{format_selection(selection)}]"
    assert "ophys-gzip[0:4, :, :]" in slice_cases()


def test_bad_names_are_refused_with_what_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NWB_BENCHMARKS_TARGET", "local")
    with pytest.raises(ValueError, match="unknown NWB asset 'ecephys-zstd'"):
        resolve_asset("ecephys-zstd")
    with pytest.raises(ValueError, match="malformed slice case"):
        resolve_slice_case("ecephys-gzip(0:3)")
    monkeypatch.setenv("NWB_BENCHMARKS_TARGET", "cloud")
    with pytest.raises(ValueError, match="accepted: local, dandi"):
        current_target()


def test_remote_asset_without_server_names_the_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.setenv("NWB_BENCHMARKS_TARGET", "local")
    monkeypatch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    monkeypatch.delenv(SERVER_ENV, raising=False)
    with pytest.raises(StreamingServerUnavailable, match="streaming server"):
        resolve_asset("ecephys-gzip", latency_ms=0)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dandi_target_offline_fails_fast_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_nwb_benchmarks.nwb import _assets

    _assets._dandi_s3_https_url.cache_clear()
    monkeypatch.setenv("NWB_BENCHMARKS_TARGET", "dandi")
    # Stands in for an unreachable archive without touching the internet: nothing listens there.
    monkeypatch.setenv("NWB_BENCHMARKS_DANDI_API", f"http://127.0.0.1:{_closed_port()}/api")
    assert asset_names() == ["ecephys-dandi", "ophys-dandi", "icephys-dandi"]
    with pytest.raises(DandiUnavailable, match="needs internet access") as raised:
        resolve_asset("ecephys-dandi")
    assert "--nwb-target=local" in str(raised.value)
    # Refused at connect time (fast), not a read timeout after a long wait.
    assert isinstance(raised.value.__cause__, requests.ConnectionError)
    with pytest.raises(NotImplementedError, match="dandi"):
        resolve_asset("ecephys-dandi", remote=False)
    with pytest.raises(ValueError, match="synthetic"):
        resolve_asset("ecephys-gzip")
    _assets._dandi_s3_https_url.cache_clear()


def test_dandi_slices_are_the_default_profile_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NWB_BENCHMARKS_TARGET", "dandi")
    monkeypatch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    cases = slice_cases()
    assert "ecephys-dandi[0:262144, 0:32]" in cases
    assert "ophys-dandi[0:20, :, :]" in cases
    assert "icephys-dandi[0:8192]" in cases


def test_server_env_is_visible_to_children(suite_env: ServerInfo) -> None:
    assert json.loads(os.environ[SERVER_ENV])
