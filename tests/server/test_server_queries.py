"""The DuckDB queries answer what a straightforward pandas computation over the same uploads answers."""

from __future__ import annotations

import math
import tempfile
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_test_support import upload

from server import create_app

NUMBERS = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-1000, 1000), st.none())
# The upload schema takes lists of numbers only (a failed repeat is left out, not sent as null).
PLAIN = st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-1000, 1000)), max_size=6)
TRACKED = st.dictionaries(
    st.sampled_from(["bytes", "requests", "latencies"]),
    st.one_of(NUMBERS, st.lists(st.floats(0, 10), max_size=3), st.just("library"), st.booleans()),
    max_size=3,
)
RESULTS = st.dictionaries(
    st.sampled_from(["m.A.time_read", "m.A.peakmem_read", "m.B.track_network", "m.B.time_$x$"]),
    st.dictionaries(st.sampled_from(["()", "('a',)", "('b', 2)"]), st.one_of(PLAIN, TRACKED), max_size=2),
    max_size=4,
)
RUNS = st.lists(st.tuples(st.sampled_from(["a" * 40, "b" * 40]), RESULTS), min_size=1, max_size=4)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def flatten(run: str, machine: str, results: dict) -> list[dict[str, Any]]:
    """Every sample of one result file as a row, by the rules of the docs, written out plainly."""
    rows = []

    def add(benchmark: str, params: str, variable: str | None, index: int, value: Any) -> None:
        if _number(value):
            rows.append(
                {"run": run, "machine": machine, "benchmark": benchmark, "params": params, "variable": variable}
                | {"sample_index": index, "value": float(value)}
            )

    for benchmark, by_params in results.items():
        for params, samples in by_params.items():
            if isinstance(samples, dict):
                for key, value in samples.items():
                    for index, item in enumerate(value if isinstance(value, list) else [value]):
                        add(benchmark, params, key, index, item)
            elif not isinstance(samples, list):
                add(benchmark, params, None, 0, samples)
            else:
                for index, sample in enumerate(samples):
                    if isinstance(sample, dict):
                        for key, value in sample.items():
                            add(benchmark, params, key, index, value)
                    else:
                        add(benchmark, params, None, index, sample)
    return rows


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RUNS)
def test_queries_agree_with_pandas(runs: list[tuple[str, dict]]) -> None:
    # The database store's push may still be under way when the checks are done (uploads are
    # answered once the tables are committed): its remote, inside the home, may still be written.
    with tempfile.TemporaryDirectory(prefix="queries-", ignore_cleanup_errors=True) as home:
        app = create_app({"NWB_BENCHMARKS_SERVER_HOME": home})
        client = app.test_client()
        queries = app.extensions["nwb_benchmarks"].queries
        rows = []
        for index, (machine, results) in enumerate(runs):
            name = f"result_timestamp-2026-02-03-04-05-{index:02d}_machine-{machine}_environment-{'e' * 40}.json"
            content = {
                "version": 2,
                "timestamp": f"2026-02-03-04-05-{index:02d}",
                "commit_hash": f"{index:040x}",
                "environment_hash": "e" * 40,
                "machine_hash": machine,
                "results": results,
            }
            assert upload(client, name, content).status_code == 201
            rows += flatten(name.removesuffix(".json"), machine, results)
        frame = pd.DataFrame(
            rows, columns=["run", "machine", "benchmark", "params", "variable", "sample_index", "value"]
        )
        assert queries.counts()["samples"] == len(frame)
        assert queries.counts()["runs"] == len(runs)

        expected = (
            frame.groupby("benchmark")
            .agg(samples=("value", "size"), runs=("run", "nunique"), machines=("machine", "nunique"))
            .reset_index()
            .to_dict(orient="records")
        )
        got = [
            {key: row[key] for key in ("benchmark", "samples", "runs", "machines")}
            for row in client.get("/data/benchmarks").json
        ]
        assert got == expected

        keyed = frame.assign(variable=frame["variable"].fillna(""))
        for (benchmark, params, variable), group in keyed.groupby(["benchmark", "params", "variable"]):
            stats = group.groupby("run")["value"]
            series = {row["run"]: row for row in queries.series(benchmark, params, variable or None)}
            assert set(series) == set(group["run"])
            for run, values in stats:
                row = series[run]
                assert row["samples"] == len(values)
                for column, expected_value in (
                    ("median", values.median()),
                    ("q1", values.quantile(0.25)),
                    ("q3", values.quantile(0.75)),
                    ("min", values.min()),
                    ("max", values.max()),
                ):
                    assert row[column] == pytest.approx(expected_value, rel=1e-9, abs=1e-9), column

        for benchmark, group in frame.groupby("benchmark"):
            served = client.get(f"/data/benchmarks/{benchmark}/samples").json
            key = ["params", "run", "variable", "sample_index", "value"]
            got_rows = sorted(tuple(row[k] if row[k] is not None else "" for k in key) for row in served)
            want_rows = sorted(tuple(r) for r in group.fillna({"variable": ""})[key].itertuples(index=False))
            assert got_rows == want_rows
