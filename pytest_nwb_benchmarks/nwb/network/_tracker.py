"""The network tracker: one object, three ways of counting what a block of code transfers.

``library`` (the default) counts inside this process through hooks in requests/urllib3 and aiohttp;
``proxy`` reads the counters of a :class:`CountingProxy` the client's URLs were routed through; ``tshark``
captures packets on an interface. Every statistics dict names the method that produced it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from pytest_nwb_benchmarks.nwb._settings import NETWORK_METHODS, current_settings, parse_network
from pytest_nwb_benchmarks.nwb.network import _library_hooks

METHODS = NETWORK_METHODS
METHOD_ENV = "NWB_BENCHMARKS_NETWORK"


def selected_method(method: str = "auto") -> str:
    """Resolve a method name, ``"auto"`` meaning the suite's settings (``--nwb-network``, else ``"library"``).

    Parameters
    ----------
    method : str
        ``"auto"``, ``"library"``, ``"proxy"`` or ``"tshark"``.

    Returns
    -------
    str
        One of :data:`METHODS`.

    Raises
    ------
    ValueError
        If the name (given or from the settings) is not a known method.
    """
    if method == "auto":
        return current_settings().network
    return parse_network(method)


def _with_legacy_keys(stats: dict[str, Any]) -> dict[str, Any]:
    # The key names earlier result files used, so that old and new results can be read side by side.
    stats["amount_downloaded_in_bytes"] = stats["bytes_downloaded"]
    stats["amount_uploaded_in_bytes"] = stats["bytes_uploaded"]
    stats["total_transfer_in_bytes"] = stats["bytes_downloaded"] + stats["bytes_uploaded"]
    stats["total_traffic_in_number_of_web_packets"] = stats["requests"]
    stats["network_total_time"] = stats["elapsed_seconds"]
    return stats


class NetworkTracker:
    """Count the HTTP requests, bytes and connections of a block of code.

    Parameters
    ----------
    method : str
        ``"auto"`` (the suite's settings: ``--nwb-network``, else ``"library"``), ``"library"``, ``"proxy"`` or
        ``"tshark"``.
    proxy : CountingProxy or ProxyInfo, optional
        For the ``proxy`` method: the running proxy the code's URLs go through.
    ports : sequence of int, optional
        For the ``tshark`` method: the server ports whose traffic is captured. Default: the ports of the
        suite's streaming server (from the suite's settings).
    interface : str, optional
        For the ``tshark`` method: the capture interface (default: the suite's settings'
        ``network_interface``, else ``"lo"``).

    Attributes
    ----------
    statistics : dict or None
        The statistics of the last finished tracking (see :meth:`stop`).
    """

    def __init__(
        self,
        method: str = "auto",
        *,
        proxy: Any = None,
        ports: Sequence[int] | None = None,
        interface: str | None = None,
    ) -> None:
        self.method = selected_method(method)
        self.proxy = proxy
        self.ports = tuple(ports) if ports is not None else None
        self.interface = interface
        self.statistics: dict[str, Any] | None = None
        self._started: float | None = None
        self._finish: Callable[[], dict[str, Any]] | None = None
        if self.method == "proxy" and proxy is None:
            raise ValueError(
                "the 'proxy' network tracking method needs the CountingProxy that the tracked client's URLs "
                "are routed through: NetworkTracker('proxy', proxy=CountingProxy(target).start())"
            )

    @property
    def active(self) -> bool:
        """Whether :meth:`start` was called and :meth:`stop` not yet."""
        return self._started is not None

    def start(self) -> NetworkTracker:
        """Start counting.

        Returns
        -------
        NetworkTracker
            This tracker.

        Raises
        ------
        RuntimeError
            If it is already running, or (tshark) the capture cannot start.
        """
        if self._started is not None:
            raise RuntimeError("this NetworkTracker is already running; call stop() first")
        self.statistics = None
        self._finish = _COUNTERS[self.method](self)
        # the clock starts last so that none of the set-up above is counted as network time
        self._started = time.perf_counter()
        return self

    def stop(self) -> dict[str, Any]:
        """Stop counting and return the statistics.

        Returns
        -------
        dict
            ``method``, ``requests``, ``bytes_downloaded`` (response bodies; wire payload for tshark),
            ``bytes_uploaded``, ``connections_opened``, ``elapsed_seconds``, ``request_latencies_seconds``
            (per request, until its response headers arrived), and the older key names
            (``amount_downloaded_in_bytes``, ``total_transfer_in_bytes``, ...); tshark adds packet counts.
        """
        if self._started is None:
            raise RuntimeError("this NetworkTracker was not started")
        elapsed = time.perf_counter() - self._started
        self._started = None
        finish, self._finish = self._finish, None
        stats = finish()
        stats["method"] = self.method
        stats["elapsed_seconds"] = elapsed
        stats = _with_legacy_keys(stats)
        self.statistics = stats
        return stats

    def __enter__(self) -> NetworkTracker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        if self._started is not None:
            self.stop()


def _count_in_library(tracker: NetworkTracker) -> Callable[[], dict[str, Any]]:
    """Hook requests/urllib3 and aiohttp in this process; the returned function unhooks and counts."""
    recorder = _library_hooks.LibraryRecorder()
    _library_hooks.install(recorder)

    def finish() -> dict[str, Any]:
        _library_hooks.uninstall(recorder)
        records = list(recorder.requests)
        latencies = [r.headers_seconds for r in records if r.headers_seconds is not None]
        return {
            "requests": len(records),
            "bytes_downloaded": sum(r.bytes_downloaded for r in records) + recorder.stream_bytes_downloaded,
            "bytes_uploaded": sum(r.bytes_uploaded for r in records),
            "connections_opened": recorder.connections_opened,
            "request_latencies_seconds": latencies,
            # time spent waiting for responses, summed over requests (overlapping requests each count)
            "total_transfer_time_in_seconds": float(sum(latencies)),
        }

    return finish


def _count_at_proxy(tracker: NetworkTracker) -> Callable[[], dict[str, Any]]:
    """Zero the proxy's counters; the returned function reads them."""
    proxy = tracker.proxy
    proxy.reset_stats()

    def finish() -> dict[str, Any]:
        counters = proxy.stats()
        totals = counters["totals"]
        latencies = list(counters.get("request_latencies_seconds", []))
        return {
            "requests": int(totals["requests"]),
            "bytes_downloaded": int(totals["bytes_downloaded"]),
            "bytes_uploaded": int(totals["bytes_uploaded"]),
            "connections_opened": int(totals["connections_opened"]),
            "request_latencies_seconds": latencies,
            "total_transfer_time_in_seconds": float(sum(latencies)),
        }

    return finish


