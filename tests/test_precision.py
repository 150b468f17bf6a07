"""Precision-driven sampling: the median's interval, the stopping rule, and what a run records."""

from __future__ import annotations

import json
import math
import random
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_nwb_benchmarks.results._result_files import read_result_file
from pytest_nwb_benchmarks.run._precision import (
    STOP_BUDGET,
    STOP_LIMIT,
    STOP_TARGET,
    PrecisionSettings,
    StopRule,
    median_interval,
    order_statistic_ranks,
    precision_record,
)
from pytest_nwb_benchmarks.run._system_check import check_system

pytest_plugins = ["pytester"]

COMMIT = "b" * 40
finite = st.floats(min_value=1e-9, max_value=1e3, allow_nan=False, allow_infinity=False)
samples_strategy = st.lists(finite, min_size=1, max_size=120)
confidences = st.sampled_from([0.8, 0.9, 0.95, 0.99])


# -- the interval -----------------------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_ranks_are_those_of_scipys_quantile_test(confidence: float) -> None:
    for count in range(1, 150):
        ranks = order_statistic_ranks(count, confidence)
        values = np.arange(1.0, count + 1)
        expected = scipy.stats.quantile_test(values, q=float(np.median(values)), p=0.5).confidence_interval(confidence)
        if ranks is None:
            assert math.isnan(expected.low), count
        else:
            assert (ranks[0], ranks[1]) == (expected.low, expected.high), count


def test_a_95_percent_interval_needs_six_samples() -> None:
    assert order_statistic_ranks(5, 0.95) is None
    assert order_statistic_ranks(6, 0.95)[:2] == (1, 6)
    assert median_interval([1.0, 2.0, 3.0], 0.95).relative_half_width == math.inf


@given(samples_strategy, confidences)
def test_interval_holds_the_median_between_two_of_the_samples(samples: list[float], confidence: float) -> None:
    interval = median_interval(samples, confidence)
    assert interval.count == len(samples)
    assert interval.median == pytest.approx(float(np.median(samples)))
    if interval.low is None:
        assert order_statistic_ranks(len(samples), confidence) is None
        return
    assert interval.low in samples and interval.high in samples
    assert interval.low <= interval.median <= interval.high
    assert interval.coverage >= confidence
    # the narrowest: one rank further in and the coverage would fall below the confidence
    lower, upper, _ = order_statistic_ranks(len(samples), confidence)
    if lower + 1 <= upper - 1:
        tighter = 1 - 2 * scipy.stats.binom.cdf(lower, len(samples), 0.5)
        assert tighter < confidence


@given(samples_strategy, st.floats(min_value=1e-3, max_value=1e3), st.randoms(use_true_random=False))
def test_relative_width_ignores_order_and_units(samples: list[float], scale: float, shuffler: random.Random) -> None:
    reference = median_interval(samples).relative_half_width
    shuffled = list(samples)
    shuffler.shuffle(shuffled)
    scaled = [value * scale for value in shuffled]
    if math.isinf(reference):
        assert math.isinf(median_interval(scaled).relative_half_width)
    else:
        assert median_interval(scaled).relative_half_width == pytest.approx(reference, rel=1e-9, abs=1e-12)


def test_coverage_is_kept_on_skewed_timings() -> None:
    generator = np.random.default_rng(20240717)
    for count in (6, 11, 25, 60):
        covered = 0
        trials = 2000
        for _ in range(trials):
            draws = generator.lognormal(mean=0.0, sigma=0.5, size=count)  # true median 1.0
            interval = median_interval(draws.tolist(), 0.95)
            covered += interval.low <= 1.0 <= interval.high
        # 95 % nominal, at least that exactly; allow three binomial standard errors of Monte Carlo noise
        assert covered / trials >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / trials), count


# -- the stopping rule -----------------------------------------------------------------------------


