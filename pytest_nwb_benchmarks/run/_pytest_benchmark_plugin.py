"""pytest-benchmark tests in a ``--nwb-bench`` run, and pytest-benchmark JSON of the run.

With ``--nwb-bench``, tests that use pytest-benchmark's ``benchmark`` fixture in the given paths
run as pytest-benchmark runs them (its calibration, rounds and timer, in the pytest process);
afterwards their raw per-round timings join the ASV-style benchmarks' samples in the same result
file. In ASV-style benchmark files, where pytest's test collection does not otherwise apply, only
such tests are collected. ``--nwb-benchmark-json=PATH`` writes the run's result file as
pytest-benchmark JSON as well.

Registered by :mod:`._plugin` (``pytest_plugins``), so it needs no entry point of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_nwb_benchmarks.collect._discovery import repr_without_address
from pytest_nwb_benchmarks.report._summary import SummaryRow
from pytest_nwb_benchmarks.results._pytest_benchmark import (
    benchmark_entry,
    benchmark_id,
    combination_details,
    key_of_params,
)
from pytest_nwb_benchmarks.run._session import bench_session
from pytest_nwb_benchmarks.utils._options import option_group

_JSON_LINES = pytest.StashKey[list[str]]()
_SEEN_KEYS = pytest.StashKey[dict[str, set[str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = option_group(parser)
    group.addoption(
        "--nwb-benchmark-json",
        default=None,
        metavar="PATH",
        help="also write the run's results as pytest-benchmark JSON (for pytest-benchmark compare)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("nwb_benchmark_json"):
        if not config.getoption("nwb_bench"):
            raise pytest.UsageError("--nwb-benchmark-json needs --nwb-bench (it exports the benchmark run's results)")
        try:
            import pytest_benchmark.stats  # noqa: F401 - its statistics make the JSON
        except ImportError as error:
            raise pytest.UsageError(f"--nwb-benchmark-json needs pytest-benchmark installed ({error})") from None
    config.stash[_JSON_LINES] = []
    config.stash[_SEEN_KEYS] = {}


def _in_benchmark_module(node: pytest.Collector) -> bool:
    from pytest_nwb_benchmarks.collect._items import BenchmarkModule

    return any(isinstance(parent, BenchmarkModule) for parent in node.listchain())


def _uses_benchmark(node: Any) -> bool:
    return not isinstance(node, pytest.Function) or "benchmark" in node.fixturenames


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> Iterator[Any]:
    """In ASV-style files, keep only the tests that use the ``benchmark`` fixture."""
    result = yield
    if result is None or not _in_benchmark_module(collector):
        return result
    if isinstance(result, (list, tuple)):
        return [node for node in result if _uses_benchmark(node)]
    return result if _uses_benchmark(result) else None


def _is_pytest_benchmark_item(item: pytest.Item) -> bool:
    from pytest_nwb_benchmarks.collect._items import BenchmarkItem

    return (
        isinstance(item, pytest.Function)
        and not isinstance(item, BenchmarkItem)
        and "benchmark" in item.fixturenames
        and item.config.getoption("nwb_bench")
    )


def _identity(item: pytest.Function) -> tuple[str, list[str], str, str]:
    """Benchmark id, parameter names, result-file key and readable parameters of a pytest-benchmark test."""
    from pytest_nwb_benchmarks.collect._items import benchmark_location

    classes = [node.name for node in item.listchain() if isinstance(node, pytest.Class)]
    name = benchmark_id(benchmark_location(item.path)[1], classes, item.originalname)
    params = getattr(getattr(item, "callspec", None), "params", None) or {}
    reprs = [repr_without_address(value) for value in params.values()]
    names, key = key_of_params(params, reprs)
    seen = item.config.stash[_SEEN_KEYS].setdefault(name, set())
    number = 1
    while key in seen:  # values with the same repr: later ones get " (1)", " (2)", ... much as asv does
        key = key_of_params(params, [f"{text} ({number})" for text in reprs])[1]
        number += 1
    seen.add(key)
    readable = ", ".join(f"{param}={text}" for param, text in zip(names, reprs))
    return name, names, key, readable


def _record(item: pytest.Function, status: str) -> None:
    bench = bench_session(item.config)
    if bench is None:
        return
    recorder = bench.recorder
    name, names, key, readable = _identity(item)
    fixture = (getattr(item, "funcargs", None) or {}).get("benchmark")
    metadata = getattr(fixture, "stats", None)
    data = list(getattr(getattr(metadata, "stats", None), "data", None) or [])
    if status == "passed" and not data:
        reason = "pytest-benchmark is disabled" if getattr(fixture, "disabled", False) else "the fixture was not used"
        notes = recorder.notes.setdefault(name, [])
        if f"nothing measured: {reason}" not in notes:
            notes.append(f"nothing measured: {reason}")
    row = SummaryRow(name, readable, status, data if status == "passed" and data else None, "seconds")
    if status != "passed" or not data:
        recorder.rows.append(row)
        return
    from importlib.metadata import version

    details = combination_details(
        name=metadata.name,
        fullname=metadata.fullname,
        group=metadata.group,
        param=metadata.param,
        params=metadata.params,
        extra_info=metadata.extra_info,
        options={option: getattr(value, "__name__", value) for option, value in dict(metadata.options).items()},
    )
    recorder.record_external(
        name,
        key,
        row,
        metadata=benchmark_entry(names, version("pytest-benchmark")),
        number=metadata.iterations,
        per_combination={"pytest_benchmark": details},
    )
    item.user_properties.append(("samples", len(data)))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """Harvest pytest-benchmark's timings once the test body ran (its fixture still holds them)."""
    report = yield
    if _is_pytest_benchmark_item(item) and (call.when == "call" or (call.when == "setup" and not report.passed)):
        _record(item, report.outcome)  # type: ignore[arg-type]
    return report


def pytest_nwb_results_written(config: pytest.Config, paths: list[Path]) -> None:
    out = config.getoption("nwb_benchmark_json")
    if not out:
        return
    from pytest_nwb_benchmarks.results._file_names import InvalidFileName, parse_file_name
    from pytest_nwb_benchmarks.results._pytest_benchmark_export import describe, export_result_file

    for path in paths:
        try:
            if parse_file_name(Path(path).name).kind != "result":
                continue
        except InvalidFileName:
            continue
        try:
            export = export_result_file(Path(path), Path(out))
        except (OSError, ValueError) as error:  # the result file is safe; say what went wrong with the copy
            config.stash[_JSON_LINES].append(f"could not write pytest-benchmark JSON to {out}: {error}")
            continue
        config.stash[_JSON_LINES].extend(describe(export, Path(out)))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    out = config.getoption("nwb_benchmark_json")
    lines = config.stash.get(_JSON_LINES, [])
    if out and not lines:
        lines = [f"no pytest-benchmark JSON written to {out}: the run wrote no result file"]
    for line in lines:
        terminalreporter.write_line(f"nwb benchmarks: {line}" if not line.startswith("  ") else line)


def pytest_nwb_result_metadata(config: pytest.Config) -> dict | None:
    bench = bench_session(config)
    measured = sorted(
        name
        for name, entry in (bench.recorder.benchmarks if bench else {}).items()
        if entry.get("measured_by") == "pytest-benchmark"
    )
    if not measured:
        return None
    from importlib.metadata import version

    return {"pytest_benchmark": {"version": version("pytest-benchmark"), "measured": measured}}
