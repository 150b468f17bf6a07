"""Fixtures for the results server's tests: apps on temporary homes and live server processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import pytest
from server_test_support import REPO_ROOT, LiveServers

from server import create_app


@pytest.fixture
def server_home(tmp_path: Path) -> Path:
    """An empty data directory for one server."""
    return tmp_path / "server-home"


@pytest.fixture
def app(server_home: Path) -> flask.Flask:
    """An app on the default stores: bare repositories created under the home."""
    app = create_app({"NWB_BENCHMARKS_SERVER_HOME": str(server_home)})
    # The start-up database update runs in the background: let it finish, so tests start from rest.
    assert app.extensions["nwb_benchmarks"].updater.wait_idle(60)
    return app


@pytest.fixture
def client(app: flask.Flask) -> flask.testing.FlaskClient:
    """The Flask test client of :func:`app`."""
    return app.test_client()


@pytest.fixture
def live_servers(server_home: Path) -> Iterator[Any]:
    """A factory of live server processes on ``server_home``; all are stopped at the end."""
    started: list[LiveServers] = []

    def start(processes: int = 1, threads: int = 8, **config: str) -> LiveServers:
        env = {key: value for key, value in os.environ.items() if not key.startswith("NWB_BENCHMARKS_")}
        env["NWB_BENCHMARKS_SERVER_HOME"] = str(server_home)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env.update(config)
        servers = LiveServers(env, processes, threads)
        started.append(servers)
        return servers

    yield start
    for servers in started:
        servers.stop()
