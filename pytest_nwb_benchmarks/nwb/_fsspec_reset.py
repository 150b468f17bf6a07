"""Forget the filesystem instances fsspec caches per process, in every forked measuring process.

fsspec keeps the filesystems it made in a class-level ``_cache`` of each filesystem class; a child
forked from a pytest process that streamed a file would otherwise reuse the parent's open sessions
and cached blocks. Importing this module registers the reset (``conftest.py`` does).
"""

from __future__ import annotations

import sys

from pytest_nwb_benchmarks.run import register_child_reset


@register_child_reset
def reset_fsspec_instances() -> None:
    """Empty the instance cache of every fsspec filesystem class, should fsspec be imported."""
    fsspec_spec = sys.modules.get("fsspec.spec")
    if fsspec_spec is None:
        return
    pending = [fsspec_spec.AbstractFileSystem]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        cache = cls.__dict__.get("_cache")
        if isinstance(cache, dict):
            cache.clear()
