"""One small function per way of opening the suite's Zarr stores and LINDI reference files.

Like :mod:`pytest_nwb_benchmarks.nwb._readers` for HDF5: every ``read_zarr_zarr_*`` returns a tuple whose first
element is the open :class:`zarr.Group`, every ``read_zarr_pynwb_*`` and ``read_lindi_pynwb`` one whose
first element is the read :class:`pynwb.NWBFile`, and ``read_lindi_h5py`` one whose first element is the
h5py-like :class:`lindi.LindiH5pyFile`. Pass the whole tuple to :func:`close_zarr_opened` when done.

* Zarr over HTTP and S3 goes through fsspec (``zarr.storage.FSStore``), a new filesystem per open
  (``skip_instance_cache``), so no connection or listing cache survives between samples. ``consolidated``
  chooses ``zarr.open_consolidated`` (one request for all metadata, ``.zmetadata``) or ``zarr.open_group``
  (a request per metadata object as it is needed); for hdmf-zarr it is mode ``"r"`` or ``"r-"``.
* hdmf-zarr without consolidated metadata lists folders, which plain HTTP cannot:
  :func:`read_zarr_pynwb_https` raises ``NotImplementedError`` (a skip) for it.
* LINDI reads its reference file (JSON, fetched whole when under 2 MB; or a ``.lindi.tar`` by range
  requests) and fetches every chunk with ``requests``, one request per chunk, as lindi does.

Needs the optional ``zarr`` extra; the benchmarks call :func:`pytest_nwb_benchmarks.nwb._zarr_files.require_zarr`
in ``setup`` first, so a missing package is a skip with the install command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.nwb._reader_common import _pause_garbage_collection, _resume_garbage_collection, close_opened

HDMF_ZARR_HTTP_UNCONSOLIDATED = (
    "hdmf-zarr cannot open a Zarr store over plain HTTP without consolidated metadata: mode 'r-' lists "
    "folders to find groups and datasets, and HTTP has no listing (the store's .zmetadata is what makes "
    "HTTP work); the same store opens over S3, whose listing it uses, and with zarr directly"
)
HDMF_ZARR_S3_UNCONSOLIDATED_METADATA_HEAVY = (
    "hdmf-zarr over S3 without consolidated metadata lists and reads every metadata object of the store with "
    "a request of its own: opening the metadata-heavy icephys file takes about 2,600 requests on the small "
    "profile (6 s at 0 ms), and with added latency one open outlasts the benchmark's timeout on the default "
    "profile (over 300 s at 20 ms); it runs at 0 ms only, where the request count shows the cost"
)


def _zarr_module() -> Any:
    import zarr

    return zarr


def _open_group(store: Any, consolidated: bool, **kwargs: Any) -> Any:
    zarr = _zarr_module()
    if consolidated:
        return zarr.open_consolidated(store, mode="r", **kwargs)
    return zarr.open_group(store, mode="r", **kwargs)


def _fsspec_store(url: str, **storage_options: Any) -> Any:
    from zarr.storage import FSStore

    _pause_garbage_collection()  # fsspec's event-loop thread; see _readers._pause_garbage_collection
    return FSStore(url, mode="r", skip_instance_cache=True, **storage_options)


def _s3_options(endpoint_url: str | None) -> dict[str, Any]:
    return {"anon": True, "endpoint_url": endpoint_url} if endpoint_url else {"anon": True}


# --- local -----------------------------------------------------------------------------------------------


def read_zarr_zarr_local(path: str | Path, consolidated: bool = True) -> tuple:
    """Open a local Zarr store with zarr.

    Parameters
    ----------
    path : str or pathlib.Path
        The store folder.
    consolidated : bool
        Read the consolidated metadata (``.zmetadata``) instead of each object's.

    Returns
    -------
    tuple
        ``(zarr.Group,)``.
    """
    zarr = _zarr_module()
    return (_open_group(zarr.storage.DirectoryStore(str(path)), consolidated),)


def read_zarr_pynwb_local(path: str | Path) -> tuple:
    """Read a local Zarr store with pynwb through hdmf-zarr (consolidated metadata).

    Returns
    -------
    tuple
        ``(NWBFile, NWBZarrIO)``.
    """
    from hdmf_zarr import NWBZarrIO

    io = NWBZarrIO(str(path), mode="r")
    return _read_nwb(io)


def _read_nwb(io: Any, *extra: Any) -> tuple:
    try:
        nwbfile = io.read()
    except BaseException:
        close_zarr_opened((io, *extra))
        raise
    return (nwbfile, io, *extra)


# --- HTTP --------------------------------------------------------------------------------------------------


def read_zarr_zarr_https(url: str, consolidated: bool = True) -> tuple:
    """Open a Zarr store over HTTP with zarr on fsspec.

    Parameters
    ----------
    url : str
        The store's URL (the folder, no trailing slash).
    consolidated : bool
        ``zarr.open_consolidated`` (one request for the metadata) or ``zarr.open_group``.

    Returns
    -------
    tuple
        ``(zarr.Group, FSStore, HTTPFileSystem)``.
    """
    return _open_remote_group(_fsspec_store(url), consolidated)


def _open_remote_group(store: Any, consolidated: bool) -> tuple:
    try:
        group = _open_group(store, consolidated)
    except BaseException:
        close_zarr_opened((store.fs,))
        raise
    return (group, store, store.fs)


def read_zarr_pynwb_https(url: str, consolidated: bool = True) -> tuple:
    """Read a Zarr store over HTTP with pynwb through hdmf-zarr.

    Raises
    ------
    NotImplementedError
        For ``consolidated=False``: see :data:`HDMF_ZARR_HTTP_UNCONSOLIDATED`.
    """
    if not consolidated:
        raise NotImplementedError(HDMF_ZARR_HTTP_UNCONSOLIDATED)
    return _pynwb_remote(url, {})


def _pynwb_remote(url: str, storage_options: dict[str, Any], consolidated: bool = True) -> tuple:
    from hdmf_zarr import NWBZarrIO

    # hdmf-zarr takes the URL and makes its own FSStore (it accepts no ready-made one).
    _pause_garbage_collection()
    options = {"skip_instance_cache": True, **storage_options}
    io = NWBZarrIO(url, mode="r" if consolidated else "r-", storage_options=options)
    return _read_nwb(io)


# --- S3 ----------------------------------------------------------------------------------------------------


def read_zarr_zarr_s3(s3_url: str, endpoint_url: str | None = None, consolidated: bool = True) -> tuple:
    """Open a Zarr store in an S3 bucket with zarr on s3fs (anonymous).

    Parameters
    ----------
    s3_url : str
        ``s3://bucket/prefix.zarr``.
    endpoint_url : str or None
        The S3 endpoint; ``None`` means AWS.
    consolidated : bool
        ``zarr.open_consolidated`` or ``zarr.open_group``.

    Returns
    -------
    tuple
        ``(zarr.Group, FSStore, S3FileSystem)``.
    """
    return _open_remote_group(_fsspec_store(s3_url, **_s3_options(endpoint_url)), consolidated)


def read_zarr_pynwb_s3(s3_url: str, endpoint_url: str | None = None, consolidated: bool = True) -> tuple:
    """Read a Zarr store in an S3 bucket with pynwb through hdmf-zarr (mode ``r``, or ``r-`` unconsolidated)."""
    return _pynwb_remote(s3_url, _s3_options(endpoint_url), consolidated)


# --- LINDI -------------------------------------------------------------------------------------------------


def read_lindi_h5py(url_or_path: str | Path) -> tuple:
    """Open a LINDI reference file (``.lindi.json`` or ``.lindi.tar``, URL or local path) as an h5py-like file.

    Returns
    -------
    tuple
        ``(lindi.LindiH5pyFile,)``.
    """
    import lindi

    return (lindi.LindiH5pyFile.from_lindi_file(str(url_or_path)),)


def read_lindi_pynwb(url_or_path: str | Path) -> tuple:
    """Read a LINDI reference file with pynwb (``NWBHDF5IO`` on the LINDI file).

    Returns
    -------
    tuple
        ``(NWBFile, NWBHDF5IO, lindi.LindiH5pyFile)``.
    """
    from pynwb import NWBHDF5IO

    opened = read_lindi_h5py(url_or_path)
    io = NWBHDF5IO(file=opened[0], mode="r", load_namespaces=True)
    return _read_nwb(io, *opened)


# --- closing -----------------------------------------------------------------------------------------------


def _is_lindi_file(obj: Any) -> bool:
    module = sys.modules.get("lindi")
    return module is not None and isinstance(obj, module.LindiH5pyFile)


def close_zarr_opened(objects: tuple) -> None:
    """Close what a ``read_zarr_*`` or ``read_lindi_*`` helper opened.

    The NWB io first (closing an ``NWBHDF5IO`` closes the LINDI file under it), then a LINDI file still
    open, then what :func:`~pytest_nwb_benchmarks.nwb._readers.close_opened` closes (filesystems last); then the
    garbage collector is switched back on. Zarr groups and stores need no closing.

    Parameters
    ----------
    objects : tuple
        The tuple a helper returned.
    """
    ios = [obj for obj in objects if type(obj).__name__ in ("NWBZarrIO", "NWBHDF5IO")]
    for io in ios:
        io.close()
    for obj in objects:
        if _is_lindi_file(obj) and getattr(obj, "_is_open", False):
            obj.close()
    store_module = sys.modules.get("zarr.storage")
    rest = tuple(
        obj
        for obj in objects
        if not any(obj is io for io in ios)
        and not _is_lindi_file(obj)
        and not (store_module is not None and isinstance(obj, store_module.BaseStore))
        and type(obj).__module__.split(".")[0] not in ("zarr", "pynwb")
    )
    close_opened(rest)
    _resume_garbage_collection()  # a no-op collection unless an fsspec-backed open paused it
