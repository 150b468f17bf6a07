"""The NWB suite's synthetic data: deterministic NWB files shaped like the DANDI 000717 assets.

Three cases, each in an uncompressed and a gzip variant, at two size profiles:

* ``ecephys``: one ``ElectricalSeries`` of shape (N, 384), int16, chunks (262144, 32) -- 16 MiB per chunk.
* ``ophys``: one ``TwoPhotonSeries`` of shape (N, 796, 512), uint16, chunks (20, 796, 512) -- 16 MiB per chunk.
* ``icephys``: hundreds of small ``CurrentClampSeries`` with their ``CurrentClampStimulusSeries`` and the
  intracellular recordings table, float32, chunks (8192,) -- the metadata-heavy case.

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
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.utils._paths import cache_dir

__all__ = [
    "CASES",
    "COMPRESSIONS",
    "PROFILES",
    "GENERATOR_VERSION",
    "NWBFileSpec",
    "NWBFileError",
    "current_profile",
    "nwb_file_spec",
    "nwb_root",
    "ensure_nwb_file",
    "ensure_all_nwb_files",
    "manifest_path",
    "slices_for",
]

CASES = ("ecephys", "ophys", "icephys")
COMPRESSIONS = ("uncompressed", "gzip")
PROFILES = ("small", "default")

#: Bumped whenever the generator's output changes, so that stale caches are remade.
GENERATOR_VERSION = 2

_PROFILE_ENV = "NWB_BENCHMARKS_PROFILE"
# Files whose checksum a process of this session has already verified: {path: [size, mtime_ns]}.
# Child processes (forked or spawned) inherit it, so a session pays the checksum once per file.
_VERIFIED_ENV = "NWB_BENCHMARKS_VERIFIED_FILES"
_MARKS_LOCK = threading.Lock()
_SEED = 20240717  # fixed: the data must be the same on every machine
_GZIP_LEVEL = 4
_OBJECT_ID_NAMESPACE = uuid.UUID("6b1f3c0e-9d4a-5e7b-8c21-0f4e2d9a7b35")
_ECEPHYS_CHANNELS = 384
_OPHYS_FRAME = (796, 512)

# Per profile and case: (number of chunk rows along time, chunk length along time, series count).
# The default profile keeps the DANDI chunk shapes and makes N a whole number of chunk rows (about 1 GB per
# ecephys/ophys file). The small profile scales the chunk length along time down (ecephys 262144 -> 8192,
# ophys 20 -> 4 frames) so that five chunk rows still fit in a few tens of MB and the benchmarks' slices
# "i chunk rows" keep their meaning; icephys keeps its (8192,) chunks and has fewer, shorter series.
_LAYOUT: dict[str, dict[str, tuple[int, int, int]]] = {
    "default": {
        "ecephys": (5, 262144, 1),  # (1310720, 384) int16 = 1.007 GB
        "ophys": (61, 20, 1),  # (1220, 796, 512) uint16 = 0.994 GB
        # 100 sweeps x 2 series x 409600 float32 = 0.328 GB: metadata-heavy enough that opening it with
        # pynwb over fsspec at 20 ms takes tens of seconds per sample, which bounds the suite's run time
        "icephys": (50, 8192, 100),
    },
    "small": {
        "ecephys": (5, 8192, 1),  # (40960, 384) int16 = 31.5 MB
        "ophys": (5, 4, 1),  # (20, 796, 512) uint16 = 16.3 MB
        "icephys": (5, 8192, 25),  # 25 sweeps x 2 series x 40960 float32 = 8.2 MB
    },
}

# Slice counts the benchmarks use: i = 1..5 chunk rows, as in the original suite.
_SLICE_ROWS = 5
_WIDE_ECEPHYS_SLICE = (slice(0, 30000), slice(0, _ECEPHYS_CHANNELS))


class NWBFileError(RuntimeError):
    """A generated NWB file could not be made or failed validation."""


@dataclass(frozen=True)
class NWBFileSpec:
    """What one synthetic NWB file contains and where it lives under the data root.

    Attributes
    ----------
    case : str
        One of :data:`CASES`.
    compression : str
        One of :data:`COMPRESSIONS`.
    profile : str
        One of :data:`PROFILES`.
    shape : tuple of int
        Shape of the benchmarked dataset (for icephys: of one series).
    chunks : tuple of int
        HDF5 chunk shape of that dataset.
    dtype : str
        NumPy dtype name of that dataset.
    object_path : str
        HDF5 path of the benchmarked dataset, e.g. ``"acquisition/ElectricalSeries/data"``.
    nwb_object_name : str
        Name of the NWB object that holds it, e.g. ``"ElectricalSeries"``.
    file_name : str
        File name, e.g. ``"ecephys_gzip.nwb"``.
    relative_path : str
        Path relative to the data root (:func:`nwb_root`), e.g. ``"small/ecephys_gzip.nwb"``; also the
        path the streaming server serves it under.
    series_count : int
        Number of large series in the file (icephys: sweeps, each a response and a stimulus series).
    """

    case: str
    compression: str
    profile: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: str
    object_path: str
    nwb_object_name: str
    file_name: str
    relative_path: str
    series_count: int = 1

    @property
    def data_nbytes(self) -> int:
        """Bytes of raw (uncompressed) array data written for this file."""
        per_series = int(_prod(self.shape)) * _itemsize(self.dtype)
        return per_series * (2 * self.series_count if self.case == "icephys" else 1)


def _prod(values: tuple[int, ...]) -> int:
    result = 1
    for value in values:
        result *= value
    return result


def _itemsize(dtype: str) -> int:
    return {"int16": 2, "uint16": 2, "float32": 4}[dtype]


def current_profile() -> str:
    """Return the size profile in effect: env ``NWB_BENCHMARKS_PROFILE``, default ``"default"``.

    Returns
    -------
    str
        One of :data:`PROFILES`.

    Raises
    ------
    ValueError
        If the environment variable holds an unknown profile.
    """
    value = os.environ.get(_PROFILE_ENV, "").strip() or "default"
    return _check_profile(value, source=f"environment variable {_PROFILE_ENV}")


def _check_profile(profile: str, source: str = "profile") -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown NWB size profile {profile!r} (from {source}); accepted: {', '.join(PROFILES)}")
    return profile


def nwb_file_spec(case: str, compression: str = "uncompressed", profile: str | None = None) -> NWBFileSpec:
    """Describe one synthetic NWB file.

    Parameters
    ----------
    case : str
        One of :data:`CASES`.
    compression : str
        One of :data:`COMPRESSIONS`.
    profile : str or None
        One of :data:`PROFILES`; ``None`` means :func:`current_profile`.

    Returns
    -------
    NWBFileSpec
        The file's description.

    Raises
    ------
    ValueError
        If an argument is not one of the accepted values.
    """
    if case not in CASES:
        raise ValueError(f"unknown NWB case {case!r}; accepted: {', '.join(CASES)}")
    if compression not in COMPRESSIONS:
        raise ValueError(f"unknown compression {compression!r}; accepted: {', '.join(COMPRESSIONS)}")
    profile = current_profile() if profile is None else _check_profile(profile)
    rows, chunk_len, series_count = _LAYOUT[profile][case]
    n = rows * chunk_len
    if case == "ecephys":
        shape: tuple[int, ...] = (n, _ECEPHYS_CHANNELS)
        chunks: tuple[int, ...] = (chunk_len, 32)
        dtype, name = "int16", "ElectricalSeries"
    elif case == "ophys":
        shape = (n, *_OPHYS_FRAME)
        chunks = (chunk_len, *_OPHYS_FRAME)
        dtype, name = "uint16", "TwoPhotonSeries"
    else:
        shape, chunks = (n,), (chunk_len,)
        # The third sweep's response, like the object the original suite sliced.
        dtype, name = "float32", _icephys_name(2, "AD0")
    file_name = f"{case}_{compression}.nwb"
    return NWBFileSpec(
        case=case,
        compression=compression,
        profile=profile,
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        object_path=f"acquisition/{name}/data",
        nwb_object_name=name,
        file_name=file_name,
        relative_path=f"{profile}/{file_name}",
        series_count=series_count,
    )


def _icephys_name(sweep: int, channel: str) -> str:
    return f"data_{sweep:05d}_{channel}"


def slices_for(spec: NWBFileSpec) -> list[tuple[slice, ...]]:
    """Return the slices the benchmarks take of ``spec``'s dataset.

    ``i`` chunk rows along time for ``i = 1..5`` (on the first column block for ecephys, whole frames for
    ophys), plus the "wide" ecephys slice ``(0:30000, 0:384)`` that touches every column chunk.

    Parameters
    ----------
    spec : NWBFileSpec
        The file.

    Returns
    -------
    list of tuple of slice
        Slices, all inside the dataset's shape.
    """
    chunk_len = spec.chunks[0]
    rows = [i for i in range(1, _SLICE_ROWS + 1) if chunk_len * i <= spec.shape[0]]
    if spec.case == "ecephys":
        result = [(slice(0, chunk_len * i), slice(0, spec.chunks[1])) for i in rows]
        result.append(_WIDE_ECEPHYS_SLICE)
        return result
    if spec.case == "ophys":
        return [(slice(0, chunk_len * i), slice(None), slice(None)) for i in rows]
    return [(slice(0, chunk_len * i),) for i in rows]


def nwb_root() -> Path:
    """Return the folder that holds the generated files of every profile (``cache_dir()/nwb``).

    Returns
    -------
    pathlib.Path
        The folder; it is created when missing.
    """
    root = cache_dir() / "nwb"
    root.mkdir(parents=True, exist_ok=True)
    return root


def manifest_path(path: Path) -> Path:
    """Return where the checksum manifest of the NWB file ``path`` is stored.

    Parameters
    ----------
    path : pathlib.Path
        The NWB file.

    Returns
    -------
    pathlib.Path
        ``<path>.manifest.json`` in the same folder.
    """
    return path.with_name(path.name + ".manifest.json")


def ensure_nwb_file(case: str, compression: str = "uncompressed", profile: str | None = None) -> Path:
    """Return the path of a synthetic NWB file, generating it first when needed.

    The file is reused when its manifest matches it (same generator version, size and sha256; the checksum
    is verified at most once per session per file). Otherwise it is generated deterministically, validated
    with :func:`pynwb.validate` and moved into place atomically.

    Parameters
    ----------
    case : str
        One of :data:`CASES`.
    compression : str
        One of :data:`COMPRESSIONS`.
    profile : str or None
        One of :data:`PROFILES`; ``None`` means :func:`current_profile`.

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
    specs = [nwb_file_spec(case, compression, profile) for case in CASES for compression in COMPRESSIONS]
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
            _write_nwb(spec, partial, bar)
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


