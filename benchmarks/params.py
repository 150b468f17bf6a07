"""The suite's parameter grid, in one place.

Every value is a plain string or int known at import time (asv pickles parameters and compares them
across runs); the benchmarks turn them into paths and URLs in ``setup`` with
:func:`pytest_nwb_benchmarks.nwb._assets.resolve_asset`. The grid follows the suite's
settings (target, size profile and latencies: :func:`pytest_nwb_benchmarks.nwb.current_settings`),
which the session hands over before the suite is imported.

The grid is kept small enough for the default profile to run in well under 20 minutes on 2 cores:
local benchmarks take every file and slice; remote ones the uncompressed files for opening, the
uncompressed ecephys file for downloading, and for slicing a chosen few (see below).
"""

from __future__ import annotations

from pytest_nwb_benchmarks.nwb import asset_names, current_settings, current_target, resolve_slice_case, slice_cases

__all__ = [
    "LATENCIES_MS",
    "LOCAL_FILES",
    "LOCAL_SLICES",
    "PYNWB_LOCAL_SLICES",
    "REMOTE_FILES",
    "REMOTE_SLICES",
    "PRELOADED_SLICES",
    "PYNWB_REMOTE_SLICES",
    "DOWNLOAD_FILES",
    "FORMAT_LOCAL_FILES",
    "FORMAT_LOCAL_SLICES",
    "FORMAT_REMOTE_FILES",
    "FORMAT_REMOTE_SLICES",
]


def _latencies() -> list[int]:
    if current_target() == "dandi":
        return [0]  # the real network brings its own latency; the server's knob does not apply
    return sorted(current_settings().latencies_ms)  # sorted: the order sets the benchmark ids


def _pick(cases: list[str], wanted: dict[str, tuple[str, ...]]) -> list[str]:
    """Keep, per asset, the slices named in ``wanted``: ``"first"`` (one chunk row) and/or ``"wide"``.

    ``wanted`` maps ``<case>-<compression>`` to the kinds to keep; on the DANDI target, whose assets are
    ``<case>-dandi``, the compression is ignored.
    """
    dandi = current_target() == "dandi"
    kept, seen = [], set()
    for name in cases:
        asset, selection = resolve_slice_case(name)
        case, compression = asset.split("-")
        kinds = set()
        for key, value in wanted.items():
            if key.split("-")[0] == case and (dandi or key.split("-")[1] == compression):
                kinds.update(value)
        kind = "wide" if _is_wide(selection) else ("first" if asset not in seen else "more")
        seen.add(asset)
        if kind in kinds and name not in kept:
            kept.append(name)
    return kept


def _is_wide(selection: tuple[slice, ...]) -> bool:
    # The ecephys slices read the first column chunk (0:32), except the wide one, which reads all 384.
    return len(selection) == 2 and selection[1].stop is not None and selection[1].stop > 32


#: Added per-request server latencies, milliseconds.
LATENCIES_MS = _latencies()
#: Files opened and sliced from local disk.
LOCAL_FILES = asset_names()
LOCAL_SLICES = slice_cases()
#: pynwb's local slicing: the first slice of every file (pynwb re-reads all metadata in every setup).
PYNWB_LOCAL_SLICES = slice_cases(per_case=1)
#: Files opened remotely: compression barely changes the metadata an open reads.
REMOTE_FILES = asset_names(compressions=("uncompressed",))
#: Slices read remotely through h5py (and the HTTP physical limit's).
REMOTE_SLICES = _pick(
    slice_cases(),
    {
        "ecephys-uncompressed": ("first", "wide"),
        "ecephys-gzip": ("first", "wide"),
        "ophys-uncompressed": ("first",),
        "ophys-gzip": ("first",),
        "icephys-uncompressed": ("first",),
    },
)
#: The repeated reads (cache effects) and pynwb's slicing (the same data path as h5py's once open) take
#: fewer: opening icephys with pynwb at 20 ms costs tens of seconds per sample.
PRELOADED_SLICES = _pick(slice_cases(), {"ecephys-uncompressed": ("first",), "ecephys-gzip": ("first",)})
PYNWB_REMOTE_SLICES = _pick(
    slice_cases(),
    {"ecephys-uncompressed": ("first",), "ecephys-gzip": ("first",), "ophys-uncompressed": ("first",)},
)
#: Files downloaded whole (each about 1 GB on the default profile).
DOWNLOAD_FILES = asset_names(compressions=("uncompressed",))[:1]
#: Zarr and LINDI (``time_zarr_*``, ``time_lindi_*``): every file and the first slice of each locally;
#: remotely the files opened over HDF5 (icephys is the metadata-heavy case) and, for slicing, one and
#: several column chunks of ecephys, a compressed chunk, a frame of ophys and an icephys series.
FORMAT_LOCAL_FILES = LOCAL_FILES
FORMAT_LOCAL_SLICES = PYNWB_LOCAL_SLICES
FORMAT_REMOTE_FILES = REMOTE_FILES
FORMAT_REMOTE_SLICES = _pick(
    slice_cases(),
    {
        "ecephys-uncompressed": ("first", "wide"),
        "ecephys-gzip": ("first",),
        "ophys-uncompressed": ("first",),
        "icephys-uncompressed": ("first",),
    },
)
