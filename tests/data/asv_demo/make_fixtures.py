"""Regenerate the asv results fixtures in ``tests/data/asv/`` by running real asv on the demo suite.

Run from anywhere with the project's environment (asv installed)::

    python tests/data/asv_demo/make_fixtures.py

The suite is copied into a temporary git repository (asv needs a commit to record results
against) together with the repository's own ``asv.conf.json``, and asv's per-user machine file
goes to a temporary home, so nothing outside the temporary directory and ``tests/data/asv/`` is
touched. Two runs are kept: one with
``--record-samples`` and one without.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIXTURES = HERE.parent / "asv"
# A fixed commit date, so the fixtures' ``date`` (and so the reduced timestamp) is stable.
COMMIT_DATE = "2026-01-02T03:04:05+00:00"
RUNS = {"record_samples": ["--record-samples"], "no_samples": []}


def _run(command: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> int:
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, cwd=cwd, env=env, check=check).returncode


def main() -> int:
    """Run asv twice on a copy of the demo suite and copy its results files into the fixtures.

    Returns
    -------
    int
        The exit code.
    """
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(HERE, repo, ignore=shutil.ignore_patterns("__pycache__", ".asv", "make_fixtures.py"))
        shutil.copy(REPO / "asv.conf.json", repo / "asv.conf.json")
        env = dict(os.environ, HOME=tmp, GIT_AUTHOR_DATE=COMMIT_DATE, GIT_COMMITTER_DATE=COMMIT_DATE)
        env.update(GIT_AUTHOR_NAME="demo", GIT_AUTHOR_EMAIL="demo@example.invalid")
        env.update(GIT_COMMITTER_NAME="demo", GIT_COMMITTER_EMAIL="demo@example.invalid")
        _run(["git", "init", "-q", "-b", "main"], repo, env)
        _run(["git", "add", "."], repo, env)
        _run(["git", "commit", "-q", "-m", "demo suite"], repo, env)
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        asv = [sys.executable, "-m", "asv"]
        _run([*asv, "machine", "--yes", "--machine", "demo"], repo, env)
        for name, flags in RUNS.items():
            results = repo / ".asv" / "results"
            shutil.rmtree(results, ignore_errors=True)
            # asv exits 2 because some demo benchmarks fail on purpose.
            code = _run([*asv, "run", "--python=same", "--set-commit-hash", commit, *flags], repo, env, check=False)
            if code not in (0, 2):
                print(f"asv run failed with exit code {code}", file=sys.stderr)
                return 1
            target = FIXTURES / f"demo_{name}"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(results, target)
            print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
