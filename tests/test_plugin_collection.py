"""Collection of ASV-style benchmarks: discovery rules, ids, params, selection, broken files."""

from __future__ import annotations

import json
import textwrap

import pytest

pytest_plugins = ["pytester"]

SUITE = """
    def time_module_func():
        pass

    def track_value():
        return 1

    def helper_not_a_benchmark():
        pass

    class TimeSuite:
        params = [[10, 1000], ["list", "tuple"]]
        param_names = ["n", "kind"]

        def time_sum(self, n, kind):
            pass

        def track_len(self, n, kind):
            return n

    class SingleParam:
        params = ["a", "b"]

        def time_it(self, letter):
            pass

    class TupleValues:
        params = [(1, 2), (3, 4)]
        param_names = ["x", "y"]

        def track_pair(self, x, y):
            return x * y

    class _Private:
        def time_hidden(self):
            pass

    class CamelCase:
        def TimeSomething(self):
            pass

        def PeakMemThing(self):
            pass
"""


def make_suite(pytester: pytest.Pytester, source: str = SUITE, name: str = "bench_basic") -> None:
    if not (pytester.path / "asv_suite").exists():
        pytester.mkpydir("asv_suite")
    pytester.path.joinpath("asv_suite", f"{name}.py").write_text(textwrap.dedent(source))


def collected_ids(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--collect-only", "-q", *args)
    return [line for line in result.outlines if "::" in line]


def test_nothing_is_collected_without_the_option(pytester: pytest.Pytester) -> None:
    make_suite(pytester)
    result = pytester.runpytest("asv_suite", "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_every_combination_is_an_item_with_a_readable_id(pytester: pytest.Pytester) -> None:
    make_suite(pytester)
    ids = collected_ids(pytester)
    assert "asv_suite/bench_basic.py::time_module_func" in ids
    assert "asv_suite/bench_basic.py::track_value" in ids
    assert "asv_suite/bench_basic.py::TimeSuite::time_sum[10-list]" in ids
    assert "asv_suite/bench_basic.py::TimeSuite::time_sum[1000-tuple]" in ids
    # a flat params list is one parameter, not several
    assert "asv_suite/bench_basic.py::SingleParam::time_it[a]" in ids
    # a list of tuples is several parameters: the cartesian product of (1, 2) and (3, 4)
    assert "asv_suite/bench_basic.py::TupleValues::track_pair[1-3]" in ids
    assert "asv_suite/bench_basic.py::TupleValues::track_pair[2-4]" in ids
    assert "asv_suite/bench_basic.py::CamelCase::TimeSomething" in ids
    assert "asv_suite/bench_basic.py::CamelCase::PeakMemThing" in ids
    assert not [i for i in ids if "helper" in i or "Private" in i]
    assert len(ids) == 2 + 4 + 4 + 2 + 4 + 2


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("bench_basic", 18),  # module
        ("TimeSuite", 8),  # class
        ("time_sum", 4),  # method
        ("list", 4),  # parameter value
        ("TimeSuite and 1000 and list", 2),
        ("bench_basic.TimeSuite.time_sum", 4),  # the asv id
    ],
)
def test_k_selects_by_module_class_method_and_parameter(
    pytester: pytest.Pytester, expression: str, expected: int
) -> None:
    make_suite(pytester)
    assert len(collected_ids(pytester, "-k", expression)) == expected


def test_m_selects_by_benchmark_type(pytester: pytest.Pytester) -> None:
    make_suite(pytester)
    ids = collected_ids(pytester, "-m", "track")
    assert ids and all("track_" in item for item in ids)
    assert len(collected_ids(pytester, "-m", "peakmem")) == 1


def test_mismatched_param_names_follow_asv_with_a_warning(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
        class Bad:
            params = [[1, 2], [3]]
            param_names = ["only_one"]

            def track_x(self, a, b):
                return a

        class Good:
            repeat = 1
            def track_fine(self):
                return 2
        """,
    )
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", "0" * 40)
    result.stdout.fnmatch_lines(
        ["*PytestCollectionWarning: bench_basic.Bad.track_x: params has 2 parameter(s) but param_names has 1 name(s)*"]
    )
    # asv runs it, with the missing name made up: so does the plugin (one warning of its own; pytest
    # may add its assertion-rewriting warnings when the plugin was imported before the run)
    result.assert_outcomes(passed=3)
    assert result.stdout.str().count("PytestCollectionWarning") == 1
    (path,) = [path for path in pytester.path.joinpath("results").glob("*.json") if "results" in path.read_text()]
    assert json.loads(path.read_text())["benchmarks"]["bench_basic.Bad.track_x"]["param_names"] == [
        "only_one",
        "param2",
    ]


def test_a_module_that_fails_to_import_is_a_collection_error_naming_the_file(pytester: pytest.Pytester) -> None:
    make_suite(pytester, "import module_that_does_not_exist\n", name="broken")
    make_suite(pytester, "def track_fine():\n    return 1\n", name="fine")
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", "0" * 40)
    result.stdout.fnmatch_lines(["*ERROR collecting asv_suite/broken.py*", "*module_that_does_not_exist*"])
    result.assert_outcomes(passed=1, errors=1)


def test_ids_are_dotted_from_the_benchmark_root(pytester: pytest.Pytester) -> None:
    from pytest_nwb_benchmarks.collect._items import benchmark_location

    pytester.mkpydir("asv_suite")
    sub = pytester.mkpydir("asv_suite/sub")
    module = sub / "mod.py"
    module.write_text("def time_x():\n    pass\n")
    assert benchmark_location(module) == ("asv_suite", "sub.mod")
    loose = pytester.path / "loose.py"
    loose.write_text("")
    assert benchmark_location(loose) == (None, "loose")
