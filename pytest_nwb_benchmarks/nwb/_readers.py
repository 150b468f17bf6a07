"""One small function per way of opening an NWB (HDF5) file, locally or streamed.

Every ``read_hdf5_h5py_<method>`` returns a tuple whose first element is the open :class:`h5py.File`;
every ``read_hdf5_pynwb_<method>`` returns one whose first element is the read :class:`pynwb.NWBFile`.
The other elements are everything that must stay alive while the file is in use (the ``NWBHDF5IO``, the
byte stream, the filesystem, the remfile disk cache, a temporary directory). Pass the whole tuple to
:func:`close_opened` when done: it closes them in the one safe order.

The settings that change the results several-fold are fixed here as module constants and reported by
:func:`reader_settings`, for the run to record in its result file's metadata:

* ``RDCC_NBYTES``: h5py's chunk cache. HDF5 reads a chunk larger than the cache straight into the
  output (only the touched spans for uncompressed data), and a smaller one through the cache (whole).
* ``FSSPEC_BLOCK_SIZE`` / ``FSSPEC_CACHE_TYPE``: fsspec's HTTP read-ahead.
* ``S3FS_BLOCK_SIZE`` / ``S3FS_CACHE_TYPE``: s3fs's; s3fs's own default block (50 MiB) would make the
  S3 path move ten times the bytes of the HTTPS path, so both use fsspec's HTTP block size.
* ``REMFILE_*``: remfile's first request size, its read-ahead growth and its threads.

The values are each library's defaults written out (apart from the s3fs block size), so the suite
measures what a user gets out of the box, and a change of default upstream cannot change it silently.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import h5py

# Imported here, not in the helpers: the first import of pynwb takes about half a second, which must
# not land in the first timed sample of a pynwb benchmark.
from pynwb import NWBHDF5IO

__all__ = [
    "RDCC_NBYTES",
    "FSSPEC_BLOCK_SIZE",
    "FSSPEC_CACHE_TYPE",
    "S3FS_BLOCK_SIZE",
    "S3FS_CACHE_TYPE",
    "REMFILE_MIN_CHUNK_SIZE",
    "REMFILE_MAX_CHUNK_SIZE",
    "REMFILE_CHUNK_INCREMENT_FACTOR",
    "REMFILE_MAX_THREADS",
    "REMFILE_BYTES_PER_THREAD",
    "ROS3_AWS_REGION",
    "ros3_available",
    "require_ros3",
    "get_object_by_name",
    "reader_settings",
    "close_opened",
    "read_hdf5_h5py_local",
    "read_hdf5_pynwb_local",
    "read_hdf5_h5py_fsspec_https_no_cache",
    "read_hdf5_pynwb_fsspec_https_no_cache",
    "read_hdf5_h5py_fsspec_https_with_cache",
    "read_hdf5_pynwb_fsspec_https_with_cache",
    "read_hdf5_h5py_fsspec_s3_no_cache",
    "read_hdf5_pynwb_fsspec_s3_no_cache",
    "read_hdf5_h5py_fsspec_s3_with_cache",
    "read_hdf5_pynwb_fsspec_s3_with_cache",
    "read_hdf5_h5py_remfile_no_cache",
    "read_hdf5_pynwb_remfile_no_cache",
    "read_hdf5_h5py_remfile_with_cache",
    "read_hdf5_pynwb_remfile_with_cache",
    "read_hdf5_h5py_ros3",
    "read_hdf5_pynwb_ros3",
]

RDCC_NBYTES = 1024**2  # h5py's default chunk cache, 1 MiB
FSSPEC_BLOCK_SIZE = 5 * 1024**2  # fsspec HTTPFile default
FSSPEC_CACHE_TYPE = "bytes"  # fsspec HTTPFile default read-ahead cache
S3FS_BLOCK_SIZE = FSSPEC_BLOCK_SIZE  # not s3fs's 50 MiB default, see the module docstring
S3FS_CACHE_TYPE = "readahead"  # s3fs default
REMFILE_MIN_CHUNK_SIZE = 100 * 1024
REMFILE_MAX_CHUNK_SIZE = 100 * 1024**2
REMFILE_CHUNK_INCREMENT_FACTOR = 1.7
REMFILE_MAX_THREADS = 1
REMFILE_BYTES_PER_THREAD = 4 * 1024**2
ROS3_AWS_REGION = "us-east-2"  # the DANDI bucket's region; the local server ignores it

_ROS3_HINT = (
    "the installed h5py has no 'ros3' driver; to run the ros3 benchmarks install an h5py built with it, "
    "e.g. in a fresh environment: pip install pynwb requests && "
    "pip install --force-reinstall --no-deps h5py-s3  (check with: "
    "python -c \"import h5py; print('ros3' in h5py.registered_drivers())\")"
)


def reader_settings() -> dict[str, Any]:
    """Return the reader settings in effect, for the result file's metadata.

    Returns
    -------
    dict
        Setting name to value, plus the versions of the libraries they belong to.
    """
    settings: dict[str, Any] = {
        "h5py_rdcc_nbytes": RDCC_NBYTES,
        "fsspec_https_block_size": FSSPEC_BLOCK_SIZE,
        "fsspec_https_cache_type": FSSPEC_CACHE_TYPE,
        "fsspec_with_cache": "CachingFileSystem (blockcache) in a fresh temporary directory per open",
        "s3fs_block_size": S3FS_BLOCK_SIZE,
        "s3fs_cache_type": S3FS_CACHE_TYPE,
        "remfile_min_chunk_size": REMFILE_MIN_CHUNK_SIZE,
        "remfile_max_chunk_size": REMFILE_MAX_CHUNK_SIZE,
        "remfile_chunk_increment_factor": REMFILE_CHUNK_INCREMENT_FACTOR,
        "remfile_max_threads": REMFILE_MAX_THREADS,
        "remfile_bytes_per_thread": REMFILE_BYTES_PER_THREAD,
        "remfile_with_cache": "remfile.DiskCache in a fresh temporary directory per open",
        "ros3_aws_region": ROS3_AWS_REGION,
        "ros3_available": ros3_available(),
        "h5py_version": h5py.__version__,
        "hdf5_version": h5py.version.hdf5_version,
    }
    for module in ("fsspec", "s3fs", "remfile", "pynwb", "hdmf"):
        try:
            settings[f"{module}_version"] = version(module)
        except PackageNotFoundError:  # not installed: recorded as such
            settings[f"{module}_version"] = None
    return settings


def ros3_available() -> bool:
    """Whether the installed h5py has HDF5's read-only S3 driver."""
    return "ros3" in h5py.registered_drivers()


