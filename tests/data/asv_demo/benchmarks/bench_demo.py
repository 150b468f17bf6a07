"""Benchmarks chosen for the shapes of the rows asv writes for them, not for what they time.

Each benchmark keeps asv's own timing small (one round, three samples) so that the fixtures
are produced in seconds.
"""

import time

from asv_runner.benchmarks.mark import SkipNotImplemented


class Quick:
    """Shared timing attributes: one round of three samples of five calls each."""

    rounds = 1
    repeat = 3
    number = 5
    warmup_time = 0.0


def time_plain() -> None:
    """No parameters: one params key, ``()``."""
    sum(range(1000))


time_plain.rounds = 1
time_plain.repeat = 3
time_plain.number = 5
time_plain.warmup_time = 0.0


def time_fails() -> None:
    """Fails outright: the whole result column is ``null`` and the row is trimmed."""
    raise ValueError("this benchmark fails on purpose")


time_fails.rounds = 1
time_fails.repeat = 3
time_fails.number = 1
time_fails.warmup_time = 0.0


def time_slow() -> None:
    """Killed by asv's timeout: stored like a failure."""
    time.sleep(10)


time_slow.timeout = 1.0
time_slow.rounds = 1
time_slow.repeat = 1
time_slow.number = 1
time_slow.warmup_time = 0.0


def track_value() -> int:
    """A single value without parameters: no stats, no samples column."""
    return 42


class Grid(Quick):
    """Two parameters; one combination skipped and one failing, both in the middle of the product.

    Product order (last parameter fastest): (10, 'list'), (10, 'tuple'), (100, 'list'),
    (100, 'tuple'), (1000, 'list'), (1000, 'tuple').
    """

    params = [[10, 100, 1000], ["list", "tuple"]]
    param_names = ["n", "kind"]

    def setup(self, n: int, kind: str) -> None:
        if (n, kind) == (10, "tuple"):
            raise SkipNotImplemented("skipped on purpose")
        self.data = list(range(n)) if kind == "list" else tuple(range(n))

    def time_sum(self, n: int, kind: str) -> None:
        if (n, kind) == (100, "tuple"):
            raise ValueError("this combination fails on purpose")
        sum(self.data)

    def peakmem_build(self, n: int, kind: str) -> None:
        list(range(n * 100))

    def track_len(self, n: int, kind: str) -> int:
        return len(self.data)


class Three(Quick):
    """Three parameters, one of them a string with characters that need escaping in a key."""

    params = [[1, 2], ["a'b", 'c"d'], [None, 1.5]]
    param_names = ["i", "text", "value"]

    def time_three(self, i: int, text: str, value: float | None) -> None:
        str(i) + text + str(value)


class AllSkipped(Quick):
    """Every combination skipped: a ``NaN`` column and a trimmed row."""

    params = [1, 2]
    param_names = ["x"]

    def setup(self, x: int) -> None:
        raise NotImplementedError("not on this machine")

    def time_never(self, x: int) -> None:
        pass


class Partial:
    """A track benchmark failing for one combination (``None`` counts as a failure)."""

    params = [1, 2, 3]
    param_names = ["x"]

    def track_partial(self, x: int) -> int | None:
        return None if x == 2 else x * 10


class SampleDicts:
    """Track benchmarks returning asv's ``{"samples": ..., "number": ...}`` dicts."""

    def track_samples_none(self) -> dict:
        return {"samples": [1.0, 2.0, 3.0], "number": None}

    def track_samples_number(self) -> dict:
        return {"samples": [1.0, 2.0, 3.0, 10.0], "number": 1}


class NetworkDicts:
    """Dict samples under dict parameters, as the network-tracking benchmarks write them."""

    params = [{"name": "a", "size": 1}, {"name": "b", "size": 2}, {"name": "c", "size": 3}]
    param_names = ["file"]

    def setup(self, file: dict) -> None:
        if file["name"] == "b":
            raise SkipNotImplemented("skipped on purpose")

    def track_network(self, file: dict) -> dict:
        return {"samples": {"bytes": 10 * file["size"], "requests": 3}, "number": None}


class BrokenCache:
    """A failing ``setup_cache``: the shortest row asv writes."""

    def setup_cache(self) -> None:
        raise RuntimeError("setup_cache fails on purpose")

    def time_never_runs(self) -> None:
        pass
