"""JSON files written whole or not at all, and read strictly.

The JSON goes to a temporary file in the same folder, is flushed to disk and only then linked
under its final name, so a crash never leaves a truncated file behind, and
:func:`write_new_json_file` never overwrites an existing file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def dump_json(obj: Any, indent: int = 4) -> str:
    """The text of ``obj`` as written to every file: strict JSON (no NaN), UTF-8, a final newline."""
    return json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def _write_temporary(folder: Path, text: str) -> str:
    """Write ``text`` to a hidden temporary file in ``folder``, flushed to disk; return its path."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json.part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


@contextlib.contextmanager
def _staged(path: Path, text: str) -> Iterator[str]:
    """Yield a temporary file holding ``text`` beside ``path`` (folder made if missing); removed if still there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _write_temporary(path.parent, text)
    try:
        yield temporary
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_new_json_file(path: Path, obj: Any, *, indent: int = 4) -> bool:
    """Write ``obj`` as JSON to ``path`` atomically, unless ``path`` already exists.

    Parameters
    ----------
    path : pathlib.Path
        The file to create; its folder is created when missing.
    obj : Any
        A JSON-serializable object without NaN or infinities.
    indent : int, optional
        The JSON indentation.

    Returns
    -------
    bool
        True when the file was written, False when it already existed (it is left untouched).
    """
    path = Path(path)
    text = dump_json(obj, indent)  # serialize first: a bad object must not leave any file behind
    if path.exists():
        return False
    with _staged(path, text) as temporary:
        try:
            # A hard link cannot replace an existing file, so two racing writers cannot clobber each other.
            os.link(temporary, path)
        except FileExistsError:
            return False
        except OSError:
            # File systems without hard links (FAT, some network shares): a rename after a last check.
            if path.exists():
                return False
            os.replace(temporary, path)
        return True


def replace_json_file(path: Path, obj: Any, *, indent: int = 4) -> None:
    """Write ``obj`` as JSON to ``path`` atomically, replacing any previous content.

    Parameters
    ----------
    path, obj, indent
        As for :func:`write_new_json_file`.
    """
    path = Path(path)
    with _staged(path, dump_json(obj, indent)) as temporary:
        os.replace(temporary, path)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def load_json_text(text: str) -> Any:
    """Decode strict JSON: ``NaN`` and ``Infinity``, which Python's :mod:`json` accepts, are refused.

    Parameters
    ----------
    text : str
        The JSON text.

    Returns
    -------
    Any
        The decoded document.

    Raises
    ------
    ValueError
        When the text is not strict JSON.
    """
    return json.loads(text, parse_constant=_reject_constant)
