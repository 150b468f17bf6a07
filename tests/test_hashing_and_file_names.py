"""Canonical hashing and the names of result and header files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_nwb_benchmarks.results._file_names import (
    ACCEPTED_PATTERNS,
    InvalidFileName,
    ParsedFileName,
    environment_file_name,
    machine_file_name,
    parse_file_name,
    result_file_name,
)
from pytest_nwb_benchmarks.utils._hashing import canonical_json, sha1_hash

# The result files shared by the first runs of the NWB benchmarks, kept in the repository.
REFERENCE_DIR = Path(os.environ.get("NWB_BENCHMARKS_REFERENCE_RESULTS") or Path(__file__).parent / "data/results-2024")

HASH_A = "9d805e6bc6fe1582a6a348d5cfddde3e86882815"
HASH_B = "509c211421a12aeede580b602fde9cda8143b0aa"


def reference_names() -> list[str]:
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"the reference result files are missing: expected them in {REFERENCE_DIR}")
    return sorted(path.name for path in REFERENCE_DIR.iterdir() if path.suffix == ".json")


# --- hashing -------------------------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_and_ascii() -> None:
    assert canonical_json({"b": [1, 2.5], "a": "é"}) == '{"a":"\\u00e9","b":[1,2.5]}'


def test_hash_ignores_key_order_but_not_values() -> None:
    first = {"x": {"b": 1, "a": [1, 2]}, "y": None}
    reordered = {"y": None, "x": {"a": [1, 2], "b": 1}}
    assert sha1_hash(first) == sha1_hash(reordered)
    assert len(sha1_hash(first)) == 40 and int(sha1_hash(first), 16) >= 0
    assert sha1_hash(first) != sha1_hash({"x": {"b": 2, "a": [1, 2]}, "y": None})
    assert sha1_hash([1, 2]) != sha1_hash([2, 1])


def test_hash_of_known_object_is_fixed() -> None:
    # A fixed digest: a change in canonical_json would silently re-key every stored header.
    assert sha1_hash({"b": ["é"], "a": 1}) == "c3b444be8947eb602b134162baaab1d0ffb127b4"


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"a": float("nan")})


# --- file names ----------------------------------------------------------------------------------


def test_names_written_by_this_project_parse_back() -> None:
    name = result_file_name("2024-02-21-12-33-50", HASH_A, HASH_B)
    assert name == f"result_timestamp-2024-02-21-12-33-50_machine-{HASH_A}_environment-{HASH_B}.json"
    assert parse_file_name(name) == ParsedFileName("result", "2024-02-21-12-33-50", HASH_A, HASH_B, False)
    assert machine_file_name(HASH_A) == f"info_machine-{HASH_A}.json"
    assert parse_file_name(machine_file_name(HASH_A)) == ParsedFileName("machine", None, HASH_A, None, False)
    assert environment_file_name(HASH_B) == f"info_environment-{HASH_B}.json"
    assert parse_file_name(environment_file_name(HASH_B)) == ParsedFileName("environment", None, None, HASH_B, False)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            f"results_timestamp-2024-02-17-00-59-37_machine-{HASH_A}_environment-{HASH_B}.json",
            ParsedFileName("result", "2024-02-17-00-59-37", HASH_A, HASH_B, True),
        ),
        (
            f"results_timestamp-2024-05-19-00-12-58_machine-Ackermann_environment-{HASH_B}.json",
            ParsedFileName("result", "2024-05-19-00-12-58", "Ackermann", HASH_B, True),
        ),
        (
            f"result_timestamp-2024-05-19-00-12-58_machine-my_host.lab-1_environment-{HASH_B}.json",
            ParsedFileName("result", "2024-05-19-00-12-58", "my_host.lab-1", HASH_B, False),
        ),
        ("info_machine-Ackermann.json", ParsedFileName("machine", None, "Ackermann", None, False)),
        (f"machine-{HASH_A}.json", ParsedFileName("machine", None, HASH_A, None, True)),
        (f"environment-{HASH_B}.json", ParsedFileName("environment", None, None, HASH_B, True)),
        ("DESKTOP-QJKETS8_results.json", ParsedFileName("result", None, None, None, True)),
    ],
)
def test_older_layouts_are_recognised(name: str, expected: ParsedFileName) -> None:
    assert parse_file_name(name) == expected


def test_every_reference_file_name_parses() -> None:
    names = reference_names()
    assert len(names) >= 20
    kinds = {parse_file_name(name).kind for name in names}
    assert kinds == {"result", "machine", "environment"}
    for name in names:
        parsed = parse_file_name(name)
        if parsed.kind == "result":
            assert parsed.timestamp and parsed.machine_id and parsed.environment_id


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../info_machine-abc.json", "path separator"),
        ("..\\info_machine-abc.json", "path separator"),
        ("results/info_machine-abc.json", "path separator"),
        ("/etc/info_machine-abc.json", "path separator"),
        ("info_machine-..json", ".."),
        ("..json", ".."),
        (".info_machine-abc.json", "starts with a dot"),
        ("info_machine-abc\n.json", "control characters"),
        ("info_machine-abc\x00.json", "control characters"),
        ("info_machine-abc.txt", ".json"),
        ("info_machine-abc.json.gz", ".json"),
        ("", "empty"),
        ("info_machine-.json", "does not match"),
        ("info_machine-ab c.json", "does not match"),
        ("result_timestamp-2024-13-01-00-00-00_machine-a_environment-b.json", "not a real date"),
        ("result_timestamp-2024-1-01-00-00-00_machine-a_environment-b.json", "does not match"),
        ("result_timestamp-2024-01-01-00-00-00_machine-a.json", "does not match"),
        ("notes.json", "matches no accepted pattern"),
        ("_results.json", "matches no accepted pattern"),
        ("x" * 300 + ".json", "longer than"),
    ],
)
def test_bad_names_are_refused_with_the_accepted_patterns(name: str, problem: str) -> None:
    with pytest.raises(InvalidFileName) as caught:
        parse_file_name(name)
    message = str(caught.value)
    assert problem in message
    assert repr(name) in message
    for pattern in ACCEPTED_PATTERNS:
        assert pattern in message


def test_non_string_name_is_refused() -> None:
    with pytest.raises(InvalidFileName, match="expected a string"):
        parse_file_name(Path("info_machine-abc.json"))  # type: ignore[arg-type]


def test_invalid_file_name_is_a_value_error() -> None:
    assert issubclass(InvalidFileName, ValueError)


@pytest.mark.parametrize(
    ("timestamp", "machine", "environment"),
    [
        ("2024_02_17_00_59_37", HASH_A, HASH_B),
        ("2024-02-17", HASH_A, HASH_B),
        ("2024-02-17-00-59-37", "../etc", HASH_B),
        ("2024-02-17-00-59-37", HASH_A, "a/b"),
        ("2024-02-17-00-59-37", "", HASH_B),
        ("2024-02-17-00-59-37", ".hidden", HASH_B),
    ],
)
def test_result_file_name_refuses_bad_parts(timestamp: str, machine: str, environment: str) -> None:
    with pytest.raises(ValueError):
        result_file_name(timestamp, machine, environment)


@pytest.mark.parametrize("bad", ["", "..", "a/b", "a\\b", ".x", "a b", "a..b"])
def test_header_file_names_refuse_bad_hashes(bad: str) -> None:
    with pytest.raises(ValueError):
        machine_file_name(bad)
    with pytest.raises(ValueError):
        environment_file_name(bad)