class SteppedClock:
    """A clock that the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=200, deadline=None)
@given(
    st.lists(finite, min_size=1, max_size=60),
    st.floats(min_value=0.0, max_value=0.5),
    st.integers(min_value=1, max_value=40),
    st.floats(min_value=0.0, max_value=10.0),
    st.integers(min_value=1, max_value=5),
)
def test_stop_rule_stops_at_the_first_sample_that_meets_a_condition(
    stream: list[float], target: float, max_samples: int, budget: float, min_samples: int
) -> None:
    clock = SteppedClock()
    rule = StopRule(PrecisionSettings(target, 0.95, budget, max_samples), min_samples=min_samples, clock=clock)
    taken: list[float] = []
    for value in stream:
        taken.append(value)
        clock.now += 0.25  # each sample takes a quarter of a second
        width = median_interval(taken, 0.95).relative_half_width
        met = target > 0 and width <= target
        may_give_up = len(taken) >= min_samples
        expected = (
            STOP_TARGET
            if met
            else STOP_LIMIT
            if may_give_up and len(taken) >= max_samples
            else STOP_BUDGET
            if may_give_up and clock.now >= budget
            else None
        )
        stopped = rule.should_stop(taken)
        assert stopped == (expected is not None)
        if stopped:
            assert rule.reason == expected
            break


def test_stop_rule_counts_earlier_rounds() -> None:
    rule = StopRule(PrecisionSettings(0.05, 0.95, 100.0, 100), prior=[1.0] * 5, clock=SteppedClock())
    assert rule.should_stop([1.0])  # six identical samples: the interval is a point
    assert rule.reason == STOP_TARGET


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target", -0.1, "precision_target"),
        ("time_budget", math.inf, "time_budget"),
        ("confidence", 1.0, "precision_confidence"),
        ("max_samples", 0, "max_samples"),
    ],
)
def test_unusable_settings_name_themselves(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PrecisionSettings(**{field: value})


def test_settings_priority_option_then_attribute_then_ini_then_builtin() -> None:
    attributes = {"time_budget": 7.0, "repeat": None}

    def lookup(name: str, default: Any) -> Any:
        return attributes.get(name, default)

    resolved = PrecisionSettings.resolve(lookup, {"max_samples": 12}, {"time_budget": 3.0, "precision_target": 0.02})
    assert (resolved.max_samples, resolved.time_budget, resolved.target, resolved.confidence) == (12, 7.0, 0.02, 0.95)
    attributes["repeat"] = 3  # asv's own repeat and no target: asv's sampling
    assert not PrecisionSettings.resolve(lookup, {}, {}).enabled
    assert PrecisionSettings.resolve(lookup, {"precision_target": 0.1}, {}).enabled


def test_record_is_json_ready_without_an_interval() -> None:
    record = precision_record([1.0, 2.0], PrecisionSettings(), STOP_BUDGET, 1.5)
    assert record["ci_low"] is None and record["relative_half_width"] is None and record["target_met"] is False
    json.dumps(record, allow_nan=False)


# -- a run through the plugin ------------------------------------------------------------------------

# Each sample's duration comes from the benchmark's own `timer` (an asv attribute), so the samples, and
# therefore where the rule stops, are known in advance; the rule itself runs for real.
SUITE = """
import itertools
import time


def clock_of(durations):
    state = {"now": 0.0, "calls": 0, "cycle": itertools.cycle(durations)}

    def clock():
        state["calls"] += 1
        state["now"] += next(state["cycle"]) if state["calls"] % 2 == 0 else 1.0
        return state["now"]

    return clock


class Steady:
    rounds = 1
    number = 1
    warmup_time = 0.0
    timer = staticmethod(clock_of([0.010]))

    def time_steady(self):
        pass


class Spread:
    rounds = 1
    number = 1
    warmup_time = 0.0
    max_samples = 20
    timer = staticmethod(clock_of([0.010, 0.030]))

    def time_spread(self):
        pass


class Slow:
    rounds = 1
    number = 1
    warmup_time = 0.0
    time_budget = 0.3
    timer = staticmethod(clock_of([0.010, 0.030]))

    def time_slow(self):
        time.sleep(0.05)


class Fixed:
    rounds = 1
    repeat = 3
    number = 1
    warmup_time = 0.0

    def time_fixed(self):
        pass
