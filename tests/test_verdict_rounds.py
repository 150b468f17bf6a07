"""The process-level rule of a verdict, on samples with a known round structure, and the rounds' record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_nwb_benchmarks import compare_runs, judge_samples, read_result_file, write_result_file
from pytest_nwb_benchmarks.report._rounds import NOTE_ONE_PROCESS, NOTE_UNKNOWN, check_rounds, split_rounds
from pytest_nwb_benchmarks.run._precision import PrecisionSettings, StopRule, precision_record

MACHINE, ENVIRONMENT = "a" * 40, "e" * 40
LEGACY = Path(__file__).parent / "data" / "results-2024"
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _rounds(rng: np.random.Generator, levels: list[float], counts: list[int], sigma: float = 0.01) -> list[float]:
    """Samples of one side: round ``i`` gives ``counts[i]`` samples around ``levels[i]`` (seconds)."""
    samples: list[float] = []
    for level, count in zip(levels, counts):
        samples += [float(v) for v in level * np.exp(rng.normal(0.0, sigma, count))]
    return samples


def test_the_measured_false_alarm_becomes_uncertain() -> None:
    """Two runs of unchanged code: each process sits at its own level, one run's processes happen to be faster."""
    rng = np.random.default_rng(3)
    baseline = _rounds(rng, [200e-6, 270e-6], [150, 150], sigma=0.05)
    contender = _rounds(rng, [180e-6, 215e-6], [150, 150], sigma=0.05)
    pooled = judge_samples(baseline, contender)
    assert pooled.verdict == "faster" and pooled.p_value < 1e-6  # what a pooled rank test says
    assert pooled.note == NOTE_UNKNOWN
    checked = judge_samples(baseline, contender, baseline_rounds=[150, 150], contender_rounds=[150, 150])
    assert checked.verdict == "uncertain" and checked.reason.startswith("rounds disagree")
    assert "35%" in checked.reason and checked.round_spread == pytest.approx(0.35, abs=0.02)
    assert (checked.baseline_rounds, checked.contender_rounds, checked.note) == (2, 2, None)
    # the pooled statistics stay as they were: only the verdict and its reason change
    assert (checked.ratio, checked.p_value, checked.ci_low) == (pooled.ratio, pooled.p_value, pooled.ci_low)
    one = judge_samples(baseline, contender, baseline_rounds=[300], contender_rounds=[300])
    assert one.verdict == "faster" and one.note.startswith(NOTE_ONE_PROCESS)


def test_a_change_every_process_shows_stands() -> None:
    rng = np.random.default_rng(4)
    baseline = _rounds(rng, [1.00, 1.04], [40, 30])
    contender = _rounds(rng, [1.50, 1.55], [35, 35])
    verdict = judge_samples(baseline, contender, baseline_rounds=[40, 30], contender_rounds=[35, 35])
    assert verdict.verdict == "slower" and verdict.reason.startswith("p = ")
    assert judge_samples(contender, baseline, baseline_rounds=[35, 35], contender_rounds=[40, 30]).verdict == "faster"


def test_rounds_beyond_the_threshold_but_closer_than_their_spread_are_uncertain() -> None:
    rng = np.random.default_rng(5)
    baseline = _rounds(rng, [1.0, 1.3], [50, 50])
    contender = _rounds(rng, [1.45, 1.6], [50, 50])  # 11 % beyond the slowest baseline process, spread 30 %
    verdict = judge_samples(baseline, contender, baseline_rounds=[50, 50], contender_rounds=[50, 50])
    assert verdict.verdict == "uncertain" and "spread 30% within a side" in verdict.reason


def test_same_and_exact_verdicts_are_left_alone() -> None:
    rng = np.random.default_rng(6)
    baseline = _rounds(rng, [1.0, 1.2], [50, 50], sigma=0.001)
    contender = _rounds(rng, [1.2, 1.0], [50, 50], sigma=0.001)
    same = judge_samples(baseline, contender, baseline_rounds=[50, 50], contender_rounds=[50, 50])
    assert same.verdict in ("same", "uncertain") and not same.reason.startswith("rounds")
    exact = judge_samples([1000], [2000], baseline_rounds=[1], contender_rounds=[1])
    assert (exact.verdict, exact.note, exact.baseline_rounds) == ("slower", None, None)


