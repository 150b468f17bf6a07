"""The suite's Zarr data: every synthetic NWB file exported to a Zarr v2 store with hdmf-zarr.

``<case>_<compression>.nwb.zarr`` is made next to the HDF5 file it comes from (``cache_dir()/nwb/<profile>/``),
in a hidden temporary folder moved into place only when complete, and described by a manifest
(``<store>.manifest.json``: the source file's sha256, and the sha256 of the store's file list and contents).

How the export is made, and why:

* ``hdmf_zarr.ZarrIO(...).export(src_io=NWBHDF5IO(...), write_args={"link_data": False})``: the data are
  copied, so the store stands alone. Metadata are consolidated into ``.zmetadata`` (hdmf-zarr's default).
* Chunks are the HDF5 file's. Compression follows the HDF5 variant: zarr's default compressor (Blosc) is
  switched off during the export, so the ``uncompressed`` store has no codec at all and the ``gzip`` store
  has hdmf-zarr's translation of HDF5's gzip filter, the ``zlib`` codec at the same level (4) -- the same
  DEFLATE stream with a zlib header, which is also what HDF5's "gzip" filter writes.
* Object (string) datasets use the JSON object codec: hdmf-zarr's default, Pickle, cannot be read back by
  numcodecs 0.15 without allowing unsafe pickle decoding, and ``NWBZarrIO`` ignores the codec argument,
  so the plain ``ZarrIO`` with pynwb's type manager writes the store.
* Two exports of the same file are byte-identical (object ids come from the HDF5 file, which is itself
  deterministic), so the manifest's checksum holds across machines with the same library versions.

Needs the optional ``zarr`` extra (hdmf-zarr, zarr 2, numcodecs); :func:`require_zarr` says how to get it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.nwb._nwb_files import _generation_lock, _sha256, ensure_nwb_file
from pytest_nwb_benchmarks.nwb._nwb_specs import file_variants, manifest_path, nwb_file_spec, nwb_root

#: Bumped whenever the export's output changes, so that stale stores are remade.
ZARR_GENERATOR_VERSION = 1

ZARR_HINT = (
    "the Zarr and LINDI benchmarks need the optional packages of the 'zarr' extra (hdmf-zarr, lindi, zarr 2, "
    "numcodecs < 0.16; Python >= 3.11): pip install 'pytest-nwb-benchmarks[zarr]' "
    "(or: pip install --group zarr)"
)


def zarr_available() -> bool:
    """Whether hdmf-zarr, lindi and zarr 2 can be imported."""
    try:
        import hdmf_zarr  # noqa: F401
        import lindi  # noqa: F401
        import zarr
    except ImportError:
        return False
    return zarr.__version__.startswith("2.")


def require_zarr() -> None:
    """Raise ``NotImplementedError`` (a skip under asv and the plugin) saying how to install the extra.

    Raises
    ------
    NotImplementedError
        If :func:`zarr_available` is false.
    """
    if not zarr_available():
        raise NotImplementedError(ZARR_HINT)


def zarr_relative_path(case: str, compression: str = "uncompressed", profile: str | None = None) -> str:
    """Return the store's path relative to the data root, e.g. ``"small/ecephys_gzip.nwb.zarr"``."""
    return nwb_file_spec(case, compression, profile).relative_path + ".zarr"


def tree_sha256(folder: Path) -> tuple[str, int, int]:
    """Checksum a folder: its sorted relative file names and each file's sha256.

    Parameters
    ----------
    folder : pathlib.Path
        The folder (a Zarr store).

    Returns
    -------
    tuple of (str, int, int)
        ``(sha256 hex, number of files, total bytes)``.
    """
    digest = hashlib.sha256()
    count = size = 0
    files = sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.relative_to(folder).as_posix())
    for path in files:
        relative = path.relative_to(folder).as_posix()
        digest.update(f"{relative}\0{_sha256(path)}\n".encode())
        count += 1
        size += path.stat().st_size
    return digest.hexdigest(), count, size


