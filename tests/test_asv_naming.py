"""asv's naming and discovery rules: the plugin against asv_runner's own discovery, on one suite.

The suite uses every rule that decides what a benchmark is called, whether it exists, its
combinations and its recorded attributes. asv_runner discovers it in a process of its own, the
plugin collects it, and the two descriptions must be identical; the rules that only show when
running (skipped combinations, decorated timing attributes, renamed ids in result files, -k and
the asv runner) are checked by running it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness_benchmarks.compare_with_asv import collect_with_plugin, compare_discovery, discover_with_asv
from pytest_nwb_benchmarks.collect._discovery import _type_of
from pytest_nwb_benchmarks.collect._params import normalise_params, unique_reprs

pytest.importorskip("asv_runner")

pytest_plugins = ["pytester"]

COMMON = """
    class Shared:
        def time_shared(self):
            pass
"""

RULES = """
    import functools

    from asv_runner.benchmarks.mark import (
        SkipNotImplemented,
        benchmark,
        parameterize,
        skip_benchmark,
        skip_benchmark_if,
        skip_for_params,
        skip_params_if,
        timeout_at,
    )

    from .common import Shared


    class Renamed:
        def time_real(self):
            pass

        time_real.benchmark_name = "bench_rules.Other.time_renamed"

        def helper(self):
            return 1

        helper.benchmark_name = "bench_rules.Renamed.track_declared"

        def time_demoted(self):
            pass

        time_demoted.benchmark_name = "bench_rules.Renamed.helper_named"

        time_partial = functools.partial(print)
        track_builtin = len


    def _make():
        def inner():
            pass

        return inner


    time_made = _make()


    class Skipping:
        def __init__(self):
            raise RuntimeError("a class whose benchmarks are all skipped is never instantiated")

        @skip_benchmark
        def time_skipped(self):
            pass

        @skip_benchmark_if(True)
        def time_skipped_if(self):
            pass


    @skip_benchmark_if(False)
    def time_kept():
        pass


    @parameterize({"n": [1, 2], "kind": ["a", "b"]})
    class Parameterized:
        def track_n(self, n, kind):
            return n


    @parameterize({"x": [10, 20]})
    def track_x(x):
        return x


    class Units:
        unit = "widgets"
        type = "count"

        def track_widgets(self):
            return 3


    class SkipParams:
        params = [[1, 2], ["a", "b"]]

        @skip_for_params([(1, "a")])
        def track_some(self, n, s):
            return n

        @skip_params_if([(2, "b")], True)
        def track_others(self, n, s):
            return n

        @skip_params_if([(2, "a")], False)
        def track_all(self, n, s):
            return n


    class Versions:
        version = "v7"

        def time_fixed(self):
            pass


    def time_pretty():
        pass


    time_pretty.pretty_source = "a = 1"
    time_pretty.pretty_name = "A pretty one"


    @timeout_at(5)
    def time_timeout():
        pass


    @benchmark(number=3, repeat=4, warmup_time=0)
    def time_decorated():
        pass


    def track_not_implemented():
        raise SkipNotImplemented("not on this machine")


    class Cached:
        def setup_cache(self):
            return 5

        def track_cached(self, cache):
            return cache


    class CachedChild(Cached):
        def track_child(self, cache):
            return cache + 1


    class WrongNames:
        params = [[1, 2]]
        param_names = ["a", "b"]

        def track_w(self, a):
            return a


    class NoValues:
        params = [[]]

        def track_never(self, a):
            return a
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """The rules suite as the package ``benchmarks`` of a git repository (asv needs one)."""
    package = tmp_path / "repo" / "benchmarks"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "common.py").write_text(textwrap.dedent(COMMON))
    (package / "bench_rules.py").write_text(textwrap.dedent(RULES))
    # a folder that is no package: asv never imports it, and neither must the plugin
    (package / "data").mkdir()
    (package / "data" / "helper.py").write_text("from . import nothing\n")
    return package


def test_the_plugin_describes_the_suite_exactly_as_asv_runner(suite: Path, tmp_path: Path) -> None:
    plugin, errors = collect_with_plugin(suite, tmp_path)
    asv, import_errors = discover_with_asv(suite, tmp_path)
    assert errors == [] and import_errors == []
    comparison = compare_discovery(plugin, asv)
    assert comparison["only_plugin"] == [] and comparison["only_asv"] == []
    assert all(not found for found in comparison["differences"].values()), comparison["differences"]
    assert comparison["benchmarks"][0] == comparison["benchmarks"][1]
    assert comparison["asv_without_combinations"] == ["bench_rules.NoValues.track_never"]
    # and the rules had something to decide
    assert "bench_rules.Other.time_renamed" in plugin and "bench_rules.Renamed.track_declared" in plugin
    assert "bench_rules.inner" in plugin and "bench_rules.Shared.time_shared" in plugin
    assert not {"bench_rules.Renamed.time_demoted", "bench_rules.Renamed.helper_named"} & set(plugin)
    assert not any("partial" in name or "builtin" in name or "Skipping" in name for name in plugin)
    assert plugin["bench_rules.Units.track_widgets"]["type"] == "count"
    assert plugin["bench_rules.Versions.time_fixed"]["version"] == "v7"
    assert plugin["bench_rules.time_timeout"]["timeout"] == 5
    assert plugin["bench_rules.WrongNames.track_w"]["param_names"] == ["a"]
    assert len(plugin["bench_rules.Parameterized.track_n"]["keys"]) == 4
    cached = {
        plugin[f"bench_rules.{name}"]["setup_cache_key"] for name in ("Cached.track_cached", "CachedChild.track_child")
    }
    assert len(cached) == 1 and cached.pop().startswith("bench_rules:")