"""


def _run_suite(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    pytester.mkpydir("asv_suite")
    pytester.path.joinpath("asv_suite", "bench_precision.py").write_text(textwrap.dedent(SUITE))
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-commit-hash", COMMIT, *args)
    files = sorted((pytester.path / "results").glob("result_timestamp-*.json"))
    assert len(files) == 1, result.stdout.str()
    return result, json.loads(files[0].read_text())


def test_run_stops_each_benchmark_for_its_own_reason_and_records_why(pytester: pytest.Pytester) -> None:
    result, data = _run_suite(pytester)
    result.assert_outcomes(passed=4)
    precision = {name.split(".")[-1]: keys["()"] for name, keys in data["precision"].items()}

    steady = precision["time_steady"]
    assert (steady["samples"], steady["stop"], steady["target_met"]) == (6, STOP_TARGET, True)
    assert steady["ci_low"] == pytest.approx(0.010) and steady["ci_high"] == pytest.approx(0.010)
    assert steady["target"] == 0.05 and steady["confidence"] == 0.95 and steady["coverage"] >= 0.95

    spread = precision["time_spread"]
    assert (spread["samples"], spread["stop"], spread["target_met"]) == (20, STOP_LIMIT, False)
    assert spread["relative_half_width"] > 0.05

    slow = precision["time_slow"]
    assert slow["stop"] == STOP_BUDGET and slow["target_met"] is False
    assert slow["time_budget"] == 0.3 and 0.3 <= slow["sampling_seconds"] < 1.0
    assert 3 <= slow["samples"] <= 8  # 50 ms a call in a 0.3 s budget

    fixed = precision["time_fixed"]  # asv's `repeat`: no target, but the noise is still reported
    assert (fixed["samples"], fixed["target"], fixed["target_met"], fixed["stop"]) == (3, None, None, None)
    for name, keys in data["results"].items():
        assert len(keys["()"]) == data["precision"][name]["()"]["samples"]

    result.stdout.fnmatch_lines(
        [
            "*benchmark*params*median*95% CI*IQR*IQR/med*samples*unit*stop*",
            "*precision: 1 of 3 timed combinations (33 %)*within their target*",
            "*target missed: bench_precision.Spread.time_spread*after 20 samples (sample limit reached)*",
            "*WARNING unstable benchmark: bench_precision.Spread.time_spread: IQR is*",
        ]
    )
    # the file stays readable by the project's reader and acceptable to the results server
    read_result_file(next((pytester.path / "results").glob("result_timestamp-*.json")))
    from server._schemas import validate_content

    validate_content("result", data)


def test_run_options_beat_attributes_and_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nnwb_max_samples = 9\nnwb_time_budget = 30\n")
    result, data = _run_suite(pytester, "--nwb-max-samples", "7", "-k", "Spread or Steady")
    result.assert_outcomes(passed=2)
    spread = data["precision"]["bench_precision.Spread.time_spread"]["()"]
    assert (spread["samples"], spread["stop"]) == (7, STOP_LIMIT)
    assert data["runner"]["precision"] == {
        "overrides": {"max_samples": 7},
        "defaults": {"max_samples": 9, "time_budget": 30.0},
    }


def test_target_zero_gives_asvs_own_sampling(pytester: pytest.Pytester) -> None:
    result, data = _run_suite(pytester, "--nwb-precision-target", "0", "-k", "Steady")
    result.assert_outcomes(passed=1)
    steady = data["precision"]["bench_precision.Steady.time_steady"]["()"]
    assert steady["samples"] == 10 and steady["target"] is None  # asv's default repeat with one round: 10


@pytest.mark.parametrize("value", ["-1", "abc", "nan"])
def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester, value: str) -> None:
    pytester.mkpydir("asv_suite")
    result = pytester.runpytest("asv_suite", "--nwb-bench", "--nwb-time-budget", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nwb-time-budget*"])


# -- the machine check -------------------------------------------------------------------------------


def test_machine_check_on_this_machine() -> None:
    check = check_system(busy_interval=0.1)
    names = [finding.check for finding in check.findings]
    assert names == [
        "cpu_governor",
        "turbo_boost",
        "cpu_frequency_mhz",
        "load_average",
        "swap_used_bytes",
        "busy_processes",
        "aslr",
        "isolated_cpus",
        "power",
        "virtualized",
    ]
    by_name = {finding.check: finding for finding in check.findings}
    text = Path("/proc/sys/kernel/randomize_va_space").read_text().strip()
    assert by_name["aslr"].value == {"0": "disabled", "1": "partial randomization", "2": "full randomization"}[text]
    assert by_name["load_average"].value is not None and len(by_name["load_average"].value) == 3
    assert check.warnings == [finding.message for finding in check.findings if finding.ok is False]
    json.dumps(check.to_dict(), allow_nan=False)


def test_run_records_the_machine_check(pytester: pytest.Pytester) -> None:
    result, data = _run_suite(pytester, "-k", "Fixed")
    result.assert_outcomes(passed=1)
    check = data["system_check"]
    assert {finding["check"] for finding in check["findings"]} >= {"load_average", "aslr", "swap_used_bytes"}
    for message in check["warnings"]:
        result.stdout.fnmatch_lines([f"*WARNING {message[:40]}*"])
