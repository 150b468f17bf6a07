"""Which files to upload and in which order: result files and the headers they name.

A results folder holds result files (``result_timestamp-…_machine-…_environment-….json``) and
their headers (``info_machine-….json``, ``info_environment-….json``). The server and its readers
need a result's headers, so headers go first.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pytest_nwb_benchmarks.results._file_names import InvalidFileName, ParsedFileName, parse_file_name


def classify(name: str) -> ParsedFileName | None:
    """Tell what a file name is (a header or a result file), or None for any other name.

    Parameters
    ----------
    name : str
        The file name (no folder).

    Returns
    -------
    ParsedFileName or None
        The kind and ids the name carries.
    """
    try:
        return parse_file_name(name)
    except InvalidFileName:
        return None


def find_result_files(results_dir: Path | str) -> list[Path]:
    """List the result files and headers in a results folder (not its subfolders).

    Parameters
    ----------
    results_dir : pathlib.Path or str
        The folder.

    Returns
    -------
    list of pathlib.Path
        The files whose names the server accepts, in upload order (headers first).

    Raises
    ------
    FileNotFoundError
        When the folder does not exist.
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"the results folder {folder} does not exist")
    return upload_order(p for p in folder.iterdir() if p.is_file() and classify(p.name) is not None)


def upload_order(paths: Iterable[Path]) -> list[Path]:
    """Sort files for upload: machine headers, environment headers, results, each by name; no repeats.

    Parameters
    ----------
    paths : iterable of pathlib.Path
        The files, possibly repeated or given by different relative paths.

    Returns
    -------
    list of pathlib.Path
        The resolved paths, headers before the results that name them (the server and its readers
        need the header a result names).
    """
    rank = {"machine": 0, "environment": 1, "result": 2}

    def key(path: Path) -> tuple[int, str]:
        parsed = classify(path.name)
        return (rank[parsed.kind] if parsed else 3, path.name)

    unique = {Path(p).resolve(): None for p in paths}
    return sorted(unique, key=key)


def referenced_headers(path: Path) -> list[Path]:
    """Return the header files next to a result file that the result names (those that exist).

    Parameters
    ----------
    path : pathlib.Path
        A result file, e.g. ``result_timestamp-…_machine-abc_environment-def.json``.

    Returns
    -------
    list of pathlib.Path
        ``info_machine-abc.json`` and ``info_environment-def.json`` (or the older ``machine-abc.json``
        names) from the same folder, when present.
    """
    parsed = classify(path.name)
    if parsed is None or parsed.kind != "result" or parsed.machine_id is None:
        return []
    found = []
    for header_kind, header_id in (("machine", parsed.machine_id), ("environment", parsed.environment_id)):
        for prefix in ("info_", ""):
            candidate = path.with_name(f"{prefix}{header_kind}-{header_id}.json")
            if candidate.is_file():
                found.append(candidate)
                break
    return found
