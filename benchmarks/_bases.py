"""The shapes the suite's benchmark classes share, and the factory that makes one class per reading method.

A benchmark class of the suite is a *shape* (open a file, slice a dataset, slice it again, or track the
network traffic of either), a *reading method* (h5py on remfile, zarr over HTTP, ...), a parameter grid and
timing settings. The shapes are the private base classes here; the reading methods are
:class:`_Hdf5Method` (``_hdf5_methods``) and :class:`_FormatMethod` (``_format_bases``), which both follow
:class:`_ReadingMethod`; :func:`_one_class_per_method` makes the concrete classes, named
``<method><operation>Benchmark`` as asv ids them, and each module adds them to its namespace.

Every class and function defined here starts with an underscore, and the modules import them under those
names: neither asv nor the plugin collects what a module holds under such a name, so only the classes a
module binds to public names are benchmarks. The ids, grids
and timing settings are those of the classes written out one by one before; asv's ``version`` of each
benchmark (a hash of its source) is now that of the shared methods here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from pytest_nwb_benchmarks.nwb import network_statistics_result, plan_network_tracking, resolve_slice_case

#: Measuring processes (asv's ``rounds``) of the benchmarks whose samples and setups are cheap: the local
#: readers, LINDI with its reference file on disk and the physical limits. A comparison judges a change by
#: the rounds' own medians too, so that a difference between two processes (CPU placement, caches, load)
#: is not taken for a change of the code; the precision budget and sample limit are shared between the
#: rounds. The remote readers keep one round: their setups (opening a file at a latency) are expensive.
_CHEAP_ROUNDS = 2
#: Parameter names of the remote grids (the local ones have no latency).
_REMOTE_FILE_PARAMS = ("asset", "latency_ms")
_REMOTE_SLICE_PARAMS = ("slice_case", "latency_ms")


class _ReadingMethod(Protocol):
    """One way of reading the suite's files: what a shape needs to resolve, open, slice and close them."""

    name: str  # the class-name prefix, e.g. "H5pyRemfileNoCache" or "ZarrHttpsConsolidated"
    description: str  # how it reads, for docstrings: "h5py on a remfile (in-memory chunk cache only)"

    def resolve(self, name: str, latency_ms: int | None) -> Any:
        """Resolve an asset name (``latency_ms`` is None for the local grids); raise NotImplementedError to skip."""

    def open(self, asset: Any, via: Any = None) -> tuple:
        """Open the asset; ``via`` (a network-tracking plan) overrides its URLs."""

    def dataset(self, opened: tuple, asset: Any) -> Any:
        """The benchmarked dataset in what :meth:`open` returned."""

    def close(self, opened: tuple) -> None:
        """Close what :meth:`open` returned."""

    def traffic(self) -> str:
        """The reader name :func:`plan_network_tracking` knows this method's HTTP client by."""


class _ColdSamples:
    """Timing settings of a sample that must find every cache cold."""

    rounds = 1
    number = 1  # one call per sample: a second call would find the caches warm
    min_run_count = 1
    warmup_time = 0.0  # a warm-up call would warm the caches too


class _Reading:
    """What every shape does with its reading method (``_reading``, set per class by the factory)."""

    method = ""  # the reading method's name, e.g. "ZarrS3Consolidated"
    _reading: _ReadingMethod
    _operation = ""  # the middle of the class names, e.g. "FileRead"
    _summary = "{}"  # the class docstring, formatted with the method's description

    def _open_slice(self, slice_case: str, latency_ms: int | None, tracked: bool) -> None:
        asset, self.selection = resolve_slice_case(slice_case)
        self.asset = self._reading.resolve(asset, latency_ms)
        via = self._plan() if tracked else None
        self.opened: tuple = self._reading.open(self.asset, via)
        self.dataset: Any = self._reading.dataset(self.opened, self.asset)

    def _plan(self) -> Any:
        self.plan = plan_network_tracking(self.asset, self._reading.traffic())
        return self.plan

    def teardown(self, *params: Any) -> None:
        """Drop the data, close what was opened and, when tracking, the tracking plan."""
        self.dataset = self.data = None
        self._reading.close(getattr(self, "opened", ()))
        if hasattr(self, "plan"):
            self.plan.close()


