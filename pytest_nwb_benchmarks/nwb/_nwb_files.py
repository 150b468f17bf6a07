"""The NWB suite's synthetic data files (described in :mod:`._nwb_specs`): made, checked and reused.

Files are made on first use into ``cache_dir()/nwb/<profile>/``, written to a temporary name and moved into
place only when complete, validated with :func:`pynwb.validate`, and described by a manifest (sha256 and
size) stored next to them. A missing or corrupt file is regenerated.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.nwb._nwb_specs import (
    _SEED,
    CASES,  # noqa: F401
    COMPRESSIONS,  # noqa: F401
    GENERATOR_VERSION,
    PROFILES,  # noqa: F401
    NWBFileError,
    NWBFileSpec,
    current_profile,  # noqa: F401
    file_variants,
    manifest_path,
    nwb_file_spec,
    nwb_root,
    slices_for,  # noqa: F401
)
from pytest_nwb_benchmarks.nwb._nwb_writer import write_nwb

# Files whose checksum a process of this session has already verified: {path: [size, mtime_ns]}.
# Child processes (forked or spawned) inherit it, so a session pays the checksum once per file.
_VERIFIED_ENV = "NWB_BENCHMARKS_VERIFIED_FILES"
_MARKS_LOCK = threading.Lock()


def ensure_nwb_file(case: str, compression: str = "uncompressed", profile: str | None = None) -> Path:
    """Return the path of a synthetic NWB file, generating it first when needed.

    The file is reused when its manifest matches it (same generator version, size and sha256; the checksum
    is verified at most once per session per file). Otherwise it is generated deterministically, validated
    with :func:`pynwb.validate` and moved into place atomically.

    Parameters
    ----------
    case, compression, profile
        Which file, as for :func:`nwb_file_spec`.

    Returns
    -------
    pathlib.Path
        The NWB file, ``cache_dir()/nwb/<profile>/<case>_<compression>.nwb``.

    Raises
    ------
    NWBFileError
        If the generated file fails validation.
    """
    spec = nwb_file_spec(case, compression, profile)
    path = nwb_root() / spec.relative_path
    if _is_valid(spec, path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with _generation_lock(path):
        # Another process may have made it while this one waited for the lock.
        if _is_valid(spec, path):
            return path
        _remove_leftovers(path)
        _generate(spec, path)
    return path


def ensure_all_nwb_files(profile: str | None = None) -> dict[str, Path]:
    """Make (or reuse) every case and compression of one profile.

    Parameters
    ----------
    profile : str or None
        One of :data:`PROFILES`; ``None`` means :func:`current_profile`.

    Returns
    -------
    dict of str to pathlib.Path
        The files, keyed by their ``relative_path``.
    """
    specs = [nwb_file_spec(case, compression, profile) for case, compression in file_variants()]
    root = nwb_root()
    # Checksum the cached files in parallel first (hashlib releases the GIL): about 5 GB for the default
    # profile, which is most of a warm session's start-up. The sequential pass then only generates.
    with ThreadPoolExecutor(max_workers=max(1, min(len(specs), os.cpu_count() or 1))) as pool:
        list(pool.map(lambda spec: _is_valid(spec, root / spec.relative_path), specs))
    return {spec.relative_path: ensure_nwb_file(spec.case, spec.compression, spec.profile) for spec in specs}


# ---------------------------------------------------------------------------------------------------------
# Verification


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads(manifest_path(path).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _verified_marks() -> dict[str, list[int]]:
    try:
        marks = json.loads(os.environ.get(_VERIFIED_ENV, "") or "{}")
    except ValueError:
        return {}
    return marks if isinstance(marks, dict) else {}


def _is_valid(spec: NWBFileSpec, path: Path) -> bool:
    """Whether ``path`` is the complete, uncorrupted file that ``spec`` describes."""
    manifest = _read_manifest(path)
    if manifest is None or manifest.get("generator_version") != GENERATOR_VERSION:
        return False
    if manifest.get("spec") != _spec_record(spec):
        return False
    try:
        stat = path.stat()
    except OSError:
        return False
    if stat.st_size != manifest.get("size"):
        return False
    stamp = [stat.st_size, stat.st_mtime_ns]
    key = str(path)
    if _verified_marks().get(key) == stamp:
        return True  # this session already hashed these very bytes (same size and modification time)
    if _sha256(path) != manifest.get("sha256"):
        return False
    with _MARKS_LOCK:
        marks = _verified_marks()
        marks[key] = stamp
        os.environ[_VERIFIED_ENV] = json.dumps(marks)
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _spec_record(spec: NWBFileSpec) -> dict[str, Any]:
    # JSON form of the spec (tuples become lists) so that it compares equal after a round trip.
    return json.loads(json.dumps(asdict(spec)))


@contextlib.contextmanager
def _generation_lock(path: Path) -> Iterator[None]:
    """Serialise generation of one file across processes (a no-op where ``fcntl`` is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock_path = path.with_name(f".{path.name}.lock")
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _partial_prefix(path: Path) -> str:
    # Hidden and without the .nwb suffix: a partial file never looks like a finished one.
    return f".{path.name}.partial-"


def _remove_leftovers(path: Path) -> None:
    """Delete partial files of earlier, interrupted generations (the caller holds the lock)."""
    for leftover in path.parent.glob(_partial_prefix(path) + "*"):
        with contextlib.suppress(OSError):
            leftover.unlink()


# ---------------------------------------------------------------------------------------------------------
# Generation


def _generate(spec: NWBFileSpec, path: Path) -> None:
    from tqdm import tqdm

    partial = path.with_name(f"{_partial_prefix(path)}{os.getpid()}-{secrets.token_hex(4)}")
    partial_manifest = partial.with_name(partial.name + ".manifest")
    started = time.perf_counter()
    try:
        with tqdm(
            total=spec.data_nbytes,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=f"generating {spec.relative_path}",
            file=sys.stderr,
            mininterval=0.5,
        ) as bar:
            write_nwb(spec, partial, bar)
        errors = _validate(partial)
        if errors:
            shown = "; ".join(str(error) for error in errors[:5])
            raise NWBFileError(f"generated {spec.relative_path} failed pynwb.validate ({len(errors)} errors): {shown}")
        manifest = {
            "generator_version": GENERATOR_VERSION,
            "spec": _spec_record(spec),
            "seed": _SEED,
            "size": partial.stat().st_size,
            "sha256": _sha256(partial),
            "generation_seconds": round(time.perf_counter() - started, 3),
        }
        partial_manifest.write_text(json.dumps(manifest, indent=2) + "\n")
        # The file first, its manifest second: until both are in place the pair does not verify.
        os.replace(partial, path)
        os.replace(partial_manifest, manifest_path(path))
    finally:
        for leftover in (partial, partial_manifest):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _validate(path: Path) -> list[Any]:
    import pynwb

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not end in '.nwb'")
        return list(pynwb.validate(path=str(path)))
