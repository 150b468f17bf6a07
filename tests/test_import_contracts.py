"""The import contracts of pyproject.toml catch what they are meant to catch.

Each test writes a small tree shaped like the project (the package's subpackages and a ``server``
package), copies the project's ``[tool.importlinter]`` section next to it, adds one import and runs
``lint-imports`` on it, so the contracts themselves are tested, not the project's current imports.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

REPOSITORY = Path(__file__).resolve().parent.parent
PACKAGE = "pytest_nwb_benchmarks"
SUBPACKAGES = ("collect", "run", "results", "report", "upload", "utils", "nwb")


def _contracts_section() -> str:
    text = (REPOSITORY / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    following = re.search(r"^\[(?!\[?tool\.importlinter)", text[start + 1 :], flags=re.MULTILINE)
    return text[start : start + 1 + following.start()] if following else text[start:]


def _write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A project tree whose imports keep every contract: each layer imports the one below it."""
    root = tmp_path / "project"
    package = root / PACKAGE
    _write(package / "__init__.py")
    _write(package / "__main__.py")
    _write(package / "_hookspec.py")
    _write(package / "_plugin.py", f"from {PACKAGE}.upload import _upload\n")
    for name in SUBPACKAGES:
        _write(package / name / "__init__.py")
    _write(package / "upload" / "_upload.py", f"from {PACKAGE}.run import _session\n")
    _write(
        package / "run" / "_session.py",
        f"from {PACKAGE}.report import _summary\nfrom {PACKAGE}.collect import _items\n",
    )
    _write(package / "report" / "_summary.py", f"from {PACKAGE}.results import _files\n")
    _write(package / "collect" / "_items.py", f"from {PACKAGE}.results import _files\n")
    _write(package / "results" / "_files.py", f"from {PACKAGE}.utils import _paths\n")
    _write(package / "utils" / "_paths.py")
    _write(package / "nwb" / "_files.py", f"from {PACKAGE}.run import _session\n")
    _write(root / "server" / "__init__.py")
    _write(root / "server" / "_api.py", f"from {PACKAGE} import results\n")
    _write(root / "pyproject.toml", _contracts_section())
    return root


def _lint(root: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on ``root``: every contract, or only those with the ids ``contracts``."""
    command = shutil.which("lint-imports")
    args = [command] if command else [sys.executable, "-m", "importlinter.cli"]
    args += [f"--contract={contract}" for contract in contracts]
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}
    return subprocess.run(
        [*args, "--no-cache", "--no-logo"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def _append(path: Path, statement: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + statement, encoding="utf-8")


def test_a_tree_that_follows_the_layers_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("importer", "imported", "contract"),
    [
        ("collect/_items.py", "run._session", "harness-layers"),
        ("results/_files.py", "report._summary", "harness-layers"),
        ("results/_files.py", "collect._items", "harness-layers"),
        ("collect/_items.py", "report._summary", "harness-layers"),
        ("report/_summary.py", "collect._items", "harness-layers"),
        ("report/_summary.py", "run._session", "harness-layers"),
        ("run/_session.py", "upload._upload", "harness-layers"),
        ("run/_session.py", "nwb._files", "harness-without-nwb"),
        ("utils/_paths.py", "nwb", "harness-without-nwb"),
        ("_hookspec.py", "nwb._files", "harness-without-nwb"),
    ],
)
def test_an_import_against_the_layers_breaks_a_contract(
    tree: Path, importer: str, imported: str, contract: str
) -> None:
    assert _lint(tree, contract).returncode == 0
    _append(tree / PACKAGE / importer, f"import {PACKAGE}.{imported}\n")
    result = _lint(tree, contract)
    assert result.returncode != 0, result.stdout
    assert f"{PACKAGE}.{imported}" in result.stdout


def test_the_glue_may_import_every_layer(tree: Path) -> None:
    for name in SUBPACKAGES[:-1]:
        _append(tree / PACKAGE / "_plugin.py", f"import {PACKAGE}.{name}\n")
    result = _lint(tree, "harness-layers")
    assert result.returncode == 0, result.stdout


def test_a_cycle_inside_a_subpackage_breaks_the_acyclic_contract(tree: Path) -> None:
    _write(tree / PACKAGE / "run" / "_runner.py", f"from {PACKAGE}.run import _session\n")
    assert _lint(tree, "no-cycles").returncode == 0
    _append(tree / PACKAGE / "run" / "_session.py", f"from {PACKAGE}.run import _runner\n")
    result = _lint(tree, "no-cycles")
    assert result.returncode != 0
    assert f"{PACKAGE}.run" in result.stdout


@pytest.mark.parametrize(
    ("statement", "kept"),
    [
        (f"from {PACKAGE}.results import _files\n", False),
        (f"from {PACKAGE} import _plugin\n", False),
        (f"import {PACKAGE}.run._session\n", False),
        (f"from {PACKAGE} import results, report\n", True),
        (f"import {PACKAGE}\n", True),
    ],
)
def test_the_server_may_import_only_public_modules(tree: Path, statement: str, kept: bool) -> None:
    _write(tree / "server" / "_views.py", statement)
    result = _lint(tree, "server-public-names")
    assert (result.returncode == 0) is kept, result.stdout
