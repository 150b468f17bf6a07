"""Time downloading a whole NWB file to local disk, by each way of fetching it.

``RequestsHttpsDownloadBenchmark`` (one plain streamed GET) is the physical limit of a download; the
others show what fsspec (HTTPS and S3) and remfile add. Filesystems, sessions and the remfile are made
in ``setup`` (fresh each sample), so only the transfer and the write are timed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import requests

from pytest_nwb_benchmarks.nwb import (
    FSSPEC_BLOCK_SIZE,
    REMFILE_BYTES_PER_THREAD,
    REMFILE_CHUNK_INCREMENT_FACTOR,
    REMFILE_MAX_CHUNK_SIZE,
    REMFILE_MAX_THREADS,
    REMFILE_MIN_CHUNK_SIZE,
    S3FS_BLOCK_SIZE,
    resolve_asset,
)

from .params import DOWNLOAD_FILES, LATENCIES_MS

# Size of the pieces written to disk; large enough that Python overhead does not count.
WRITE_BLOCK = 8 * 1024**2

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 10.0


class RequestsHttpsDownloadBenchmark:
    """Download with one streamed HTTP GET (requests)."""

    param_names = ("asset", "latency_ms")
    params = (DOWNLOAD_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 600

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.folder = tempfile.TemporaryDirectory(prefix="nwb-benchmarks-download-")
        self.target = Path(self.folder.name) / "downloaded.nwb"
        self.session = requests.Session()

    def teardown(self, asset: str, latency_ms: int) -> None:
        self.session.close()
        self.folder.cleanup()

    def time_download(self, asset: str, latency_ms: int) -> None:
        with self.session.get(self.asset.http_url, stream=True, timeout=60) as response:
            response.raise_for_status()
            with open(self.target, "wb") as out:
                for block in response.iter_content(chunk_size=WRITE_BLOCK):
                    out.write(block)


class FsspecHttpsDownloadBenchmark:
    """Download with fsspec's HTTP filesystem (``get_file``)."""

    param_names = ("asset", "latency_ms")
    params = (DOWNLOAD_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 600

    def setup(self, asset: str, latency_ms: int) -> None:
        from fsspec.implementations.http import HTTPFileSystem

        self.asset = resolve_asset(asset, latency_ms)
        self.folder = tempfile.TemporaryDirectory(prefix="nwb-benchmarks-download-")
        self.target = Path(self.folder.name) / "downloaded.nwb"
        self.filesystem: Any = HTTPFileSystem(skip_instance_cache=True, block_size=FSSPEC_BLOCK_SIZE)

    def teardown(self, asset: str, latency_ms: int) -> None:
        self.folder.cleanup()

    def time_download(self, asset: str, latency_ms: int) -> None:
        self.filesystem.get_file(self.asset.http_url, str(self.target))


class FsspecS3DownloadBenchmark:
    """Download with s3fs (``get_file``)."""

    param_names = ("asset", "latency_ms")
    params = (DOWNLOAD_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 600

    def setup(self, asset: str, latency_ms: int) -> None:
        import s3fs

        self.asset = resolve_asset(asset, latency_ms)
        self.folder = tempfile.TemporaryDirectory(prefix="nwb-benchmarks-download-")
        self.target = Path(self.folder.name) / "downloaded.nwb"
        self.filesystem: Any = s3fs.S3FileSystem(
            anon=True,
            endpoint_url=self.asset.s3_endpoint,
            skip_instance_cache=True,
            default_block_size=S3FS_BLOCK_SIZE,
        )

    def teardown(self, asset: str, latency_ms: int) -> None:
        self.folder.cleanup()

    def time_download(self, asset: str, latency_ms: int) -> None:
        self.filesystem.get_file(self.asset.s3_url[len("s3://") :], str(self.target))


class RemfileDownloadBenchmark:
    """Download by reading a remfile from start to end (its read-ahead grows up to its maximum chunk)."""

    param_names = ("asset", "latency_ms")
    params = (DOWNLOAD_FILES, LATENCIES_MS)
    rounds = 1
    repeat = (1, 3, 10.0)
    number = 1
    min_run_count = 1
    warmup_time = 0.0
    timeout = 600

    def setup(self, asset: str, latency_ms: int) -> None:
        import remfile

        self.asset = resolve_asset(asset, latency_ms)
        self.folder = tempfile.TemporaryDirectory(prefix="nwb-benchmarks-download-")
        self.target = Path(self.folder.name) / "downloaded.nwb"
        # Made here: its constructor asks the server for the size, which is not part of the download.
        self.stream: Any = remfile.File(
            self.asset.http_url,
            _min_chunk_size=REMFILE_MIN_CHUNK_SIZE,
            _max_chunk_size=REMFILE_MAX_CHUNK_SIZE,
            _chunk_increment_factor=REMFILE_CHUNK_INCREMENT_FACTOR,
            _max_threads=REMFILE_MAX_THREADS,
            _bytes_per_thread=REMFILE_BYTES_PER_THREAD,
        )

    def teardown(self, asset: str, latency_ms: int) -> None:
        self.stream.close()
        self.stream.session.close()
        self.folder.cleanup()

    def time_download(self, asset: str, latency_ms: int) -> None:
        remaining = self.stream.length
        with open(self.target, "wb") as out:
            while remaining > 0:
                # remfile asks for an invalid range when a read runs past the end, so never ask for more.
                block = self.stream.read(min(WRITE_BLOCK, remaining))
                out.write(block)
                remaining -= len(block)
