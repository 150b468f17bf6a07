"""The Zarr and LINDI reading methods of the suite, for the shapes of :mod:`benchmarks._bases`.

The methods themselves live in :mod:`pytest_nwb_benchmarks.nwb._format_methods` (named like the HDF5 ones,
``<Library><Transport>``): :class:`_FormatMethod` hands a shape their ``resolve_format_asset``,
``open_with``, ``dataset_of``, ``close_zarr_opened`` and ``tracking_reader``, and adds the description the
classes' docstrings use. The lists at the end are the groups the modules ``time_zarr_*``,
``time_lindi_*`` and ``network_tracking_formats`` make their classes for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_nwb_benchmarks.nwb import (
    close_zarr_opened,
    dataset_of,
    open_with,
    resolve_format_asset,
    tracking_reader,
)


@dataclass(frozen=True)
class _FormatMethod:
    """One Zarr or LINDI reading method (see :class:`benchmarks._bases._ReadingMethod`).

    Attributes
    ----------
    name : str
        One of ``ZARR_METHODS`` or ``LINDI_METHODS`` of :mod:`pytest_nwb_benchmarks.nwb._format_methods`.
    description : str
        How it reads, for docstrings.
    """

    name: str
    description: str

    def resolve(self, name: str, latency_ms: int | None) -> Any:
        """Resolve the asset for this method (the local stores take no latency)."""
        return resolve_format_asset(name, self.name, 0 if latency_ms is None else latency_ms)

    def open(self, asset: Any, via: Any = None) -> tuple:
        """Open the store or reference file, at the URLs of ``via`` (a network-tracking plan) if given."""
        if via is None:
            return open_with(asset)
        return open_with(asset, via.http_url, via.s3_endpoint)

    def dataset(self, opened: tuple, asset: Any) -> Any:
        """The benchmarked dataset."""
        return dataset_of(opened, asset)

    def close(self, opened: tuple) -> None:
        """Close what was opened."""
        close_zarr_opened(opened)

    def traffic(self) -> str:
        """The reader name for ``plan_network_tracking`` (LINDI under the proxy skips here, with the reason)."""
        return tracking_reader(self.name)


_ZARR_LIBRARIES = {"Zarr": "zarr", "ZarrPynwb": "pynwb through hdmf-zarr"}
_ZARR_TRANSPORTS = {"Https": "plain HTTP", "S3": "the pseudo-S3"}
_ZARR_METADATA = {"Consolidated": "consolidated metadata", "Unconsolidated": "metadata object by object"}
_LINDI_LIBRARIES = {"H5py": "lindi's h5py-like file", "Pynwb": "pynwb on lindi"}
_LINDI_SOURCES = {
    "RemoteJson": "the .lindi.json fetched from the server",
    "RemoteTar": "the .lindi.tar read by range requests",
    "DiskJson": "the .lindi.json read from disk",
}

_ZARR_LOCAL = [_FormatMethod(f"{name}Local", f"{library} on local disk") for name, library in _ZARR_LIBRARIES.items()]
_ZARR_REMOTE = [
    _FormatMethod(f"{name}{transport}{kind}", f"{library} over {over}, {metadata}")
    for name, library in _ZARR_LIBRARIES.items()
    for transport, over in _ZARR_TRANSPORTS.items()
    for kind, metadata in _ZARR_METADATA.items()
]
_LINDI = [
    _FormatMethod(f"Lindi{name}{source}", f"{library}, {reference}; chunks from the server")
    for name, library in _LINDI_LIBRARIES.items()
    for source, reference in _LINDI_SOURCES.items()
]
