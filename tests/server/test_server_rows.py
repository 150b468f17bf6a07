"""Reading result files into rows: the fast routes give what the value-by-value reading gives."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server._chunk_tables import chunk_tables
from server._database import BadFile, RunRows, read_stored_file, run_rows
from server._dataset import RUNS_SCHEMA, SAMPLES_SCHEMA, SERIES_SCHEMA, sort_keys
from server._samples import SampleError, _each_value, flat_series

NAME = f"result_timestamp-2025-01-01-00-00-00_machine-{'a' * 40}_environment-{'e' * 40}.json"

# Sample values of every kind a stored file may hold: numbers (some beyond 64 bits), nulls, text,
# booleans, non-finite floats, and containers where a number is expected.
_scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.text(max_size=3),
)
_values = st.one_of(
    _scalars, st.lists(_scalars, max_size=3), st.dictionaries(st.text(max_size=3), _scalars, max_size=2)
)
_samples = st.one_of(
    st.lists(st.one_of(st.integers(-(10**6), 10**6), st.floats(-1e9, 1e9), st.none()), max_size=8),
    st.lists(_values, max_size=5),
    st.dictionaries(st.sampled_from(["n_bytes", "time", "packets", "x"]), _values, max_size=3),
    _scalars,
)
_results = st.dictionaries(
    st.sampled_from(["m.C.time_a", "m.C.peakmem_b", "m.C.track_c", "m.D.mem_d"]),
    st.one_of(st.dictionaries(st.sampled_from(["()", "('x',)", "('y', 1)"]), _samples, max_size=3), _scalars),
    max_size=4,
)


def _same(fast: tuple, slow: tuple) -> None:
    assert fast[0] == slow[0]
    for got, expected in zip(fast[1:], slow[1:]):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_results)
def test_flat_series_equals_reading_each_value(results: dict) -> None:
    try:
        slow = _each_value(results)
    except SampleError as error:
        with pytest.raises(SampleError, match="too large"):
            flat_series(results)
        assert "too large for a 64-bit float" in str(error)
        return
    fast = flat_series(results)
    _same(fast, slow)
    heads, values, indices, counts = fast
    assert len(heads) == len(counts) and counts.sum() == len(values) == len(indices)
    assert (counts > 0).all() and np.isfinite(values).all()


def test_a_large_integer_is_located() -> None:
    results = {"m.C.time_a": {"()": [1.0, 10**400]}}
    with pytest.raises(SampleError, match=r"\$\.results\['m\.C\.time_a'\]\['\(\)'\]"):
        flat_series(results)


def _content(results: Any, **fields: Any) -> dict:
    return {"version": 2, "timestamp": "2025-01-01-00-00-00", "results": results, **fields}


@pytest.mark.parametrize(
    "text",
    [
        # Integers beyond 64 bits where they become text: orjson would read them as floats.
        '{"commit_hash": 123456789012345678901234567890, "results": {"m.C.time_a": {"()": [1]}}}',
        '{"machine_hash": -9999999999999999999, "results": {}}',
        # NaN and Infinity: json reads them (they carry no measurement).
        '{"results": {"m.C.time_a": {"()": [NaN, Infinity, 2.5]}}}',
        # A sample beyond 64 bits: the same float either way.
        '{"results": {"m.C.time_a": {"()": [123456789012345678901234567890, 1]}}}',
        '{"commit_hash": "\\ud800", "results": {}}',
    ],
)
def test_a_result_file_reads_as_json_reads_it(text: str) -> None:
    parsed, content = read_stored_file(NAME, text.encode())
    expected = json.loads(text)
    rows, reference = run_rows(NAME, parsed, content), run_rows(NAME, parsed, expected)
    assert rows.run == reference.run and rows.keys == reference.keys
    np.testing.assert_array_equal(rows.values, reference.values)
    for field in ("commit_hash", "machine_hash"):
        assert content.get(field) == expected.get(field)


def test_a_sample_beyond_any_float_is_a_bad_file() -> None:
    parsed, content = read_stored_file(NAME, b'{"results": {"m.C.time_a": {"()": [1e999999]}}}')
    assert math.isinf(content["results"]["m.C.time_a"]["()"][0])  # json's reading: no measurement
    huge = "1" + "0" * 400
    parsed, content = read_stored_file(
        NAME, json.dumps(_content({"m.C.time_a": {"()": [huge]}})).replace(f'"{huge}"', huge).encode()
    )
    with pytest.raises(BadFile, match="too large for a 64-bit float"):
        run_rows(NAME, parsed, content)


_runs = st.lists(
    st.dictionaries(
        st.sampled_from(["b.x", "a.y", "c.time_z"]),
        st.dictionaries(
            st.sampled_from(["p1", "p0"]),
            st.one_of(
                st.lists(st.one_of(st.floats(-10, 10), st.none()), max_size=6),
                st.dictionaries(st.sampled_from(["v_bytes", "w"]), st.lists(st.floats(-10, 10), max_size=4)),
            ),
            max_size=2,
        ),
        max_size=3,
    ),
    min_size=1,
    max_size=4,
)


def _rows(k: int, results: dict) -> RunRows:
    name = f"result_timestamp-2025-01-0{k % 3 + 1}-00-00-00_machine-{'a' * 40}_environment-{'e' * 40}-{k}.json"
    parsed, content = read_stored_file(NAME, json.dumps(_content(results, commit_hash=f"c{k % 2}")).encode())
    return run_rows(name, parsed, content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_runs)
def test_chunk_tables_hold_every_sample_sorted_as_the_files(runs: list[dict]) -> None:
    rows = [_rows(k, results) for k, results in enumerate(runs)]
    tables = chunk_tables(rows)
    expected = []
    for run in rows:
        start = 0
        for (benchmark, params, variable, unit), count in zip(run.keys, run.counts):
            for offset in range(start, start + count):
                value, index = float(run.values[offset]), int(run.indices[offset])
                expected.append((benchmark, params, variable, unit, value, index, run.run["run"]))
            start += count
    samples = tables["samples"].cast(SAMPLES_SCHEMA)  # dictionary arrays of text: text, as read back
    got = [
        (r["benchmark"], r["params"], r["variable"], r["unit"], r["value"], r["sample_index"], r["run"])
        for r in samples.to_pylist()
    ]
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    # Already in the order of the files: sorting changes nothing.
    for name, table in {**tables, "samples": samples}.items():
        assert table.sort_by(sort_keys(name)).equals(table)
    assert tables["series"].column("samples").to_pylist() == [
        len([1 for row in got if row[:4] == key[:4] and row[6] == key[4]])
        for key in zip(
            *(tables["series"].column(c).to_pylist() for c in ("benchmark", "params", "variable", "unit", "run"))
        )
    ]
    assert tables["runs"].num_rows == len(rows)
    assert tables["runs"].schema.equals(RUNS_SCHEMA) and tables["series"].schema.equals(SERIES_SCHEMA)
