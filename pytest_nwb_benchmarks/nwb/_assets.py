"""What the NWB suite's parameter values point at, for the target in effect.

Benchmark parameters are plain names known at import time (asv pickles them and compares them across
runs): an *asset* name such as ``"ecephys-gzip"`` and a *slice case* name such as
``"ecephys-gzip[0:262144, 0:32]"``. :func:`resolve_asset` turns an asset name into what a reader needs,
inside ``setup`` and never in the timed region:

* target ``local`` (default): the synthetic file of the current size profile, as a local path, as an
  HTTP URL and as an ``s3://`` URL on the local streaming server (with the latency asked for);
* target ``dandi``: the real DANDI 000717 asset of the same case, looked up in the DANDI API and
  redirected once to its S3 location (``requests.head(..., allow_redirects=True)``), so that the
  timed reads do not pay the redirect on every request. Offline, this fails fast with a clear message.

The target comes from the suite's settings (``--nwb-target``, env ``NWB_BENCHMARKS_TARGET``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

from pytest_nwb_benchmarks.nwb._settings import TARGETS, current_settings  # noqa: F401

DANDI_DANDISET = "000717"
# case -> (path in dandiset 000717, name of the benchmarked NWB object); the assets the original suite used.
DANDI_ASSETS: dict[str, tuple[str, str]] = {
    "ecephys": ("sub-npI3/sub-npI3_behavior+ecephys.nwb", "ElectricalSeries"),
    "ophys": (
        "sub-R6_ses-20200206T210000_behavior+ophys/sub-R6_ses-20200206T210000_behavior+ophys.nwb",
        "TwoPhotonSeries",
    ),
    "icephys": (
        "sub-1214579789_ses-1214621812_icephys/sub-1214579789_ses-1214621812_icephys.nwb",
        "data_00002_AD0",
    ),
}
_DANDI_COMPRESSION = "dandi"  # the asset's own storage, whatever it is
_CONNECT_TIMEOUT_S = 5.0


class DandiUnavailable(RuntimeError):
    """The DANDI archive cannot be reached or does not have the asset."""


@dataclass(frozen=True)
class ResolvedAsset:
    """Everything a reader needs to open one asset.

    Attributes
    ----------
    name : str
        The asset name, e.g. ``"ecephys-gzip"``.
    case : str
        ``"ecephys"``, ``"ophys"`` or ``"icephys"``.
    compression : str
        ``"uncompressed"``, ``"gzip"``, or ``"dandi"`` for a real DANDI asset.
    object_name : str
        Name of the benchmarked NWB object, e.g. ``"ElectricalSeries"``.
    dataset_path : str
        HDF5 path of its data, e.g. ``"acquisition/ElectricalSeries/data"``.
    local_path : pathlib.Path or None
        The local file (``None`` for a DANDI asset).
    http_url : str or None
        Plain HTTP(S) URL, redirects already resolved (``None`` when no server was asked for).
    s3_url : str or None
        ``s3://bucket/key``.
    s3_endpoint : str or None
        The S3 endpoint URL for s3fs and ros3; ``None`` means AWS.
    """

    name: str
    case: str
    compression: str
    object_name: str
    dataset_path: str
    local_path: Path | None
    http_url: str | None
    s3_url: str | None
    s3_endpoint: str | None


def current_target() -> str:
    """Return the target in effect (the suite's settings; default ``"local"``).

    Raises
    ------
    ValueError
        If the settings hold something other than ``local`` or ``dandi``.
    """
    return current_settings().target


def _compressions(target: str) -> tuple[str, ...]:
    from pytest_nwb_benchmarks.nwb._nwb_files import COMPRESSIONS

    return (_DANDI_COMPRESSION,) if target == "dandi" else COMPRESSIONS


def asset_names(target: str | None = None, compressions: tuple[str, ...] | None = None) -> list[str]:
    """Return the asset names for a target, ``"<case>-<compression>"``.

    Parameters
    ----------
    target : str or None
        ``"local"`` or ``"dandi"``; ``None`` means :func:`current_target`.
    compressions : tuple of str or None
        Keep only these compressions (ignored for ``dandi``, which has one variant per case).

    Returns
    -------
    list of str
        E.g. ``["ecephys-uncompressed", "ecephys-gzip", ...]``.
    """
    from pytest_nwb_benchmarks.nwb._nwb_files import CASES

    target = current_target() if target is None else target
    available = _compressions(target)
    if compressions is not None and target != "dandi":
        available = tuple(c for c in available if c in compressions)
    return [f"{case}-{compression}" for case in CASES for compression in available]


def parse_asset_name(name: str) -> tuple[str, str]:
    """Split an asset name into ``(case, compression)``.

    Raises
    ------
    ValueError
        If the name is not ``<case>-<compression>`` with known parts.
    """
    from pytest_nwb_benchmarks.nwb._nwb_files import CASES, COMPRESSIONS

    case, _, compression = name.partition("-")
    if case not in CASES or compression not in (*COMPRESSIONS, _DANDI_COMPRESSION):
        raise ValueError(
            f"unknown NWB asset {name!r}: expected '<case>-<compression>' with case in {CASES} "
            f"and compression in {(*COMPRESSIONS, _DANDI_COMPRESSION)}"
        )
    return case, compression


def format_selection(selection: tuple[slice, ...]) -> str:
    """Write a tuple of slices as NumPy index text, e.g. ``"0:262144, :"``."""
    parts = []
    for part in selection:
        start = "" if part.start is None else str(part.start)
        stop = "" if part.stop is None else str(part.stop)
        parts.append(f"{start}:{stop}" if part.step in (None, 1) else f"{start}:{stop}:{part.step}")
    return ", ".join(parts)


_SLICE_CASE = re.compile(r"^(?P<asset>[a-z]+-[a-z]+)\[(?P<selection>[0-9:, ]*)\]$")


def _parse_selection(text: str) -> tuple[slice, ...]:
    parts = []
    for item in text.split(","):
        start, _, stop = item.strip().partition(":")
        parts.append(slice(int(start) if start else None, int(stop) if stop else None))
    return tuple(parts)


def slice_cases(
    target: str | None = None,
    compressions: tuple[str, ...] | None = None,
    per_case: int | None = None,
) -> list[str]:
    """Return the slice case names, ``"<asset>[<selection>]"``, for every asset of a target.

    The slices are those of the synthetic file of the current profile (for ``dandi``: of the default
    profile, whose shapes and chunks are the DANDI assets').

    Parameters
    ----------
    target : str or None
        ``"local"`` or ``"dandi"``; ``None`` means :func:`current_target`.
    compressions : tuple of str or None
        Keep only these compressions.
    per_case : int or None
        Keep only the first ``per_case`` slices of each asset (the smallest ones).

    Returns
    -------
    list of str
        E.g. ``["ecephys-gzip[0:262144, 0:32]", ...]``.
    """
    from pytest_nwb_benchmarks.nwb._nwb_files import nwb_file_spec, slices_for

    target = current_target() if target is None else target
    names = []
    for asset in asset_names(target, compressions):
        case, compression = parse_asset_name(asset)
        if target == "dandi":
            spec = nwb_file_spec(case, "uncompressed", "default")
        else:
            spec = nwb_file_spec(case, compression)
        selections = slices_for(spec)
        if per_case is not None:
            selections = selections[:per_case]
        names.extend(f"{asset}[{format_selection(selection)}]" for selection in selections)
    return names


def resolve_slice_case(name: str) -> tuple[str, tuple[slice, ...]]:
    """Split a slice case name into ``(asset name, selection)``.

    Raises
    ------
    ValueError
        If the name is malformed.
    """
    match = _SLICE_CASE.match(name)
    if match is None:
        raise ValueError(f"malformed slice case {name!r}: expected '<case>-<compression>[<start>:<stop>, ...]'")
    parse_asset_name(match["asset"])
    return match["asset"], _parse_selection(match["selection"])


def resolve_asset(name: str, latency_ms: int = 0, *, remote: bool = True) -> ResolvedAsset:
    """Resolve an asset name for the current target (call this in ``setup``, never while timing).

    Parameters
    ----------
    name : str
        An asset name from :func:`asset_names`.
    latency_ms : int
        The added per-request latency the local server should apply (local target only).
    remote : bool
        Whether URLs are needed; ``False`` resolves a local path only and needs no server.

    Returns
    -------
    ResolvedAsset
        The paths and URLs.

    Raises
    ------
    ValueError
        If the name is unknown, or names a compression the target does not have.
    NotImplementedError
        If a local path is asked for (``remote=False``) on the ``dandi`` target: the local benchmarks
        are then skipped.
    StreamingServerUnavailable
        If URLs are asked for on the ``local`` target and the streaming server is not running.
    DandiUnavailable
        If the DANDI archive cannot be reached (offline) or lacks the asset.
    """
    case, compression = parse_asset_name(name)
    target = current_target()
    if target == "dandi":
        if compression != _DANDI_COMPRESSION:
            raise ValueError(f"asset {name!r} is synthetic; the dandi target has '<case>-dandi' assets only")
        if not remote:
            raise NotImplementedError("local-file benchmarks do not run on --nwb-target=dandi (no local copy)")
        http_url = _dandi_s3_https_url(case)
        dandi_path, object_name = DANDI_ASSETS[case]
        return ResolvedAsset(
            name=name,
            case=case,
            compression=compression,
            object_name=object_name,
            dataset_path=f"acquisition/{object_name}/data",
            local_path=None,
            http_url=http_url,
            s3_url=_s3_url_of(http_url),
            s3_endpoint=None,
        )
    if compression == _DANDI_COMPRESSION:
        raise ValueError(f"asset {name!r} is a DANDI asset; run with --nwb-target=dandi")
    from pytest_nwb_benchmarks.nwb._nwb_files import nwb_file_spec

    spec = nwb_file_spec(case, compression)
    http_url = s3_url = s3_endpoint = None
    if remote:
        server = _running_server()
        http_url = server.http_url(spec.relative_path, latency_ms=latency_ms)
        s3_url = server.s3_url(spec.relative_path)
        s3_endpoint = server.s3_endpoint(latency_ms=latency_ms)
    return ResolvedAsset(
        name=name,
        case=case,
        compression=compression,
        object_name=spec.nwb_object_name,
        dataset_path=spec.object_path,
        local_path=_local_file(case, compression),
        http_url=http_url,
        s3_url=s3_url,
        s3_endpoint=s3_endpoint,
    )


def _local_file(case: str, compression: str) -> Path:
    from pytest_nwb_benchmarks.nwb._nwb_files import ensure_nwb_file, manifest_path, nwb_file_spec, nwb_root

    spec = nwb_file_spec(case, compression)
    path = nwb_root() / spec.relative_path
    # The session fixture verified the checksums already; re-hashing a 1 GB file in every benchmark
    # process would cost seconds, so an existing file with its manifest is trusted here.
    if path.is_file() and manifest_path(path).is_file():
        return path
    return ensure_nwb_file(case, compression)


def _running_server():  # noqa: ANN202 - the type lives in a module imported lazily
    from pytest_nwb_benchmarks.nwb._streaming_server import StreamingServerUnavailable, current_server

    server = current_server()
    if server is None:
        raise StreamingServerUnavailable(
            "no NWB streaming server: the suite's settings name none. The remote benchmarks read from the "
            "local streaming server that `pytest benchmarks --nwb-bench` starts for the session; start one "
            "with pytest_nwb_benchmarks.StreamingServer, or use --nwb-target=dandi"
        )
    server.check_alive()
    return server


def _dandi_api() -> str:
    return current_settings().dandi_api


@functools.cache
def _dandi_s3_https_url(case: str) -> str:
    """Find the asset in the DANDI API and follow its download redirect once (cached per process)."""
    import requests

    api = _dandi_api()
    dandi_path, _ = DANDI_ASSETS[case]
    listing = f"{api}/dandisets/{DANDI_DANDISET}/versions/draft/assets/?path={quote(dandi_path)}"
    try:
        response = requests.get(listing, timeout=(_CONNECT_TIMEOUT_S, 30))
        response.raise_for_status()
        matches = [a for a in response.json().get("results", []) if a.get("path") == dandi_path]
        if not matches:
            raise DandiUnavailable(f"DANDI dandiset {DANDI_DANDISET} has no asset {dandi_path!r} ({listing})")
        download = f"{api}/assets/{matches[0]['asset_id']}/download/"
        resolved = requests.head(download, allow_redirects=True, timeout=(_CONNECT_TIMEOUT_S, 30))
        resolved.raise_for_status()
    except requests.RequestException as error:
        raise DandiUnavailable(
            f"cannot reach the DANDI archive at {api} ({type(error).__name__}: {error}). "
            "--nwb-target=dandi needs internet access; offline, run the default --nwb-target=local, "
            "which streams synthetic files from a local server"
        ) from error
    return resolved.url


def _s3_url_of(https_url: str) -> str | None:
    """``https://<bucket>.s3.amazonaws.com/<key>`` -> ``s3://<bucket>/<key>`` (``None`` if not S3)."""
    parsed = urlparse(https_url)
    host = parsed.hostname or ""
    if host.endswith(".s3.amazonaws.com"):
        return f"s3://{host[: -len('.s3.amazonaws.com')]}{parsed.path}"
    return None
