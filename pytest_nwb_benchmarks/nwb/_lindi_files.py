"""The suite's LINDI reference files: each synthetic HDF5 file described as a ``.lindi.json``.

A LINDI file holds the HDF5 file's metadata as Zarr JSON and, for every chunk, a reference
``[url, offset, size]`` into the HDF5 file; readers fetch chunks from that URL. Built from the local
HDF5 file (``lindi.LindiH5pyFile.from_hdf5_file(path, url=...)``), which reads the whole file's metadata,
so it is made once and cached.

The URL is absolute, and the streaming server's port changes every session, so:

* the cached file, ``<case>_<compression>.lindi.json`` next to the HDF5 file, refers to a fixed
  placeholder URL (:data:`PLACEHOLDER_BASE`); it is deterministic and checksummed in a manifest like the
  HDF5 files;
* :func:`publish_lindi` writes, per server port, a copy whose URLs point at that port's ``/files/``
  address (and so at its latency), as ``.lindi.json`` and as ``.lindi.tar`` (lindi's tar form, which
  readers fetch by range requests instead of whole), under ``lindi-served/<port>/<profile>/`` in the
  served root, where the server serves them over HTTP. :func:`remove_published_lindi` deletes a
  session's copies when its server stops.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

from pytest_nwb_benchmarks.nwb._nwb_files import _generation_lock, _sha256, ensure_nwb_file
from pytest_nwb_benchmarks.nwb._nwb_specs import file_variants, manifest_path, nwb_file_spec
from pytest_nwb_benchmarks.nwb._nwb_specs import nwb_root as _nwb_root
from pytest_nwb_benchmarks.nwb._zarr_files import require_zarr

#: Bumped whenever the reference files' content changes.
LINDI_GENERATOR_VERSION = 1
#: The base URL the cached reference files refer to; replaced by the server's when published.
PLACEHOLDER_BASE = "http://nwb-benchmarks.invalid/files/"
#: Folder of the served root that holds the per-port copies.
PUBLISHED_FOLDER = "lindi-served"


def lindi_relative_path(case: str, compression: str = "uncompressed", profile: str | None = None) -> str:
    """Return the cached reference file's path relative to the data root, e.g. ``"small/ecephys_gzip.lindi.json"``."""
    spec = nwb_file_spec(case, compression, profile)
    return spec.relative_path[: -len(".nwb")] + ".lindi.json"


def _is_valid(path: Path, source: Path) -> bool:
    try:
        manifest = json.loads(manifest_path(path).read_text())
        source_sha = json.loads(manifest_path(source).read_text()).get("sha256")
    except (OSError, ValueError, AttributeError):
        return False
    if not isinstance(manifest, dict) or manifest.get("generator_version") != LINDI_GENERATOR_VERSION:
        return False
    if manifest.get("source_sha256") != source_sha or not path.is_file():
        return False
    return path.stat().st_size == manifest.get("size") and _sha256(path) == manifest.get("sha256")


def ensure_lindi_file(case: str, compression: str = "uncompressed", profile: str | None = None) -> Path:
    """Return the cached ``.lindi.json`` of a synthetic NWB file (placeholder URLs), building it when needed.

    Parameters
    ----------
    case : str
        One of the NWB cases.
    compression : str
        ``"uncompressed"`` or ``"gzip"``.
    profile : str or None
        The size profile; ``None`` means the current one.

    Returns
    -------
    pathlib.Path
        ``cache_dir()/nwb/<profile>/<case>_<compression>.lindi.json``.

    Raises
    ------
    NotImplementedError
        If the optional packages are missing.
    """
    require_zarr()
    source = ensure_nwb_file(case, compression, profile)
    path = _nwb_root() / lindi_relative_path(case, compression, profile)
    if _is_valid(path, source):
        return path
    with _generation_lock(path):
        if not _is_valid(path, source):
            _build(source, path, nwb_file_spec(case, compression, profile).relative_path)
    return path


