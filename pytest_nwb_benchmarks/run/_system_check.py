"""Is this machine fit to measure on right now? The checks made at the start of a benchmark run.

In the spirit of pyperf's ``system show``: CPU frequency governor, turbo boost, frequency range, load
average, swap use, processes busy on the CPUs, address space layout randomization, isolated CPUs, the
power supply and virtualization. Each finding says what was seen and whether it can disturb timings;
the run prints the warnings and keeps every finding in its result file (``system_check``), since they
describe this run's conditions, not the machine (the machine header stays the same from run to run).

``python -m pytest_nwb_benchmarks system-check`` prints the findings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

_SYS_CPU = Path("/sys/devices/system/cpu")
#: Other processes using more than this share of one CPU during the check are named.
BUSY_PROCESS_PERCENT = 10.0
#: Warn when the 1-minute load average, less the run's own process, exceeds this share of the CPUs.
LOAD_SHARE = 0.25


@dataclass
class Finding:
    """One thing the check looked at.

    Attributes
    ----------
    check : str
        Short name, e.g. ``"cpu_governor"``.
    value : Any
        What was seen (JSON-ready), or None when it could not be read on this platform.
    ok : bool or None
        False when it can disturb timings, True when not, None when unknown.
    message : str
        One line for the user.
    """

    check: str
    value: Any
    ok: bool | None
    message: str


@dataclass
class SystemCheck:
    """All findings of one check."""

    checked_at: str
    findings: list[Finding]

    @property
    def warnings(self) -> list[str]:
        """The messages of the findings that can disturb timings."""
        return [finding.message for finding in self.findings if finding.ok is False]

    def to_dict(self) -> dict[str, Any]:
        """The form kept in the result file."""
        return {
            "checked_at": self.checked_at,
            "warnings": self.warnings,
            "findings": [asdict(finding) for finding in self.findings],
        }


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _governor() -> Finding:
    governors = sorted({text for path in _SYS_CPU.glob("cpu[0-9]*/cpufreq/scaling_governor") if (text := _read(path))})
    if not governors:
        return Finding(
            "cpu_governor", None, None, "CPU frequency governor: not exposed (virtual machine or no cpufreq)"
        )
    good = governors == ["performance"]
    return Finding(
        "cpu_governor",
        governors,
        good,
        f"CPU frequency governor: {', '.join(governors)}"
        + ("" if good else " (frequency follows load; 'performance' keeps it steady)"),
    )


def _turbo() -> Finding:
    no_turbo = _read(_SYS_CPU / "intel_pstate" / "no_turbo")
    if no_turbo is not None:
        enabled = no_turbo == "0"
    else:
        boost = _read(_SYS_CPU / "cpufreq" / "boost")
        if boost is None:
            return Finding("turbo_boost", None, None, "turbo boost: not exposed")
        enabled = boost == "1"
    return Finding(
        "turbo_boost",
        enabled,
        not enabled,
        "turbo boost: "
        + ("enabled (the clock depends on temperature and on how many cores are busy)" if enabled else "disabled"),
    )


def _frequency() -> Finding:
    try:
        frequency = psutil.cpu_freq()
    except (OSError, NotImplementedError, AttributeError):
        frequency = None
    if frequency is None:
        return Finding("cpu_frequency_mhz", None, None, "CPU frequency: not exposed")
    value = {"current": round(frequency.current, 1), "min": frequency.min or None, "max": frequency.max or None}
    scaling = bool(frequency.min and frequency.max and frequency.min < frequency.max)
    text = f"CPU frequency: {frequency.current:.0f} MHz"
    if scaling:
        text += f" (scales between {frequency.min:.0f} and {frequency.max:.0f} MHz)"
    return Finding("cpu_frequency_mhz", value, None, text)


def _load(cpus: int) -> Finding:
    try:
        load = os.getloadavg()
    except (OSError, AttributeError):
        return Finding("load_average", None, None, "load average: not available")
    others = max(0.0, load[0] - 1.0)  # the run itself keeps one CPU busy
    busy = others > LOAD_SHARE * cpus
    return Finding(
        "load_average",
        [round(value, 2) for value in load],
        not busy,
        f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {cpus} CPUs"
        + (" (other work competes for the CPUs)" if busy else ""),
    )


def _swap() -> Finding:
    swap = psutil.swap_memory()
    used = int(swap.used)
    return Finding(
        "swap_used_bytes",
        used,
        used == 0,
        f"swap: {used / 1e6:.0f} MB used" + (" (paging can stall benchmarks)" if used else "")
        if swap.total
        else "swap: none configured",
    )


def _busy_processes(interval: float) -> Finding:
    own = {os.getpid(), *(child.pid for child in psutil.Process().children(recursive=True))}
    processes = []
    for process in psutil.process_iter(["pid", "name"]):
        if process.pid in own or process.pid == 0:
            continue
        try:
            process.cpu_percent(None)
            processes.append(process)
        except (psutil.Error, OSError):
            continue
    time.sleep(interval)
    busy = []
    for process in processes:
        try:
            percent = process.cpu_percent(None)
        except (psutil.Error, OSError):
            continue
        if percent > BUSY_PROCESS_PERCENT:
            name = process.info.get("name") or "?"
            busy.append({"name": name, "pid": process.pid, "cpu_percent": round(percent, 1)})
    busy.sort(key=lambda entry: -entry["cpu_percent"])
    names = ", ".join(f"{entry['name']} (pid {entry['pid']}) {entry['cpu_percent']:.0f} %" for entry in busy[:5])
    return Finding(
        "busy_processes",
        busy[:20],
        not busy,
        f"{len(busy)} other process(es) busy on the CPUs: {names}" if busy else "no other process busy on the CPUs",
    )


def _aslr() -> Finding:
    text = _read(Path("/proc/sys/kernel/randomize_va_space"))
    if text is None:
        return Finding("aslr", None, None, "ASLR: unknown on this platform")
    meaning = {"0": "disabled", "1": "partial randomization", "2": "full randomization"}.get(text, text)
    return Finding(
        "aslr",
        meaning,
        text != "0",
        f"ASLR: {meaning}"
        + (
            " (every measuring process gets the same memory layout, so rounds cannot average over layouts)"
            if text == "0"
            else ""
        ),
    )


def _isolated_cpus() -> Finding:
    isolated = _read(_SYS_CPU / "isolated")
    try:
        affinity = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        affinity = None
    if isolated is None:
        return Finding("isolated_cpus", None, None, "isolated CPUs: unknown on this platform")
    value = {"isolated": isolated or None, "affinity": affinity}
    if not isolated:
        return Finding("isolated_cpus", value, None, "isolated CPUs: none (the benchmarks share CPUs with the system)")
    wanted = _parse_cpu_list(isolated)
    pinned = affinity is not None and set(affinity) <= wanted
    return Finding(
        "isolated_cpus",
        value,
        pinned,
        f"isolated CPUs: {isolated}"
        + ("" if pinned else f"; this run is not pinned to them (affinity {affinity}); start it with taskset"),
    )


def _parse_cpu_list(text: str) -> set[int]:
    cpus: set[int] = set()
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-", 1)
            cpus.update(range(int(low), int(high) + 1))
        elif part.strip():
            cpus.add(int(part))
    return cpus


def _power() -> Finding:
    battery = psutil.sensors_battery() if hasattr(psutil, "sensors_battery") else None
    if battery is None:
        return Finding("power", "mains", True, "power: no battery")
    plugged = bool(battery.power_plugged)
    return Finding(
        "power",
        "mains" if plugged else "battery",
        plugged,
        "power: " + ("plugged in" if plugged else "on battery (power saving may slow the CPUs)"),
    )


def _virtualized() -> Finding:
    flags = _read(Path("/proc/cpuinfo")) or ""
    virtual = " hypervisor" in flags or os.path.exists("/sys/hypervisor/type")
    return Finding(
        "virtualized",
        virtual,
        None,
        "virtual machine: " + ("yes (other guests may share the physical CPUs)" if virtual else "no sign of one"),
    )


def check_system(busy_interval: float = 0.3) -> SystemCheck:
    """Look at the machine's state the way a careful benchmarker would before timing anything.

    Parameters
    ----------
    busy_interval : float
        Seconds over which other processes' CPU use is measured.

    Returns
    -------
    SystemCheck
        Every finding; ``warnings`` lists those that can disturb timings.
    """
    cpus = psutil.cpu_count() or 1
    checks: list[Callable[[], Finding]] = [
        _governor,
        _turbo,
        _frequency,
        lambda: _load(cpus),
        _swap,
        lambda: _busy_processes(busy_interval),
        _aslr,
        _isolated_cpus,
        _power,
        _virtualized,
    ]
    findings = []
    for check in checks:
        try:
            findings.append(check())
        except Exception as error:  # noqa: BLE001 - one unreadable source must not stop the run
            name = getattr(check, "__name__", "check").lstrip("_")
            findings.append(Finding(name, None, None, f"{name}: could not be checked ({type(error).__name__})"))
    moment = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return SystemCheck(moment, findings)


def main(argv: list[str]) -> int:
    """``python -m pytest_nwb_benchmarks system-check [--json]``: print the findings."""
    parser = argparse.ArgumentParser(prog="python -m pytest_nwb_benchmarks system-check", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    options = parser.parse_args(argv)
    result = check_system()
    if options.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    for finding in result.findings:
        marker = {True: "ok  ", False: "WARN", None: "info"}[finding.ok]
        print(f"[{marker}] {finding.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