def _store_path(case: str, compression: str, profile: str | None) -> Path:
    return nwb_root() / zarr_relative_path(case, compression, profile)


def _source_sha256(source: Path) -> str | None:
    try:
        return json.loads(manifest_path(source).read_text()).get("sha256")
    except (OSError, ValueError, AttributeError):
        return None


def _is_valid_store(store: Path, source: Path, verify: bool) -> bool:
    try:
        manifest = json.loads(manifest_path(store).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("generator_version") != ZARR_GENERATOR_VERSION:
        return False
    if manifest.get("source_sha256") != _source_sha256(source) or not store.is_dir():
        return False
    if not verify:
        return (store / ".zmetadata").is_file()
    return list(tree_sha256(store)) == [manifest.get("sha256"), manifest.get("files"), manifest.get("size")]


def ensure_zarr_store(
    case: str, compression: str = "uncompressed", profile: str | None = None, verify: bool = True
) -> Path:
    """Return the Zarr store exported from a synthetic NWB file, exporting it first when needed.

    Parameters
    ----------
    case : str
        One of the NWB cases.
    compression : str
        ``"uncompressed"`` or ``"gzip"``: the HDF5 variant it comes from (and whose compression it keeps).
    profile : str or None
        The size profile; ``None`` means the current one.
    verify : bool
        Checksum every file of an existing store against its manifest (``False``: trust a store whose
        manifest matches the source file, as the benchmarks' ``setup`` does after the session verified it).

    Returns
    -------
    pathlib.Path
        The store folder, ``cache_dir()/nwb/<profile>/<case>_<compression>.nwb.zarr``.

    Raises
    ------
    NotImplementedError
        If the optional packages are missing (see :func:`require_zarr`).
    """
    require_zarr()
    source = ensure_nwb_file(case, compression, profile)
    store = _store_path(case, compression, profile)
    if _is_valid_store(store, source, verify):
        return store
    with _generation_lock(store):
        if _is_valid_store(store, source, verify):
            return store
        _export(source, store)
    return store


def ensure_all_zarr_stores(profile: str | None = None) -> dict[str, Path]:
    """Make (or verify) the Zarr store of every case and compression of one profile.

    Returns
    -------
    dict of str to pathlib.Path
        The stores, keyed by their path relative to the data root.
    """
    return {
        zarr_relative_path(case, compression, profile): ensure_zarr_store(case, compression, profile)
        for case, compression in file_variants()
    }


@contextlib.contextmanager
def _no_default_compressor() -> Any:
    import zarr.storage

    previous = zarr.storage.default_compressor
    zarr.storage.default_compressor = None
    try:
        yield
    finally:
        zarr.storage.default_compressor = previous


def _export(source: Path, store: Path) -> None:
    import numcodecs
    import pynwb
    from hdmf_zarr import ZarrIO

    for leftover in store.parent.glob(f".{store.name}.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    partial = store.with_name(f".{store.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(), _no_default_compressor():
            warnings.simplefilter("ignore")  # hdmf-zarr warns about every link and reference it copies
            with (
                pynwb.NWBHDF5IO(str(source), mode="r") as source_io,
                ZarrIO(str(partial), mode="w", manager=pynwb.get_manager(), object_codec_class=numcodecs.JSON) as io,
            ):
                io.export(src_io=source_io, write_args={"link_data": False})
        digest, count, size = tree_sha256(partial)
        manifest = {
            "generator_version": ZARR_GENERATOR_VERSION,
            "source": source.name,
            "source_sha256": _source_sha256(source),
            "sha256": digest,
            "files": count,
            "size": size,
            "export_seconds": round(time.perf_counter() - started, 3),
        }
        with contextlib.suppress(OSError):
            manifest_path(store).unlink()
        if store.exists():
            shutil.rmtree(store)
        os.replace(partial, store)
        manifest_path(store).write_text(json.dumps(manifest, indent=2) + "\n")
    finally:
        shutil.rmtree(partial, ignore_errors=True)
