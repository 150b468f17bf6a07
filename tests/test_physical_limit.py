"""The physical limits are limits: no reader beats its limit by more than the noise.

The suite's slicing benchmarks and the limit benchmarks run through the plugin, on the small profile,
with precision-driven sampling; then every reader's median interval is compared with the limit's for
the same parameters. A reader "beats" its limit when its whole 95 % interval lies below the limit's:
overlapping intervals are within the noise. Local readers are compared with ``PreadLimit``, remote ones
(at each latency) with ``HttpRangeLimit``. The preloaded benchmarks are left out: their reads are served
from caches filled in ``setup``, so they are meant to need no transfer at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCAL_LIMIT = "time_physical_limit.PreadLimitContinuousSliceBenchmark.time_slice"
HTTP_LIMIT = "time_physical_limit.HttpRangeLimitContinuousSliceBenchmark.time_slice"


def run_suite(tmp_path: Path, selection: str, *options: str) -> dict[str, Any]:
    """Run the selected benchmarks of ``benchmarks/`` through the plugin and return the result file."""
    results = tmp_path / "results"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "benchmarks",
        "--nwb-bench",
        "--nwb-profile",
        "small",
        "-k",
        selection,
        "-p",
        "no:cacheprovider",
        "-q",
        "--nwb-results-dir",
        str(results),
        "--nwb-commit-hash",
        "limit-check",
        *options,
    ]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    completed = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=3000)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    files = sorted(results.glob("result_timestamp-*.json"))
    assert len(files) == 1, completed.stdout[-4000:]
    return json.loads(files[0].read_text())


def interval(data: dict[str, Any], benchmark: str, key: str) -> tuple[float, float]:
    """The median's recorded interval; the samples' range when too few samples gave none (wider: kinder)."""
    info = data["precision"][benchmark][key]
    if info["ci_low"] is not None:
        return info["ci_low"], info["ci_high"]
    samples = data["results"][benchmark][key]
    return min(samples), max(samples)


def beaten_limits(data: dict[str, Any], limit: str, readers: list[str]) -> tuple[list[tuple[str, str, str]], int]:
    """``(reader, key, description)`` of each reader whose interval lies wholly below the limit's; comparisons made."""
    beaten, compared = [], 0
    for key in data["precision"][limit]:
        limit_low, limit_high = interval(data, limit, key)
        for reader in readers:
            if key not in data["precision"].get(reader, {}):
                continue
            compared += 1
            low, high = interval(data, reader, key)
            if high < limit_low:
                text = f"{reader} {key}: {1e3 * low:.3f}-{1e3 * high:.3f} ms, limit {1e3 * limit_low:.3f}-{1e3 * limit_high:.3f} ms"
                beaten.append((reader, key, text))
    return beaten, compared


def readers_of(data: dict[str, Any], module: str) -> list[str]:
    return sorted(
        name
        for name in data["precision"]
        if name.startswith(module + ".") and "Preloaded" not in name and name.endswith(".time_slice")
    )


def test_no_local_reader_beats_the_pread_limit(tmp_path: Path) -> None:
    data = run_suite(
        tmp_path,
        "(time_local_slicing or PreadLimit) and time_slice",
        "--nwb-time-budget",
        "3",
    )
    readers = readers_of(data, "time_local_slicing")
    assert len(readers) == 2, readers
    beaten, compared = beaten_limits(data, LOCAL_LIMIT, readers)
    assert compared >= 30  # h5py on every slice, pynwb on the first of each file
    assert not beaten, "readers faster than their physical limit:\n" + "\n".join(text for *_, text in beaten)


def served_from_setup(data: dict[str, Any], reader: str, key: str) -> bool:
    """Whether the reader's slice moved fewer bytes than it needs: opening the file (in ``setup``) fetched them.

    Read-ahead while opening can bring a small slice's bytes along; the timed slice is then a cache hit,
    which no transfer limit bounds. The network tracking benchmark of the same class says how much the
    slice itself downloaded.
    """
    tracked = (
        data["results"]
        .get(
            reader.replace("time_remote_slicing.", "network_tracking_remote_slicing.").replace(
                ".time_slice", ".track_network_activity_during_slice"
            ),
            {},
        )
        .get(key)
    )
    needed = data["results"].get(HTTP_LIMIT.replace(".time_slice", ".track_bytes_needed"), {}).get(key)
    if not tracked or not needed:
        return False
    return tracked["requests"] == 0 or tracked["bytes_downloaded"] < needed[0]


def test_no_remote_reader_beats_the_http_range_limit(tmp_path: Path) -> None:
    data = run_suite(
        tmp_path,
        "(time_remote_slicing or HttpRangeLimit or network_tracking_remote_slicing) and not Preloaded and not Pynwb "
        "and (time_slice or track_network_activity_during_slice or track_bytes_needed)",
        "--nwb-latencies",
        "0,20",
        "--nwb-time-budget",
        "3",
    )
    readers = readers_of(data, "time_remote_slicing")
    # h5py through fsspec (https, s3; with and without cache) and remfile (both); ros3 where h5py has it
    assert len(readers) >= 6, readers
    beaten, compared = beaten_limits(data, HTTP_LIMIT, readers)
    bound = [text for reader, key, text in beaten if not served_from_setup(data, reader, key)]
    assert compared >= 70  # 6 readers x 7 slices x 2 latencies, less any skipped
    transferring = sum(
        not served_from_setup(data, reader, key)
        for reader in readers
        for key in data["precision"][HTTP_LIMIT]
        if key in data["precision"].get(reader, {})
    )
    assert transferring >= 10  # pairs the limit really binds (16 of 84 on the small profile)
    assert not bound, "readers faster than their physical limit:\n" + "\n".join(bound)
