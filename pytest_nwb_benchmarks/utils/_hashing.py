"""Content hashes of JSON-like objects, the same on every machine and Python version."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(obj: Any) -> str:
    """Serialize ``obj`` to one canonical JSON text.

    Keys are sorted, separators carry no spaces and every non-ASCII character is escaped, so that
    equal objects always give byte-identical text whatever their key order or platform.

    Parameters
    ----------
    obj : Any
        A JSON-serializable object (dicts, lists, strings, numbers, booleans, ``None``).

    Returns
    -------
    str
        The canonical JSON text.

    Raises
    ------
    TypeError
        When ``obj`` holds something JSON cannot represent.
    ValueError
        When ``obj`` holds NaN or an infinity, which are not valid JSON.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def sha1_hash(obj: Any) -> str:
    """Return the hexadecimal SHA-1 digest of :func:`canonical_json` of ``obj``.

    Parameters
    ----------
    obj : Any
        A JSON-serializable object.

    Returns
    -------
    str
        Forty lowercase hexadecimal characters.
    """
    return hashlib.sha1(canonical_json(obj).encode("ascii")).hexdigest()
