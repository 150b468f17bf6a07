"""The machine header: an anonymous, stable description of the hardware a run used.

It holds what ``asv machine --yes`` records (as strings, like asv) and much more that bears on
performance: CPU model, cores, memory, swap, disks, GPU and the file system of the data cache.
Only configuration goes in, never usage (no load, free space or current frequency), so that the
same machine gives the same header and hash on every run. Host name, user name and home folder
are scrubbed out, and the machine is called by its friendly name instead.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from pytest_nwb_benchmarks.results._friendly_names import machine_friendly_name
from pytest_nwb_benchmarks.results._json_files import replace_json_file
from pytest_nwb_benchmarks.results._result_files import HeaderState, write_header_file
from pytest_nwb_benchmarks.utils._hashing import sha1_hash
from pytest_nwb_benchmarks.utils._paths import benchmarks_home, cache_dir

MACHINE_HEADER_VERSION = 1
LAST_HEADER_FILE = "last_machine_header.json"
_COMMAND_TIMEOUT = 15  # seconds for sysctl / nvidia-smi; a hung tool must not hang the run
# Personal names shorter than this are scrubbed only as whole words, so that a user called
# "al" does not mangle every "Intel" in the header.
_MIN_SUBSTRING_SCRUB = 4


@dataclass
class MachineHeaderState(HeaderState):
    """The outcome of :func:`ensure_machine_header`: the fields of :class:`HeaderState`, and ``changes``.

    Attributes
    ----------
    changes : list of str
        What changed since the last header this machine used; empty the first time.
    """

    changes: list[str] = field(default_factory=list)


def _run(command: list[str]) -> str | None:
    """Return a tool's standard output, or None when it is missing or fails."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip()


def _cpu_model() -> str:
    """The CPU's marketing name, found the way each platform exposes it."""
    if sys.platform.startswith("linux"):
        try:
            lines = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        # x86 uses "model name"; some ARM kernels only give "Hardware", "Processor" or "cpu model".
        for wanted in ("model name", "hardware", "processor", "cpu model"):
            for line in lines:
                key, _, value = line.partition(":")
                if key.strip().lower() == wanted and value.strip() and not value.strip().isdigit():
                    return value.strip()
    elif sys.platform == "darwin":
        sysctl = shutil.which("sysctl") or "/usr/sbin/sysctl"
        model = _run([sysctl, "-n", "machdep.cpu.brand_string"])
        if model:
            return model
    return platform.processor()


