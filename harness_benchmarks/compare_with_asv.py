"""Compare how the plugin and asv see, and run, an existing asv benchmark suite.

Command (``SUITE_DIR`` is the suite's ``benchmark_dir``, the package holding the benchmarks)::

    python -m harness_benchmarks.compare_with_asv SUITE_DIR [--bench REGEX [--asv-twice]] [--json OUT]

1. Discovery: asv_runner's own discovery (``asv_runner.discovery.disc_benchmarks``) and the
   plugin's collection (``pytest SUITE_DIR --nwb-bench --collect-only``) each run in a process of
   their own; the benchmark ids, each benchmark's params keys (hence the combination counts),
   ``type``, ``unit``, ``version``, ``param_names``, setup_cache key, ``pretty_name`` and
   ``timeout`` are compared.
2. With ``--bench REGEX`` (matched with ``re.search`` against benchmark ids, as ``asv run
   --bench`` does), the selected benchmarks are run natively (``pytest --nwb-bench``) and with
   ``asv run --python=same --record-samples`` in a throw-away asv project, and the two result
   files are compared: params keys, sample counts, medians (within 25 %) and wall time. With
   ``--asv-twice`` asv runs a second time and its two runs are compared the same way: on a
   loaded machine, medians of microsecond benchmarks move by more than 25 % from one asv run to
   the next, and this says how much agreement to expect.

Nothing of the suite is copied: it is imported from where it is. Wall times and medians are
single measurements on whatever machine this runs on; treat differences of a few tens of
percent as noise unless they repeat.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

_DUMP_ENV = "NWB_COMPARE_DUMP"
_BENCH_ENV = "NWB_COMPARE_BENCH"
TOLERANCE = 0.25
COMPARED_FIELDS = ("type", "unit", "version", "param_names", "setup_cache_key", "pretty_name", "timeout")

# Runs in a fresh interpreter: asv_runner's discovery, reduced to what the comparison needs.
_ASV_DISCOVERY = textwrap.dedent(
    """
    import itertools, json, sys
    from asv_runner._aux import update_sys_path
    from asv_runner.discovery import disc_benchmarks
    root, out = sys.argv[1], sys.argv[2]
    update_sys_path(root)
    found = {}
    for benchmark in disc_benchmarks(root, ignore_import_errors=True):
        keys = [str(tuple(combination)) for combination in itertools.product(*benchmark.params)]
        found[benchmark.name] = {
            "keys": keys if benchmark.params else ["()"],
            "type": benchmark.type, "unit": benchmark.unit, "version": benchmark.version,
            "param_names": benchmark.param_names, "setup_cache_key": benchmark.setup_cache_key,
            "pretty_name": benchmark.pretty_name, "timeout": benchmark.timeout,
        }
    with open(out, "w") as stream:
        json.dump(found, stream)
    """
)


# -- the plugin side: hooks used when this module is loaded into pytest with -p -----------------


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Keep only the items whose benchmark id matches the regular expression given in the environment."""
    pattern = os.environ.get(_BENCH_ENV)
    if pattern:
        items[:] = [item for item in items if re.search(pattern, getattr(item, "benchmark", item).name)]


def pytest_collection_finish(session: Any) -> None:
    """Write each collected benchmark's id, params keys, type, unit and version to the dump file."""
    path = os.environ.get(_DUMP_ENV)
    if not path:
        return
    found: dict[str, dict[str, Any]] = {}
    for item in session.items:
        benchmark = getattr(item, "benchmark", None)
        if benchmark is None:
            continue
        entry = found.setdefault(
            benchmark.name,
            {
                "keys": [],
                "type": benchmark.asv_type,
                "unit": benchmark.unit,
                "version": benchmark.version,
                "param_names": benchmark.param_names,
                "setup_cache_key": benchmark.setup_cache_key,
                "pretty_name": benchmark.pretty_name,
                "timeout": benchmark.attr("timeout"),
                "nodeids": [],
            },
        )
        entry["keys"].append(item.params_key)
        if item.nodeid.split("[")[0] not in entry["nodeids"]:
            entry["nodeids"].append(item.nodeid.split("[")[0])
    Path(path).write_text(json.dumps(found))


# -- driving both sides --------------------------------------------------------------------------


def _pytest_command(suite: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        str(suite),
        "--nwb-bench",
        "-p",
        "harness_benchmarks.compare_with_asv",
        "-p",
        "no:cacheprovider",
        "-c",
        os.devnull,
        "--rootdir",
        str(suite.parent),
        "-q",
        *extra,
    ]


def _environment(**extra: str) -> dict[str, str]:
    here = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": here + (os.pathsep + path if path else ""), **extra}


