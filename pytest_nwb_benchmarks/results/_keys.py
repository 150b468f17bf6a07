"""How a benchmark and one parameter combination are named in result files.

A result file stores samples under ``{benchmark id: {parameter key: samples}}``. The benchmark id
is asv's dotted name (``module.Class.method``, the module path counted from the benchmark
package), the parameter key is ``str()`` of the tuple of the values' reprs. These rules are part
of the file format, so they live here; discovery and the pytest collectors import them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# A default repr: ``<module.Class object at 0x7f...>``.
_ADDRESS = re.compile(r"^(<.*) at (0x[0-9a-fA-F]+)(>)$")


def repr_without_address(value: Any) -> str:
    """Return ``repr(value)`` with the memory address of a default repr removed.

    Parameters
    ----------
    value : object
        A parameter value.

    Returns
    -------
    str
        ``repr(value)``, except that ``<X object at 0x7f…>`` becomes ``<X object>`` when the
        address really is the object's own (so that ids are the same in every process).
    """
    text = repr(value)
    match = _ADDRESS.match(text)
    if match:
        default = _ADDRESS.match(object.__repr__(value))
        if default and default[2] == match[2]:
            return match[1] + match[3]
    return text


def params_key(param_reprs: Sequence[str]) -> str:
    """Return the key of one parameter combination in the reduced result files.

    Parameters
    ----------
    param_reprs : sequence of str
        asv's repr string of each parameter value, in ``param_names`` order.

    Returns
    -------
    str
        ``str()`` of the tuple of those strings: ``("'value'",)`` for one parameter, ``()`` for none.
    """
    return str(tuple(param_reprs))


def readable_param(value: Any) -> str:
    """The ASCII text of one parameter value in a combination's pytest id (``ecephys-0``).

    Parameters
    ----------
    value : object
        A parameter value.

    Returns
    -------
    str
        Strings as they are (``''`` when empty), numbers, booleans and None as ``str()``, anything
        else as its repr without address; non-ASCII characters as backslash escapes.
    """
    if isinstance(value, str):
        text = value or "''"
    elif value is None or isinstance(value, (bool, int, float)):
        text = str(value)
    else:
        text = repr_without_address(value)
    return text.encode("ascii", "backslashreplace").decode("ascii")


def benchmark_location(path: Path) -> tuple[str | None, str]:
    """Return the root package and the dotted id prefix of a benchmark file, as asv names them.

    Parameters
    ----------
    path : pathlib.Path
        A ``.py`` file.

    Returns
    -------
    tuple
        ``(root package or None, dotted path from the root)``: ``benchmarks/sub/mod.py`` in the
        package ``benchmarks`` gives ``("benchmarks", "sub.mod")``; a file outside any package
        gives ``(None, "mod")``.
    """
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1:
        return None, parts[0]
    return parts[0], ".".join(parts[1:])
