"""The package as it is installed: its extras, and what a built wheel holds.

The optional dependencies (``pip install "pytest-nwb-benchmarks[suite]"``) and the dependency groups of
a clone (``pip install -e . --group all``) are two lists of the same requirements, because a group
cannot name an extra; these tests keep them in step. A wheel is built from a copy of the package, and
its metadata and files are checked against ``pyproject.toml`` and the source tree.
"""

from __future__ import annotations

import email
import importlib.metadata
import shutil
import subprocess
import sys
import zipfile
from email.message import Message
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "pytest_nwb_benchmarks"
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT_NAME = canonicalize_name(PYPROJECT["project"]["name"])
EXTRAS: dict[str, list[str]] = PYPROJECT["project"]["optional-dependencies"]
GROUPS: dict[str, list] = PYPROJECT["dependency-groups"]
# The groups that are also extras; docs, test and dev serve a clone only.
SHARED = ("suite", "zarr", "asv", "pytest-benchmark", "server")
# The files besides modules that the package needs at run time.
DATA_PATTERNS = ("py.typed", "*.json")


def _group(name: str) -> set[str]:
    """The requirements of a dependency group, its included groups expanded (PEP 735)."""
    found: set[str] = set()
    for entry in GROUPS[name]:
        if isinstance(entry, dict):
            found |= _group(entry["include-group"])
        else:
            found.add(str(Requirement(entry)))
    return found


def _extra(name: str) -> set[str]:
    """The requirements of an extra, the project's own extras it names expanded."""
    found: set[str] = set()
    for entry in EXTRAS[name]:
        requirement = Requirement(entry)
        if canonicalize_name(requirement.name) == PROJECT_NAME:
            for other in requirement.extras:
                found |= _extra(other)
        else:
            found.add(str(requirement))
    return found


@pytest.mark.parametrize("name", SHARED)
def test_each_extra_lists_what_its_group_lists(name: str) -> None:
    assert name in EXTRAS, f"the dependency group {name!r} has no extra of the same name"
    assert _extra(name) == _group(name), f"[project.optional-dependencies] {name} and [dependency-groups] {name} differ"


def test_all_means_every_extra_and_the_clone_gets_them_too() -> None:
    others = set(EXTRAS) - {"all"}
    assert others == set(SHARED)
    assert _extra("all") == set().union(*(_extra(name) for name in others))
    # `pip install -e . --group all` (the README's set-up) installs everything an extra would, and more.
    assert _extra("all") <= _group("all")
    assert {"docs", "test", "dev"} <= {entry["include-group"] for entry in GROUPS["all"] if isinstance(entry, dict)}


def _data_files() -> set[str]:
    """The package's data files in the source tree, as paths inside a wheel."""
    root = REPO_ROOT / PACKAGE
    found = {path for pattern in DATA_PATTERNS for path in root.rglob(pattern) if "__pycache__" not in path.parts}
    return {path.relative_to(REPO_ROOT).as_posix() for path in found}


def _modules() -> set[str]:
    root = REPO_ROOT / PACKAGE
    return {p.relative_to(REPO_ROOT).as_posix() for p in root.rglob("*.py") if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built by pip from a copy of the project (so the build leaves nothing in the clone)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO_ROOT / name, source / name)
    shutil.copytree(REPO_ROOT / PACKAGE, source / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out)]
    # The build backend pyproject.toml asks for; without it here, pip fetches it into an isolated build.
    backend = Requirement(next(r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")))
    try:
        installed = Version(importlib.metadata.version("setuptools"))
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed is not None and backend.specifier.contains(installed):
        command.append("--no-build-isolation")
    built = subprocess.run([*command, str(source)], capture_output=True, text=True, timeout=600)
    if built.returncode != 0 and "--no-build-isolation" not in command and "Could not find a version" in built.stderr:
        pytest.skip(f"the build backend {backend} is not installed and cannot be fetched:\n{built.stderr[-500:]}")
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("*.whl")
    return found


def _metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def _requires(lines: list[str], extra: str, python: str) -> set[tuple]:
    """What a pip on ``python`` installs for ``extra``: name, version range and extras of each requirement."""
    environment = {"extra": extra, "python_version": python, "python_full_version": f"{python}.0"}
    return {
        (canonicalize_name(r.name), str(r.specifier), tuple(sorted(r.extras)))
        for r in map(Requirement, lines)
        if r.marker is not None and r.marker.evaluate(environment)
    }


def _under_extra(line: str, extra: str) -> str:
    requirement, _, marker = line.partition(";")
    return (
        f"{requirement}; ({marker}) and extra == '{extra}'" if marker.strip() else f"{requirement}; extra == '{extra}'"
    )


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.13"])
def test_the_wheel_offers_every_extra_with_its_requirements(wheel: Path, python: str) -> None:
    metadata = _metadata(wheel)
    assert set(metadata.get_all("Provides-Extra")) == set(EXTRAS)
    lines = metadata.get_all("Requires-Dist")
    for name, requirements in EXTRAS.items():
        # pyproject.toml's lines, as they would read in the metadata: each under "extra == name" as well
        expected = [_under_extra(r, name) for r in requirements]
        assert _requires(lines, name, python) - _requires(lines, "", python) == _requires(expected, name, python)


def test_the_wheel_holds_the_modules_the_data_and_the_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_text = archive.read(entry_points).decode()
    assert f"{PACKAGE}/py.typed" in names
    assert _data_files() <= names, f"data files left out of the wheel: {sorted(_data_files() - names)}"
    assert _modules() <= names, f"modules left out of the wheel: {sorted(_modules() - names)}"
    assert not any(n.startswith(("tests/", "server/", "benchmarks/")) for n in names)
    assert f"nwb-benchmarks = {PACKAGE}.__main__:main" in entry_text
    for plugin in ("_plugin", "upload._upload_plugin"):  # the pytest plugins, which pytest loads by these paths
        assert f"{PACKAGE}.{plugin}" in entry_text
        assert f"{PACKAGE}/{plugin.replace('.', '/')}.py" in names