def _synthetic_iterator_class() -> type:
    """Build the chunk iterator class lazily (hdmf is a heavy import)."""
    import numpy as np
    from hdmf.data_utils import GenericDataChunkIterator

    class SyntheticDataIterator(GenericDataChunkIterator):
        """Deterministic noise, made one buffer at a time so the whole array is never in memory.

        Each buffer is drawn from a generator seeded by (seed, stream, buffer start), so the data do not
        depend on the order in which buffers are asked for.
        """

        def __init__(
            self,
            shape: tuple[int, ...],
            dtype: str,
            stream: int,
            loc: float,
            scale: float,
            bar: Any,
            **kwargs: Any,
        ) -> None:
            self._shape = tuple(shape)
            self._dtype = np.dtype(dtype)
            self._stream = stream
            self._loc = loc
            self._scale = scale
            self._bar = bar
            super().__init__(**kwargs)

        def _get_data(self, selection: tuple[slice, ...]) -> Any:
            starts = tuple(int(s.start or 0) for s in selection)
            shape = tuple(int(s.stop) - start for s, start in zip(selection, starts))
            rng = np.random.default_rng((_SEED, self._stream, *starts))
            values = rng.standard_normal(shape, dtype=np.float32)
            values *= self._scale
            values += self._loc
            data = values.astype(self._dtype)
            self._bar.update(data.nbytes)
            return data

        def _get_maxshape(self) -> tuple[int, ...]:
            return self._shape

        def _get_dtype(self) -> Any:
            return self._dtype

    return SyntheticDataIterator