def collect_with_plugin(suite: Path, work: Path) -> tuple[dict[str, Any], list[str]]:
    """Collect the suite with the plugin; return ``{id: info}`` and the collection errors' lines."""
    dump = work / "plugin-collect.json"
    done = subprocess.run(
        _pytest_command(suite, "--collect-only"),
        env=_environment(**{_DUMP_ENV: str(dump)}),
        capture_output=True,
        text=True,
        cwd=suite.parent,
    )
    errors = [line for line in done.stdout.splitlines() if line.startswith("ERROR ")]
    if not dump.exists():
        raise RuntimeError(f"pytest collected nothing (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr}")
    return json.loads(dump.read_text()), errors


def discover_with_asv(suite: Path, work: Path) -> tuple[dict[str, Any], list[str]]:
    """Discover the suite with asv_runner; return ``{id: info}`` and the modules it could not import."""
    out = work / "asv-discover.json"
    done = subprocess.run(
        [sys.executable, "-c", _ASV_DISCOVERY, str(suite), str(out)], capture_output=True, text=True, cwd=work
    )
    if done.returncode != 0:
        raise RuntimeError(f"asv_runner discovery failed:\n{done.stderr[-3000:]}")
    failed = [line for line in done.stderr.splitlines() if re.match(r"^\w*(Error|Exception)\b", line)]
    return json.loads(out.read_text()), failed


def compare_discovery(plugin: dict[str, Any], asv: dict[str, Any]) -> dict[str, Any]:
    """Compare ids, params keys, type, unit and version of the two discoveries."""
    common = sorted(set(plugin) & set(asv))
    differences: dict[str, list[str]] = {"keys": [], **{field: [] for field in COMPARED_FIELDS}}
    for name in common:
        if sorted(plugin[name]["keys"]) != sorted(asv[name]["keys"]):
            differences["keys"].append(name)
        for field in COMPARED_FIELDS:
            if plugin[name][field] != asv[name][field]:
                differences[field].append(f"{name}: {plugin[name][field]!r} vs {asv[name][field]!r}")
    duplicated = {name: info["nodeids"] for name, info in plugin.items() if len(info["nodeids"]) > 1}
    # A benchmark with a parameter without values has no combinations: asv lists it, pytest has no item for it.
    empty = sorted(name for name, info in asv.items() if not info["keys"])
    return {
        "benchmarks": (len(plugin), len(asv) - len(empty)),
        "combinations": (sum(len(i["keys"]) for i in plugin.values()), sum(len(i["keys"]) for i in asv.values())),
        "only_plugin": sorted(set(plugin) - set(asv)),
        "only_asv": sorted(set(asv) - set(plugin) - set(empty)),
        "asv_without_combinations": empty,
        "differences": differences,
        "duplicated_ids": duplicated,
    }


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)


