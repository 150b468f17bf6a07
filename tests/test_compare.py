"""Comparisons of two runs: injected changes are found, controls are not flagged, few samples are uncertain."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_nwb_benchmarks import (
    IncomparableRuns,
    compare_runs,
    judge_samples,
    mann_whitney_p,
    write_result_file,
)

MACHINE, ENVIRONMENT = "a" * 40, "e" * 40
NOISE = st.floats(min_value=0.0, max_value=0.04)
SIZES = st.integers(min_value=8, max_value=40)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _noisy(rng: np.random.Generator, size: int, sigma: float, scale: float = 1.0, outliers: float = 0.0) -> list[float]:
    """Timing-like samples: a level times log-normal noise, with a fraction of slow outliers."""
    samples = scale * 0.01 * np.exp(rng.normal(0.0, sigma, size))
    samples[rng.random(size) < outliers] *= 1.5
    return [float(v) for v in samples]


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, m=SIZES, n=SIZES, sigma=NOISE, scale=st.floats(min_value=1.3, max_value=4.0))
def test_every_injected_regression_above_the_threshold_is_found(
    seed: int, m: int, n: int, sigma: float, scale: float
) -> None:
    rng = np.random.default_rng(seed)
    baseline, contender = _noisy(rng, m, sigma), _noisy(rng, n, sigma, scale)
    assert judge_samples(baseline, contender).verdict == "slower"
    assert judge_samples(contender, baseline).verdict == "faster"


@settings(max_examples=80, deadline=None)
@given(seed=SEEDS, m=SIZES, n=SIZES, sigma=NOISE)
def test_no_control_is_flagged(seed: int, m: int, n: int, sigma: float) -> None:
    rng = np.random.default_rng(seed)
    verdict = judge_samples(_noisy(rng, m, sigma, outliers=0.1), _noisy(rng, n, sigma, outliers=0.1))
    assert verdict.verdict in ("same", "uncertain")


@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, m=st.integers(1, 5), n=st.integers(1, 5), scale=st.floats(min_value=0.2, max_value=5.0))
def test_few_samples_are_uncertain(seed: int, m: int, n: int, scale: float) -> None:
    rng = np.random.default_rng(seed)
    verdict = judge_samples(_noisy(rng, m, 0.02), _noisy(rng, n, 0.02, scale))
    assert verdict.verdict == "uncertain"
    assert "too few samples" in verdict.reason


def test_a_change_below_the_threshold_is_not_a_change() -> None:
    rng = np.random.default_rng(1)
    baseline, contender = _noisy(rng, 40, 0.002), _noisy(rng, 40, 0.002, 1.05)
    verdict = judge_samples(baseline, contender, threshold=0.10)
    assert verdict.p_value < 1e-6 and verdict.verdict == "same"
    assert judge_samples(baseline, contender, threshold=0.02).verdict == "slower"


def test_wide_noise_is_uncertain_not_same() -> None:
    rng = np.random.default_rng(2)
    verdict = judge_samples(_noisy(rng, 10, 0.5), _noisy(rng, 10, 0.5))
    assert verdict.verdict == "uncertain" and "too noisy" in verdict.reason
    assert verdict.ci_low < 1 / 1.1 or verdict.ci_high > 1.1


def test_exact_counts_compare_exactly() -> None:
    assert judge_samples([1000], [1000]).verdict == "same"
    more = judge_samples([1000], [1500])
    assert (more.verdict, more.p_value, more.exact, more.ratio) == ("slower", 0.0, True, 1.5)
    assert judge_samples([4, 4], [2, 2]).verdict == "faster"
    assert judge_samples([1000], [1050]).verdict == "same"  # a real change, but below the threshold
    assert judge_samples([1.5], [3.0]).verdict == "uncertain"  # one measured (non-integer) value


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=25),
    st.lists(st.integers(0, 6), min_size=1, max_size=25),
    st.floats(0.0, 1.0),
)
def test_p_value_is_asvs_including_ties(x: list[int], y: list[int], jitter: float) -> None:
    from asv._stats import mann_whitney_u

    a = [value + jitter * i / 100 for i, value in enumerate(x)]
    b = [float(value) for value in y]
    assert mann_whitney_p(a, b) == pytest.approx(mann_whitney_u(a, b)[1], rel=1e-9, abs=1e-15)


def _write(folder: Path, results: dict, stamp: str, machine: str = MACHINE, commit: str = "c" * 40) -> Path:
    return write_result_file(
        folder, results=results, commit_hash=commit, machine_hash=machine, environment_hash=ENVIRONMENT, timestamp=stamp
    )


def _pair(folder: Path, scale: float, seed: int = 0) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)

    def results(factor: float) -> dict:
        return {
            "bench.Read.time_read": {"('a',)": _noisy(rng, 20, 0.02, factor), "('b',)": _noisy(rng, 20, 0.02)},
            "bench.Read.time_few": {"()": _noisy(rng, 3, 0.02, factor)},
            "bench.Net.track_network": {"()": {"requests": 4, "bytes_downloaded": int(1000 * factor), "method": "x"}},
        }

    return _write(folder, results(1.0), "2026-01-01-00-00-00"), _write(folder, results(scale), "2026-01-02-00-00-00")


def test_compare_runs_rows_and_counts(tmp_path: Path) -> None:
    before, after = _pair(tmp_path, 1.5)
    comparison = compare_runs(before, after)
    verdicts = {(row.benchmark, row.params, row.quantity): row.result.verdict for row in comparison.rows}
    assert verdicts == {
        ("bench.Net.track_network", "()", "bytes_downloaded"): "slower",
        ("bench.Net.track_network", "()", "requests"): "same",
        ("bench.Read.time_few", "()", None): "uncertain",
        ("bench.Read.time_read", "('a',)", None): "slower",
        ("bench.Read.time_read", "('b',)", None): verdicts[("bench.Read.time_read", "('b',)", None)],
    }
    assert verdicts[("bench.Read.time_read", "('b',)", None)] in ("same", "uncertain")
    assert comparison.counts()["slower"] == 2 and comparison.has("regression")
    # The folder form: its latest run against the run before it.
    assert compare_runs(tmp_path, tmp_path).to_json()["rows"] == comparison.to_json()["rows"]


def test_other_machines_compare_only_when_asked(tmp_path: Path) -> None:
    before = _write(tmp_path / "one", {"b.time_x": {"()": [1.0, 1.1]}}, "2026-01-01-00-00-00")
    after = _write(tmp_path / "two", {"b.time_x": {"()": [1.0, 1.1]}}, "2026-01-01-00-00-00", machine="b" * 40)
    with pytest.raises(IncomparableRuns, match="different machines"):
        compare_runs(before, after)
    comparison = compare_runs(before, after, allow_other_machine=True)
    assert any("different machines" in note for note in comparison.notes)
    _write(tmp_path / "two", {"b.time_x": {"()": [1.0]}}, "2026-01-01-00-00-00")
    with pytest.raises(IncomparableRuns, match="several machines"):
        compare_runs(before, tmp_path / "two")
    assert compare_runs(before, tmp_path / "two", machine="aaaa").contender.machine_hash == MACHINE


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest_nwb_benchmarks", "compare", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_cli_exit_codes_and_formats(tmp_path: Path) -> None:
    slower = _pair(tmp_path / "slower", 1.5)
    faster = _pair(tmp_path / "faster", 0.5)
    assert _cli(*slower).returncode == 0
    assert _cli(*slower, "--fail-on", "regression").returncode == 1
    assert _cli(*faster, "--fail-on", "regression").returncode == 0
    assert _cli(*faster, "--fail-on", "change").returncode == 1
    same = _pair(tmp_path / "same", 1.0)
    assert _cli(*same, "--fail-on", "change").returncode == 0
    done = _cli(*slower, "--format", "json", "--only-changed", "--sort", "ratio")
    document = json.loads(done.stdout)
    assert {"baseline", "contender", "threshold", "faster", "slower", "same", "uncertain"} <= set(document)
    assert document["slower"] == 2 and document["threshold"] == 0.1
    row = document["rows"][0]
    expected_keys = {"benchmark", "params", "quantity", "baseline_median", "contender_median", "ratio"}
    assert expected_keys | {"ci_low", "ci_high", "p_value", "verdict"} <= set(row)
    assert [r["verdict"] for r in document["rows"]] == ["slower", "slower"]
    assert document["rows"][0]["ratio"] >= document["rows"][1]["ratio"]
    markdown = _cli(*slower, "--format", "markdown").stdout
    assert "| + |" in markdown and "|---|" in markdown
    assert "slower" in _cli(*slower, "--threshold", "20%").stdout


def test_cli_bad_input_says_what_and_where(tmp_path: Path) -> None:
    bad = tmp_path / "result_timestamp-2026-01-01-00-00-00_machine-x_environment-y.json"
    bad.write_text("{not json")
    done = _cli(bad, bad)
    assert done.returncode == 2 and str(bad) in done.stderr and "not valid JSON" in done.stderr
    done = _cli(tmp_path / "missing.json", bad)
    assert done.returncode == 2 and "no such result file" in done.stderr
    assert _cli(bad, bad, "--threshold", "lots").returncode == 2


def test_legacy_result_files_compare(tmp_path: Path) -> None:
    legacy = sorted(Path(__file__).parent.joinpath("data", "results-2024").glob("result*e9c0f137*.json"))
    if len(legacy) < 2:
        legacy = sorted(Path(__file__).parent.joinpath("data", "results-2024").glob("result*.json"))[:2]
    comparison = compare_runs(legacy[0], legacy[-1], allow_other_machine=True)
    assert comparison.rows or comparison.notes
    json.dumps(comparison.to_json(), allow_nan=False)


NUMBERS = st.one_of(
    st.integers(-(10**6), 10**12),
    st.floats(min_value=-1e6, max_value=1e12, allow_nan=False, allow_infinity=False),
)
SAMPLES = st.one_of(
    st.lists(NUMBERS, min_size=0, max_size=12),
    st.dictionaries(
        st.sampled_from(["requests", "bytes", "latencies", "method", "flag"]),
        st.one_of(NUMBERS, st.lists(NUMBERS, max_size=6), st.text(max_size=3), st.booleans(), st.none()),
        max_size=4,
    ),
)
RESULTS = st.dictionaries(
    st.sampled_from(["b.T.time_a", "b.T.track_b", "b.T.peakmem_c"]),
    st.dictionaries(st.sampled_from(["()", "('x',)", "('y',)"]), SAMPLES, max_size=2),
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(RESULTS, RESULTS, st.floats(0.0, 2.0))
def test_any_valid_results_compare_to_strict_json(before: dict, after: dict, threshold: float) -> None:
    from pytest_nwb_benchmarks import compare_result_files
    from pytest_nwb_benchmarks.report._compare_cli import format_comparison
    from pytest_nwb_benchmarks.results._result_files import ResultFile

    runs = [
        ResultFile(2, stamp, "c" * 40, ENVIRONMENT, MACHINE, results)
        for stamp, results in (("2026-01-01-00-00-00", before), ("2026-01-02-00-00-00", after))
    ]
    comparison = compare_result_files(*runs, threshold=threshold)
    for row in comparison.rows:
        assert row.result.verdict in ("faster", "slower", "same", "uncertain")
        if row.result.verdict == "uncertain":
            assert row.result.reason
    document = json.loads(format_comparison(comparison, fmt="json"))
    assert sum(document[verdict] for verdict in ("faster", "slower", "same", "uncertain")) == len(document["rows"])
    format_comparison(comparison, fmt="markdown", sort="ratio")
    format_comparison(comparison, fmt="table", sort="verdict")


def test_thousands_of_samples_a_side_are_judged() -> None:
    from pytest_nwb_benchmarks.report._verdict import judge_samples, smallest_p

    assert smallest_p(2000, 3000) == 0.0 and 0.0 < smallest_p(10, 10) < 1e-5
    rng = np.random.default_rng(1)
    before = list(rng.lognormal(0.0, 0.05, 3000))
    after = list(rng.lognormal(np.log(1.5), 0.05, 2000))
    assert judge_samples(before, after, threshold=0.1).verdict == "slower"
    assert judge_samples(before, before[::-1], threshold=0.1).verdict == "same"
