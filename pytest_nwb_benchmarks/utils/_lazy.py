"""Public names of a package that are imported only when first used.

The measuring processes import parts of ``collect`` and ``run``; a package ``__init__`` that imported
every module it names would load pytest into them (and count its memory in ``peakmem_`` readings).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from typing import Any


def lazy_exports(
    package: str, modules: dict[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Make a package's ``__getattr__`` and ``__dir__`` that import each public name on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    modules : dict
        ``{module relative to the package (or absolute): its public names}``
        (``{"._case": ["Case", "Outcome"]}``). This is the one list of the package's public names.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` for the package's namespace; ``__dir__()`` is its ``__all__``. A name,
        once imported, is kept in the package's namespace, so it is looked up only once.
    """
    exports = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name], package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
