"""What every other part needs and that depends on nothing of the project: paths, hashing, statistics, settings."""

from pytest_nwb_benchmarks.utils._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {"._hashing": ["canonical_json", "sha1_hash"], "._lazy": ["lazy_exports"], "._options": ["option_group", "setting"]}
    | {"._paths": ["benchmarks_home", "cache_dir"], "._statistics": ["interquartile_range", "median", "quantile"]},
)
__all__ = __dir__()