def test_round_counts_that_do_not_fit_count_as_unknown() -> None:
    assert split_rounds([1.0, 2.0, 3.0], [1, 2]) == [[1.0], [2.0, 3.0]]
    assert split_rounds([1.0, 2.0], [0, 2, 0]) == [[1.0, 2.0]]
    for counts in (None, [1, 1], [4], [True, 2], [1.5, 1.5], "12", [-1, 4]):
        assert split_rounds([1.0, 2.0, 3.0], counts) is None  # type: ignore[arg-type]
    verdict = judge_samples([1.0] * 20, [2.0 + i / 100 for i in range(20)], baseline_rounds=[5, 5])
    assert verdict.verdict == "slower" and verdict.note == NOTE_UNKNOWN and verdict.baseline_rounds is None


def test_the_check_needs_positive_round_medians() -> None:
    check = check_rounds("slower", (0.0, 1.0), (2.0, 3.0), 0.1)
    assert check.verdict == "uncertain" and "zero or negative" in check.reason


@settings(max_examples=60, deadline=None)
@given(
    seed=SEEDS,
    rounds=st.tuples(st.integers(2, 4), st.integers(2, 4)),
    size=st.integers(15, 40),
    spread=st.floats(0.0, 0.05),
    threshold=st.sampled_from([0.05, 0.10, 0.20]),
    margin=st.floats(1.05, 3.0),
)
def test_scaling_every_process_beyond_threshold_and_spread_is_a_change(
    seed: int, rounds: tuple[int, int], size: int, spread: float, threshold: float, margin: float
) -> None:
    """Round levels within ``1 + spread`` of each other, the contender's all scaled by a common factor."""
    rng = np.random.default_rng(seed)
    factor = margin * max((1 + threshold) * (1 + spread), (1 + spread) ** 2) * 1.03  # 3 % for the sample noise
    levels = [list(1 + spread * rng.random(count)) for count in rounds]
    counts = [[size] * count for count in rounds]
    baseline = _rounds(rng, levels[0], counts[0], sigma=0.003)
    contender = [factor * value for value in _rounds(rng, levels[1], counts[1], sigma=0.003)]
    kwargs = {"threshold": threshold, "baseline_rounds": counts[0], "contender_rounds": counts[1]}
    assert judge_samples(baseline, contender, **kwargs).verdict == "slower"
    swapped = {**kwargs, "baseline_rounds": counts[1], "contender_rounds": counts[0]}
    assert judge_samples(contender, baseline, **swapped).verdict == "faster"


@settings(max_examples=80, deadline=None)
@given(
    seed=SEEDS,
    step=st.floats(1.15, 3.0),
    counts=st.lists(st.integers(2, 80), min_size=4, max_size=4),
    sigma=st.floats(0.001, 0.05),
)
def test_identical_distributions_whose_rounds_disagree_are_never_a_change(
    seed: int, step: float, counts: list[int], sigma: float
) -> None:
    """Each side has a process at the low level and one at the high level: the same distribution of processes.

    With unequal counts per round the pooled medians differ, often far beyond the threshold and with a
    tiny p-value; the rounds show that the difference is the processes' and not the code's.
    """
    rng = np.random.default_rng(seed)
    baseline = _rounds(rng, [1.0, step], counts[:2], sigma)
    contender = _rounds(rng, [1.0, step], counts[2:], sigma)
    verdict = judge_samples(baseline, contender, baseline_rounds=counts[:2], contender_rounds=counts[2:])
    assert verdict.verdict in ("same", "uncertain") and verdict.round_spread > 0
    if judge_samples(baseline, contender).verdict in ("faster", "slower"):  # the pooled test's false alarm
        assert verdict.reason.startswith("rounds disagree")


@settings(max_examples=80, deadline=None)
@given(
    seed=SEEDS,
    counts=st.tuples(st.lists(st.integers(1, 30), min_size=1, max_size=4), st.lists(st.integers(1, 30), max_size=4)),
    levels=st.lists(st.floats(0.5, 2.0), min_size=8, max_size=8),
    threshold=st.floats(0.0, 0.5),
)
def test_a_change_between_processes_always_clears_the_rule(
    seed: int, counts: tuple[list[int], list[int]], levels: list[float], threshold: float
) -> None:
    """Whatever the rounds: a faster or slower verdict with two rounds a side has them apart beyond both bounds."""
    rng = np.random.default_rng(seed)
    sides = [_rounds(rng, levels[4 * i : 4 * i + len(c)], c) for i, c in enumerate(counts)]
    if not sides[1]:
        sides[1], counts = [1.0], (counts[0], [1])
    verdict = judge_samples(*sides, threshold=threshold, baseline_rounds=counts[0], contender_rounds=counts[1])
    if verdict.verdict in ("faster", "slower") and len(counts[0]) >= 2 and len(counts[1]) >= 2:
        slow, fast = (verdict.contender_round_medians, verdict.baseline_round_medians)
        if verdict.verdict == "faster":
            slow, fast = fast, slow
        gap = min(slow) / max(fast) - 1
        assert gap > threshold and gap > verdict.round_spread
    elif verdict.verdict in ("faster", "slower"):
        assert verdict.note is not None and NOTE_ONE_PROCESS in verdict.note
    json.dumps(verdict.__dict__, allow_nan=False)