class _FileRead(_Reading):
    """Time one open of a file nothing was cached for."""

    _operation = "FileRead"
    _summary = "Open the file with {}."

    def setup(self, asset: str, latency_ms: int | None = None) -> None:
        self.asset = self._reading.resolve(asset, latency_ms)
        self.opened: tuple = ()

    def time_read(self, asset: str, latency_ms: int | None = None) -> None:
        self.opened = self._reading.open(self.asset)


class _Slice(_Reading):
    """Time one slice of a dataset of a file opened in ``setup``."""

    _operation = "ContinuousSlice"
    _summary = "Slice through {}."

    def setup(self, slice_case: str, latency_ms: int | None = None) -> None:
        self._open_slice(slice_case, latency_ms, tracked=False)

    def time_slice(self, slice_case: str, latency_ms: int | None = None) -> None:
        self.data = self.dataset[self.selection]


class _RemoteFileRead(_FileRead, _ColdSamples):
    param_names = _REMOTE_FILE_PARAMS
    repeat = (1, 3, 10.0)
    timeout = 300


class _RemoteSlice(_Slice, _ColdSamples):
    param_names = _REMOTE_SLICE_PARAMS
    repeat = (1, 3, 5.0)
    timeout = 300


class _PreloadedSlice(_RemoteSlice):
    """Time a slice after reading the same slice once in ``setup``: what the method's caches save."""

    _operation = "ContinuousSlicePreloaded"
    _summary = "Slice through {}, after reading the same slice once in setup."

    def setup(self, slice_case: str, latency_ms: int | None = None) -> None:
        super().setup(slice_case, latency_ms)
        self.data = self.dataset[self.selection]  # the read that fills the caches


class _LocalFileRead(_FileRead, _ColdSamples):
    rounds = _CHEAP_ROUNDS
    param_names = ("asset",)
    repeat = (1, 5, 10.0)
    timeout = 120


class _LocalSlice(_Slice, _ColdSamples):
    rounds = _CHEAP_ROUNDS
    param_names = ("slice_case",)
    repeat = (1, 5, 10.0)
    timeout = 120


class _Tracked(_Reading):
    """A network-tracking shape: each sample is a dict of network statistics of one operation."""

    number = 1  # one operation per sample: a second one would find the caches warm
    timeout = 300


class _TrackedFileRead(_Tracked):
    """The network traffic of one open (the grid of the timed file reads)."""

    _operation = "FileRead"
    _summary = "Network traffic of opening the file with {}."
    param_names = _REMOTE_FILE_PARAMS

    def setup(self, asset: str, latency_ms: int) -> None:
        self.asset = self._reading.resolve(asset, latency_ms)
        self._plan()
        self.opened: tuple = ()

    def track_network_activity_during_read(self, asset: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.opened = self._reading.open(self.asset, self.plan)
        return network_statistics_result(tracker)


class _TrackedSlice(_Tracked):
    """The network traffic of one slice of a file opened in ``setup`` (the grid of the timed slices)."""

    _operation = "ContinuousSlice"
    _summary = "Network traffic of slicing through {}."
    param_names = _REMOTE_SLICE_PARAMS

    def setup(self, slice_case: str, latency_ms: int) -> None:
        self._open_slice(slice_case, latency_ms, tracked=True)

    def track_network_activity_during_slice(self, slice_case: str, latency_ms: int) -> dict:
        with self.plan.tracker() as tracker:
            self.data = self.dataset[self.selection]
        return network_statistics_result(tracker)


def _one_class_per_method(
    module: str, shape: type[_Reading], methods: Iterable[_ReadingMethod], **attributes: Any
) -> dict[str, type]:
    """Make one benchmark class per reading method, to add to a module's namespace.

    Parameters
    ----------
    module : str
        The module the classes belong to (its ``__name__``): asv ids them by it.
    shape : type
        The base class (one of the shapes above, or a subclass of one).
    methods : iterable of _ReadingMethod
        The reading methods, one class each.
    **attributes
        Class attributes they all get, e.g. ``params``.

    Returns
    -------
    dict
        ``<method><operation>Benchmark`` to the class.
    """
    classes: dict[str, type] = {}
    for reading in methods:
        name = f"{reading.name}{shape._operation}Benchmark"
        namespace = {
            "__module__": module,
            "__qualname__": name,
            "__doc__": shape._summary.format(reading.description),
            "method": reading.name,
            "_reading": reading,
            **attributes,
        }
        classes[name] = type(name, (shape,), namespace)
    return classes
