"""The machine header, its hash, change detection, friendly names and the ``machine`` command."""

from __future__ import annotations

import getpass
import json
import os
import random
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_nwb_benchmarks.results._file_names import parse_file_name
from pytest_nwb_benchmarks.results._friendly_names import (
    _ADJECTIVES,
    _NOUNS,
    machine_friendly_name,
    random_friendly_name,
)
from pytest_nwb_benchmarks.results._machine import (
    LAST_HEADER_FILE,
    _anonymize,
    collect_machine_header,
    ensure_machine_header,
    machine_changes,
    machine_hash,
    main,
)

ASV_KEYS = ("arch", "cpu", "machine", "num_cpu", "os", "ram")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "bench-home"
    monkeypatch.setenv("NWB_BENCHMARKS_HOME", str(home))
    monkeypatch.setenv("NWB_BENCHMARKS_CACHE_DIR", str(tmp_path / "cache"))
    return home


# --- friendly names ------------------------------------------------------------------------------


def test_random_friendly_names_are_camel_case_and_reproducible() -> None:
    names = [random_friendly_name(random.Random(seed)) for seed in range(50)]
    assert names == [random_friendly_name(random.Random(seed)) for seed in range(50)]
    assert all(re.fullmatch(r"[A-Z][a-z]+[A-Z][a-z]+", name) for name in names)
    assert len(set(names)) > 25
    assert len(set(_ADJECTIVES)) * len(set(_NOUNS)) >= 300


def test_machine_friendly_name_is_chosen_once(isolated_home: Path) -> None:
    name = machine_friendly_name()
    assert (isolated_home / "machine_name.txt").read_text().strip() == name
    assert all(machine_friendly_name() == name for _ in range(3))


def test_corrupt_stored_name_is_reported_and_kept(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "machine_name.txt").write_text("my-laptop.local\n")
    with pytest.raises(ValueError, match="not a friendly machine name"):
        machine_friendly_name()
    assert (isolated_home / "machine_name.txt").read_text() == "my-laptop.local\n"


# --- the header ----------------------------------------------------------------------------------


def test_header_has_asv_keys_and_details() -> None:
    header = collect_machine_header()
    assert header["version"] == 1
    for key in ASV_KEYS:
        assert isinstance(header[key], str), key
    assert header["machine"] == machine_friendly_name()
    assert header["num_cpu"] == str(os.cpu_count())
    assert header["os_cpu_count"] == os.cpu_count()
    assert int(header["ram"]) == header["psutil"]["total_memory_bytes"] > 0
    assert set(header["platform"]) == {
        "system",
        "release",
        "version",
        "machine",
        "processor",
        "python_implementation",
    }
    details = header["psutil"]
    assert details["logical_threads"] >= 1
    assert {"physical_cores", "total_swap_bytes", "cpu_frequency_min_mhz", "cpu_frequency_max_mhz"} <= set(details)
    for partition in details["disk_partitions"]:
        assert set(partition) == {"device", "mountpoint", "fstype", "opts"}
    assert header["cache_filesystem"]["total_bytes"] > 0
    assert header["cache_filesystem"]["mountpoint"]
    assert isinstance(header["gpus"], list)
    if sys.platform.startswith("linux"):
        cpuinfo = Path("/proc/cpuinfo").read_text()
        assert header["cpu_model"] and header["cpu_model"] in cpuinfo
    json.dumps(header, allow_nan=False)


def test_header_and_hash_are_stable() -> None:
    first = collect_machine_header()
    second = collect_machine_header()
    assert first == second
    assert machine_hash(first) == machine_hash(second)
    assert re.fullmatch(r"[0-9a-f]{40}", machine_hash(first))


def test_header_holds_no_personal_names() -> None:
    text = json.dumps(collect_machine_header())
    assert str(Path.home()) not in text
    for name in (socket.gethostname(), getpass.getuser()):
        if len(name) >= 4:
            assert name.lower() not in text.lower()
        else:
            # Very short names are only scrubbed as whole words (see _MIN_SUBSTRING_SCRUB).
            assert not re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text, re.IGNORECASE)


def test_anonymize_replaces_home_and_names() -> None:
    home = "/home/ada"
    header = {
        "psutil": {
            "disk_partitions": [
                {"device": "/dev/sdb1", "mountpoint": "/home/ada/usb-disk", "fstype": "exfat", "opts": "rw"},
                {"device": "/dev/mapper/ada--lovelace-root", "mountpoint": "/home/ada", "fstype": "ext4"},
                {"device": "/dev/sda", "mountpoint": "/home/adam", "fstype": "ext4"},
            ]
        },
        "note": "Built on LOVELACE-PC by lovelace",
        "count": 3,
    }
    anonymous = _anonymize(header, home, ["lovelace", "pc"])
    parts = anonymous["psutil"]["disk_partitions"]
    assert parts[0]["mountpoint"] == "~/usb-disk"
    assert parts[1]["mountpoint"] == "~"
    assert parts[1]["device"] == "/dev/mapper/ada--<redacted>-root"
    assert parts[2]["mountpoint"] == "/home/adam"  # a sibling of home, not inside it
    assert anonymous["note"] == "Built on <redacted>-<redacted> by <redacted>"
    assert anonymous["count"] == 3
    # Short names are replaced only as whole words: "pc" inside "specs" survives.
    assert _anonymize("pc specs", "", ["pc"]) == "<redacted> specs"