def _count_packets(tracker: NetworkTracker) -> Callable[[], dict[str, Any]]:
    """Start a tshark capture; the returned function stops it and counts."""
    from pytest_nwb_benchmarks.nwb.network._tshark import TsharkCapture

    return TsharkCapture(ports=tracker.ports, interface=tracker.interface).start().stop


#: method -> start counting for a tracker, returning the function that stops and reports.
_COUNTERS: dict[str, Callable[[NetworkTracker], Callable[[], dict[str, Any]]]] = {
    "library": _count_in_library,
    "proxy": _count_at_proxy,
    "tshark": _count_packets,
}


@contextlib.contextmanager
def network_activity_tracker(method: str = "auto", **options: Any) -> Iterator[NetworkTracker]:
    """Track the network activity of a ``with`` block.

    Parameters
    ----------
    method : str
        See :class:`NetworkTracker`.
    **options
        Passed to :class:`NetworkTracker` (``proxy``, ``ports``, ``interface``).

    Yields
    ------
    NetworkTracker
        The running tracker; its ``statistics`` are filled when the block exits (also on an exception).

    Examples
    --------
    >>> with network_activity_tracker() as tracker:  # doctest: +SKIP
    ...     requests.get(url)
    >>> tracker.statistics["requests"]  # doctest: +SKIP
    1
    """
    tracker = NetworkTracker(method, **options)
    tracker.start()
    try:
        yield tracker
    finally:
        if tracker.active:
            tracker.stop()


# --- what a network-tracking benchmark needs: the URLs to use and the tracker to wrap its operation in --

#: The HTTP client each way of streaming uses; it decides which methods can see the traffic.
CLIENT_OF_READER = {
    "remfile": "requests",
    "fsspec_https": "aiohttp",
    "fsspec_s3": "aiohttp",
    "ros3": "libcurl",
}
_AWS_S3_ENDPOINT = "https://s3.us-east-2.amazonaws.com"  # the DANDI bucket's region


