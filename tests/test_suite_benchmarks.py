"""Every benchmark of the NWB suite runs one setup/time/teardown cycle on the small profile, and the limit report.

The benchmarks are driven directly here (instantiate, ``setup``, call, ``teardown``), the way asv and the
plugin do, against real small NWB files served by the streaming server in its own process.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import pytest

from pytest_nwb_benchmarks.nwb._limit_report import limit_report, limit_rows, main
from pytest_nwb_benchmarks.nwb._nwb_files import ensure_all_nwb_files
from pytest_nwb_benchmarks.nwb._streaming_server import SERVER_ENV, ServerInfo, StreamingServer
from pytest_nwb_benchmarks.results._result_files import read_result_file, write_result_file

MODULES = (
    "time_local_file_reading",
    "time_local_slicing",
    "time_remote_file_reading",
    "time_remote_slicing",
    "time_download",
    "time_physical_limit",
    "time_zarr_local",
    "time_zarr_remote",
    "time_zarr_limit",
    "time_lindi_remote",
)
NAMING = re.compile(
    r"^(H5py|Pynwb)(Local|FsspecHttpsNoCache|FsspecHttpsWithCache|FsspecS3NoCache|FsspecS3WithCache|RemfileNoCache"
    r"|RemfileWithCache|Ros3)(FileRead|ContinuousSlice|ContinuousSlicePreloaded)Benchmark$"
    r"|^(RequestsHttps|FsspecHttps|FsspecS3|Remfile)DownloadBenchmark$"
    r"|^(HttpRangeLimit|PreadLimit|ZarrChunkLimit)ContinuousSliceBenchmark$"
    r"|^(Zarr|ZarrPynwb)(Local|(Https|S3)(Consolidated|Unconsolidated))(FileRead|ContinuousSlice)Benchmark$"
    r"|^Lindi(H5py|Pynwb)(RemoteJson|RemoteTar|DiskJson)(FileRead|ContinuousSlice)Benchmark$"
)


def _classes(module: Any) -> list[tuple[str, type]]:
    return [
        (name, cls)
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and name.endswith("Benchmark")
    ]


def _benchmark_ids() -> list[str]:
    ids = []
    for module_name in MODULES:
        module = importlib.import_module(f"benchmarks.{module_name}")
        for name, cls in _classes(module):
            ids += [f"{module_name}.{name}.{m}" for m in sorted(dir(cls)) if m.startswith(("time_", "track_"))]
    return ids


BENCHMARK_IDS = _benchmark_ids()


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    """The small profile's files, the server at 0 and 20 ms, and the suite re-imported for that grid."""
    patch = pytest.MonkeyPatch()
    patch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "nwb-suite-cache"))
    patch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    patch.setenv("NWB_BENCHMARKS_TARGET", "local")
    patch.setenv("NWB_BENCHMARKS_LATENCIES", "0,20")
    try:
        files = ensure_all_nwb_files("small")
        root = next(iter(files.values())).parent.parent
        with StreamingServer(root, latencies_ms=(0, 20)) as server:
            patch.setenv(SERVER_ENV, server.info.to_json())
            # The parameter grid is computed at import time from the environment: import it afresh.
            importlib.reload(importlib.import_module("benchmarks.params"))
            # The Zarr/LINDI classes take their grid from their shared base classes: reload those next.
            for module_name in ("_format_bases", *MODULES):
                importlib.reload(importlib.import_module(f"benchmarks.{module_name}"))
            yield server.info
    finally:
        patch.undo()


def _lookup(benchmark_id: str) -> tuple[type, str]:
    module_name, class_name, method = benchmark_id.split(".")
    return getattr(importlib.import_module(f"benchmarks.{module_name}"), class_name), method


