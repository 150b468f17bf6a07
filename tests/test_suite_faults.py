"""Faults during a suite run: the streaming server dies, and only what needs it fails."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_nwb_benchmarks.nwb._streaming_server import SERVER_ENV, StreamingServer

pytest_plugins = ["pytester"]

SUITE = """
    import os
    import signal

    from pytest_nwb_benchmarks.nwb._assets import resolve_asset
    from pytest_nwb_benchmarks.nwb._streaming_server import current_server

    class AServer:  # collected first: asv orders a module's benchmarks by name
        def track_a_is_up(self):
            return int(current_server() is not None)

        def track_b_dies(self):
            os.kill(current_server().pid, signal.SIGKILL)
            return 1

    class Remote:
        params = [0, 20]

        def setup(self, latency):
            self.asset = resolve_asset("ecephys-uncompressed", latency)

        def track_remote(self, latency):
            return 1

    def track_c_local_work_goes_on():
        return 2
"""


def test_a_dead_server_fails_the_remote_benchmarks_by_name_and_the_rest_run(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NWB_BENCHMARKS_PROFILE", "small")
    pytester.mkpydir("fault_suite")
    pytester.path.joinpath("fault_suite", "bench_faults.py").write_text(textwrap.dedent(SUITE))
    server = StreamingServer(tmp_path, latencies_ms=(0, 20)).start()
    try:
        monkeypatch.setenv(SERVER_ENV, server.info.to_json())
        result = pytester.runpytest("fault_suite", "--nwb-bench", "--nwb-commit-hash", "f" * 40, "-p", "no:randomly")
    finally:
        server.stop()
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines([f"*StreamingServerUnavailable*{server.info.base_urls[0]}*"])
    result.stdout.fnmatch_lines(["*bench_faults.track_c_local_work_goes_on*2 unit*"])
