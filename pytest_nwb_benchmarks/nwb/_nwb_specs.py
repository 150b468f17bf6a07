"""What the NWB suite's synthetic files contain: cases, compressions, profiles, shapes and where they live.

Three cases, each in an uncompressed and a gzip variant, at two size profiles:

* ``ecephys``: one ``ElectricalSeries`` of shape (N, 384), int16, chunks (262144, 32) -- 16 MiB per chunk.
* ``ophys``: one ``TwoPhotonSeries`` of shape (N, 796, 512), uint16, chunks (20, 796, 512) -- 16 MiB per chunk.
* ``icephys``: hundreds of small ``CurrentClampSeries`` with their ``CurrentClampStimulusSeries`` and the
  intracellular recordings table, float32, chunks (8192,) -- the metadata-heavy case.

:mod:`._nwb_files` makes the files, :mod:`._nwb_writer` writes their content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from pytest_nwb_benchmarks.nwb._settings import PROFILES, current_settings, parse_profile  # noqa: F401
from pytest_nwb_benchmarks.utils._paths import cache_dir

CASES = ("ecephys", "ophys", "icephys")
COMPRESSIONS = ("uncompressed", "gzip")

#: Bumped whenever the generator's output changes, so that stale caches are remade.
GENERATOR_VERSION = 2
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


def file_variants() -> list[tuple[str, str]]:
    """Every ``(case, compression)`` of the synthetic files, in the order they are made."""
    return [(case, compression) for case in CASES for compression in COMPRESSIONS]


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
    """Return the size profile in effect (the suite's settings; default ``"default"``).

    Returns
    -------
    str
        One of :data:`PROFILES`.

    Raises
    ------
    ValueError
        If the settings hold an unknown profile.
    """
    return current_settings().profile


def _check_profile(profile: str, source: str = "profile") -> str:
    try:
        return parse_profile(profile)
    except ValueError as error:
        raise ValueError(f"{error} (from {source})") from None


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
