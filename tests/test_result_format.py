"""One result format: the writer, the reader and the results server agree on every file.

Each file is fed to all three: the package's own check (:func:`check_content`, which the writer
runs before writing), the reader (:func:`read_result_file`, :func:`read_header_file`) and the
server's upload checks (:func:`server._payload.parse_body`, :func:`server._schemas.validate_content`).
The shipped JSON Schema, run by :mod:`jsonschema`, must agree with the model as well.
"""

from __future__ import annotations

import ast
import json
import os
import textwrap
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_nwb_benchmarks.results import (
    FIXED_KEYS,
    EnvironmentHeader,
    InvalidContent,
    InvalidResultFile,
    MachineHeader,
    check_content,
    first_schema_error,
    parse_file_name,
    read_header_file,
    read_result_file,
    write_header_file,
    write_result_file,
)

server_payload = pytest.importorskip("server._payload", reason="the results server's dependencies are not installed")
server_schemas = pytest.importorskip("server._schemas")

pytest_plugins = ["pytester"]

REFERENCE_DIR = Path(os.environ.get("NWB_BENCHMARKS_REFERENCE_RESULTS") or Path(__file__).parent / "data/results-2024")
COMMIT = "0123456789abcdef0123456789abcdef01234567"

SUITE = """
class Reading:
    params = [["small", "large"], [1, 2]]
    param_names = ["size", "copies"]
    rounds = 1
    repeat = 3
    number = 1
    warmup_time = 0.0

    def time_read(self, size, copies):
        sum(range(10 * copies))

    def track_bytes(self, size, copies):
        return 1024 * copies
    track_bytes.unit = "bytes"


def time_plain():
    pass
"""


def _kind_of(path: Path) -> str:
    return parse_file_name(path.name).kind


def accepted_everywhere(path: Path) -> None:
    """Feed one file to the package's check, its reader and the server's upload checks; all must accept it."""
    raw = path.read_bytes()
    kind = _kind_of(path)
    content = json.loads(raw)
    check_content(kind, content)
    assert first_schema_error(kind, content) is None
    if kind == "result":
        read = read_result_file(path)
        assert read.to_content()["results"] == content["results"]
    else:
        header = read_header_file(path)
        assert isinstance(header, MachineHeader if kind == "machine" else EnvironmentHeader)
    server_schemas.validate_content(kind, server_payload.parse_body(raw))


def reference_files() -> list[Path]:
    if not REFERENCE_DIR.is_dir():
        pytest.fail(f"the reference result files are missing: expected them in {REFERENCE_DIR}")
    return sorted(path for path in REFERENCE_DIR.glob("*.json"))


def test_the_reference_files_cover_all_three_kinds() -> None:
    assert {_kind_of(path) for path in reference_files()} == {"result", "machine", "environment"}


@pytest.mark.parametrize("path", reference_files(), ids=lambda path: path.name[:60])
def test_every_reference_file_is_accepted_by_writer_reader_and_server(path: Path) -> None:
    accepted_everywhere(path)


def test_a_fresh_plugin_run_is_accepted_by_writer_reader_and_server(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("asv_suite")
    pytester.path.joinpath("asv_suite", "bench_format.py").write_text(textwrap.dedent(SUITE))
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT)
    result.assert_outcomes(passed=9)
    written = sorted((pytester.path / "results").glob("*.json"))
    assert sorted(_kind_of(path) for path in written) == ["environment", "machine", "result"], written
    for path in written:
        accepted_everywhere(path)
    run = read_result_file(next(path for path in written if _kind_of(path) == "result"))
    assert run.commit_hash == COMMIT
    assert run.results["bench_format.Reading.track_bytes"]["(\"'large'\", '2')"] == [2048]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"version": 3}, "$.version"),
        ({"timestamp": "2024-02-30-00-00-00"}, "$.timestamp"),
        ({"machine_hash": "a/b"}, "$.machine_hash"),
        ({"results": {"b": {"()": [1.0, None]}}}, "$.results.b['()'][1]"),
        ({"results": {"b": {"()": 1.0}}}, "$.results.b['()']"),
    ],
)
def test_what_the_reader_refuses_the_server_refuses(tmp_path: Path, change: dict, path: str) -> None:
    content = {**json.loads(reference_files()[-1].read_text()), **change}
    stored = tmp_path / reference_files()[-1].name
    stored.write_text(json.dumps(content))
    with pytest.raises(InvalidResultFile):
        read_result_file(stored)
    with pytest.raises(InvalidContent) as caught:
        check_content("result", content)
    assert caught.value.json_path == path
    with pytest.raises(server_schemas.SchemaError) as refused:
        server_schemas.validate_content("result", content)
    assert path.startswith(refused.value.json_path)  # jsonschema names the samples that match no form


