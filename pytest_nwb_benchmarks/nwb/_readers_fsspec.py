"""The fsspec readers: HDF5 over fsspec's HTTP filesystem and over s3fs, each without and with a disk cache."""

from __future__ import annotations

import tempfile
from typing import Any

from pytest_nwb_benchmarks.nwb._reader_common import (
    FSSPEC_BLOCK_SIZE,
    FSSPEC_CACHE_TYPE,
    S3FS_BLOCK_SIZE,
    S3FS_CACHE_TYPE,
    _h5py_file_over,
    _pause_garbage_collection,
    _with_pynwb,
)

__all__ = [
    "read_hdf5_h5py_fsspec_https_no_cache",
    "read_hdf5_pynwb_fsspec_https_no_cache",
    "read_hdf5_h5py_fsspec_https_with_cache",
    "read_hdf5_pynwb_fsspec_https_with_cache",
    "read_hdf5_h5py_fsspec_s3_no_cache",
    "read_hdf5_pynwb_fsspec_s3_no_cache",
    "read_hdf5_h5py_fsspec_s3_with_cache",
    "read_hdf5_pynwb_fsspec_s3_with_cache",
]


def _http_filesystem() -> Any:
    from fsspec.implementations.http import HTTPFileSystem

    # skip_instance_cache: a new filesystem (and session) per open, so no cache survives between samples.
    return HTTPFileSystem(skip_instance_cache=True, block_size=FSSPEC_BLOCK_SIZE, cache_type=FSSPEC_CACHE_TYPE)


def _open_through(filesystem: Any, path: str, *extra: Any, **open_kwargs: Any) -> tuple:
    _pause_garbage_collection()
    return _h5py_file_over(filesystem.open(path, mode="rb", **open_kwargs), filesystem, *extra)


def read_hdf5_h5py_fsspec_https_no_cache(url: str) -> tuple:
    """Open a remote file with h5py on an fsspec HTTP file (read-ahead block cache in memory only).

    Parameters
    ----------
    url : str
        The file's HTTP(S) URL (resolve redirects first).

    Returns
    -------
    tuple
        ``(h5py.File, fsspec file, HTTPFileSystem)``.
    """
    return _open_through(_http_filesystem(), url, block_size=FSSPEC_BLOCK_SIZE, cache_type=FSSPEC_CACHE_TYPE)


def read_hdf5_pynwb_fsspec_https_no_cache(url: str) -> tuple:
    """Read a remote file with pynwb on an fsspec HTTP file; see :func:`read_hdf5_h5py_fsspec_https_no_cache`."""
    return _with_pynwb(read_hdf5_h5py_fsspec_https_no_cache(url))


def _caching_filesystem(target: Any) -> tuple[Any, tempfile.TemporaryDirectory]:
    from fsspec.implementations.cached import CachingFileSystem

    cache = tempfile.TemporaryDirectory(prefix="nwb-benchmarks-fsspec-cache-")
    filesystem = CachingFileSystem(fs=target, cache_storage=cache.name, skip_instance_cache=True)
    return filesystem, cache


def read_hdf5_h5py_fsspec_https_with_cache(url: str) -> tuple:
    """Open a remote file with h5py on fsspec's block-caching filesystem over HTTP (fresh disk cache).

    Parameters
    ----------
    url
        As for :func:`read_hdf5_h5py_fsspec_https_no_cache`.

    Returns
    -------
    tuple
        ``(h5py.File, cached file, CachingFileSystem, TemporaryDirectory, HTTPFileSystem)``.
    """
    target = _http_filesystem()
    filesystem, cache = _caching_filesystem(target)
    return _open_through(filesystem, url, cache, target, block_size=FSSPEC_BLOCK_SIZE)


def read_hdf5_pynwb_fsspec_https_with_cache(url: str) -> tuple:
    """Read a remote file with pynwb; see :func:`read_hdf5_h5py_fsspec_https_with_cache`."""
    return _with_pynwb(read_hdf5_h5py_fsspec_https_with_cache(url))


# --- fsspec over S3 (s3fs) -----------------------------------------------------------------------------------


def _s3_filesystem(endpoint_url: str | None) -> Any:
    import s3fs

    return s3fs.S3FileSystem(
        anon=True,
        endpoint_url=endpoint_url,
        skip_instance_cache=True,
        default_block_size=S3FS_BLOCK_SIZE,
        default_cache_type=S3FS_CACHE_TYPE,
    )


def _s3_path(s3_url: str) -> str:
    if not s3_url.startswith("s3://"):
        raise ValueError(f"expected an s3://bucket/key URL, got {s3_url!r}")
    return s3_url[len("s3://") :]


def read_hdf5_h5py_fsspec_s3_no_cache(s3_url: str, endpoint_url: str | None = None) -> tuple:
    """Open a file in an S3 bucket with h5py on an s3fs file (anonymous).

    Parameters
    ----------
    s3_url : str
        ``s3://bucket/key``.
    endpoint_url : str or None
        The S3 endpoint (the local streaming server's); ``None`` means AWS.

    Returns
    -------
    tuple
        ``(h5py.File, s3fs file, S3FileSystem)``.
    """
    path = _s3_path(s3_url)
    return _open_through(_s3_filesystem(endpoint_url), path, block_size=S3FS_BLOCK_SIZE, cache_type=S3FS_CACHE_TYPE)


def read_hdf5_pynwb_fsspec_s3_no_cache(s3_url: str, endpoint_url: str | None = None) -> tuple:
    """Read an S3 file with pynwb; see :func:`read_hdf5_h5py_fsspec_s3_no_cache`."""
    return _with_pynwb(read_hdf5_h5py_fsspec_s3_no_cache(s3_url, endpoint_url))


def read_hdf5_h5py_fsspec_s3_with_cache(s3_url: str, endpoint_url: str | None = None) -> tuple:
    """Open an S3 file with h5py on fsspec's block-caching filesystem over s3fs (fresh disk cache).

    Parameters
    ----------
    s3_url, endpoint_url
        As for :func:`read_hdf5_h5py_fsspec_s3_no_cache`.

    Returns
    -------
    tuple
        ``(h5py.File, cached file, CachingFileSystem, TemporaryDirectory, S3FileSystem)``.
    """
    path = _s3_path(s3_url)
    target = _s3_filesystem(endpoint_url)
    filesystem, cache = _caching_filesystem(target)
    return _open_through(filesystem, path, cache, target, block_size=S3FS_BLOCK_SIZE)


def read_hdf5_pynwb_fsspec_s3_with_cache(s3_url: str, endpoint_url: str | None = None) -> tuple:
    """Read an S3 file with pynwb; see :func:`read_hdf5_h5py_fsspec_s3_with_cache`."""
    return _with_pynwb(read_hdf5_h5py_fsspec_s3_with_cache(s3_url, endpoint_url))
