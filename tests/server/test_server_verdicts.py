"""The server's verdicts: /compare and /regressions pages, their JSON, and steps marked on plots."""

from __future__ import annotations

import numpy as np
import pytest
from server_test_support import result_content, upload

pytest.importorskip("asv")

BENCHMARK = "time_read.ReadBenchmark.time_read"


def _history(client, runs: int = 10, step_at: int = 6, machine: str = "a" * 40) -> list[str]:
    """Upload runs whose timing is 50 % slower from ``step_at`` on; return their run ids, oldest first."""
    rng = np.random.default_rng(0)
    names = []
    for index in range(runs):
        name, content = result_content(index + (100 if machine != "a" * 40 else 0), machine=machine)
        level = 1.5 if index >= step_at else 1.0
        content["results"][BENCHMARK]["('local',)"] = list(level * np.exp(rng.normal(0, 0.02, 10)))
        assert upload(client, name, content).status_code in (200, 201)
        names.append(name.removesuffix(".json"))
    return names


def test_compare_defaults_to_the_previous_run_of_the_same_machine(client):
    ours = _history(client, runs=3, step_at=2)
    _history(client, runs=1, machine="c" * 40)  # a later run of another machine
    document = client.get("/data/compare", query_string={"head": ours[-1]}).json
    assert document["baseline"]["run"] == ours[-2] and document["contender"]["run"] == ours[-1]
    rows = {(row["benchmark"], row["quantity"]): row for row in document["rows"]}
    timing = rows[(BENCHMARK, None)]
    assert timing["verdict"] == "slower" and timing["ci_low"] > 1.1 and timing["p_value"] < 0.002
    assert document["slower"] >= 1 and document["threshold"] == 0.1
    # The latest run overall is the other machine's, which has no earlier run of its own.
    lonely = client.get("/data/compare")
    assert lonely.status_code == 404 and "no earlier run" in lonely.json["detail"]


def test_other_machines_only_when_asked_and_query_errors(client):
    ours = _history(client, runs=2)
    theirs = _history(client, runs=1, machine="c" * 40)
    query = {"base": ours[0], "head": theirs[0]}
    refused = client.get("/data/compare", query_string=query)
    assert refused.status_code == 400 and "different machines" in refused.json["detail"]
    page = client.get("/compare", query_string=query)
    assert page.status_code == 200 and b"Not compared" in page.data
    allowed = client.get("/data/compare", query_string={**query, "allow_other_machine": "1"}).json
    assert any("different machines" in note for note in allowed["notes"])
    assert client.get("/data/compare", query_string={"head": "nope"}).status_code == 404
    assert client.get("/data/compare", query_string={**query, "threshold": "lots"}).status_code == 400
    assert client.get("/data/compare", query_string={**query, "sort": "size"}).status_code == 400


def test_compare_page_sorts_and_filters(client):
    ours = _history(client, runs=3, step_at=2)
    query = {"base": ours[1], "head": ours[2], "only_changed": "1", "sort": "ratio"}
    page = client.get("/compare", query_string=query)
    assert page.status_code == 200
    # Only the timing changed by more than 10 % (the byte count went from 1001 to 1002).
    assert page.data.count(b'<tr class="slower">') == 1 and b'class="same"' not in page.data
    document = client.get("/data/compare", query_string=query).json
    assert [(row["benchmark"], row["verdict"]) for row in document["rows"]] == [(BENCHMARK, "slower")]
    assert document["same"] == 1 and document["uncertain"] == 1
    everything = client.get("/data/compare", query_string={**query, "only_changed": "", "sort": "ratio"}).json
    ratios = [row["ratio"] for row in everything["rows"] if row["ratio"] is not None]
    assert len(everything["rows"]) == 3 and ratios == sorted(ratios, reverse=True)


def test_regressions_page_endpoint_and_plot(client):
    runs = _history(client)
    steps = client.get("/data/regressions").json["steps"]
    timing = [step for step in steps if step["benchmark"] == BENCHMARK]
    assert len(timing) == 1
    assert timing[0]["kind"] == "regression" and timing[0]["after_commit"] == f"{6:040x}"
    assert timing[0]["before_commit"] == f"{5:040x}" and 1.3 < timing[0]["ratio"] < 1.7
    page = client.get("/regressions")
    assert page.status_code == 200 and b"regression" in page.data and BENCHMARK.encode() in page.data
    plot = client.get("/benchmark/plot.svg", query_string={"name": BENCHMARK, "x": "commit"})
    assert plot.status_code == 200 and f"regression at {6:040x}"[:22].encode() in plot.data
    assert client.get("/data/regressions", query_string={"threshold": "-1"}).status_code == 400
    assert runs