# ---- property-based: whatever the model writes, the reader and the server accept ----

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
# Hashes name files: at most 40 characters keep a result file's name within the 200 allowed.
_HASH = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,39}\Z").filter(
    lambda text: not ("_environment-" in text or ".." in text or text.endswith("."))
)
# Integers beyond 2**53 are not exact as a double: the server refuses them, the writer does not check.
_NUMBER = st.one_of(st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False))
_STATISTIC = st.one_of(_NUMBER, _TEXT, st.booleans(), st.none(), st.lists(_NUMBER, max_size=4))
_SAMPLES = st.one_of(st.lists(_NUMBER, max_size=6), st.dictionaries(_TEXT, _STATISTIC, max_size=4))
_RESULTS = st.dictionaries(_TEXT, st.dictionaries(_TEXT, _SAMPLES, max_size=3), max_size=4)
_EXTRA = st.dictionaries(
    _TEXT.filter(lambda key: key not in FIXED_KEYS), st.one_of(_NUMBER, _TEXT, st.lists(_TEXT, max_size=3)), max_size=3
)
_TIMESTAMP = st.datetimes(datetime(1970, 1, 1), datetime(9999, 12, 31)).map(
    lambda moment: moment.strftime("%Y-%m-%d-%H-%M-%S")
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    results=_RESULTS,
    commit=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=64),
    machine=_HASH,
    environment=_HASH,
    timestamp=_TIMESTAMP,
    extra=_EXTRA,
)
def test_whatever_the_writer_writes_the_reader_and_server_accept(
    tmp_path_factory: pytest.TempPathFactory,
    results: dict,
    commit: str,
    machine: str,
    environment: str,
    timestamp: str,
    extra: dict,
) -> None:
    folder = tmp_path_factory.mktemp("written")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # finite samples only: nothing may be dropped
        path = write_result_file(
            folder,
            results=results,
            commit_hash=commit,
            machine_hash=machine,
            environment_hash=environment,
            timestamp=timestamp,
            extra=extra,
        )
    accepted_everywhere(path)
    read = read_result_file(path)
    assert (read.results, read.extra, read.commit_hash, read.timestamp) == (results, extra, commit, timestamp)


_ANY_SAMPLES = st.one_of(
    _SAMPLES,
    st.none(),
    _NUMBER,
    _TEXT,
    st.lists(st.one_of(_NUMBER, st.none(), _TEXT, st.booleans()), max_size=3),
    st.dictionaries(
        _TEXT, st.one_of(_STATISTIC, st.lists(_TEXT, min_size=1, max_size=2), st.dictionaries(_TEXT, _NUMBER))
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    results=st.one_of(
        st.dictionaries(_TEXT, st.dictionaries(_TEXT, _ANY_SAMPLES, max_size=3), max_size=3), _ANY_SAMPLES
    ),
    version=st.sampled_from([2, 1, 3, 2.0, True, "2"]),
    hashes=st.sampled_from(["abc", "a.b-c_d", "", "a/b", "-x", "a..b", "a.", 7]),
    commit=st.one_of(st.text(max_size=70), st.none()),
)
def test_the_shipped_schema_and_the_model_agree(results: Any, version: Any, hashes: Any, commit: Any) -> None:
    content = {
        "version": version,
        "timestamp": "2024-02-17-00-59-37",
        "commit_hash": commit,
        "environment_hash": hashes,
        "machine_hash": "m1",
        "results": results,
    }
    try:
        check_content("result", content)
    except InvalidContent:
        model_accepts = False
    else:
        model_accepts = True
    assert model_accepts == (first_schema_error("result", content) is None)


# ---- headers ----


def test_header_writer_refuses_what_the_reader_would_refuse(tmp_path: Path) -> None:
    with pytest.raises(InvalidContent) as caught:
        write_header_file(tmp_path, "machine", {"version": 0, "machine": "x"}, "abc")
    assert caught.value.json_path == "$.version"
    with pytest.raises(InvalidContent) as caught:
        write_header_file(tmp_path, "environment", {"3.11": [{"name": ["numpy"]}]}, "abc")
    assert caught.value.json_path == "$['3.11'][0].name"
    assert list(tmp_path.iterdir()) == []
    path, written = write_header_file(tmp_path, "environment", {"3.11": [{"name": "numpy", "version": "2"}]}, "abc")
    assert written and path.name == "info_environment-abc.json"
    assert read_header_file(path).versions() == {"numpy": "2"}


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("info_machine-a.json", '{"version": 1}', "needs more than its version"),
        ("info_machine-a.json", '{"version": 1, "machine": 5}', "(at $.machine)"),
        ("info_environment-a.json", '{"3.11": {}}', "expected a list of packages"),
        ("info_environment-a.json", "{}", "at least one Python"),
        ("result_timestamp-2024-01-01-00-00-00_machine-a_environment-b.json", "{}", "not a header"),
    ],
)
def test_header_reader_names_file_and_problem(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InvalidResultFile) as caught:
        read_header_file(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)


# ---- the layers: results stands alone, the server uses public names only ----

PACKAGE = Path(__file__).parents[1] / "pytest_nwb_benchmarks"


def _imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return modules


def test_results_imports_only_itself_and_utils() -> None:
    outside = {
        f"{path.name}: {module}"
        for path in (PACKAGE / "results").glob("*.py")
        for module in _imported_modules(path)
        if module.startswith("pytest_nwb_benchmarks")
        and not module.startswith(("pytest_nwb_benchmarks.results", "pytest_nwb_benchmarks.utils"))
    }
    assert not outside


def test_the_server_imports_only_public_names_of_the_package() -> None:
    private = {
        f"{path.name}: {module}"
        for path in (PACKAGE.parent / "server").glob("*.py")
        for module in _imported_modules(path)
        if module.startswith("pytest_nwb_benchmarks") and any(part.startswith("_") for part in module.split("."))
    }
    assert not private
    import pytest_nwb_benchmarks.report as report
    import pytest_nwb_benchmarks.results as results

    for package in (results, report):
        for name in package.__all__:
            assert getattr(package, name) is not None, name
