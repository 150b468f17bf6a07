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

from ._bases import _ColdSamples
from .params import DOWNLOAD_FILES, LATENCIES_MS

# Size of the pieces written to disk; large enough that Python overhead does not count.
WRITE_BLOCK = 8 * 1024**2

#: Precision-driven sampling (native runner): sample each combination until the median's 95 % interval is
#: within +-5 %, or this many seconds of sampling are spent. asv's runner keeps each class's ``repeat``.
precision_target = 0.05
time_budget = 10.0


class _Download(_ColdSamples):
    """Download the file into a fresh temporary folder; each class says how it connects and fetches."""

    param_names = ("asset", "latency_ms")
    params = (DOWNLOAD_FILES, LATENCIES_MS)
    repeat = (1, 3, 10.0)
    timeout = 600

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = resolve_asset(asset, latency_ms)
        self.folder = tempfile.TemporaryDirectory(prefix="nwb-benchmarks-download-")
        self.target = Path(self.folder.name) / "downloaded.nwb"
        self._connect()

    def teardown(self, asset: str, latency_ms: int) -> None:
        self._disconnect()
        self.folder.cleanup()

    def _connect(self) -> None:
        """Make the session, filesystem or stream the download uses (not timed)."""

    def _disconnect(self) -> None:
        """Close what :meth:`_connect` made."""


class RequestsHttpsDownloadBenchmark(_Download):
    """Download with one streamed HTTP GET (requests)."""

    def _connect(self) -> None:
        self.session = requests.Session()

    def _disconnect(self) -> None:
        self.session.close()

    def time_download(self, asset: str, latency_ms: int) -> None:
        with self.session.get(self.asset.http_url, stream=True, timeout=60) as response:
            response.raise_for_status()
            with open(self.target, "wb") as out:
                for block in response.iter_content(chunk_size=WRITE_BLOCK):
                    out.write(block)


class FsspecHttpsDownloadBenchmark(_Download):
    """Download with fsspec's HTTP filesystem (``get_file``)."""

    def _connect(self) -> None:
        from fsspec.implementations.http import HTTPFileSystem

        self.filesystem: Any = HTTPFileSystem(skip_instance_cache=True, block_size=FSSPEC_BLOCK_SIZE)

    def time_download(self, asset: str, latency_ms: int) -> None:
        self.filesystem.get_file(self.asset.http_url, str(self.target))


class FsspecS3DownloadBenchmark(_Download):
    """Download with s3fs (``get_file``)."""

    def _connect(self) -> None:
        import s3fs

        self.filesystem: Any = s3fs.S3FileSystem(
            anon=True,
            endpoint_url=self.asset.s3_endpoint,
            skip_instance_cache=True,
            default_block_size=S3FS_BLOCK_SIZE,
        )

    def time_download(self, asset: str, latency_ms: int) -> None:
        self.filesystem.get_file(self.asset.s3_url[len("s3://") :], str(self.target))


class RemfileDownloadBenchmark(_Download):
    """Download by reading a remfile from start to end (its read-ahead grows up to its maximum chunk)."""

    def _connect(self) -> None:
        import remfile

        # Made here: its constructor asks the server for the size, which is not part of the download.
        self.stream: Any = remfile.File(
            self.asset.http_url,
            _min_chunk_size=REMFILE_MIN_CHUNK_SIZE,
            _max_chunk_size=REMFILE_MAX_CHUNK_SIZE,
            _chunk_increment_factor=REMFILE_CHUNK_INCREMENT_FACTOR,
            _max_threads=REMFILE_MAX_THREADS,
            _bytes_per_thread=REMFILE_BYTES_PER_THREAD,
        )

    def _disconnect(self) -> None:
        self.stream.close()
        self.stream.session.close()

    def time_download(self, asset: str, latency_ms: int) -> None:
        remaining = self.stream.length
        with open(self.target, "wb") as out:
            while remaining > 0:
                # remfile asks for an invalid range when a read runs past the end, so never ask for more.
                block = self.stream.read(min(WRITE_BLOCK, remaining))
                out.write(block)
                remaining -= len(block)
