"""The HDF5 reading methods of the suite: h5py or pynwb, on local disk or on one of seven streaming transports.

A method is named ``<Library><Transport>`` (``H5pyRemfileNoCache``, ``PynwbRos3``, ``H5pyLocal``), which is
also the start of its benchmark classes' names. :data:`_TRANSPORTS` says, for each transport, which URL the
reader takes, which HTTP client :func:`plan_network_tracking` must watch, and how to describe it;
:data:`_READERS` names the reader function of each method. The lists at the end are the suite's groups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_nwb_benchmarks.nwb import (
    close_opened,
    get_object_by_name,
    read_hdf5_h5py_fsspec_https_no_cache,
    read_hdf5_h5py_fsspec_https_with_cache,
    read_hdf5_h5py_fsspec_s3_no_cache,
    read_hdf5_h5py_fsspec_s3_with_cache,
    read_hdf5_h5py_local,
    read_hdf5_h5py_remfile_no_cache,
    read_hdf5_h5py_remfile_with_cache,
    read_hdf5_h5py_ros3,
    read_hdf5_pynwb_fsspec_https_no_cache,
    read_hdf5_pynwb_fsspec_https_with_cache,
    read_hdf5_pynwb_fsspec_s3_no_cache,
    read_hdf5_pynwb_fsspec_s3_with_cache,
    read_hdf5_pynwb_local,
    read_hdf5_pynwb_remfile_no_cache,
    read_hdf5_pynwb_remfile_with_cache,
    read_hdf5_pynwb_ros3,
    require_ros3,
    resolve_asset,
)

#: transport -> (what the reader is given: "local", "http" or "s3"; the client to track; its description)
_TRANSPORTS: dict[str, tuple[str, str, str]] = {
    "Local": ("local", "", "local disk"),
    "FsspecHttpsNoCache": ("http", "fsspec_https", "an fsspec HTTPS file (in-memory read-ahead only)"),
    "FsspecHttpsWithCache": ("http", "fsspec_https", "fsspec's block cache over HTTPS (fresh disk cache)"),
    "FsspecS3NoCache": ("s3", "fsspec_s3", "an s3fs file (in-memory read-ahead only)"),
    "FsspecS3WithCache": ("s3", "fsspec_s3", "fsspec's block cache over s3fs (fresh disk cache)"),
    "RemfileNoCache": ("http", "remfile", "a remfile (in-memory chunk cache only)"),
    "RemfileWithCache": ("http", "remfile", "a remfile with a fresh disk cache"),
    "Ros3": ("s3", "ros3", "HDF5's ros3 driver"),
}

#: method -> the function that opens the file that way (it returns a tuple; see ``close_opened``)
_READERS: dict[str, Callable[..., tuple]] = {
    "H5pyLocal": read_hdf5_h5py_local,
    "H5pyFsspecHttpsNoCache": read_hdf5_h5py_fsspec_https_no_cache,
    "H5pyFsspecHttpsWithCache": read_hdf5_h5py_fsspec_https_with_cache,
    "H5pyFsspecS3NoCache": read_hdf5_h5py_fsspec_s3_no_cache,
    "H5pyFsspecS3WithCache": read_hdf5_h5py_fsspec_s3_with_cache,
    "H5pyRemfileNoCache": read_hdf5_h5py_remfile_no_cache,
    "H5pyRemfileWithCache": read_hdf5_h5py_remfile_with_cache,
    "H5pyRos3": read_hdf5_h5py_ros3,
    "PynwbLocal": read_hdf5_pynwb_local,
    "PynwbFsspecHttpsNoCache": read_hdf5_pynwb_fsspec_https_no_cache,
    "PynwbFsspecHttpsWithCache": read_hdf5_pynwb_fsspec_https_with_cache,
    "PynwbFsspecS3NoCache": read_hdf5_pynwb_fsspec_s3_no_cache,
    "PynwbFsspecS3WithCache": read_hdf5_pynwb_fsspec_s3_with_cache,
    "PynwbRemfileNoCache": read_hdf5_pynwb_remfile_no_cache,
    "PynwbRemfileWithCache": read_hdf5_pynwb_remfile_with_cache,
    "PynwbRos3": read_hdf5_pynwb_ros3,
}


@dataclass(frozen=True)
class _Hdf5Method:
    """One HDF5 reading method (see :class:`benchmarks._bases._ReadingMethod`).

    Attributes
    ----------
    name : str
        ``<Library><Transport>``, e.g. ``"PynwbFsspecS3WithCache"``.
    reader : callable
        Opens the file: given the local path, the HTTP URL, or the S3 URL and endpoint.
    source : str
        Which of those: ``"local"``, ``"http"`` or ``"s3"``.
    client : str
        The reader name :func:`plan_network_tracking` watches (empty for local disk).
    description : str
        How it reads, for docstrings.
    """

    name: str
    reader: Callable[..., tuple]
    source: str
    client: str
    description: str

    @classmethod
    def named(cls, name: str) -> _Hdf5Method:
        """The method called ``name``, from :data:`_TRANSPORTS` and :data:`_READERS`."""
        library = "h5py" if name.startswith("H5py") else "pynwb"
        source, client, where = _TRANSPORTS[name[len(library) :]]
        return cls(name, _READERS[name], source, client, f"{library} on {where}")

    def resolve(self, name: str, latency_ms: int | None) -> Any:
        """Resolve the asset; skip (NotImplementedError) ros3 where h5py was built without it."""
        if self.client == "ros3":
            require_ros3()
        if self.source == "local":
            return resolve_asset(name, remote=False)
        return resolve_asset(name, latency_ms)

    def open(self, asset: Any, via: Any = None) -> tuple:
        """Open the asset, at the URLs of ``via`` (a network-tracking plan) if given."""
        urls = asset if via is None else via
        if self.source == "local":
            return self.reader(asset.local_path)
        if self.source == "http":
            return self.reader(urls.http_url)
        return self.reader(urls.s3_url, urls.s3_endpoint)

    def dataset(self, opened: tuple, asset: Any) -> Any:
        """The benchmarked dataset: by HDF5 path in an h5py file, the NWB object's ``data`` in pynwb's."""
        if self.name.startswith("Pynwb"):
            return get_object_by_name(opened[0], asset.object_name).data
        return opened[0][asset.dataset_path]

    def close(self, opened: tuple) -> None:
        """Close the file and everything under it."""
        close_opened(opened)

    def traffic(self) -> str:
        """The reader name for :func:`plan_network_tracking`."""
        return self.client


def _methods(library: str, remote: bool) -> list[_Hdf5Method]:
    transports = [name for name in _TRANSPORTS if (name != "Local") == remote]
    return [_Hdf5Method.named(f"{library}{transport}") for transport in transports]


_H5PY_LOCAL = _methods("H5py", remote=False)
_PYNWB_LOCAL = _methods("Pynwb", remote=False)
_H5PY_REMOTE = _methods("H5py", remote=True)
_PYNWB_REMOTE = _methods("Pynwb", remote=True)
