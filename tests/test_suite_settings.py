"""The NWB suite's settings: one parser per field, precedence, and the hand-over to child processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_nwb_benchmarks.nwb import SETTINGS_ENV, ServerInfo, SuiteSettings, current_settings, parse_latencies
from pytest_nwb_benchmarks.nwb._settings import OPTION_VARIABLES, parse_network, parse_profile, parse_target

REPO = Path(__file__).resolve().parents[1]
SERVER = ServerInfo(
    root="/data", bucket="nwb-benchmarks", base_urls={0: "http://127.0.0.1:1", 20: "http://127.0.0.1:2"}
)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in (SETTINGS_ENV, *OPTION_VARIABLES.values(), "NWB_BENCHMARKS_SERVER", "NWB_BENCHMARKS_DANDI_API"):
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0,20", (0, 20)), (" 20 , 0 ", (20, 0)), ("5", (5,)), ([0, 7], (0, 7)), ((3,), (3,))],
)
def test_latencies_parse_text_and_numbers_alike(text: str | list[int], expected: tuple[int, ...]) -> None:
    assert parse_latencies(text) == expected


@pytest.mark.parametrize("bad", ["", "0,0", "-1", "0,x", "1.5", [0.5], [True], [], [-3]])
def test_latencies_refuse_anything_else(bad: object) -> None:
    with pytest.raises(ValueError, match="latencies must be distinct"):
        parse_latencies(bad)  # type: ignore[arg-type]


def test_names_are_checked_case_insensitively() -> None:
    assert (parse_profile(" Small "), parse_target("DANDI"), parse_network("Proxy")) == ("small", "dandi", "proxy")
    for parse, bad, accepted in (
        (parse_profile, "huge", "small, default"),
        (parse_target, "cloud", "local, dandi"),
        (parse_network, "sudo", "library, proxy, tshark"),
    ):
        with pytest.raises(ValueError, match=f"'{bad}'; accepted: {accepted}"):
            parse(bad)


def test_defaults_and_per_field_variables(clean_environment: pytest.MonkeyPatch) -> None:
    assert current_settings() == SuiteSettings()
    assert SuiteSettings().latencies_ms == (20,) and SuiteSettings().network == "library"
    clean_environment.setenv("NWB_BENCHMARKS_PROFILE", "small")
    clean_environment.setenv("NWB_BENCHMARKS_LATENCIES", "0,7")
    clean_environment.setenv("NWB_BENCHMARKS_NETWORK", "tshark")
    clean_environment.setenv("NWB_BENCHMARKS_DANDI_API", "http://example.org/api/")
    clean_environment.setenv("NWB_BENCHMARKS_SERVER", SERVER.to_json())
    settings = current_settings()
    assert (settings.profile, settings.target, settings.latencies_ms) == ("small", "local", (0, 7))
    assert (settings.network, settings.dandi_api, settings.server) == ("tshark", "http://example.org/api", SERVER)
    clean_environment.setenv("NWB_BENCHMARKS_TARGET", "cloud")
    with pytest.raises(ValueError, match="NWB_BENCHMARKS_TARGET: unknown target 'cloud'"):
        current_settings()


def test_the_handed_over_settings_win_over_per_field_variables(clean_environment: pytest.MonkeyPatch) -> None:
    handed = SuiteSettings(profile="small", target="dandi", latencies_ms=(5,), network="proxy").with_server(SERVER)
    clean_environment.setenv("NWB_BENCHMARKS_PROFILE", "default")
    clean_environment.setenv(SETTINGS_ENV, handed.to_json())
    assert current_settings() == handed
    assert SuiteSettings.from_json(handed.to_json()) == handed
    assert json.loads(handed.to_json())["server"]["base_urls"] == {
        "0": "http://127.0.0.1:1",
        "20": "http://127.0.0.1:2",
    }
    clean_environment.setenv(SETTINGS_ENV, json.dumps({"profile": "small", "colour": "red"}))
    with pytest.raises(ValueError, match=f"{SETTINGS_ENV} is malformed"):
        current_settings()


def test_a_spawned_interpreter_reads_the_same_settings(clean_environment: pytest.MonkeyPatch) -> None:
    handed = SuiteSettings(profile="small", latencies_ms=(0, 3), network="proxy").with_server(SERVER)
    environment = {**os.environ, SETTINGS_ENV: handed.to_json(), "PYTHONPATH": str(REPO)}
    code = "from pytest_nwb_benchmarks.nwb import current_settings; print(current_settings().to_json())"
    output = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
    assert SuiteSettings.from_json(output.stdout.strip()) == handed


PROBE = """
from pytest_nwb_benchmarks.nwb import current_settings

def test_probe():
    settings = current_settings()
    print("PROBE", settings.profile, settings.target, settings.latencies_ms, settings.network)
"""


@pytest.fixture
def suite_project(pytester: pytest.Pytester, clean_environment: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project whose conftest loads the suite plugin, with an ini file and an (empty-data) dandi suite."""
    pytester.makeconftest('pytest_plugins = ["pytest_nwb_benchmarks.nwb._plugin"]\n')
    pytester.makeini("[pytest]\nnwb_profile = small\nnwb_latencies = 0,9\n")
    (pytester.path / "benchmarks").mkdir()
    (pytester.path / "benchmarks" / "test_probe.py").write_text(PROBE)
    clean_environment.setenv("NWB_BENCHMARKS_TARGET", "dandi")  # no data or server needed
    return pytester


def _probe(result: pytest.RunResult) -> str:
    [line] = [line[line.index("PROBE ") :] for line in result.outlines if "PROBE " in line]
    return line


def test_option_beats_environment_beats_ini(suite_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = suite_project.runpytest_subprocess("-s", "-p", "no:cacheprovider", "benchmarks")
    result.assert_outcomes(passed=1)
    assert _probe(result) == "PROBE small dandi (0, 9) library"
    monkeypatch.setenv("NWB_BENCHMARKS_LATENCIES", "4")
    result = suite_project.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--nwb-network=proxy", "benchmarks")
    assert _probe(result) == "PROBE small dandi (4,) proxy"
    result = suite_project.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--nwb-latencies=1,2", "benchmarks")
    assert _probe(result) == "PROBE small dandi (1, 2) library"


def test_bad_values_name_their_source(suite_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = suite_project.runpytest_subprocess("--nwb-network=sudo", "benchmarks")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result = suite_project.runpytest_subprocess("--nwb-profile=huge", "benchmarks")
    result.stderr.fnmatch_lines(["*--nwb-profile: unknown profile 'huge'; accepted: small, default*"])
    monkeypatch.setenv("NWB_BENCHMARKS_LATENCIES", "0,0")
    result = suite_project.runpytest_subprocess("benchmarks")
    result.stderr.fnmatch_lines(["*environment variable NWB_BENCHMARKS_LATENCIES: latencies must be distinct*"])
