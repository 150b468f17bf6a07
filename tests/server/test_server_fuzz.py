"""Fuzzing: the API from its own OpenAPI description (schemathesis), and the upload checks (hypothesis)."""

from __future__ import annotations

import atexit
import json
import math
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server import create_app
from server._payload import MAX_EXACT_INTEGER, PayloadError, parse_body

# Requests sent and answers by status class, reported at the end of the module (``-s`` shows it).
TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_tally() -> Iterator[None]:
    yield
    print(f"\nschemathesis: {sum(v for k, v in TALLY.items() if k != 'operations')} requests, {dict(TALLY)}")


# The schema is needed when the tests are collected: one app on a temporary home, removed at exit.
_HOME = Path(tempfile.mkdtemp(prefix="nwb-benchmarks-fuzz-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
APP = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(_HOME / "home"), "NWB_BENCHMARKS_PUSH_WAIT": "1"})
schema = schemathesis.openapi.from_wsgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    TALLY[f"{response.status_code // 100}xx"] += 1
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:300])
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith(("application/json", "text/html", "image/svg")), content_type


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
)


def _storable(value: object) -> bool:
    """Whether a value survives storing as JSON and reading back as doubles, as the server requires."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_EXACT_INTEGER
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return all(not 0xD800 <= ord(char) <= 0xDFFF for char in value)
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return all(_storable(key) and _storable(item) for key, item in value.items())


@given(JSON_VALUES)
@settings(max_examples=200, deadline=None)
def test_parse_body_accepts_exactly_the_storable_documents(value: object) -> None:
    raw = json.dumps({"json_content": value}, allow_nan=True).encode("utf-8", "surrogatepass")
    if _storable(value):
        parsed = parse_body(raw)
        # What is accepted reads back unchanged after storing (the server writes it with allow_nan=False).
        assert json.loads(json.dumps(parsed, allow_nan=False)) == parsed == {"json_content": value}
    else:
        with pytest.raises(PayloadError) as refused:
            parse_body(raw)
        assert refused.value.error in ("value out of range", "invalid text", "malformed JSON")
        assert refused.value.json_path is None or refused.value.json_path.startswith("$")


@given(st.binary(max_size=200))
@settings(max_examples=300, deadline=None)
def test_parse_body_never_fails_otherwise_on_any_bytes(raw: bytes) -> None:
    try:
        parse_body(raw)
    except PayloadError:
        pass


@given(st.integers(min_value=1, max_value=2000))
@settings(max_examples=20, deadline=None)
def test_any_depth_is_either_accepted_or_refused_cleanly(depth: int) -> None:
    raw = b"[" * depth + b"]" * depth
    if depth <= 32:
        assert parse_body(raw) is not None
    else:
        with pytest.raises(PayloadError, match="nested"):
            parse_body(raw)


RESULT_LIKE = st.fixed_dictionaries(
    {
        "version": st.integers(-2, 3) | st.text(max_size=3),
        "timestamp": st.sampled_from(["2024-02-17-00-59-37", "2024_02_17_00_59_37", "٢٠٢٤-٠٢-١٧-٠٠-٥٩-٣٧", "x"]),
        "commit_hash": st.text(max_size=70),
        "environment_hash": st.from_regex(r"[A-Za-z0-9._-]{0,12}", fullmatch=True),
        "machine_hash": st.from_regex(r"[A-Za-z0-9._-]{0,12}", fullmatch=True),
        "results": st.dictionaries(st.text(max_size=8), st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3)),
    }
)


@given(RESULT_LIKE | JSON_VALUES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fast_and_reference_schema_validators_agree(document: object) -> None:
    from server._schemas import _FAST_VALIDATORS, _VALIDATORS

    for kind in ("result", "machine", "environment"):
        assert _FAST_VALIDATORS[kind].is_valid(document) == _VALIDATORS[kind].is_valid(document), kind


# Integers up to 400 digits as well: a value beyond the range of a double once broke every reader.
SAMPLES = st.lists(
    st.integers() | st.integers(-(10**400), 10**400) | st.floats() | st.none(), max_size=4
) | st.dictionaries(st.text(max_size=5), JSON_SCALARS, max_size=3)


@given(st.integers(0, 10**6), st.dictionaries(st.text(max_size=6), st.dictionaries(st.text(max_size=6), SAMPLES)))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_whatever_is_accepted_can_be_read_back(index: int, results: dict) -> None:
    client = APP.test_client()
    name = f"result_timestamp-2020-01-01-00-00-00_machine-m{index}_environment-e{index}.json"
    content = {
        "version": 2,
        "timestamp": "2020-01-01-00-00-00",
        "commit_hash": "c",
        "environment_hash": f"e{index}",
        "machine_hash": f"m{index}",
        "results": results,
    }
    body = json.dumps({"json_content": content}, allow_nan=True).encode("utf-8", "surrogatepass")
    response = client.post(f"/data/contribute?filename={name}", data=body, content_type="application/json")
    TALLY[f"upload {response.status_code}"] += 1
    assert response.status_code in (200, 201, 400, 409), response.json
    # Whatever was stored, every reader still works.
    assert client.get("/data/runs").status_code == 200
    assert client.get("/data/benchmarks").status_code == 200
