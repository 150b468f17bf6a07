"""The Zarr and LINDI reading methods of the NWB suite: what each opens, from where, and how to get its dataset.

A method is named like the HDF5 ones, ``<Library><Transport>``:

* ``ZarrLocal`` / ``ZarrPynwbLocal``: the local store, with zarr directly / with pynwb through hdmf-zarr;
* ``Zarr{Https,S3}{Consolidated,Unconsolidated}`` and ``ZarrPynwb{Https,S3}{Consolidated,Unconsolidated}``:
  the store streamed over plain HTTP or the pseudo-S3, opened from ``.zmetadata`` or object by object;
* ``Lindi{H5py,Pynwb}{RemoteJson,RemoteTar,DiskJson}``: the LINDI reference file fetched as ``.lindi.json``
  or ``.lindi.tar`` from the server, or read from disk; the chunks always come from the server.

:func:`resolve_format_asset` turns an asset name and latency into the :class:`FormatAsset` of a method
(in ``setup``: it makes the store or reference file if needed and, for LINDI, writes the copy that
points at the server port of that latency), :func:`open_with` opens it, and :func:`dataset_of` finds the
benchmarked dataset in what was opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.nwb._assets import current_target, parse_asset_name
from pytest_nwb_benchmarks.nwb._zarr_files import require_zarr

ZARR_METHODS = (
    "ZarrLocal",
    "ZarrPynwbLocal",
    *(
        f"Zarr{library}{transport}{kind}"
        for library in ("", "Pynwb")
        for transport in ("Https", "S3")
        for kind in ("Consolidated", "Unconsolidated")
    ),
)
LINDI_METHODS = tuple(
    f"Lindi{library}{source}" for library in ("H5py", "Pynwb") for source in ("RemoteJson", "RemoteTar", "DiskJson")
)


@dataclass(frozen=True)
class FormatAsset:
    """What one method needs to open one asset.

    Attributes
    ----------
    name : str
        The asset name, e.g. ``"ecephys-gzip"``.
    method : str
        One of :data:`ZARR_METHODS` or :data:`LINDI_METHODS`.
    dataset_path : str
        Path of the benchmarked dataset inside the file or store.
    object_name : str
        Name of the NWB object that holds it.
    local_path : pathlib.Path or None
        The store folder (Zarr) or the reference file on disk (LINDI ``DiskJson``).
    http_url, s3_url, s3_endpoint : str or None
        The store's URLs (Zarr), or the reference file's URL (LINDI, in ``http_url``).
    """

    name: str
    method: str
    dataset_path: str
    object_name: str
    local_path: Path | None
    http_url: str | None = None
    s3_url: str | None = None
    s3_endpoint: str | None = None


def _check_method(method: str) -> None:
    if method not in ZARR_METHODS and method not in LINDI_METHODS:
        raise ValueError(f"unknown Zarr/LINDI method {method!r}; known: {', '.join(ZARR_METHODS + LINDI_METHODS)}")


def resolve_format_asset(name: str, method: str, latency_ms: int = 0) -> FormatAsset:
    """Resolve an asset for one Zarr or LINDI method (call it in ``setup``).

    Parameters
    ----------
    name : str
        An asset name, ``"<case>-<compression>"``.
    method : str
        One of :data:`ZARR_METHODS` or :data:`LINDI_METHODS`.
    latency_ms : int
        The server latency the URLs should carry (ignored by the local Zarr methods).

    Returns
    -------
    FormatAsset
        Paths and URLs for the method.

    Raises
    ------
    NotImplementedError
        On the ``dandi`` target (the archive publishes these assets as HDF5 only), when the optional
        packages are missing, for a method that cannot work (hdmf-zarr over HTTP without consolidated
        metadata), or one that cannot finish within its timeout (hdmf-zarr over S3 without consolidated
        metadata on the metadata-heavy icephys file, with added latency): all are skips, with the reason.
    StreamingServerUnavailable
        If a remote method runs without the streaming server.
    """
    _check_method(method)
    if method.startswith("ZarrPynwbHttpsUnconsolidated"):
        from pytest_nwb_benchmarks.nwb._zarr_readers import HDMF_ZARR_HTTP_UNCONSOLIDATED

        raise NotImplementedError(HDMF_ZARR_HTTP_UNCONSOLIDATED)
    if current_target() == "dandi":
        raise NotImplementedError(
            "the Zarr and LINDI benchmarks read the synthetic files; they need --nwb-target=local"
        )
    require_zarr()
    from pytest_nwb_benchmarks.nwb._assets import _running_server
    from pytest_nwb_benchmarks.nwb._nwb_files import nwb_file_spec, nwb_root

    case, compression = parse_asset_name(name)
    if method == "ZarrPynwbS3Unconsolidated" and case == "icephys" and latency_ms > 0:
        from pytest_nwb_benchmarks.nwb._zarr_readers import HDMF_ZARR_S3_UNCONSOLIDATED_METADATA_HEAVY

        raise NotImplementedError(HDMF_ZARR_S3_UNCONSOLIDATED_METADATA_HEAVY)
    spec = nwb_file_spec(case, compression)
    common = {"name": name, "method": method, "dataset_path": spec.object_path, "object_name": spec.nwb_object_name}
    if method.startswith("Zarr"):
        from pytest_nwb_benchmarks.nwb._zarr_files import ensure_zarr_store, zarr_relative_path

        # The session verified every store's checksum already; here a store whose manifest matches is trusted.
        store = ensure_zarr_store(case, compression, verify=False)
        if method.endswith("Local"):
            return FormatAsset(local_path=store, **common)
        server = _running_server()
        relative = zarr_relative_path(case, compression)
        return FormatAsset(
            local_path=store,
            http_url=server.http_url(relative, latency_ms),
            s3_url=server.s3_url(relative),
            s3_endpoint=server.s3_endpoint(latency_ms),
            **common,
        )
    from pytest_nwb_benchmarks.nwb._lindi_files import publish_lindi

    server = _running_server()
    relative_json, relative_tar = publish_lindi(case, compression, server.base_url(latency_ms), nwb_root())
    relative = relative_tar if method.endswith("RemoteTar") else relative_json
    return FormatAsset(
        local_path=nwb_root() / relative_json,
        http_url=server.http_url(relative, latency_ms),
        **common,
    )


def open_with(asset: FormatAsset, http_url: str | None = None, s3_endpoint: str | None = None) -> tuple:
    """Open ``asset`` the way its method does.

    Parameters
    ----------
    asset : FormatAsset
        From :func:`resolve_format_asset`.
    http_url, s3_endpoint : str or None
        Override the asset's (a network-tracking plan may route them through a proxy).

    Returns
    -------
    tuple
        What the reader opened; the first element is a zarr group, an NWBFile or a LINDI file. Close it with
        :func:`pytest_nwb_benchmarks.nwb._zarr_readers.close_zarr_opened`.

    Raises
    ------
    NotImplementedError
        For hdmf-zarr over HTTP without consolidated metadata (see ``HDMF_ZARR_HTTP_UNCONSOLIDATED``).
    """
    from pytest_nwb_benchmarks.nwb import _zarr_readers as readers

    method = asset.method
    http_url = http_url or asset.http_url
    s3_endpoint = s3_endpoint or asset.s3_endpoint
    pynwb = "Pynwb" in method
    if method.startswith("Lindi"):
        source = asset.local_path if method.endswith("DiskJson") else http_url
        return readers.read_lindi_pynwb(source) if pynwb else readers.read_lindi_h5py(source)
    if method.endswith("Local"):
        return (
            readers.read_zarr_pynwb_local(asset.local_path) if pynwb else readers.read_zarr_zarr_local(asset.local_path)
        )
    consolidated = method.endswith("Consolidated") and not method.endswith("Unconsolidated")
    if "S3" in method:
        reader = readers.read_zarr_pynwb_s3 if pynwb else readers.read_zarr_zarr_s3
        return reader(asset.s3_url, s3_endpoint, consolidated=consolidated)
    reader = readers.read_zarr_pynwb_https if pynwb else readers.read_zarr_zarr_https
    return reader(http_url, consolidated=consolidated)


def dataset_of(opened: tuple, asset: FormatAsset) -> Any:
    """Return the benchmarked dataset (a zarr array, a LINDI dataset, or the NWB object's ``data``)."""
    first = opened[0]
    if type(first).__module__.startswith("pynwb"):  # an NWBFile (a zarr group has attributes of its members)
        from pytest_nwb_benchmarks.nwb._readers import get_object_by_name

        return get_object_by_name(first, asset.object_name).data
    return first[asset.dataset_path]


def tracking_reader(method: str) -> str:
    """The HTTP client family of a method, as :func:`plan_network_tracking` names it.

    Raises
    ------
    NotImplementedError
        For LINDI under the ``proxy`` tracking method: the reference file holds the server's own chunk
        URLs, which a proxy in front of the reference file's URL never sees.
    """
    _check_method(method)
    if method.startswith("Lindi"):
        from pytest_nwb_benchmarks.nwb.network._tracker import selected_method

        if selected_method() == "proxy":
            raise NotImplementedError(
                "the counting proxy cannot see LINDI's chunk requests: the reference file names the server's "
                "own URLs; track LINDI with the 'library' (default) or 'tshark' method"
            )
        return "remfile"  # requests, like remfile
    return "fsspec_s3" if "S3" in method else "fsspec_https"
