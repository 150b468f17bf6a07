"""What every HDF5 reader of the suite shares: the reader settings, opening with h5py/pynwb, and closing.

See :mod:`._readers` for the settings and the readers themselves.
"""

from __future__ import annotations

import gc
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

try:
    import h5py

    # Imported here, not in the helpers: the first import of pynwb takes about half a second, which must
    # not land in the first timed sample of a pynwb benchmark.
    from pynwb import NWBHDF5IO
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"the NWB suite's readers need h5py and pynwb ({error}); install them with: "
        "pip install 'pytest-nwb-benchmarks[suite]'"
    ) from error

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


def _h5py_file_over(stream: Any, *keep: Any) -> tuple:
    """Open an h5py file on a byte stream; ``(h5py.File, stream, *keep)``, or all of them closed on failure."""
    try:
        h5_file = _h5py_file(stream)
    except BaseException:
        close_opened((stream, *keep))
        raise
    return (h5_file, stream, *keep)


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
    """Read a local file with pynwb: ``(NWBFile, NWBHDF5IO, h5py.File)``; see :func:`read_hdf5_h5py_local`."""
    return _with_pynwb(read_hdf5_h5py_local(path))


# --- fsspec over HTTPS -------------------------------------------------------------------------------------


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