def require_ros3() -> None:
    """Raise ``NotImplementedError`` saying how to get the ros3 driver when h5py lacks it.

    Call it from a benchmark's ``setup``: asv and the plugin report ``NotImplementedError`` raised there
    as a skip, with this message as the reason.

    Raises
    ------
    NotImplementedError
        If ``'ros3' not in h5py.registered_drivers()``.
    """
    if not ros3_available():
        raise NotImplementedError(_ROS3_HINT)


def get_object_by_name(nwbfile: Any, name: str) -> Any:
    """Return the one NWB object called ``name`` anywhere in ``nwbfile``.

    Parameters
    ----------
    nwbfile : pynwb.NWBFile
        The read file.
    name : str
        The object's name, e.g. ``"ElectricalSeries"``.

    Returns
    -------
    object
        The object.

    Raises
    ------
    KeyError
        If no object, or more than one, has that name.
    """
    found = [obj for obj in nwbfile.objects.values() if obj.name == name]
    if len(found) != 1:
        raise KeyError(f"{len(found)} objects named {name!r} in NWB file {nwbfile.identifier!r}; expected one")
    return found[0]


def _h5py_file(source: Any) -> h5py.File:
    return h5py.File(source, mode="r", rdcc_nbytes=RDCC_NBYTES)


def _with_pynwb(opened: tuple) -> tuple:
    """Read an NWBFile from an h5py file opened by one of the h5py helpers."""
    h5_file = opened[0]
    io = NWBHDF5IO(file=h5_file, mode="r", load_namespaces=True)
    try:
        nwbfile = io.read()
    except BaseException:
        close_opened((io, *opened))
        raise
    return (nwbfile, io, *opened)


# --- local -----------------------------------------------------------------------------------------------


def read_hdf5_h5py_local(path: str | Path) -> tuple:
    """Open a local file with h5py.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    tuple
        ``(h5py.File,)``.
    """
    return (_h5py_file(str(path)),)


def read_hdf5_pynwb_local(path: str | Path) -> tuple:
    """Read a local file with pynwb (through h5py).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    tuple
        ``(NWBFile, NWBHDF5IO, h5py.File)``.
    """
    return _with_pynwb(read_hdf5_h5py_local(path))


# --- fsspec over HTTPS -------------------------------------------------------------------------------------


def _http_filesystem() -> Any:
    from fsspec.implementations.http import HTTPFileSystem

    # skip_instance_cache: a new filesystem (and session) per open, so no cache survives between samples.
    return HTTPFileSystem(skip_instance_cache=True, block_size=FSSPEC_BLOCK_SIZE, cache_type=FSSPEC_CACHE_TYPE)


# Whether _open_through switched the cyclic garbage collector off (close_opened switches it back on).
_gc_paused_by_us = False


def _pause_garbage_collection() -> None:
    """Keep the cyclic garbage collector from running while an fsspec-backed HDF5 file is open.

    fsspec reads in its own event-loop thread while the main thread waits inside h5py, holding h5py's
    global lock. If a collection starts in the loop thread and finalises an h5py object (or an
    ``NWBHDF5IO``) left over from an earlier open, the finaliser waits for that lock: a deadlock. With
    automatic collection off until :func:`close_opened`, garbage is only ever collected by the main
    thread. (``timeit`` already switches it off around the timed call.)
    """
    global _gc_paused_by_us
    if gc.isenabled():
        gc.disable()
        _gc_paused_by_us = True