def run_with_asv(suite: Path, pattern: str, work: Path) -> tuple[dict[str, dict[str, list[float]]], float]:
    """Run the selected benchmarks with ``asv run --python=same --record-samples``; samples and wall time."""
    project = work / "asv-project"
    project.mkdir()
    _git(project, "init", "-q")
    _git(
        project,
        "-c",
        "user.name=compare",
        "-c",
        "user.email=compare@localhost",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    commit = subprocess.run(
        ["git", "-C", str(project), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    config = {
        "version": 1,
        "project": "compare",
        "repo": str(project),
        "branches": [commit],
        "environment_type": "existing",
        "benchmark_dir": str(suite),
        "env_dir": str(work / "asv-env"),
        "results_dir": str(work / "asv-results"),
        "html_dir": str(work / "asv-html"),
    }
    config_path = work / "asv.conf.json"
    config_path.write_text(json.dumps(config))
    asv = [sys.executable, "-m", "asv", "--config", str(config_path)]
    # asv keeps its machine file in the home folder: give it one of its own
    (work / "home").mkdir()
    env = {**os.environ, "HOME": str(work / "home")}
    subprocess.run([*asv, "machine", "--yes"], check=True, capture_output=True, env=env)
    started = time.perf_counter()
    done = subprocess.run(
        [*asv, "run", "--python=same", "--record-samples", "--set-commit-hash", commit, "--bench", pattern],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - started
    samples: dict[str, dict[str, list[float]]] = {}
    for path in (work / "asv-results").rglob("*.json"):
        if path.name in ("machine.json", "benchmarks.json"):
            continue
        raw = json.loads(path.read_text())
        columns = raw["result_columns"]
        for name, row in raw["results"].items():
            values = dict(zip(columns, row))
            keys = [str(tuple(c)) for c in itertools.product(*values["params"])] if values["params"] else ["()"]
            # a benchmark that failed as a whole has None instead of its list of results
            per_key = values["result"] or [None] * len(keys)
            for key, result, taken in zip(keys, per_key, values.get("samples") or [None] * len(keys)):
                if result is None:
                    continue
                samples.setdefault(name, {})[key] = taken if taken is not None else [result]
    if not samples:
        raise RuntimeError(f"asv run produced no results (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return samples, wall


def run_with_plugin(suite: Path, pattern: str, work: Path) -> tuple[dict[str, dict[str, Any]], float]:
    """Run the selected benchmarks natively; return ``{id: {params key: samples}}`` and the wall time."""
    results = work / "plugin-results"
    started = time.perf_counter()
    done = subprocess.run(
        _pytest_command(suite, "--nwb-results-dir", str(results), "--nwb-commit-hash", "0" * 40),
        env=_environment(**{_BENCH_ENV: pattern}),
        capture_output=True,
        text=True,
        cwd=suite.parent,
    )
    wall = time.perf_counter() - started
    files = [path for path in results.glob("*.json") if "results" in json.loads(path.read_text())]
    if not files:
        raise RuntimeError(f"the plugin wrote no result file (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return json.loads(files[0].read_text())["results"], wall


def _median(samples: Any) -> float | None:
    values = [value for value in samples if isinstance(value, (int, float))] if isinstance(samples, list) else []
    return statistics.median(values) if values else None


def compare_runs(plugin: dict[str, dict[str, Any]], asv: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Compare params keys, sample counts and medians of the two runs."""
    plugin_keys = {(name, key) for name, rows in plugin.items() for key in rows}
    asv_keys = {(name, key) for name, rows in asv.items() for key in rows}
    common = sorted(plugin_keys & asv_keys)
    counts_equal = [pair for pair in common if len(plugin[pair[0]][pair[1]]) == len(asv[pair[0]][pair[1]])]
    close, ratios = [], []
    for name, key in common:
        ours, theirs = _median(plugin[name][key]), _median(asv[name][key])
        if ours is None or theirs is None:
            continue
        ratio = ours / theirs if theirs else (1.0 if ours == theirs else float("inf"))
        ratios.append((name, key, ratio))
        if abs(ratio - 1) <= TOLERANCE:
            close.append((name, key))
    return {
        "combinations": (len(plugin_keys), len(asv_keys)),
        "keys_identical": plugin_keys == asv_keys,
        "sample_counts_equal": (len(counts_equal), len(common)),
        "medians_within": (len(close), len(ratios)),
        "outside": [f"{name} {key}: {ratio:.2f}x" for name, key, ratio in ratios if abs(ratio - 1) > TOLERANCE],
        "count_differences": [
            f"{n} {k}: {len(plugin[n][k])} vs {len(asv[n][k])}" for n, k in common if (n, k) not in counts_equal
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; prints the comparison and returns 0 when discovery agrees, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", type=Path, help="the asv benchmark_dir (a package folder)")
    parser.add_argument("--bench", help="regular expression selecting the benchmarks to run both ways")
    parser.add_argument(
        "--asv-twice", action="store_true", help="run asv a second time, to see how much its own medians move"
    )
    parser.add_argument("--json", type=Path, help="also write the comparison here")
    args = parser.parse_args(argv)
    suite = args.suite.resolve()
    report: dict[str, Any] = {"suite": str(suite)}
    with tempfile.TemporaryDirectory(prefix="compare-asv-") as folder:
        work = Path(folder)
        plugin, collect_errors = collect_with_plugin(suite, work)
        asv, import_errors = discover_with_asv(suite, work)
        report["discovery"] = compare_discovery(plugin, asv)
        report["discovery"]["plugin_collection_errors"] = collect_errors
        report["discovery"]["asv_import_errors"] = import_errors
        if args.bench:
            (work / "native").mkdir()
            (work / "asv").mkdir()
            native, native_wall = run_with_plugin(suite, args.bench, work / "native")
            theirs, asv_wall = run_with_asv(suite, args.bench, work / "asv")
            report["run"] = compare_runs(native, theirs)
            report["run"]["wall_time_s"] = {"native": round(native_wall, 1), "asv": round(asv_wall, 1)}
            if args.asv_twice:
                # asv against itself: how far medians move between two runs on this machine
                (work / "asv-again").mkdir()
                again, _ = run_with_asv(suite, args.bench, work / "asv-again")
                report["asv_vs_asv"] = compare_runs(again, theirs)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    discovery = report["discovery"]
    agree = not (discovery["only_plugin"] or discovery["only_asv"] or any(discovery["differences"].values()))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