@pytest.mark.parametrize("benchmark_id", BENCHMARK_IDS)
def test_benchmark_runs_one_cycle(suite: ServerInfo, benchmark_id: str) -> None:
    cls, method = _lookup(benchmark_id)
    combo = tuple(values[0] for values in cls.params)  # the cheapest: first file or slice, 0 ms
    instance = cls()
    try:
        instance.setup(*combo)
    except NotImplementedError as skip:
        if "ZarrPynwbHttpsUnconsolidated" in cls.__name__:
            assert "consolidated metadata" in str(skip)  # cannot work: skipped with the reason
        else:
            assert "Ros3" in cls.__name__ and "h5py-s3" in str(skip)
            assert "ros3" not in h5py.registered_drivers()
        pytest.skip(f"skipped as asv would: {skip}")
    try:
        value = getattr(instance, method)(*combo)
    finally:
        if hasattr(instance, "teardown"):
            instance.teardown(*combo)
    if method.startswith("track_"):
        assert isinstance(value, int) and value > 0
        assert getattr(getattr(cls, method), "unit", None) in ("bytes", "requests")
    else:
        assert value is None


@pytest.mark.parametrize("module_name", MODULES)
def test_parameters_are_plain_picklable_values(module_name: str) -> None:
    module = importlib.import_module(f"benchmarks.{module_name}")
    for name, cls in _classes(module):
        assert NAMING.match(name), f"{module_name}.{name} does not follow <Method><Operation>Benchmark"
        assert len(cls.param_names) == len(cls.params)
        for values in cls.params:
            assert values and all(isinstance(v, (str, int)) for v in values)
            assert pickle.loads(pickle.dumps(values)) == values
        assert cls.number == 1 and cls.warmup_time == 0.0  # cold caches in every sample


def test_every_remote_slice_has_its_limit(suite: ServerInfo) -> None:
    slicing = importlib.import_module("benchmarks.time_remote_slicing")
    limits = importlib.import_module("benchmarks.time_physical_limit")
    local = importlib.import_module("benchmarks.time_local_slicing")
    http_cases, http_latencies = limits.HttpRangeLimitContinuousSliceBenchmark.params
    remote_slicing = [
        slicing,
        *(importlib.import_module(f"benchmarks.{m}") for m in ("time_zarr_remote", "time_lindi_remote")),
    ]
    for module in remote_slicing:
        for name, cls in _classes(module):
            if name.endswith("ContinuousSliceBenchmark"):
                assert set(cls.params[0]) <= set(http_cases) and cls.params[1] == http_latencies, name
    for module in (local, importlib.import_module("benchmarks.time_zarr_local")):
        for name, cls in _classes(module):
            if name.endswith("ContinuousSliceBenchmark"):
                assert set(cls.params[0]) <= set(limits.PreadLimitContinuousSliceBenchmark.params[0]), name


def test_http_limit_moves_exactly_the_needed_bytes(suite: ServerInfo) -> None:
    limits = importlib.import_module("benchmarks.time_physical_limit")
    cls = limits.HttpRangeLimitContinuousSliceBenchmark
    for combo in itertools.product(cls.params[0][:2], (0,)):
        bench = cls()
        bench.setup(*combo)
        try:
            suite.reset_stats()
            bench.time_slice(*combo)
            needed = bench.track_bytes_needed(*combo)
            stats = suite.stats()["totals"]
        finally:
            bench.teardown(*combo)
        assert stats["bytes_sent"] == needed
        assert stats["range_requests"] == bench.track_ranges_needed(*combo)
        # Uncompressed: the needed bytes are the slice's own bytes.
        with h5py.File(bench.asset.local_path, "r") as f:
            asset_name, selection = limits.resolve_slice_case(combo[0])
            if asset_name.endswith("uncompressed"):
                assert needed == f[bench.asset.dataset_path][selection].nbytes


# --- the limit report -----------------------------------------------------------------------------------------


def _key(*values: Any) -> str:
    return str(tuple(repr(v) for v in values))


def _write(tmp_path: Path, results: dict) -> Path:
    tmp_path.mkdir(exist_ok=True)
    return write_result_file(
        tmp_path, results=results, commit_hash="c0ffee", machine_hash="m" * 40, environment_hash="e" * 40
    )


