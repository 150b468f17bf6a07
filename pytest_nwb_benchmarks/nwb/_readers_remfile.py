"""The readers that are not fsspec: HDF5 over remfile (without and with its disk cache) and HDF5's ros3 driver."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import h5py

from pytest_nwb_benchmarks.nwb._reader_common import (
    RDCC_NBYTES,
    REMFILE_BYTES_PER_THREAD,
    REMFILE_CHUNK_INCREMENT_FACTOR,
    REMFILE_MAX_CHUNK_SIZE,
    REMFILE_MAX_THREADS,
    REMFILE_MIN_CHUNK_SIZE,
    ROS3_AWS_REGION,
    _h5py_file_over,
    _with_pynwb,
    require_ros3,
)
from pytest_nwb_benchmarks.nwb._readers_fsspec import _s3_path

__all__ = [
    "read_hdf5_h5py_remfile_no_cache",
    "read_hdf5_pynwb_remfile_no_cache",
    "read_hdf5_h5py_remfile_with_cache",
    "read_hdf5_pynwb_remfile_with_cache",
    "read_hdf5_h5py_ros3",
    "read_hdf5_pynwb_ros3",
]


# --- remfile --------------------------------------------------------------------------------------------------


def _remfile(url: str, disk_cache: Any = None) -> Any:
    import remfile

    return remfile.File(
        url,
        disk_cache=disk_cache,
        _min_chunk_size=REMFILE_MIN_CHUNK_SIZE,
        _max_chunk_size=REMFILE_MAX_CHUNK_SIZE,
        _chunk_increment_factor=REMFILE_CHUNK_INCREMENT_FACTOR,
        _max_threads=REMFILE_MAX_THREADS,
        _bytes_per_thread=REMFILE_BYTES_PER_THREAD,
    )


def read_hdf5_h5py_remfile_no_cache(url: str) -> tuple:
    """Open a remote file with h5py on a remfile (in-memory chunk cache only).

    Parameters
    ----------
    url : str
        The file's HTTP(S) URL (resolve redirects first).

    Returns
    -------
    tuple
        ``(h5py.File, remfile.File)``.
    """
    return _h5py_file_over(_remfile(url))


def read_hdf5_pynwb_remfile_no_cache(url: str) -> tuple:
    """Read a remote file with pynwb on a remfile; see :func:`read_hdf5_h5py_remfile_no_cache`."""
    return _with_pynwb(read_hdf5_h5py_remfile_no_cache(url))


def read_hdf5_h5py_remfile_with_cache(url: str) -> tuple:
    """Open a remote file with h5py on a remfile backed by a fresh :class:`remfile.DiskCache`.

    Parameters
    ----------
    url
        As for :func:`read_hdf5_h5py_remfile_no_cache`.

    Returns
    -------
    tuple
        ``(h5py.File, remfile.File, remfile.DiskCache, TemporaryDirectory)``.
    """
    import remfile

    folder = tempfile.TemporaryDirectory(prefix="nwb-benchmarks-remfile-cache-")
    disk_cache = remfile.DiskCache(folder.name)
    try:
        stream = _remfile(url, disk_cache)
    except BaseException:
        folder.cleanup()
        raise
    return _h5py_file_over(stream, disk_cache, folder)


def read_hdf5_pynwb_remfile_with_cache(url: str) -> tuple:
    """Read a remote file with pynwb; see :func:`read_hdf5_h5py_remfile_with_cache`."""
    return _with_pynwb(read_hdf5_h5py_remfile_with_cache(url))


# --- ros3 -----------------------------------------------------------------------------------------------------


def read_hdf5_h5py_ros3(s3_url: str, endpoint_url: str | None = None) -> tuple:
    """Open a file in an S3 bucket with HDF5's read-only S3 driver (anonymous).

    Parameters
    ----------
    s3_url : str
        ``s3://bucket/key``.
    endpoint_url : str or None
        The S3 endpoint; set as ``AWS_ENDPOINT_URL`` for the driver (it takes no endpoint argument).
        ``None`` leaves the environment alone (AWS).

    Returns
    -------
    tuple
        ``(h5py.File,)``.

    Raises
    ------
    NotImplementedError
        If the installed h5py has no ros3 driver (asv and the plugin report this as a skip).
    """
    require_ros3()
    _s3_path(s3_url)
    if endpoint_url is not None:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    h5_file = h5py.File(s3_url, mode="r", driver="ros3", aws_region=ROS3_AWS_REGION.encode(), rdcc_nbytes=RDCC_NBYTES)
    return (h5_file,)


def read_hdf5_pynwb_ros3(s3_url: str, endpoint_url: str | None = None) -> tuple:
    """Read an S3 file with pynwb through the ros3 driver; see :func:`read_hdf5_h5py_ros3`."""
    return _with_pynwb(read_hdf5_h5py_ros3(s3_url, endpoint_url))