class TrackingPlan:
    """The URLs a network-tracking benchmark opens and the tracker it wraps its operation in.

    Made in ``setup`` by :func:`plan_network_tracking`; for the ``proxy`` method it owns a running
    :class:`CountingProxy` per server the benchmark talks to, so call :meth:`close` in ``teardown``.

    Attributes
    ----------
    method : str
        The tracking method.
    http_url, s3_url, s3_endpoint : str or None
        What to pass to the reader (routed through the proxy for the ``proxy`` method).
    """

    def __init__(
        self,
        method: str,
        http_url: str | None,
        s3_url: str | None,
        s3_endpoint: str | None,
        proxy: Any = None,
        ports: Sequence[int] | None = None,
    ) -> None:
        self.method = method
        self.http_url = http_url
        self.s3_url = s3_url
        self.s3_endpoint = s3_endpoint
        self.proxy = proxy
        self.ports = ports

    def tracker(self) -> NetworkTracker:
        """A new tracker for this plan (use it as a context manager)."""
        return NetworkTracker(self.method, proxy=self.proxy, ports=self.ports)

    def close(self) -> None:
        """Stop the proxy, if any (idempotent)."""
        proxy, self.proxy = self.proxy, None
        if proxy is not None:
            proxy.stop()


def plan_network_tracking(asset: Any, reader: str, method: str = "auto") -> TrackingPlan:
    """Decide how to track one benchmark's traffic, and route its URLs if the method needs it.

    Parameters
    ----------
    asset : ResolvedAsset
        The resolved asset (``http_url``, ``s3_url``, ``s3_endpoint``).
    reader : str
        ``"remfile"``, ``"fsspec_https"``, ``"fsspec_s3"`` or ``"ros3"``.
    method : str
        See :func:`selected_method`.

    Returns
    -------
    TrackingPlan
        The plan; call its ``close()`` in ``teardown``.

    Raises
    ------
    NotImplementedError
        If the method cannot see this reader's traffic (ros3 under ``library``) or is not installed
        (``tshark``): asv and the plugin turn it into a skip with this reason.
    """
    if reader not in CLIENT_OF_READER:
        raise ValueError(f"unknown reader {reader!r}; expected one of {', '.join(CLIENT_OF_READER)}")
    method = selected_method(method)
    client = CLIENT_OF_READER[reader]
    if method == "library" and client == "libcurl":
        raise NotImplementedError(
            "the 'library' network tracking method cannot see the ros3 driver's requests (HDF5 makes them "
            "with libcurl, outside Python); track it with the counting proxy (--nwb-network=proxy, or "
            f"{METHOD_ENV}=proxy) or with tshark (--nwb-network=tshark, needs the capture privilege)"
        )
    return _PLANNERS[method](asset, reader in ("fsspec_s3", "ros3"))


def _plan_library(asset: Any, uses_s3: bool) -> TrackingPlan:
    """The reader uses the asset's own URLs; the hooks in this process see its requests."""
    return TrackingPlan("library", asset.http_url, asset.s3_url, asset.s3_endpoint)


def _plan_tshark(asset: Any, uses_s3: bool) -> TrackingPlan:
    """The reader uses the asset's own URLs; the capture watches the port of the server it talks to."""
    from pytest_nwb_benchmarks.nwb.network._tshark import TsharkUnavailable, tshark_path

    try:
        tshark_path()
    except TsharkUnavailable as error:
        # nothing could see the traffic: a skip with the reason (a capture that lacks the privilege
        # fails loudly when it starts instead, since the user asked for it)
        raise NotImplementedError(str(error)) from error
    url = (asset.s3_endpoint or _AWS_S3_ENDPOINT) if uses_s3 else asset.http_url
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return TrackingPlan("tshark", asset.http_url, asset.s3_url, asset.s3_endpoint, ports=(port,))


def _plan_proxy(asset: Any, uses_s3: bool) -> TrackingPlan:
    """The reader's URLs (or S3 endpoint) are routed through a counting proxy started for the benchmark."""
    from pytest_nwb_benchmarks.nwb.network._proxy import CountingProxy

    if uses_s3:
        proxy = CountingProxy(asset.s3_endpoint or _AWS_S3_ENDPOINT).start()
        return TrackingPlan("proxy", asset.http_url, asset.s3_url, proxy.url, proxy=proxy)
    parts = urlsplit(asset.http_url)
    proxy = CountingProxy(f"{parts.scheme}://{parts.netloc}").start()
    return TrackingPlan("proxy", proxy.info.rewrite(asset.http_url), asset.s3_url, asset.s3_endpoint, proxy=proxy)


#: method -> how a benchmark's reader is set up so that the method sees its traffic.
_PLANNERS: dict[str, Callable[[Any, bool], TrackingPlan]] = {
    "library": _plan_library,
    "proxy": _plan_proxy,
    "tshark": _plan_tshark,
}


def network_statistics_result(tracker: NetworkTracker) -> dict[str, Any]:
    """A finished tracker's statistics in asv's form for dict samples: ``{"samples": ..., "number": None}``."""
    if tracker.statistics is None:
        raise RuntimeError("the tracker has not finished; call this after its block")
    return {"samples": tracker.statistics, "number": None}