def _run(suite: Path, results: Path, *args: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    env["HOME"] = str(suite.parent.parent / "home")
    command = [sys.executable, "-m", "pytest", "benchmarks", "--nwb-bench", f"--nwb-results-dir={results}"]
    command += ["-p", "no:cacheprovider", "-rs", *args]
    return subprocess.run(command, cwd=suite.parent, env=env, capture_output=True, text=True, timeout=600)


def _keys(*combinations: tuple) -> set[str]:
    return {str(tuple(repr(value) for value in combination)) for combination in combinations}


def _results(results: Path) -> dict:
    (path,) = [path for path in results.glob("*.json") if "results" in json.loads(path.read_text())]
    return json.loads(path.read_text())


def test_running_follows_asvs_skips_timing_attributes_and_names(suite: Path, tmp_path: Path) -> None:
    done = _run(
        suite,
        tmp_path / "results",
        "--nwb-commit-hash",
        "0" * 40,
        "-k",
        "SkipParams or decorated or not_implemented or renamed or Units",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    content = _results(tmp_path / "results")
    results, benchmarks = content["results"], content["benchmarks"]
    assert set(results["bench_rules.SkipParams.track_some"]) == _keys((1, "b"), (2, "a"), (2, "b"))
    assert set(results["bench_rules.SkipParams.track_others"]) == _keys((1, "a"), (1, "b"), (2, "a"))
    assert len(results["bench_rules.SkipParams.track_all"]) == 4
    assert "bench_rules.track_not_implemented" not in results
    assert "not on this machine" in done.stdout
    # @benchmark(number=3, repeat=4, warmup_time=0): 4 samples of 3 calls in each of the 2 rounds
    assert len(results["bench_rules.time_decorated"]["()"]) == 8
    assert benchmarks["bench_rules.time_decorated"]["number"] == {"()": 3}
    # the declared id is the result key; -k matched it
    assert "bench_rules.Other.time_renamed" in results and "bench_rules.Renamed.time_real" not in results
    assert benchmarks["bench_rules.Units.track_widgets"]["type"] == "count"
    assert benchmarks["bench_rules.Units.track_widgets"]["unit"] == "widgets"


def test_a_declared_name_selects_with_k_and_reaches_asv(suite: Path, tmp_path: Path) -> None:
    pytest.importorskip("asv")
    repository = suite.parent
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "."]):
        subprocess.run(command, cwd=repository, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "suite"],
        cwd=repository,
        check=True,
    )
    done = _run(suite, tmp_path / "results", "--nwb-runner=asv", "-k", "Other.time_renamed or track_declared")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
    results = _results(tmp_path / "results")["results"]
    assert set(results) == {"bench_rules.Other.time_renamed", "bench_rules.Renamed.track_declared"}
    assert results["bench_rules.Renamed.track_declared"]["()"] == [1]


_values = st.one_of(st.integers(-3, 3), st.text(max_size=2), st.none(), st.booleans(), st.floats(allow_nan=False))
_params = st.one_of(
    st.lists(_values, max_size=4),  # one parameter, given flat
    st.lists(st.lists(_values, max_size=3), min_size=1, max_size=3),  # one list per parameter
)


@settings(max_examples=300, deadline=None)
@given(params=_params, names=st.lists(st.text(min_size=1, max_size=3), max_size=4))
def test_params_are_read_as_asv_runner_reads_them(params: list, names: list[str]) -> None:
    from asv_runner.benchmarks._base import _unique_param_ids, _validate_params

    theirs_params, theirs_names = _validate_params(params, names, "b")
    ours_params, ours_names, problems = normalise_params(params, names, "b")
    assert (ours_params, ours_names) == (theirs_params, theirs_names)
    assert [unique_reprs(values) for values in ours_params] == _unique_param_ids(theirs_params)
    # every case asv accepts silently but that is probably a mistake is reported
    assert bool(problems) == (
        (bool(names) and len(names) != len(ours_params)) or any(not values for values in ours_params)
    )


@settings(max_examples=200, deadline=None)
@given(name=st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z_][A-Za-z0-9_]{0,8}){0,3}\Z"))
def test_a_declared_name_gives_the_kind_asv_gives(name: str) -> None:
    from asv_runner.benchmarks import benchmark_types

    def func() -> None:
        pass

    func.benchmark_name = name  # type: ignore[attr-defined]
    expected = next((kind for kind in benchmark_types if kind.name_regex.match(name.split(".")[-1])), None)
    found = _type_of("helper", func)
    assert (found is None) == (expected is None)
    if found is not None:
        assert found.pattern.pattern == expected.name_regex.pattern
