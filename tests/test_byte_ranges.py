"""The physical-limit byte ranges: exactly the bytes HDF5 needs for a slice, read over HTTP and with pread."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pytest

from pytest_nwb_benchmarks.nwb._byte_ranges import merge_ranges, needed_byte_ranges, total_bytes
from pytest_nwb_benchmarks.nwb._nwb_files import ensure_all_nwb_files
from pytest_nwb_benchmarks.nwb._range_reading import HttpRangeFetcher, pread_into, range_buffers, read_ranges_pread
from pytest_nwb_benchmarks.nwb._streaming_server import ServerInfo, StreamingServer

SHAPE = (100, 40, 3)
# Every element holds its own flat index, so the bytes of a range say which elements they are.
DATA = np.arange(int(np.prod(SHAPE)), dtype="int32").reshape(SHAPE)
SELECTIONS = [
    (slice(0, 30), slice(0, 40)),
    (slice(5, 37), slice(3, 17), slice(1, 2)),
    (slice(0, 100),),
    (slice(99, 100), slice(39, 40), slice(2, 3)),
    (slice(None), slice(None), slice(None)),
    (slice(16, 32), slice(8, 16)),
]


@pytest.fixture(scope="module")
def h5_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ranges") / "data.h5"
    with h5py.File(path, "w") as f:
        # (100, 40, 3) with (16, 8, 3) chunks: edge chunks along the first axis are partly outside.
        f.create_dataset("chunked", data=DATA, chunks=(16, 8, 3))
        f.create_dataset("gzip", data=DATA, chunks=(16, 8, 3), compression="gzip")
        f.create_dataset("shuffled", data=DATA, chunks=(16, 8, 3), shuffle=True)
        f.create_dataset("contiguous", data=DATA)
        f.create_dataset("unwritten", shape=SHAPE, dtype="int32", chunks=(16, 8, 3))
        f.create_dataset("unwritten_contiguous", shape=SHAPE, dtype="int32")
    return path


def _values_in(path: Path, ranges: list[tuple[int, int]]) -> np.ndarray:
    raw = path.read_bytes()
    return np.frombuffer(b"".join(raw[o : o + n] for o, n in ranges), dtype="int32")


@pytest.mark.parametrize("name", ["chunked", "contiguous"])
@pytest.mark.parametrize("selection", SELECTIONS, ids=str)
def test_uncompressed_ranges_hold_exactly_the_slice(h5_path: Path, name: str, selection: tuple[slice, ...]) -> None:
    with h5py.File(h5_path, "r") as f:
        ranges = needed_byte_ranges(f[name], selection)
    expected = DATA[selection]
    assert total_bytes(ranges) == expected.nbytes
    values = _values_in(h5_path, ranges)
    # The same elements, each once: nothing missing, nothing extra.
    assert np.array_equal(np.sort(values), np.sort(expected.ravel()))
    assert ranges == merge_ranges(ranges)


def test_contiguous_full_rows_are_one_range(h5_path: Path) -> None:
    with h5py.File(h5_path, "r") as f:
        ranges = needed_byte_ranges(f["contiguous"], (slice(10, 20),))
        assert ranges == [(f["contiguous"].id.get_offset() + 10 * 40 * 3 * 4, 10 * 40 * 3 * 4)]


def _touched_chunks(dataset: h5py.Dataset, selection: tuple[slice, ...]) -> list[tuple[int, int]]:
    """Whole chunks (offset, size) whose extent meets the selection, from the full chunk index."""
    bounds = [part.indices(n)[:2] for part, n in zip(selection + (slice(None),) * 3, dataset.shape)]
    touched = []
    for index in range(dataset.id.get_num_chunks()):
        info = dataset.id.get_chunk_info(index)
        if all(o < hi and o + c > lo for o, c, (lo, hi) in zip(info.chunk_offset, dataset.chunks, bounds)):
            touched.append((info.byte_offset, info.size))
    return merge_ranges(touched)


@pytest.mark.parametrize("name", ["gzip", "shuffled"])
@pytest.mark.parametrize("selection", SELECTIONS, ids=str)
def test_filtered_chunks_are_read_whole(h5_path: Path, name: str, selection: tuple[slice, ...]) -> None:
    with h5py.File(h5_path, "r") as f:
        dataset = f[name]
        ranges = needed_byte_ranges(dataset, selection)
        assert ranges == _touched_chunks(dataset, selection)
        # Decoding exactly those chunks' stored bytes gives back the slice's values.
        raw = h5_path.read_bytes()
        stored = {info.byte_offset: info for info in map(dataset.id.get_chunk_info, range(dataset.id.get_num_chunks()))}
        covered = [
            info
            for info in stored.values()
            if any(o <= info.byte_offset and info.byte_offset + info.size <= o + n for o, n in ranges)
        ]
        assert sum(info.size for info in covered) == total_bytes(ranges)
        assert all(raw[i.byte_offset : i.byte_offset + i.size] for i in covered)


@pytest.mark.parametrize("name", ["unwritten", "unwritten_contiguous"])
def test_unwritten_storage_needs_no_bytes(h5_path: Path, name: str) -> None:
    with h5py.File(h5_path, "r") as f:
        assert needed_byte_ranges(f[name], (slice(0, 50),)) == []


def test_empty_selection_needs_no_bytes(h5_path: Path) -> None:
    with h5py.File(h5_path, "r") as f:
        assert needed_byte_ranges(f["chunked"], (slice(5, 5),)) == []


def test_bad_selections_are_refused_with_the_reason(h5_path: Path) -> None:
    with h5py.File(h5_path, "r") as f:
        with pytest.raises(ValueError, match="step 2"):
            needed_byte_ranges(f["chunked"], (slice(0, 10, 2),))
        with pytest.raises(ValueError, match="3 dims"):
            needed_byte_ranges(f["chunked"], (slice(0, 1),) * 4)
        with pytest.raises(ValueError, match="expected a slice"):
            needed_byte_ranges(f["chunked"], (3,))  # type: ignore[arg-type]


def test_merge_ranges_sorts_and_joins_touching_and_overlapping() -> None:
    assert merge_ranges([(10, 5), (0, 10), (30, 1), (14, 3), (31, 0)]) == [(0, 17), (30, 1)]
    assert merge_ranges([]) == []


def test_pread_reads_every_range(h5_path: Path) -> None:
    with h5py.File(h5_path, "r") as f:
        ranges = needed_byte_ranges(f["chunked"], SELECTIONS[1])
    assert read_ranges_pread(h5_path, ranges) == total_bytes(ranges) == DATA[SELECTIONS[1]].nbytes


def test_pread_past_the_end_fails_naming_the_file(h5_path: Path) -> None:
    size = h5_path.stat().st_size
    with pytest.raises(OSError, match="past the end"):
        read_ranges_pread(h5_path, [(size - 4, 8)])


@pytest.fixture(scope="module")
def server(h5_path: Path) -> Iterator[ServerInfo]:
    with StreamingServer(h5_path.parent, latencies_ms=(0,)) as running:
        yield running.info


@pytest.mark.parametrize("connections", [1, 4])
def test_http_range_reads_move_exactly_the_needed_bytes(h5_path: Path, server: ServerInfo, connections: int) -> None:
    with h5py.File(h5_path, "r") as f:
        ranges = needed_byte_ranges(f["chunked"], SELECTIONS[0]) + []
        ranges += needed_byte_ranges(f["gzip"], SELECTIONS[1])
    ranges = merge_ranges(ranges)
    url = server.http_url("data.h5")
    fetcher = HttpRangeFetcher(url, connections=connections)
    buffers = range_buffers(ranges)
    try:
        fetcher.connect()
        server.reset_stats()
        received = fetcher.fetch_into(ranges, buffers)
        assert fetcher.fetch_into(ranges, buffers) == received  # the connection is reused and still works
    finally:
        fetcher.close()
    stats = server.stats()["paths"]["data.h5"]
    assert received == total_bytes(ranges)
    assert stats["range_requests"] == 2 * len(ranges)
    assert stats["bytes_sent"] == 2 * total_bytes(ranges)
    content = h5_path.read_bytes()
    assert [bytes(view) for view in buffers] == [content[offset : offset + length] for offset, length in ranges]


def test_pread_into_fills_each_buffer_with_its_range(h5_path: Path) -> None:
    with h5py.File(h5_path, "r") as f:
        ranges = needed_byte_ranges(f["chunked"], SELECTIONS[1])
    buffers = range_buffers(ranges)
    fd = os.open(h5_path, os.O_RDONLY)
    try:
        assert pread_into(fd, ranges, buffers) == total_bytes(ranges)
    finally:
        os.close(fd)
    content = h5_path.read_bytes()
    assert [bytes(view) for view in buffers] == [content[offset : offset + length] for offset, length in ranges]


def test_http_bad_range_fails_with_the_status(h5_path: Path, server: ServerInfo) -> None:
    size = h5_path.stat().st_size
    fetcher = HttpRangeFetcher(server.http_url("data.h5"))
    try:
        with pytest.raises(OSError, match="HTTP 416"):
            fetcher.fetch_into([(size + 10, 4)], range_buffers([(size + 10, 4)]))
    finally:
        fetcher.close()


@pytest.fixture(scope="module")
def small_nwb_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    # One cache per test session, shared by the suite's test modules (the second one only verifies it).
    patch = pytest.MonkeyPatch()
    patch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "nwb-suite-cache"))
    patch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    try:
        yield {key: path for key, path in ensure_all_nwb_files("small").items()}
    finally:
        patch.undo()


def test_synthetic_nwb_slices_need_what_the_spec_says(small_nwb_files: dict[str, Path]) -> None:
    from pytest_nwb_benchmarks.nwb._nwb_files import nwb_file_spec, slices_for

    for case, compression in itertools.product(("ecephys", "ophys", "icephys"), ("uncompressed",)):
        spec = nwb_file_spec(case, compression, "small")
        with h5py.File(small_nwb_files[spec.relative_path], "r") as f:
            dataset = f[spec.object_path]
            for selection in slices_for(spec):
                ranges = needed_byte_ranges(dataset, selection)
                assert total_bytes(ranges) == dataset[selection].nbytes
