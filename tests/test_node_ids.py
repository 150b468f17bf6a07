"""Every parameter combination has a node id of its own, on every supported pytest.

``--lf``, ``--deselect``, JUnit XML and the progress counter all key on node ids, so two
combinations sharing one would be confused with each other.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
# node id, benchmark id and params key of every item of the suite on the default profile at the
# latencies 0 and 20 ms (the default profile's default became 20 alone), as committed before the suite's classes were restructured: results stay comparable
# only while each of these is still collected under the same names.
COMMITTED_IDS = ROOT / "tests" / "data" / "suite_ids_default_profile.tsv"
LISTING_PLUGIN = """
def pytest_collection_finish(session):
    with open({path!r}, "w", encoding="utf-8") as out:
        for item in session.items:
            out.write(f"{{item.nodeid}}\\t{{item.benchmark.name}}\\t{{item.params_key}}\\n")
"""

SUITE = """
    class Slicing:
        params = [["ecephys", "ophys"], ["gzip", "none"], [0, 1]]
        param_names = ["kind", "compression", "latency"]

        def time_slice(self, kind, compression, latency):
            pass

        def track_bytes(self, kind, compression, latency):
            return 1
"""


def _suite(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("asv_suite")
    pytester.path.joinpath("asv_suite", "bench_ids.py").write_text(textwrap.dedent(SUITE))


def test_the_whole_nwb_suite_has_unique_node_ids() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks", "--nwb-bench", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert len(ids) > 500, result.stdout[-2000:] + result.stderr[-2000:]
    repeated = [node_id for node_id, count in Counter(ids).items() if count > 1]
    assert not repeated, repeated[:5]
    assert any(node_id.endswith("]") and "[" in node_id.rsplit("::", 1)[-1] for node_id in ids)


def test_node_ids_carry_the_parameters(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    items, _ = pytester.inline_genitems("asv_suite", "--nwb-bench")
    ids = [item.nodeid for item in items]
    assert len(ids) == len(set(ids)) == 16
    assert "asv_suite/bench_ids.py::Slicing::time_slice[ecephys-gzip-0]" in ids
    assert "asv_suite/bench_ids.py::Slicing::track_bytes[ophys-none-1]" in ids


def test_junit_names_and_progress_see_every_combination(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", "0" * 40, "-v", "--junitxml=junit.xml")
    result.assert_outcomes(passed=16)
    result.stdout.fnmatch_lines(["*track_bytes?ophys-none-1? PASSED*[[]100%[]]"])
    names = [case.get("name") for case in ET.parse(pytester.path / "junit.xml").iter("testcase")]
    assert len(names) == len(set(names)) == 16
    assert "time_slice[ophys-gzip-1]" in names


def test_deselect_and_select_one_combination_by_id(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    node = "asv_suite/bench_ids.py::Slicing::time_slice[ecephys-none-1]"
    items, _ = pytester.inline_genitems(node, "--nwb-bench")
    assert [item.nodeid for item in items] == [node]
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--collect-only", "-q", "--deselect", node)
    listed = [line for line in result.stdout.lines if "::" in line]
    assert len(listed) == 15 and node not in listed


def test_the_suite_keeps_every_committed_benchmark_id_and_params_key(tmp_path: Path) -> None:
    listing = tmp_path / "ids.tsv"
    (tmp_path / "id_listing.py").write_text(LISTING_PLUGIN.format(path=str(listing)))
    env = {key: value for key, value in os.environ.items() if not key.startswith("NWB_BENCHMARKS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "benchmarks", "--nwb-bench", "--collect-only", "-q"]
        + ["-p", "no:cacheprovider", "-p", "id_listing", "--nwb-latencies", "0,20"],  # the committed latencies
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listing.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    now = set(listing.read_text(encoding="utf-8").splitlines())
    committed = COMMITTED_IDS.read_text(encoding="utf-8").splitlines()
    missing = [line for line in committed if line not in now]
    assert not missing, f"{len(missing)} committed ids are no longer collected, e.g. {missing[:3]}"