def _wrap(spec: NWBFileSpec, iterator: Any) -> Any:
    from hdmf.backends.hdf5 import H5DataIO

    if spec.compression == "gzip":
        return H5DataIO(data=iterator, compression="gzip", compression_opts=_GZIP_LEVEL)
    return H5DataIO(data=iterator)


def _new_nwbfile(spec: NWBFileSpec) -> Any:
    from pynwb import NWBFile

    # Fixed dates and identifier: nothing in the file depends on when or where it was made.
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return NWBFile(
        session_description=f"Synthetic {spec.case} data for the NWB benchmarks ({spec.profile} profile).",
        identifier=f"nwb-benchmarks-{spec.case}-{spec.compression}-{spec.profile}-v{GENERATOR_VERSION}",
        session_start_time=when,
        file_create_date=[when],
    )


def _write_nwb(spec: NWBFileSpec, path: Path, bar: Any) -> None:
    from pynwb import NWBHDF5IO

    nwbfile = _new_nwbfile(spec)
    builder = {"ecephys": _add_ecephys, "ophys": _add_ophys, "icephys": _add_icephys}[spec.case]
    builder(spec, nwbfile, _synthetic_iterator_class(), bar)
    _fix_object_ids(spec, nwbfile)
    with warnings.catch_warnings():
        # The partial file's name does not end in ".nwb" on purpose (see _partial_prefix).
        warnings.filterwarnings("ignore", message=".*does not end in '.nwb'")
        with NWBHDF5IO(str(path), mode="w") as io:
            io.write(nwbfile)


