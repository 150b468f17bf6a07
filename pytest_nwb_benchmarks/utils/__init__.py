"""What every other part needs and that depends on nothing of the project: paths, hashing, statistics, settings."""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

_EXPORTS = {
    "benchmarks_home": "._paths",
    "cache_dir": "._paths",
    "canonical_json": "._hashing",
    "interquartile_range": "._statistics",
    "lazy_exports": "._lazy",
    "median": "._statistics",
    "quantile": "._statistics",
    "setting": "._options",
    "sha1_hash": "._hashing",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
