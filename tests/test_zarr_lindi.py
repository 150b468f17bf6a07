"""Zarr and LINDI in the NWB suite: the data, the server's Zarr support, the benchmarks' skips and report rows.

Real files (pynwb, hdmf-zarr, lindi), a real streaming server on 127.0.0.1 and real clients (urllib, s3fs).
"""

from __future__ import annotations

import http.client
import importlib
import json
import os
import re
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_nwb_benchmarks.nwb import _s3_listing
from pytest_nwb_benchmarks.nwb._limit_report import limit_rows
from pytest_nwb_benchmarks.nwb._nwb_files import ensure_nwb_file, manifest_path, nwb_file_spec
from pytest_nwb_benchmarks.nwb._streaming_server import SERVER_ENV, ServerInfo, StreamingServer

pytest.importorskip("hdmf_zarr")
pytest.importorskip("lindi")

from pytest_nwb_benchmarks.nwb._lindi_files import (  # noqa: E402
    PLACEHOLDER_BASE,
    ensure_lindi_file,
    publish_lindi,
    remove_published_lindi,
)
from pytest_nwb_benchmarks.nwb._zarr_files import ZARR_HINT, ensure_zarr_store, require_zarr, tree_sha256  # noqa: E402
from pytest_nwb_benchmarks.nwb._zarr_readers import read_lindi_h5py, read_zarr_zarr_https  # noqa: E402


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache of its own with the small profile; returns the data root."""
    patch = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("zarr-lindi-cache")
    patch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(base))
    patch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    patch.setenv("NWB_BENCHMARKS_TARGET", "local")
    patch.setenv("NWB_BENCHMARKS_LATENCIES", "0,20")
    try:
        yield base / "nwb"
    finally:
        patch.undo()


# --- data ------------------------------------------------------------------------------------------------------


def _zarray(store: Path, case: str) -> dict:
    spec = nwb_file_spec(case, "uncompressed", "small")
    return json.loads((store / spec.object_path / ".zarray").read_text())


def test_zarr_export_keeps_data_chunks_and_compression(cache: Path) -> None:
    import zarr

    for compression, filters in (("uncompressed", None), ("gzip", [{"id": "zlib", "level": 4}])):
        store = ensure_zarr_store("ecephys", compression, "small")
        meta = _zarray(store, "ecephys")
        spec = nwb_file_spec("ecephys", compression, "small")
        assert meta["compressor"] is None and meta["filters"] == filters
        assert tuple(meta["chunks"]) == spec.chunks and tuple(meta["shape"]) == spec.shape
        assert (store / ".zmetadata").is_file()
        with h5py.File(ensure_nwb_file("ecephys", compression, "small"), "r") as h5:
            expected = h5[spec.object_path][0:9000, 0:40]
        group = zarr.open_consolidated(str(store), mode="r")
        np.testing.assert_array_equal(group[spec.object_path][0:9000, 0:40], expected)


def test_zarr_export_is_deterministic_and_a_corrupt_store_is_remade(cache: Path, tmp_path: Path) -> None:
    store = ensure_zarr_store("icephys", "uncompressed", "small")  # the object (string) datasets too
    manifest = json.loads(manifest_path(store).read_text())
    assert list(tree_sha256(store)) == [manifest["sha256"], manifest["files"], manifest["size"]]
    copy = tmp_path / "first.nwb.zarr"
    shutil.copytree(store, copy)
    chunk = next(p for p in sorted(store.rglob("*")) if p.is_file() and re.fullmatch(r"\d+", p.name))
    chunk.write_bytes(b"corrupt")
    remade = ensure_zarr_store("icephys", "uncompressed", "small")  # verify=True: the checksum catches it
    assert tree_sha256(remade)[0] == tree_sha256(copy)[0] == manifest["sha256"]  # byte-identical re-export


def test_lindi_reference_file_is_deterministic_and_published_per_port(cache: Path) -> None:
    path = ensure_lindi_file("ecephys", "gzip", "small")
    first = path.read_bytes()
    assert PLACEHOLDER_BASE in first.decode()
    path.write_text(path.read_text().replace('"zarr_format"', '"zarr_formats"', 1))  # corrupt it
    assert ensure_lindi_file("ecephys", "gzip", "small").read_bytes() == first
    relative_json, relative_tar = publish_lindi("ecephys", "gzip", "http://127.0.0.1:4567", cache, "small")
    text = (cache / relative_json).read_text()
    assert PLACEHOLDER_BASE not in text and "http://127.0.0.1:4567/files/small/ecephys_gzip.nwb" in text
    assert (cache / relative_tar).stat().st_size > 0 and "/4567/" in relative_json
    remove_published_lindi(["http://127.0.0.1:4567"], cache)
    assert not (cache / relative_json).exists()


# --- the server ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(cache: Path) -> Iterator[ServerInfo]:
    ensure_zarr_store("ecephys", "uncompressed", "small")
    ensure_lindi_file("ecephys", "uncompressed", "small")
    with StreamingServer(cache, latencies_ms=(0, 20)) as running:
        yield running.info


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _raw_status(info: ServerInfo, path: str) -> int:
    """Send ``path`` exactly as written (no client-side normalisation of ``..``)."""
    parts = urlsplit(info.base_url(0))
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_dot_files_are_served_inside_a_store_only(server: ServerInfo, cache: Path) -> None:
    store = "small/ecephys_uncompressed.nwb.zarr"
    assert _status(server.http_url(f"{store}/.zmetadata")) == 200
    assert _status(server.http_url(f"{store}/acquisition/ElectricalSeries/data/.zarray")) == 200
    assert _status(server.http_url(f"{store}/acquisition/ElectricalSeries/data/0.0")) == 200
    assert _status(server.http_url("small/.ecephys_uncompressed.nwb.lock")) == 404  # hidden outside a store
    assert (cache / "small" / ".ecephys_uncompressed.nwb.lock").exists()
    for path in (f"/files/{store}/../../small/ecephys_uncompressed.nwb", "/files/../../../etc/passwd"):
        assert _raw_status(server, path) == 404
    outside = cache.parent / "outside-secret.txt"
    outside.write_text("not to be served")
    link = cache / store / ".escape"
    link.symlink_to(outside)
    try:
        assert _status(server.http_url(f"{store}/.escape")) == 404  # inside a store, but resolves outside
    finally:
        link.unlink()


def test_zarr_opens_over_http_with_and_without_consolidated_metadata(server: ServerInfo) -> None:
    url = server.http_url("small/ecephys_uncompressed.nwb.zarr")
    spec = nwb_file_spec("ecephys", "uncompressed", "small")
    for consolidated in (True, False):
        opened = read_zarr_zarr_https(url, consolidated=consolidated)
        try:
            assert opened[0][spec.object_path].shape == spec.shape
        finally:
            from pytest_nwb_benchmarks.nwb._zarr_readers import close_zarr_opened

            close_zarr_opened(opened)


def test_lindi_reads_the_same_data_as_h5py(server: ServerInfo, cache: Path) -> None:
    relative_json, _ = publish_lindi("ecephys", "uncompressed", server.base_url(0), cache, "small")
    spec = nwb_file_spec("ecephys", "uncompressed", "small")
    opened = read_lindi_h5py(server.http_url(relative_json))
    try:
        data = opened[0][spec.object_path][0:100, 0:32]
    finally:
        opened[0].close()
    with h5py.File(ensure_nwb_file("ecephys", "uncompressed", "small"), "r") as h5:
        np.testing.assert_array_equal(data, h5[spec.object_path][0:100, 0:32])


def test_s3_listings_over_1000_keys_are_paginated(server: ServerInfo, cache: Path) -> None:
    import s3fs

    folder = cache / "many.zarr"
    folder.mkdir(exist_ok=True)
    for index in range(1500):
        (folder / f"{index:05d}").write_bytes(b"x")
    (folder / ".zgroup").write_text('{"zarr_format": 2}')
    try:
        url = f"{server.base_url(0)}/{server.bucket}?list-type=2&prefix=many.zarr/"
        with urllib.request.urlopen(url, timeout=30) as response:
            page = response.read().decode()
        assert "<IsTruncated>true</IsTruncated>" in page and page.count("<Key>") == 1000
        token = re.search(r"<NextContinuationToken>(.*?)</NextContinuationToken>", page)[1]
        with urllib.request.urlopen(f"{url}&continuation-token={token}", timeout=30) as response:
            second = response.read().decode()
        assert "<IsTruncated>false</IsTruncated>" in second and second.count("<Key>") == 501
        filesystem = s3fs.S3FileSystem(anon=True, endpoint_url=server.s3_endpoint(0), skip_instance_cache=True)
        found = filesystem.find(f"{server.bucket}/many.zarr")
        assert len(found) == 1501 and f"{server.bucket}/many.zarr/.zgroup" in found
        assert _status(f"{url}&continuation-token=%%%") == 400
    finally:
        shutil.rmtree(folder)


def test_a_listing_walks_only_the_folder_of_its_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in ("a", "b", "c"):
        for index in range(20):
            path = tmp_path / folder / f"sub{index}" / "f"
            path.parent.mkdir(parents=True)
            path.write_bytes(b"x")
    scanned: list[str] = []
    real_scandir = os.scandir
    monkeypatch.setattr(_s3_listing.os, "scandir", lambda p: scanned.append(str(p)) or real_scandir(p))
    page = _s3_listing.list_objects(tmp_path, prefix="b/sub1", delimiter="")
    assert [key for key, _ in page.keys] == ["b/sub1/f"] + [f"b/sub{i}/f" for i in range(10, 20)]
    assert all(Path(p).is_relative_to(tmp_path / "b") for p in scanned)
    scanned.clear()
    page = _s3_listing.list_objects(tmp_path, prefix="c/", delimiter="/", max_keys=5)
    assert len(page.prefixes) == 5 and page.is_truncated and len(scanned) <= 1 + 5


_NAMES = st.text(alphabet="ab.-_0", min_size=1, max_size=3).filter(lambda n: n not in (".", ".."))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    paths=st.sets(st.lists(_NAMES, min_size=1, max_size=3).map(tuple), min_size=1, max_size=25),
    page_size=st.integers(1, 7),
    prefix=st.sampled_from(["", "a", "a/", "b.zarr/", "0"]),
)
def test_pages_chain_to_the_sorted_listing(tmp_path_factory: pytest.TempPathFactory, paths, page_size, prefix) -> None:
    root = tmp_path_factory.mktemp("listing")
    files = set()
    for parts in paths:
        target = root.joinpath("b.zarr", *parts) if parts[0] == "0" else root.joinpath(*parts)
        if any(p.is_file() for p in [target, *target.parents]) or target.is_dir():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"")
        files.add(target.relative_to(root).as_posix())
    expected = sorted(key for key in files if key.startswith(prefix) and _s3_listing.servable_parts(key.split("/")))
    keys, token = [], ""
    for _ in range(100):
        page = _s3_listing.list_objects(root, prefix=prefix, max_keys=page_size, continuation_token=token)
        keys += [key for key, _ in page.keys]
        if not page.is_truncated:
            break
        token = page.next_token
    assert keys == expected


# --- benchmarks: skips and report rows ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def suite(server: ServerInfo) -> Iterator[ServerInfo]:
    patch = pytest.MonkeyPatch()
    patch.setenv(SERVER_ENV, server.to_json())
    try:
        importlib.reload(importlib.import_module("benchmarks.params"))
        for name in ("_format_bases", "network_tracking_formats", "time_zarr_limit"):
            importlib.reload(importlib.import_module(f"benchmarks.{name}"))
        yield server
    finally:
        patch.undo()


def _cycle(cls: type, method: str) -> object:
    combo = tuple(values[0] for values in cls.params)
    instance = cls()
    instance.setup(*combo)
    try:
        return getattr(instance, method)(*combo)
    finally:
        instance.teardown(*combo)


def test_network_tracking_of_every_format_method_runs_one_cycle(suite: ServerInfo) -> None:
    module = importlib.import_module("benchmarks.network_tracking_formats")
    classes = [cls for name, cls in vars(module).items() if name.endswith("Benchmark")]
    assert len(classes) == 2 * (8 + 6)
    for cls in classes:
        method = next(m for m in dir(cls) if m.startswith("track_"))
        if cls.method == "ZarrPynwbHttpsUnconsolidated":
            with pytest.raises(NotImplementedError, match="consolidated metadata"):
                _cycle(cls, method)
            continue
        stats = _cycle(cls, method)["samples"]
        if cls.method.endswith("DiskJson") and "FileRead" in cls.__name__:
            assert stats["requests"] == 0, cls.__name__  # the reference file is on disk: opening moves nothing
        else:
            assert stats["requests"] >= 1 and stats["bytes_downloaded"] > 0, cls.__name__


def test_zarr_chunk_limit_moves_exactly_the_chunk_objects(suite: ServerInfo) -> None:
    cls = importlib.import_module("benchmarks.time_zarr_limit").ZarrChunkLimitContinuousSliceBenchmark
    combo = (cls.params[0][0], 0)
    bench = cls()
    bench.setup(*combo)
    try:
        suite.reset_stats()
        bench.time_slice(*combo)
        totals = suite.stats()["totals"]
    finally:
        bench.teardown(*combo)
    assert totals["bytes_sent"] == bench.track_bytes_needed(*combo) > 0
    assert totals["get_requests"] == bench.track_ranges_needed(*combo)


def test_skips_say_why(suite: ServerInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_nwb_benchmarks.nwb._format_methods import resolve_format_asset, tracking_reader

    with pytest.raises(NotImplementedError, match="lists folders"):
        resolve_format_asset("ecephys-uncompressed", "ZarrPynwbHttpsUnconsolidated", 0)
    with pytest.raises(NotImplementedError, match="outlasts the benchmark's timeout"):
        resolve_format_asset("icephys-uncompressed", "ZarrPynwbS3Unconsolidated", 20)
    assert resolve_format_asset("icephys-uncompressed", "ZarrPynwbS3Unconsolidated", 0).s3_url  # runs at 0 ms
    monkeypatch.setenv("NWB_BENCHMARKS_NETWORK", "proxy")
    with pytest.raises(NotImplementedError, match="chunk requests"):
        tracking_reader("LindiPynwbRemoteJson")
    assert tracking_reader("ZarrS3Consolidated") == "fsspec_s3"
    monkeypatch.setenv("NWB_BENCHMARKS_TARGET", "dandi")
    with pytest.raises(NotImplementedError, match="nwb-target=local"):
        resolve_format_asset("ecephys-dandi", "ZarrHttpsConsolidated", 0)
    monkeypatch.setenv("NWB_BENCHMARKS_TARGET", "local")
    monkeypatch.setitem(sys.modules, "hdmf_zarr", None)  # as if the extra were not installed
    with pytest.raises(NotImplementedError) as skip:
        require_zarr()
    assert str(skip.value) == ZARR_HINT and "pytest-nwb-benchmarks[zarr]" in ZARR_HINT


def test_limit_report_sets_zarr_against_the_same_limit_and_its_chunks() -> None:
    key = str(("'ecephys-uncompressed[0:8192, 0:32]'", "20"))
    results = {
        "time_physical_limit.HttpRangeLimitContinuousSliceBenchmark.time_slice": {key: [0.01]},
        "time_physical_limit.HttpRangeLimitContinuousSliceBenchmark.track_bytes_needed": {key: 1000},
        "time_zarr_limit.ZarrChunkLimitContinuousSliceBenchmark.track_bytes_needed": {key: 2000},
        "time_zarr_remote.ZarrHttpsConsolidatedContinuousSliceBenchmark.time_slice": {key: [0.03, 0.05, 0.04]},
        "time_lindi_remote.LindiH5pyRemoteJsonContinuousSliceBenchmark.time_slice": {key: [0.02]},
        "network_tracking_formats.ZarrHttpsConsolidatedContinuousSliceBenchmark.track_network_activity_during_slice": {
            key: {"bytes_downloaded": [3000], "requests": [4]}
        },
        "network_tracking_formats.LindiH5pyRemoteJsonContinuousSliceBenchmark.track_network_activity_during_slice": {
            key: {"bytes_downloaded": [1500], "requests": [2]}
        },
    }
    rows = {row.method: row for row in limit_rows(results)}
    zarr_row, lindi_row = rows["ZarrHttpsConsolidated"], rows["LindiH5pyRemoteJson"]
    assert zarr_row.latency_ms == 20 and zarr_row.ratio_to_limit == pytest.approx(4.0)
    assert zarr_row.bytes_ratio == pytest.approx(1.5) and zarr_row.requests == 4  # against its chunk objects
    assert lindi_row.ratio_to_limit == pytest.approx(2.0) and lindi_row.bytes_ratio == pytest.approx(1.5)