def _resume_garbage_collection() -> None:
    global _gc_paused_by_us
    gc.collect()  # here, in the main thread, with no h5py call in progress
    if _gc_paused_by_us:
        _gc_paused_by_us = False
        gc.enable()


def _open_through(filesystem: Any, path: str, *extra: Any, **open_kwargs: Any) -> tuple:
    _pause_garbage_collection()
    stream = filesystem.open(path, mode="rb", **open_kwargs)
    try:
        h5_file = _h5py_file(stream)
    except BaseException:
        close_opened((stream, filesystem, *extra))
        raise
    return (h5_file, stream, filesystem, *extra)


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
    url : str
        The file's HTTP(S) URL (resolve redirects first).

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
    s3_url : str
        ``s3://bucket/key``.
    endpoint_url : str or None
        The S3 endpoint; ``None`` means AWS.

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


def _open_remfile(stream: Any, *extra: Any) -> tuple:
    try:
        h5_file = _h5py_file(stream)
    except BaseException:
        close_opened((stream, *extra))
        raise
    return (h5_file, stream, *extra)


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
    return _open_remfile(_remfile(url))


def read_hdf5_pynwb_remfile_no_cache(url: str) -> tuple:
    """Read a remote file with pynwb on a remfile; see :func:`read_hdf5_h5py_remfile_no_cache`."""
    return _with_pynwb(read_hdf5_h5py_remfile_no_cache(url))


def read_hdf5_h5py_remfile_with_cache(url: str) -> tuple:
    """Open a remote file with h5py on a remfile backed by a fresh :class:`remfile.DiskCache`.

    Parameters
    ----------
    url : str
        The file's HTTP(S) URL (resolve redirects first).

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
    return _open_remfile(stream, disk_cache, folder)


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


# --- closing ----------------------------------------------------------------------------------------------------


def _is_nwb_io(obj: Any) -> bool:
    hdmf_io = sys.modules.get("hdmf.backends.hdf5.h5tools")
    return hdmf_io is not None and isinstance(obj, hdmf_io.HDF5IO)


def _is_filesystem_or_cache(obj: Any) -> bool:
    if isinstance(obj, tempfile.TemporaryDirectory):
        return True
    spec = sys.modules.get("fsspec.spec")
    if spec is not None and isinstance(obj, spec.AbstractFileSystem):
        return True
    disk_cache = sys.modules.get("remfile.DiskCache")
    return disk_cache is not None and isinstance(obj, disk_cache.DiskCache)


def close_opened(objects: tuple) -> None:
    """Close what a ``read_hdf5_*`` helper opened, in the safe order.

    First the ``NWBHDF5IO`` and the ``h5py.File`` (HDF5 may still flush or read through the byte stream;
    closing the stream first has crashed the interpreter at exit), then the byte streams, then the
    filesystems and caches (temporary directories are deleted). Every object is attempted even if one
    fails; the first error is raised at the end.

    Parameters
    ----------
    objects : tuple
        The tuple a helper returned (``None`` and already-closed objects are fine).

    Raises
    ------
    Exception
        The first error met while closing, after everything else was closed.
    """
    ios = [obj for obj in objects if _is_nwb_io(obj)]
    files = [obj for obj in objects if isinstance(obj, h5py.File)]
    last = [obj for obj in objects if _is_filesystem_or_cache(obj)]
    streams = [
        obj
        for obj in objects
        if obj is not None
        and not any(obj is other for other in (*ios, *files, *last))
        and hasattr(obj, "close")
        and not _is_nwb_container(obj)
    ]
    errors: list[BaseException] = []
    for obj in ios:
        _attempt(obj.close, errors)
    for obj in files:
        if obj.id.valid:
            _attempt(obj.close, errors)
    for obj in streams:
        _attempt(obj.close, errors)
        # remfile keeps a requests.Session open. (fsspec's files hold an aiohttp session too, but that
        # one belongs to their filesystem's event loop and is closed by it.)
        session = getattr(obj, "session", None)
        requests_module = sys.modules.get("requests")
        if requests_module is not None and isinstance(session, requests_module.Session):
            _attempt(session.close, errors)
    for obj in last:
        if isinstance(obj, tempfile.TemporaryDirectory):
            _attempt(obj.cleanup, errors)
    spec = sys.modules.get("fsspec.spec")
    if spec is not None and any(isinstance(obj, spec.AbstractFileSystem) for obj in last):
        _resume_garbage_collection()
    if errors:
        raise errors[0]


def _is_nwb_container(obj: Any) -> bool:
    container = sys.modules.get("hdmf.container")
    return container is not None and isinstance(obj, container.AbstractContainer)


def _attempt(action: Any, errors: list[BaseException]) -> None:
    try:
        action()
    except Exception as error:  # keep closing the rest
        errors.append(error)