def test_hash_leaves_out_the_friendly_name_only() -> None:
    header = collect_machine_header()
    renamed = {**header, "machine": "CalmOtter", "defaults": {"machine": "CalmOtter", "os": header["os"]}}
    original = {**header, "defaults": {"machine": header["machine"], "os": header["os"]}}
    assert machine_hash(renamed) == machine_hash(original)
    assert machine_hash({**header, "ram": "1"}) != machine_hash(header)
    assert machine_hash({**header, "machine": "CalmOtter"}) == machine_hash(header)


def test_gpu_is_recorded_when_nvidia_smi_is_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in for the NVIDIA driver's tool, answering the query the header makes.
    tools = tmp_path / "bin"
    tools.mkdir()
    script = tools / "nvidia-smi"
    script.write_text("#!/bin/sh\necho 'NVIDIA GeForce RTX 4090, 24564'\necho 'NVIDIA A100-SXM4-40GB, 40960'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    gpus = collect_machine_header()["gpus"]
    assert gpus == [
        {"name": "NVIDIA GeForce RTX 4090", "memory_total_mib": 24564},
        {"name": "NVIDIA A100-SXM4-40GB", "memory_total_mib": 40960},
    ]


# --- header files and change detection ----------------------------------------------------------


def test_ensure_writes_the_header_once(tmp_path: Path, isolated_home: Path) -> None:
    results = tmp_path / "results"
    first = ensure_machine_header(results)
    assert first.written and first.changes == []
    assert first.path == results / f"info_machine-{first.hash}.json"
    assert parse_file_name(first.path.name).machine_id == first.hash
    text = first.path.read_text()
    assert json.loads(text) == first.header
    assert text.startswith('{\n    "version": 1,')
    assert machine_hash(json.loads(text)) == first.hash
    assert (isolated_home / LAST_HEADER_FILE).exists()
    mtime = first.path.stat().st_mtime_ns
    second = ensure_machine_header(results)
    assert (second.written, second.changes, second.hash) == (False, [], first.hash)
    assert first.path.stat().st_mtime_ns == mtime
    assert not [p for p in results.iterdir() if p.name.startswith(".")]


def test_existing_header_file_is_not_clobbered(tmp_path: Path) -> None:
    state = ensure_machine_header(tmp_path)
    state.path.write_text('{"kept": true}')
    again = ensure_machine_header(tmp_path)
    assert not again.written
    assert state.path.read_text() == '{"kept": true}'


def test_changes_since_the_last_header_are_reported(tmp_path: Path, isolated_home: Path) -> None:
    state = ensure_machine_header(tmp_path)
    last_path = isolated_home / LAST_HEADER_FILE
    last = json.loads(last_path.read_text())
    # Pretend the machine used to have 16 GiB, one disk less and an extra USB stick.
    last["ram"] = str(16 * 2**30)
    last["psutil"]["total_memory_bytes"] = 16 * 2**30
    current_parts = last["psutil"]["disk_partitions"]
    dropped = current_parts.pop(0)
    current_parts.append({"device": "/dev/sdz1", "mountpoint": "/media/usb", "fstype": "exfat", "opts": "rw"})
    last["cpu_model"] = "Old CPU"
    last_path.write_text(json.dumps(last))

    changed = ensure_machine_header(tmp_path)
    ram_now = int(state.header["ram"]) / 2**30
    ram_text = f"{ram_now:.1f}".rstrip("0").rstrip(".")
    assert f"ram: 16 GB -> {ram_text} GB" in changed.changes
    assert f"psutil.total_memory_bytes: 16 GB -> {ram_text} GB" in changed.changes
    assert "disk partitions: removed /media/usb (exfat)" in changed.changes
    assert f"disk partitions: added {dropped['mountpoint']} ({dropped['fstype']})" in changed.changes
    assert f"cpu_model: Old CPU -> {state.header['cpu_model']}" in changed.changes
    assert not changed.written and changed.hash == state.hash
    # The stored header now is the current one: no changes are reported again.
    assert ensure_machine_header(tmp_path).changes == []


def test_machine_changes_for_added_and_removed_keys() -> None:
    old = {"machine": "A", "gpus": [], "platform": {"release": "5.15"}, "cache_filesystem": {"total_bytes": 2**40}}
    new = {"machine": "B", "gpus": [{"name": "X"}], "platform": {"release": "6.1"}, "swap": 1}
    assert machine_changes(old, new) == [
        "cache_filesystem.total_bytes: removed (was 1024 GB)",
        'gpus: [] -> [{"name": "X"}]',
        "platform.release: 5.15 -> 6.1",
        "swap: added 1",
    ]
    assert machine_changes(new, new) == []


def test_corrupt_last_header_is_reported_and_replaced(tmp_path: Path, isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / LAST_HEADER_FILE).write_text("{not json")
    state = ensure_machine_header(tmp_path)
    assert len(state.changes) == 1 and "could not be read" in state.changes[0]
    assert json.loads((isolated_home / LAST_HEADER_FILE).read_text()) == state.header
    assert ensure_machine_header(tmp_path).changes == []


# --- the command ---------------------------------------------------------------------------------


def test_main_prints_header_and_hash(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    body, _, tail = out.rpartition("machine hash: ")
    assert machine_hash(json.loads(body)) == tail.strip()
    assert list(tmp_path.glob("**/info_machine-*.json")) == []


def test_command_line_writes_the_header_file(tmp_path: Path) -> None:
    results = tmp_path / "results"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest_nwb_benchmarks", "machine", "--results-dir", str(results)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    digest = re.search(r"machine hash: ([0-9a-f]{40})", completed.stdout).group(1)
    assert (results / f"info_machine-{digest}.json").exists()
    assert "wrote:" in completed.stdout


def test_command_line_rejects_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--bogus"])
    assert caught.value.code == 2
    assert "--bogus" in capsys.readouterr().err
