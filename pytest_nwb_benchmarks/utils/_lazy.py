"""Public names of a package that are imported only when first used.

The measuring processes import parts of ``collect`` and ``run``; a package ``__init__`` that imported
every module it names would load pytest into them (and count its memory in ``peakmem_`` readings).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, modules: dict[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Make a package's ``__getattr__`` and ``__dir__`` that import each public name on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    modules : dict
        ``{module relative to the package: its public names}`` (``{"._case": ["Case", "Outcome"]}``).

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` for the package's namespace; ``__dir__()`` is its ``__all__``.
    """
    exports = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name], package), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