def _fix_object_ids(spec: NWBFileSpec, nwbfile: Any) -> None:
    """Replace hdmf's random object ids by ids derived from the file and each object's place in it.

    Object ids are the only random bytes in a generated file; with them fixed, two generations of the same
    spec are byte-identical, so their checksums agree across machines. hdmf keeps the id in a private
    attribute; if a future hdmf renames it, the files stay valid and only lose byte-identity.
    """
    attribute = "_AbstractContainer__object_id"
    for index, container in enumerate([nwbfile, *nwbfile.all_children()]):
        if hasattr(container, attribute):
            key = f"{spec.relative_path}:{GENERATOR_VERSION}:{index}:{type(container).__name__}:{container.name}"
            setattr(container, attribute, str(uuid.uuid5(_OBJECT_ID_NAMESPACE, key)))


def _add_ecephys(spec: NWBFileSpec, nwbfile: Any, iterator_class: type, bar: Any) -> None:
    from pynwb.ecephys import ElectricalSeries

    device = nwbfile.create_device(name="NeuropixelsProbe", description="synthetic 384-channel probe")
    group = nwbfile.create_electrode_group(
        name="ElectrodeGroup", description="all channels", location="unknown", device=device
    )
    for channel in range(_ECEPHYS_CHANNELS):
        nwbfile.add_electrode(group=group, location="unknown", x=0.0, y=float(channel) * 20.0, z=0.0)
    region = nwbfile.create_electrode_table_region(list(range(_ECEPHYS_CHANNELS)), "all electrodes")
    # One chunk per buffer keeps memory to a few tens of MB whatever the profile.
    iterator = iterator_class(
        spec.shape,
        spec.dtype,
        stream=1,
        loc=0.0,
        scale=25.0,
        bar=bar,
        chunk_shape=spec.chunks,
        buffer_shape=spec.chunks,
        display_progress=False,
    )
    series = ElectricalSeries(
        name=spec.nwb_object_name,
        data=_wrap(spec, iterator),
        electrodes=region,
        rate=30000.0,
        starting_time=0.0,
        conversion=2.34e-6,
    )
    nwbfile.add_acquisition(series)


def _add_ophys(spec: NWBFileSpec, nwbfile: Any, iterator_class: type, bar: Any) -> None:
    from pynwb.ophys import OpticalChannel, TwoPhotonSeries

    device = nwbfile.create_device(name="Microscope", description="synthetic two-photon microscope")
    channel = OpticalChannel(name="OpticalChannel", description="green channel", emission_lambda=510.0)
    plane = nwbfile.create_imaging_plane(
        name="ImagingPlane",
        optical_channel=channel,
        imaging_rate=30.0,
        description="synthetic imaging plane",
        device=device,
        excitation_lambda=920.0,
        indicator="GCaMP6f",
        location="unknown",
    )
    iterator = iterator_class(
        spec.shape,
        spec.dtype,
        stream=2,
        loc=1000.0,
        scale=25.0,
        bar=bar,
        chunk_shape=spec.chunks,
        buffer_shape=spec.chunks,
        display_progress=False,
    )
    series = TwoPhotonSeries(
        name=spec.nwb_object_name,
        data=_wrap(spec, iterator),
        imaging_plane=plane,
        rate=30.0,
        starting_time=0.0,
        unit="n.a.",
    )
    nwbfile.add_acquisition(series)


def _add_icephys(spec: NWBFileSpec, nwbfile: Any, iterator_class: type, bar: Any) -> None:
    import numpy as np
    from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries

    device = nwbfile.create_device(name="Amplifier", description="synthetic patch-clamp amplifier")
    electrode = nwbfile.create_icephys_electrode(name="Electrode", description="synthetic pipette", device=device)
    # Buffers of 16 chunks: few iterator calls per series, small memory.
    buffer = (min(spec.shape[0], spec.chunks[0] * 16),)
    for sweep in range(spec.series_count):
        common = {
            "chunk_shape": spec.chunks,
            "buffer_shape": buffer,
            "display_progress": False,
            "bar": bar,
        }
        stimulus = CurrentClampStimulusSeries(
            name=_icephys_name(sweep, "DA0"),
            data=_wrap(
                spec, iterator_class(spec.shape, spec.dtype, stream=1_000_000 + sweep, loc=0.0, scale=1e-10, **common)
            ),
            electrode=electrode,
            gain=1.0,
            rate=20000.0,
            starting_time=float(sweep) * 5.0,
            sweep_number=np.uint32(sweep),
        )
        response = CurrentClampSeries(
            name=_icephys_name(sweep, "AD0"),
            data=_wrap(
                spec,
                iterator_class(spec.shape, spec.dtype, stream=2_000_000 + sweep, loc=-0.065, scale=0.002, **common),
            ),
            electrode=electrode,
            gain=1.0,
            rate=20000.0,
            starting_time=float(sweep) * 5.0,
            sweep_number=np.uint32(sweep),
        )
        nwbfile.add_stimulus(stimulus)
        nwbfile.add_acquisition(response)
        nwbfile.add_intracellular_recording(electrode=electrode, stimulus=stimulus, response=response)