def test_limit_report_ratios_per_latency(tmp_path: Path) -> None:
    wide, narrow = "ecephys-gzip[0:30000, 0:384]", "ecephys-gzip[0:8192, 0:32]"
    results = {
        "time_physical_limit.HttpRangeLimitContinuousSliceBenchmark.time_slice": {
            _key(wide, 0): [0.1, 0.1, 0.1],
            _key(wide, 20): [0.5, 0.5],
        },
        "time_physical_limit.HttpRangeLimitContinuousSliceBenchmark.track_bytes_needed": {_key(wide, 0): [1000]},
        "time_remote_slicing.H5pyRemfileNoCacheContinuousSliceBenchmark.time_slice": {
            _key(wide, 0): [0.3, 0.2, 0.4],
            _key(wide, 20): [2.0],
            _key(narrow, 0): [0.05],
        },
        "network_tracking_remote_slicing.H5pyRemfileNoCacheContinuousSliceBenchmark"
        ".track_network_activity_during_slice": {_key(wide, 0): {"bytes_downloaded": 2500, "num_requests": 3}},
        "time_physical_limit.PreadLimitContinuousSliceBenchmark.time_slice": {_key(wide): [0.01]},
        "time_local_slicing.H5pyLocalContinuousSliceBenchmark.time_slice": {_key(wide): [0.05]},
        "time_remote_file_reading.PynwbRemfileNoCacheFileReadBenchmark.time_read": {
            _key("ecephys-uncompressed", 20): [1.5]
        },
    }
    rows = {
        (r.method, r.case, r.latency_ms): r
        for r in limit_rows(read_result_file(_write(tmp_path / "a", results)).results)
    }
    assert rows[("H5pyRemfileNoCache", wide, 0)].ratio_to_limit == pytest.approx(3.0)
    assert rows[("H5pyRemfileNoCache", wide, 0)].bytes_ratio == pytest.approx(2.5)
    assert rows[("H5pyRemfileNoCache", wide, 20)].ratio_to_limit == pytest.approx(4.0)
    assert rows[("H5pyRemfileNoCache", narrow, 0)].ratio_to_limit is None  # no limit measured for it
    assert rows[("H5pyLocal", wide, None)].ratio_to_limit == pytest.approx(5.0)
    assert rows[("HttpRangeLimit", wide, 0)].ratio_to_limit == pytest.approx(1.0)
    assert rows[("PynwbRemfileNoCache", "ecephys-uncompressed", 20)].operation == "FileRead"
    text = limit_report(_write(tmp_path / "b", results))
    assert "Remote, 0 ms added latency per request" in text
    assert "Remote, 20 ms added latency per request" in text
    assert "Local disk" in text
    assert "bytes/needed" in text and "2.50" in text and "3.00" in text


def test_limit_report_gives_each_median_its_interval(tmp_path: Path) -> None:
    case = "ecephys-gzip[0:30000, 0:384]"
    many = [0.100 + 0.001 * (i % 5) for i in range(40)]  # 0.100 ... 0.104: a tight interval
    results = {
        "time_remote_slicing.H5pyRemfileNoCacheContinuousSliceBenchmark.time_slice": {
            _key(case, 0): many,
            _key(case, 20): [0.2, 0.3],  # two samples give no 95 % interval of the median
        },
    }
    rows = {r.latency_ms: r for r in limit_rows(read_result_file(_write(tmp_path, results)).results)}
    assert rows[0].uncertainty == "+-1%"  # median 0.102, interval [0.101, 0.103]
    assert rows[20].uncertainty == "n=2"
    text = limit_report(_write(tmp_path / "again", results))
    assert "95% CI" in text and "+-1%" in text and "n=2" in text


def test_limit_report_without_network_results_has_no_bytes_column(tmp_path: Path) -> None:
    results = {
        "time_physical_limit.HttpRangeLimitContinuousSliceBenchmark.time_slice": {
            _key("ophys-gzip[0:4, :, :]", 0): [1.0]
        },
        "time_remote_slicing.H5pyFsspecS3NoCacheContinuousSliceBenchmark.time_slice": {
            _key("ophys-gzip[0:4, :, :]", 0): [2.0]
        },
    }
    text = limit_report(_write(tmp_path, results))
    assert "bytes/needed" not in text and "2.00" in text


def test_limit_report_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, {"time_other.Thing.time_it": {"()": [1.0]}})
    assert main([str(path)]) == 0
    assert "no NWB suite benchmarks" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main([str(broken)]) == 2
    assert "broken.json" in capsys.readouterr().err