def _gpus() -> list[dict[str, Any]]:
    """Name and memory of each NVIDIA GPU, when ``nvidia-smi`` is available; otherwise none."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return []
    output = _run([tool, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"])
    gpus = []
    for line in (output or "").splitlines():
        name, _, memory = line.rpartition(",")
        memory = memory.strip()
        gpus.append(
            {"name": name.strip(), "memory_total_mib": int(memory) if memory.isdigit() else memory}
            if name
            else {"name": line.strip()}
        )
    return gpus


def _disk_partitions() -> list[dict[str, str]]:
    partitions = {
        (part.mountpoint, part.device): {
            "device": part.device,
            "mountpoint": part.mountpoint,
            "fstype": part.fstype,
            "opts": part.opts,
        }
        for part in psutil.disk_partitions(all=False)
    }
    return [partitions[key] for key in sorted(partitions)]


def _cache_filesystem() -> dict[str, Any]:
    """The file system holding the data cache: streamed and local reads are only as fast as it."""
    folder = os.path.realpath(cache_dir())
    best = None
    for part in psutil.disk_partitions(all=True):
        mount = part.mountpoint
        inside = folder == mount or folder.startswith(mount.rstrip(os.sep) + os.sep)
        if inside and (best is None or len(mount) > len(best.mountpoint)):
            best = part
    return {
        "fstype": best.fstype if best else "",
        "mountpoint": best.mountpoint if best else "",
        "total_bytes": shutil.disk_usage(folder).total,
    }


def _cpu_frequency() -> dict[str, float | None]:
    try:
        frequency = psutil.cpu_freq()
    except (OSError, NotImplementedError, RuntimeError):
        frequency = None
    # Only the limits: the current frequency changes from moment to moment.
    return {
        "cpu_frequency_min_mhz": frequency.min if frequency else None,
        "cpu_frequency_max_mhz": frequency.max if frequency else None,
    }


def _personal_strings() -> list[str]:
    names = []
    for getter in (socket.gethostname, getpass.getuser):
        try:
            names.append(getter())
        except Exception:  # noqa: BLE001 - getuser raises various errors when no user is known
            continue
    fqdn_parts = [name.split(".")[0] for name in names if "." in name]
    return [name for name in {*names, *fqdn_parts} if name]


def _anonymize(value: Any, home: str, personal: list[str]) -> Any:
    """Replace the home folder by ``~`` and host or user names by placeholders, everywhere."""
    if isinstance(value, dict):
        return {key: _anonymize(item, home, personal) for key, item in value.items()}
    if isinstance(value, list):
        return [_anonymize(item, home, personal) for item in value]
    if not isinstance(value, str):
        return value
    if home and home != os.sep and (value == home or value.startswith(home.rstrip(os.sep) + os.sep)):
        value = "~" + value[len(home.rstrip(os.sep)) :]
    for name in personal:
        if len(name) >= _MIN_SUBSTRING_SCRUB:
            pattern = re.escape(name)
        else:
            pattern = rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])"
        value = re.sub(pattern, "<redacted>", value, flags=re.IGNORECASE)
    return value


def collect_machine_header() -> dict[str, Any]:
    """Describe this machine.

    Returns
    -------
    dict
        A JSON-serializable header: asv's keys (``arch``, ``cpu``, ``machine``, ``num_cpu``,
        ``os``, ``ram``, as strings, with ``machine`` the friendly name), plus ``platform``,
        ``os_cpu_count``, ``cpu_model``, ``psutil``, ``gpus``, ``cache_filesystem`` and
        ``version``. It holds no host name, user name or home path.
    """
    uname = platform.uname()
    cpu_model = _cpu_model()
    total_memory = psutil.virtual_memory().total
    header: dict[str, Any] = {
        "version": MACHINE_HEADER_VERSION,
        "machine": machine_friendly_name(),
        "arch": platform.machine(),
        "cpu": cpu_model,
        "num_cpu": str(os.cpu_count() or ""),
        "os": f"{uname.system} {uname.release}",
        "ram": str(total_memory),
        "platform": {
            "system": uname.system,
            "release": uname.release,
            "version": uname.version,
            "machine": uname.machine,
            "processor": uname.processor,
            "python_implementation": platform.python_implementation(),
        },
        "os_cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "psutil": {
            "physical_cores": psutil.cpu_count(logical=False),
            "logical_threads": psutil.cpu_count(logical=True),
            "total_memory_bytes": total_memory,
            "total_swap_bytes": psutil.swap_memory().total,
            **_cpu_frequency(),
            "disk_partitions": _disk_partitions(),
        },
        "gpus": _gpus(),
        "cache_filesystem": _cache_filesystem(),
    }
    anonymous = _anonymize(header, str(Path.home()), _personal_strings())
    anonymous["machine"] = header["machine"]  # the friendly name is random, never personal
    return anonymous


def _without_name(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return {key: _without_name(item, name) for key, item in value.items() if item != name}
    if isinstance(value, list):
        return [_without_name(item, name) for item in value]
    return value


def machine_hash(header: dict[str, Any]) -> str:
    """Hash a machine header, leaving out the friendly name.

    The name is dropped (the ``machine`` key and any other entry holding the same value) so that
    two machines with identical hardware share a hash, and renaming a machine does not change it.

    Parameters
    ----------
    header : dict
        A header from :func:`collect_machine_header`.

    Returns
    -------
    str
        The hexadecimal SHA-1 hash.
    """
    name = header.get("machine")
    content = {key: value for key, value in header.items() if key != "machine"}
    if isinstance(name, str) and name:
        content = _without_name(content, name)
    return sha1_hash(content)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def _human(key: str, value: Any) -> str:
    """Show byte counts in GiB, the unit people think of memory and disks in."""
    is_bytes = key == "ram" or key.endswith("_bytes")
    number = int(value) if isinstance(value, str) and value.isdigit() else value
    if is_bytes and isinstance(number, int) and not isinstance(number, bool):
        gib = number / 2**30
        return f"{gib:.1f}".rstrip("0").rstrip(".") + " GB"
    return json.dumps(value) if not isinstance(value, str) else value


def _describe_partition(part: dict[str, Any]) -> str:
    return f"{part.get('mountpoint')} ({part.get('fstype') or 'unknown'})"


def machine_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """List, in words, how one machine header differs from another.

    Parameters
    ----------
    old, new : dict
        Two machine headers.

    Returns
    -------
    list of str
        Lines such as ``"ram: 16 GB -> 32 GB"`` or ``"disk partitions: added /media/usb (exfat)"``.
    """
    changes: list[str] = []
    old_parts = {_describe_partition(p): p for p in (old.get("psutil") or {}).get("disk_partitions") or []}
    new_parts = {_describe_partition(p): p for p in (new.get("psutil") or {}).get("disk_partitions") or []}
    changes += [f"disk partitions: removed {key}" for key in sorted(set(old_parts) - set(new_parts))]
    changes += [f"disk partitions: added {key}" for key in sorted(set(new_parts) - set(old_parts))]
    changes += [
        f"disk partitions: {key} changed options {old_parts[key].get('opts')} -> {new_parts[key].get('opts')}"
        for key in sorted(set(old_parts) & set(new_parts))
        if old_parts[key] != new_parts[key]
    ]
    old_flat = _flatten({k: v for k, v in old.items() if k != "machine"})
    new_flat = _flatten({k: v for k, v in new.items() if k != "machine"})
    for key in sorted(set(old_flat) | set(new_flat)):
        if key == "psutil.disk_partitions":
            continue
        if key not in new_flat:
            changes.append(f"{key}: removed (was {_human(key, old_flat[key])})")
        elif key not in old_flat:
            changes.append(f"{key}: added {_human(key, new_flat[key])}")
        elif old_flat[key] != new_flat[key]:
            changes.append(f"{key}: {_human(key, old_flat[key])} -> {_human(key, new_flat[key])}")
    return changes


def ensure_machine_header(results_dir: Path) -> MachineHeaderState:
    """Write this machine's header file into ``results_dir`` if absent, and report changes.

    The last header the machine used is kept in ``benchmarks_home()/last_machine_header.json``;
    comparing with it tells the user when, say, a USB disk appeared or memory was added, which
    would make results incomparable with earlier ones.

    Parameters
    ----------
    results_dir : pathlib.Path
        The folder of result files.

    Returns
    -------
    MachineHeaderState
        The header, its hash, the header file, whether it was written now and the changes.
    """
    header = collect_machine_header()
    digest = machine_hash(header)
    path, written = write_header_file(results_dir, "machine", header, digest)
    last_path = benchmarks_home() / LAST_HEADER_FILE
    changes: list[str] = []
    if last_path.exists():
        try:
            last = json.loads(last_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            changes.append(f"the last machine header {last_path} could not be read ({error}); it is replaced")
        else:
            if isinstance(last, dict):
                changes += machine_changes(last, header)
            else:
                changes.append(f"the last machine header {last_path} is not a JSON object; it is replaced")
    if changes or not last_path.exists():
        replace_json_file(last_path, header, indent=4)
    return MachineHeaderState(header=header, hash=digest, path=path, written=written, changes=changes)


def main(argv: list[str]) -> int:
    """Run ``python -m pytest_nwb_benchmarks machine``: print this machine's header and hash.

    Parameters
    ----------
    argv : list of str
        The arguments after the command name.

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nwb_benchmarks machine", description="Print this machine's header and its hash."
    )
    parser.add_argument("--results-dir", type=Path, help="also write info_machine-<hash>.json into this folder")
    options = parser.parse_args(argv)
    if options.results_dir is None:
        header = collect_machine_header()
        print(json.dumps(header, indent=4))
        print(f"machine hash: {machine_hash(header)}")
        return 0
    state = ensure_machine_header(options.results_dir)
    print(json.dumps(state.header, indent=4))
    print(f"machine hash: {state.hash}")
    print(f"{'wrote' if state.written else 'already present'}: {state.path}")
    for line in state.changes:
        print(f"changed since the last run: {line}")
    return 0
