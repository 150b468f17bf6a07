"""The environment header and its hash."""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from pathlib import Path

import pytest

from pytest_nwb_benchmarks.results._environment import (
    collect_environment_header,
    ensure_environment_header,
    environment_hash,
    normalise_name,
)
from pytest_nwb_benchmarks.results._file_names import parse_file_name


@pytest.fixture(autouse=True)
def no_conda(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests describe the pip view unless they set up conda themselves.
    monkeypatch.delenv("CONDA_PREFIX", raising=False)


def packages() -> list[dict[str, str]]:
    header = collect_environment_header()
    assert list(header) == [sys.version]
    return header[sys.version]


def add_distribution(site: Path, name: str, version: str) -> None:
    """Install real (empty) distribution metadata into ``site``."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_header_lists_installed_packages_sorted_and_normalised() -> None:
    listed = packages()
    names = [entry["name"] for entry in listed]
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert all(name == normalise_name(name) for name in names)
    assert all(set(entry) == {"name", "version"} for entry in listed)
    versions = {entry["name"]: entry["version"] for entry in listed}
    assert versions["pytest"] == importlib.metadata.version("pytest")
    assert versions["psutil"] == importlib.metadata.version("psutil")
    assert "pytest-nwb-benchmarks" in versions


def test_header_and_hash_are_stable() -> None:
    first, second = collect_environment_header(), collect_environment_header()
    assert first == second
    assert environment_hash(first) == environment_hash(second)
    assert len(environment_hash(first)) == 40


def test_hash_follows_content() -> None:
    header = collect_environment_header()
    changed = {sys.version: [*header[sys.version], {"name": "zzz-extra", "version": "1.0"}]}
    assert environment_hash(changed) != environment_hash(header)


def test_normalise_name() -> None:
    assert normalise_name("Foo_Bar.baz--Qux") == "foo-bar-baz-qux"


def test_local_version_of_this_project_does_not_change_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = []
    for commit in ("g1a2b3c", "g4d5e6f"):
        site = tmp_path / commit
        add_distribution(site, "pytest-nwb-benchmarks", f"0.1.0+{commit}")
        monkeypatch.syspath_prepend(str(site))
        entry = next(e for e in packages() if e["name"] == "pytest-nwb-benchmarks")
        assert entry["version"] == "0.1.0"
        hashes.append(environment_hash(collect_environment_header()))
        monkeypatch.undo()
    assert hashes[0] == hashes[1]


def test_other_local_versions_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_distribution(tmp_path, "Some_Local.Package", "2.0+cuda12")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert {"name": "some-local-package", "version": "2.0+cuda12"} in packages()


def test_first_distribution_on_the_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_distribution(tmp_path, "PyTest", "0.0.1")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [e for e in packages() if e["name"] == "pytest"] == [{"name": "pytest", "version": "0.0.1"}]


def test_distribution_without_a_name_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    listed = packages()  # must not fail on the nameless distribution
    assert listed and all(e["name"] for e in listed)


def fake_conda(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    # A stand-in for the conda executable, answering ``conda list --json --prefix <prefix>``.
    tools = tmp_path / "bin"
    tools.mkdir()
    script = tools / "conda"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CONDA_PREFIX", str(tmp_path / "env"))


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script as conda")
def test_conda_list_is_used_under_conda(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listing = [
        {"name": "hdf5", "version": "1.14.3", "build_string": "nompi_h4f84152_100", "channel": "conda-forge"},
        {"name": "Python", "version": "3.11.7", "build_string": "h955ad1f_0", "channel": "pkgs/main"},
        {"name": "h5py", "version": "3.10.0", "build_string": "pypi_0", "channel": "pypi"},
    ]
    listing_file = tmp_path / "listing.json"
    listing_file.write_text(json.dumps(listing))
    fake_conda(
        tmp_path,
        monkeypatch,
        f'[ "$1 $2 $3 $4" = "list --json --prefix {tmp_path / "env"}" ] || exit 3\ncat \'{listing_file}\'',
    )
    assert packages() == [
        {"name": "h5py", "version": "3.10.0", "build": "pypi_0", "channel": "pypi"},
        {"name": "hdf5", "version": "1.14.3", "build": "nompi_h4f84152_100", "channel": "conda-forge"},
        {"name": "python", "version": "3.11.7", "build": "h955ad1f_0", "channel": "pkgs/main"},
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script as conda")
def test_failing_conda_falls_back_to_python_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_conda(tmp_path, monkeypatch, "echo 'conda is broken' >&2\nexit 1")
    with pytest.warns(UserWarning, match="conda list --json' failed"):
        listed = packages()
    assert any(e["name"] == "pytest" for e in listed)
    assert all(set(e) == {"name", "version"} for e in listed)


def test_ensure_writes_the_header_once(tmp_path: Path) -> None:
    first = ensure_environment_header(tmp_path)
    assert first.written
    assert first.path == tmp_path / f"info_environment-{first.hash}.json"
    assert parse_file_name(first.path.name).environment_id == first.hash
    stored = json.loads(first.path.read_text())
    assert stored == first.header
    assert environment_hash(stored) == first.hash
    assert first.path.read_text().startswith("{\n    ")
    first.path.write_text('{"kept": true}')
    second = ensure_environment_header(tmp_path)
    assert (second.written, second.hash) == (False, first.hash)
    assert first.path.read_text() == '{"kept": true}'
    assert [p.name for p in tmp_path.iterdir()] == [first.path.name]
