"""The NWB suite's synthetic files: shapes, chunks, validity, determinism, atomic generation, corruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pynwb
import pytest

from pytest_nwb_benchmarks.nwb import _nwb_files
from pytest_nwb_benchmarks.nwb._nwb_files import (
    CASES,
    COMPRESSIONS,
    PROFILES,
    current_profile,
    ensure_all_nwb_files,
    ensure_nwb_file,
    manifest_path,
    nwb_file_spec,
    slices_for,
)

VERIFIED_ENV = "NWB_BENCHMARKS_VERIFIED_FILES"


@pytest.fixture(scope="module")
def small_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache holding every small file, generated once for the module."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(cache))
        patch.delenv(VERIFIED_ENV, raising=False)
        ensure_all_nwb_files("small")
        yield cache


@pytest.fixture
def in_small_cache(small_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(small_cache))
    return small_cache


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(cache))
    monkeypatch.delenv(VERIFIED_ENV, raising=False)
    return cache


# -- specs and profiles ------------------------------------------------------------------------------------


def test_default_profile_matches_the_dandi_layout() -> None:
    ecephys = nwb_file_spec("ecephys", "gzip", "default")
    assert ecephys.shape == (5 * 262144, 384) and ecephys.chunks == (262144, 32) and ecephys.dtype == "int16"
    assert ecephys.object_path == "acquisition/ElectricalSeries/data"
    assert ecephys.file_name == "ecephys_gzip.nwb" and ecephys.relative_path == "default/ecephys_gzip.nwb"
    ophys = nwb_file_spec("ophys", "uncompressed", "default")
    assert ophys.chunks == (20, 796, 512) and ophys.shape[1:] == (796, 512) and ophys.dtype == "uint16"
    assert ophys.shape[0] % 20 == 0
    icephys = nwb_file_spec("icephys", "uncompressed", "default")
    assert icephys.chunks == (8192,) and icephys.dtype == "float32" and icephys.series_count >= 100
    assert icephys.object_path == "acquisition/data_00002_AD0/data"
    for spec in (ecephys, ophys):
        assert 0.9e9 < spec.data_nbytes < 1.1e9, spec  # about 1 GB of array data per large file
    assert 0.3e9 < icephys.data_nbytes < 0.4e9, icephys  # many small series: the metadata-heavy case


@pytest.mark.parametrize("case", CASES)
def test_small_profile_is_small_and_keeps_whole_chunk_rows(case: str) -> None:
    spec = nwb_file_spec(case, "uncompressed", "small")
    assert spec.data_nbytes < 50e6
    assert spec.shape[0] % spec.chunks[0] == 0 and spec.shape[0] // spec.chunks[0] == 5


def test_current_profile_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NWB_BENCHMARKS_PROFILE", raising=False)
    assert current_profile() == "default"
    monkeypatch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    assert current_profile() == "small" and nwb_file_spec("ophys").profile == "small"
    monkeypatch.setenv("NWB_BENCHMARKS_PROFILE", "huge")
    with pytest.raises(ValueError, match="'huge'.*small, default"):
        current_profile()


def test_bad_arguments_name_the_accepted_values() -> None:
    with pytest.raises(ValueError, match="ecephys, ophys, icephys"):
        nwb_file_spec("spikes")
    with pytest.raises(ValueError, match="uncompressed, gzip"):
        nwb_file_spec("ecephys", "zstd")
    with pytest.raises(ValueError, match="small, default"):
        nwb_file_spec("ecephys", "gzip", "tiny")


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", CASES)
def test_slices_are_chunk_rows_inside_the_data(case: str, profile: str) -> None:
    spec = nwb_file_spec(case, "uncompressed", profile)
    slices = slices_for(spec)
    chunk_rows = [s for s in slices if s[0].stop % spec.chunks[0] == 0]
    assert [s[0].stop // spec.chunks[0] for s in chunk_rows] == [1, 2, 3, 4, 5]
    for selection in slices:
        assert len(selection) == len(spec.shape)
        assert selection[0].stop <= spec.shape[0]
    if case == "ecephys":
        assert (slice(0, 30000), slice(0, 384)) in slices
        assert slices[0] == (slice(0, spec.chunks[0]), slice(0, 32))  # exactly one chunk
    if profile == "default":
        expected_first = {"ecephys": 262144, "ophys": 20, "icephys": 8192}[case]
        assert slices[0][0] == slice(0, expected_first)


# -- generated files ---------------------------------------------------------------------------------------


def test_all_small_files_are_made_and_keyed_by_relative_path(in_small_cache: Path) -> None:
    files = ensure_all_nwb_files("small")
    assert sorted(files) == sorted(f"small/{case}_{comp}.nwb" for case in CASES for comp in COMPRESSIONS)
    for relative_path, path in files.items():
        assert path == in_small_cache / "nwb" / relative_path and path.is_file()
        manifest = json.loads(manifest_path(path).read_text())
        assert manifest["size"] == path.stat().st_size and len(manifest["sha256"]) == 64


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("case", CASES)
def test_generated_file_has_the_spec_layout_and_validates(in_small_cache: Path, case: str, compression: str) -> None:
    spec = nwb_file_spec(case, compression, "small")
    path = ensure_nwb_file(case, compression, "small")
    with h5py.File(path, "r") as file:
        dataset = file[spec.object_path]
        assert dataset.shape == spec.shape
        assert dataset.chunks == spec.chunks
        assert dataset.dtype == np.dtype(spec.dtype)
        assert dataset.compression == ("gzip" if compression == "gzip" else None)
        first = dataset[slices_for(spec)[0]]
        assert first.std() > 0  # real noise, not a constant fill
        if case == "icephys":
            assert len(file["acquisition"]) == spec.series_count
            assert len(file["stimulus/presentation"]) == spec.series_count
            assert len(file["general/intracellular_ephys/intracellular_recordings/id"]) == spec.series_count
    assert pynwb.validate(path=str(path)) == []
    with pynwb.NWBHDF5IO(str(path), mode="r") as io:
        assert io.read().acquisition[spec.nwb_object_name].data.shape == spec.shape


def test_generation_is_deterministic(in_small_cache: Path, fresh_cache: Path) -> None:
    # fresh_cache has switched the cache directory: this generates a second copy elsewhere.
    first = in_small_cache / "nwb" / "small" / "ecephys_gzip.nwb"
    second = ensure_nwb_file("ecephys", "gzip", "small")
    assert second.parent.parent.parent == fresh_cache
    spec = nwb_file_spec("ecephys", "gzip", "small")
    with h5py.File(first, "r") as a, h5py.File(second, "r") as b:
        assert np.array_equal(a[spec.object_path][()], b[spec.object_path][()])
    # Object ids are derived, not random, so the files are byte-identical.
    assert (
        json.loads(manifest_path(first).read_text())["sha256"]
        == json.loads(manifest_path(second).read_text())["sha256"]
    )


def test_reuse_does_not_regenerate(in_small_cache: Path) -> None:
    path = ensure_nwb_file("ophys", "gzip", "small")
    before = path.stat().st_mtime_ns
    assert ensure_nwb_file("ophys", "gzip", "small") == path
    assert path.stat().st_mtime_ns == before


# -- faults: interrupted generation, corruption ------------------------------------------------------------


def test_interrupted_generation_leaves_no_complete_looking_file(
    fresh_cache: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    folder = fresh_cache / "nwb" / "small"
    target = folder / "icephys_gzip.nwb"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pytest_nwb_benchmarks.nwb._nwb_files import ensure_nwb_file as e; e('icephys', 'gzip', 'small')",
        ],
        env=dict(os.environ),
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(folder.glob(".icephys_gzip.nwb.partial-*")):
            assert child.poll() is None, "generation finished before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.2)  # let it write part of the file
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    leftovers = list(folder.glob(".icephys_gzip.nwb.partial-*"))
    assert leftovers and not target.exists() and not manifest_path(target).exists()

    capfd.readouterr()
    path = ensure_nwb_file("icephys", "gzip", "small")
    assert path == target and pynwb.validate(path=str(path)) == []
    assert not any(leftover.exists() for leftover in leftovers)  # cleaned up by the next generation
    assert "generating small/icephys_gzip.nwb" in capfd.readouterr().err  # the progress bar


def test_generation_failure_cleans_up(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_nwb_files, "_validate", lambda path: ["synthetic validation error"])
    with pytest.raises(_nwb_files.NWBFileError, match="small/ophys_uncompressed.nwb failed pynwb.validate"):
        ensure_nwb_file("ophys", "uncompressed", "small")
    folder = fresh_cache / "nwb" / "small"
    assert sorted(p.name for p in folder.iterdir()) == [".ophys_uncompressed.nwb.lock"]


@pytest.fixture
def ophys_copy(fresh_cache: Path) -> Path:
    """A private, verified copy of one small file (so corrupting it leaves the module's cache alone)."""
    return ensure_nwb_file("ophys", "uncompressed", "small")


def test_corrupt_file_is_detected_and_regenerated(ophys_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = json.loads(manifest_path(ophys_copy).read_text())["sha256"]
    with open(ophys_copy, "r+b") as stream:  # same size, different bytes
        stream.seek(ophys_copy.stat().st_size // 2)
        stream.write(b"\xff" * 4096)
    # A new session (no verification marks) checks the checksum.
    monkeypatch.delenv(VERIFIED_ENV, raising=False)
    assert _nwb_files._sha256(ophys_copy) != good
    path = ensure_nwb_file("ophys", "uncompressed", "small")
    assert _nwb_files._sha256(path) == good


def test_truncated_file_is_detected_within_the_session(ophys_copy: Path) -> None:
    good = json.loads(manifest_path(ophys_copy).read_text())["sha256"]
    with open(ophys_copy, "r+b") as stream:
        stream.truncate(1000)
    assert ensure_nwb_file("ophys", "uncompressed", "small") == ophys_copy
    assert _nwb_files._sha256(ophys_copy) == good


@pytest.mark.parametrize("damage", ["delete file", "delete manifest", "garble manifest", "old generator"])
def test_missing_pieces_are_regenerated(ophys_copy: Path, damage: str) -> None:
    manifest = manifest_path(ophys_copy)
    if damage == "delete file":
        ophys_copy.unlink()
    elif damage == "delete manifest":
        manifest.unlink()
    elif damage == "garble manifest":
        manifest.write_text("{not json")
    else:
        record = json.loads(manifest.read_text())
        record["generator_version"] = 0
        manifest.write_text(json.dumps(record))
    before = ophys_copy.stat().st_mtime_ns if ophys_copy.exists() else None
    path = ensure_nwb_file("ophys", "uncompressed", "small")
    assert path.stat().st_mtime_ns != before
    assert json.loads(manifest.read_text())["generator_version"] == _nwb_files.GENERATOR_VERSION


def test_checksum_is_verified_once_per_session(ophys_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real_sha256 = _nwb_files._sha256
    monkeypatch.setattr(_nwb_files, "_sha256", lambda path: calls.append(path) or real_sha256(path))
    monkeypatch.delenv(VERIFIED_ENV, raising=False)
    for _ in range(3):
        ensure_nwb_file("ophys", "uncompressed", "small")
    assert calls == [ophys_copy]
    # Child processes inherit the mark through the environment.
    assert str(ophys_copy) in json.loads(os.environ[VERIFIED_ENV])
