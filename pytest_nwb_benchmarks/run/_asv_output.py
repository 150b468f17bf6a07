"""Reading what ``asv run`` says: the selection expression, its console output by benchmark, its metadata."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.collect._case import Case

_PROGRESS = re.compile(r"^\[\s*[0-9]+(?:\.[0-9]+)?%\] (?P<dots>·+) (?P<rest>.*)$")
# asv's benchmark names are dotted paths (module.function or module.Class.method).
_BENCHMARK_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)+$")


def bench_expression(cases: Sequence[Case]) -> str:
    """A regular expression for ``asv run --bench`` that selects exactly ``cases``.

    asv matches it with :func:`re.search` against the benchmark's name, or, for parameterized
    benchmarks, against ``name(repr1, repr2, ...)`` of each combination. A benchmark whose
    combinations are all selected is matched by name; otherwise each selected combination is
    spelled out.

    Parameters
    ----------
    cases : sequence of Case
        The selected cases.

    Returns
    -------
    str
        ``^(?:...|...)$`` with escaped alternatives.
    """
    chosen: dict[str, tuple[Any, set[int]]] = {}
    for case in cases:
        chosen.setdefault(case.benchmark.name, (case.benchmark, set()))[1].add(case.combination_index)
    alternatives = []
    for name, (benchmark, indices) in chosen.items():
        if not benchmark.params:
            alternatives.append(re.escape(name))
            continue
        combinations = benchmark.combination_reprs()
        if len(indices) == len(combinations):
            # The "(" ends the name, so no other benchmark whose name merely starts the same is matched.
            alternatives.append(re.escape(name + "(") + r".*\)")
            continue
        for index in sorted(indices):
            alternatives.append(re.escape(f"{name}({', '.join(combinations[index])})"))
    return "^(?:" + "|".join(alternatives) + ")$"


def asv_output_sections(lines: Iterable[str]) -> dict[str, list[str]]:
    """Group asv's console output by benchmark.

    asv prints ``[ 50.00%] ··· <name> <status>`` when a benchmark ends, then its table (on
    lines of the same level, or indented under it) and, with ``--show-stderr``, what the
    benchmark wrote, tracebacks included (``····`` lines and their indented continuations).

    Parameters
    ----------
    lines : iterable of str
        asv's output, line by line.

    Returns
    -------
    dict
        ``{benchmark name: [lines]}``; the first line is the progress line's text.
    """
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    indent = 0
    for line in lines:
        line = line.rstrip("\n")
        match = _PROGRESS.match(line)
        if match:
            rest = match["rest"]
            indent = len(line) - len(rest)
            first = rest.split()[0] if rest.split() else ""
            if len(match["dots"]) == 3 and _BENCHMARK_NAME.match(first):
                current = sections.setdefault(first, [])
            elif len(match["dots"]) < 3:
                current = None
                continue
            if current is not None:
                current.append(rest)
        elif current is not None and (line.startswith(" ") or not line.strip()):
            # Continuation lines are indented to the width of the progress prefix.
            current.append(line[indent:] if line[:indent].isspace() else line.strip())
        else:
            current = None
    return sections


def combination_text(section: list[str], reprs: Sequence[str] | None) -> str:
    """The part of a benchmark's output that concerns one combination (all of it without parameters)."""
    text = "\n".join(section)
    if not reprs:
        return text
    marker = f"For parameters: {', '.join(reprs)}"
    parts = re.split(r"^(?=For parameters: )", text, flags=re.MULTILINE)
    for part in parts:
        if part.splitlines() and part.splitlines()[0].strip() == marker:
            return part.strip()
    return ""


def last_error_line(text: str) -> str:
    """The line of asv's output that best names a failure: a timeout, else the last exception line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("asv: benchmark timed out"):
            return line.removeprefix("asv: ")
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b", line):
            return line
    return ""


def tidy_progress_line(line: str) -> str:
    """Close the gap asv leaves (for its very wide terminal) between a benchmark's name and its status."""
    match = _PROGRESS.match(line)
    if match and len(match["dots"]) == 3:
        name, gap, status = match["rest"].partition("  ")
        if gap and _BENCHMARK_NAME.match(name):
            return f"{line[: len(line) - len(match['rest'])]}{name}  {status.strip()}"
    return line.rstrip()


def combinations_of(params: list[list[str]]) -> list[tuple[str, ...]]:
    """Every combination of asv's parameter reprs, the last parameter varying fastest."""
    return list(itertools.product(*params))


def rounds_of(results_dir: Path) -> dict[str, int]:
    """Each time benchmark's ``rounds``, from the ``benchmarks.json`` asv wrote next to its results."""
    try:
        metadata = json.loads((results_dir / "benchmarks.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {
        name: int(entry.get("rounds", 1))
        for name, entry in metadata.items()
        if isinstance(entry, dict) and entry.get("type") == "time"
    }
