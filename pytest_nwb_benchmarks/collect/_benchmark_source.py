"""A benchmark's ``code`` and ``version``, made as asv_runner 0.3 makes them.

asv stores the source text of a benchmark (the function, its setups and its setup_cache) as
``code``, and its sha256 as ``version`` unless the benchmark sets ``version`` itself; results
whose version differs from the benchmark's current one are no longer compared. Recording the
same version string lets a history made under pytest be matched with one made by ``asv run``.

Written here rather than imported from asv_runner because asv_runner is an optional
dependency (the ``asv`` group), and these helpers live in its private modules.
"""

from __future__ import annotations

import hashlib
import inspect
import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def _text_of(func: Callable[..., Any]) -> str | None:
    pretty = getattr(func, "pretty_source", None)
    if pretty is not None:
        return textwrap.dedent(str(pretty)).lstrip()
    try:
        lines, _ = inspect.getsourcelines(func)
    except (OSError, TypeError):
        return None
    if not lines:
        return None
    return textwrap.dedent("\n".join(line.rstrip() for line in lines))


def _class_name_of(func: Callable[..., Any]) -> str | None:
    if not inspect.ismethod(func):
        return None
    parts = getattr(func, "__qualname__", "").split(".")
    return parts[-2] if len(parts) > 1 else None


def source_code(funcs: Iterable[Callable[..., Any] | None]) -> str:
    """Return the source text asv records as a benchmark's ``code``.

    Parameters
    ----------
    funcs : iterable of callable or None
        The benchmark function, then its setups, then its setup_cache (None entries are
        left out). A ``pretty_source`` attribute replaces a function's own source.

    Returns
    -------
    str
        The dedented sources separated by blank lines; consecutive methods of one class are
        shown indented under a ``class Name:`` line.
    """
    pieces: list[str] = []
    previous_class = None
    for func in funcs:
        if func is None:
            continue
        text = _text_of(func)
        if text is None:
            continue
        class_name = _class_name_of(func)
        indented = text.replace("\n", "\n    ")
        if class_name and class_name != previous_class:
            text = f"class {class_name}:\n    {indented}"
        elif class_name:
            text = "    " + indented
        pieces.append(text)
        previous_class = class_name
    return "\n\n".join(pieces).rstrip()


def source_version(code: str, explicit: Any = None, env: Mapping[str, Any] | None = None) -> str:
    """Return asv's ``version`` of a benchmark.

    Parameters
    ----------
    code : str
        The benchmark's :func:`source_code`.
    explicit : object, optional
        The benchmark's own ``version`` attribute; its ``str()`` is the version when set.
    env : mapping, optional
        The environment variables a ``timeraw_`` benchmark sets for its interpreter; they are
        part of the version, as in asv_runner.

    Returns
    -------
    str
        The explicit version, else the sha256 hex digest of the code (plus the environment).
    """
    if explicit is not None:
        return str(explicit)
    payload = code
    if env:
        payload += "\n# timeraw_env\n" + repr(sorted((str(key), str(value)) for key, value in env.items()))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