# -- the record, and files with and without it -----------------------------------------------------------


def test_rounds_share_the_sample_limit_and_later_rounds_take_their_share() -> None:
    settings_ = PrecisionSettings(0.05, 0.95, 4.0, 100)
    first = settings_.for_round(0.0, 2)
    assert (first.max_samples, first.round_floor, first.time_budget) == (50, 1, 2.0)
    second = settings_.for_round(1.0, 1, taken=30, rounds_done=1)
    assert (second.max_samples, second.round_floor, second.time_budget) == (100, 30, 3.0)
    # the pooled interval already meets the target, but the round has fewer samples than the first one had
    rule = StopRule(second, prior=[1.0] * 30)
    assert not rule.should_stop([1.0] * 29)
    assert rule.should_stop([1.0] * 30) and rule.reason == "target met"


def test_the_record_keeps_round_counts_that_add_up() -> None:
    record = precision_record([1.0, 2.0, 3.0], None, None, 0.0, [2, 1])
    assert record["round_samples"] == [2, 1]
    assert "round_samples" not in precision_record([1.0, 2.0, 3.0], None, None, 0.0)
    with pytest.raises(ValueError, match="do not add up"):
        precision_record([1.0, 2.0, 3.0], None, None, 0.0, [1, 1])


def _write(folder: Path, samples: list[float], counts: list[int] | None, stamp: str) -> Path:
    precision = {"b.T.time_x": {"()": precision_record(samples, None, None, 0.0, counts)}}
    return write_result_file(
        folder,
        results={"b.T.time_x": {"()": samples}},
        commit_hash="c" * 40,
        machine_hash=MACHINE,
        environment_hash=ENVIRONMENT,
        timestamp=stamp,
        extra={"precision": precision},
    )


def test_files_with_and_without_round_counts_read_and_compare(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    baseline = _rounds(rng, [1.0, 1.3], [40, 40])
    contender = _rounds(rng, [1.4, 1.15], [60, 20])
    old = _write(tmp_path, baseline, None, "2026-01-01-00-00-00")
    new = _write(tmp_path, contender, [60, 20], "2026-01-02-00-00-00")
    assert read_result_file(new).extra["precision"]["b.T.time_x"]["()"]["round_samples"] == [60, 20]
    (row,) = compare_runs(old, new).rows
    assert row.result.note == NOTE_UNKNOWN and row.result.contender_rounds == 2
    newer = _write(tmp_path, baseline, [40, 40], "2026-01-03-00-00-00")
    comparison = compare_runs(newer, new)
    assert comparison.rows[0].result.verdict == "uncertain" and comparison.rows[0].to_json()["round_spread"] > 0.2
    assert not any("one measuring process" in note for note in comparison.notes)


def test_legacy_files_without_rounds_compare_with_a_note(tmp_path: Path) -> None:
    legacy = sorted(LEGACY.glob("result*e9c0f137*.json"))
    assert len(legacy) >= 2
    comparison = compare_runs(legacy[0], legacy[-1])
    assert comparison.rows
    for row in comparison.rows:
        assert row.result.baseline_rounds is None and row.result.round_spread is None
        assert row.result.exact or row.result.note == NOTE_UNKNOWN
    document = json.loads(json.dumps(comparison.to_json(), allow_nan=False))
    assert {"note", "round_spread", "baseline_rounds", "contender_rounds"} <= set(document["rows"][0])
    # and against a new run of the same machine, with rounds on one side only
    folder = tmp_path / "runs"
    folder.mkdir()
    shutil.copy(legacy[-1], folder)
    assert compare_runs(legacy[0], folder).rows
