"""Command line entry point: ``python -m pytest_nwb_benchmarks <command> ...``.

Each command lives in its own module and exposes ``main(argv) -> int``; it is imported only
when used.
"""

from __future__ import annotations

import importlib
import sys

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "compare": (".report._compare_cli", "compare two runs and judge each benchmark faster, slower, same or uncertain"),
    "export": (".results._pytest_benchmark_export", "write a result file as pytest-benchmark JSON"),
    "limit-report": (".nwb._limit_report", "compare each NWB reading method of a result file with the physical limit"),
    "machine": (".results._machine", "print this machine's header and its hash"),
    "reduce": (".results._reduce", "reduce asv results or pytest-benchmark JSON into the project's result files"),
    "regressions": (
        ".report._regressions",
        "find the steps (regressions and improvements) in a results folder's history",
    ),
    "system-check": (".run._system_check", "check whether this machine is fit to measure on right now"),
    "upload": (".upload._upload", "upload result files to the results server"),
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit code.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["--version"], ["-V"]):
        from pytest_nwb_benchmarks import __version__

        print(f"pytest-nwb-benchmarks {__version__}")
        return 0
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        out = sys.stdout if argv and argv[0] in ("-h", "--help") else sys.stderr
        if argv and argv[0] not in ("-h", "--help"):
            print(f"unknown command {argv[0]!r}", file=out)
        print(
            "usage: nwb-benchmarks <command> [options]   (or: python -m pytest_nwb_benchmarks ...)\n"
            "       nwb-benchmarks --version\n\ncommands:",
            file=out,
        )
        for name, (_, help_text) in sorted(COMMANDS.items()):
            print(f"  {name:<12} {help_text}", file=out)
        return 0 if out is sys.stdout else 2
    module_name, _ = COMMANDS[argv[0]]
    module = importlib.import_module(module_name, __package__ or "pytest_nwb_benchmarks")
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