def ensure_all_lindi_files(profile: str | None = None) -> dict[str, Path]:
    """Make (or verify) the reference file of every case and compression of one profile."""
    return {
        lindi_relative_path(case, compression, profile): ensure_lindi_file(case, compression, profile)
        for case, compression in file_variants()
    }


def _build(source: Path, path: Path, relative_path: str) -> None:
    import lindi

    partial = path.with_name(f".{path.name}.partial-{os.getpid()}-{secrets.token_hex(4)}.lindi.json")
    started = time.perf_counter()
    try:
        h5 = lindi.LindiH5pyFile.from_hdf5_file(str(source), url=PLACEHOLDER_BASE + relative_path)
        try:
            h5.write_lindi_file(str(partial))
        finally:
            h5.close()
        source_sha = json.loads(manifest_path(source).read_text())["sha256"]
        manifest = {
            "generator_version": LINDI_GENERATOR_VERSION,
            "source": source.name,
            "source_sha256": source_sha,
            "size": partial.stat().st_size,
            "sha256": _sha256(partial),
            "build_seconds": round(time.perf_counter() - started, 3),
        }
        with contextlib.suppress(OSError):
            manifest_path(path).unlink()
        os.replace(partial, path)
        manifest_path(path).write_text(json.dumps(manifest, indent=2) + "\n")
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


def _port_of(base_url: str) -> int:
    port = urlsplit(base_url).port
    if port is None:
        raise ValueError(f"the server's base URL {base_url!r} has no port")
    return port


def publish_lindi(
    case: str, compression: str, base_url: str, root: Path | None = None, profile: str | None = None
) -> tuple[str, str]:
    """Write (once per port) the copies of a reference file whose URLs point at one server port.

    Parameters
    ----------
    case, compression : str
        Which file.
    base_url : str
        The server port's base URL (``ServerInfo.base_url(latency)``).
    root : pathlib.Path or None
        The served root; default the data root.
    profile : str or None
        The size profile.

    Returns
    -------
    tuple of (str, str)
        The ``.lindi.json`` and ``.lindi.tar`` paths relative to the served root.
    """
    from lindi.tar.lindi_tar import LindiTarFile

    cached = ensure_lindi_file(case, compression, profile)
    root = _nwb_root() if root is None else Path(root)
    relative_json = f"{PUBLISHED_FOLDER}/{_port_of(base_url)}/{lindi_relative_path(case, compression, profile)}"
    relative_tar = relative_json[: -len(".json")] + ".tar"
    target_json, target_tar = root / relative_json, root / relative_tar
    stamp = hashlib.sha256(cached.read_bytes()).hexdigest()[:16] + base_url
    marker = target_json.with_name(f".{target_json.name}.source")
    if target_json.is_file() and target_tar.is_file() and marker.is_file() and marker.read_text() == stamp:
        return relative_json, relative_tar
    target_json.parent.mkdir(parents=True, exist_ok=True)
    text = cached.read_text().replace(PLACEHOLDER_BASE, base_url.rstrip("/") + "/files/")
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    partial_json = target_json.with_name(f".{token}.lindi.json")
    partial_tar = target_tar.with_name(f".{token}.lindi.tar")
    try:
        partial_json.write_text(text)
        LindiTarFile.create(str(partial_tar), rfs=json.loads(text))
        os.replace(partial_json, target_json)
        os.replace(partial_tar, target_tar)
        marker.write_text(stamp)
    finally:
        for leftover in (partial_json, partial_tar):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return relative_json, relative_tar


def remove_published_lindi(base_urls: list[str], root: Path | None = None) -> None:
    """Delete the copies :func:`publish_lindi` wrote for these server ports (when the server stops)."""
    root = _nwb_root() if root is None else Path(root)
    for base_url in base_urls:
        with contextlib.suppress(ValueError):
            shutil.rmtree(root / PUBLISHED_FOLDER / str(_port_of(base_url)), ignore_errors=True)
