"""Queries over the Parquet tables, run out of core by DuckDB: each reads only what it needs.

Nothing of the tables is held in memory; DuckDB reads the files the manifest names, skipping the
row groups whose statistics rule them out (files are sorted by benchmark). Small, frequently asked
answers (the benchmark list) are cached until the manifest changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb

from server._dataset import MANIFEST, Chunk, Manifest, parquet_list, period_of

#: DuckDB's memory for queries of one server process (it spills to disk beyond that when it can).
QUERY_MEMORY = "256MB"
#: Answers larger than this many rows are not cached.
_CACHE_ROWS = 20_000
_CACHE_ENTRIES = 64


class Queries:
    """The read side of the database, for the pages and the API of one server process.

    Parameters
    ----------
    tables_dir : Path
        The ``tables/`` folder of the database store's clone.
    """

    def __init__(self, tables_dir: Path) -> None:
        self.tables_dir = tables_dir
        self._connection = duckdb.connect(config={"memory_limit": QUERY_MEMORY, "threads": 2})
        self._connection.execute("SET enable_progress_bar = false")  # never write to the server's stdout
        for setting in ("SET TimeZone = 'UTC'", "SET parquet_metadata_cache = true"):
            self._connection.execute(setting)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._manifest = Manifest()
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._summaries: dict[str, list[dict[str, Any]]] = {}  # chunk id -> per benchmark and machine
        self._computing: dict[tuple, threading.Lock] = {}  # key of remember() -> its computation's lock

    # ------------------------------------------------------------------ plumbing

    def manifest(self) -> Manifest:
        """The manifest as it is on disk now (re-read only when the file changed)."""
        try:
            status = (self.tables_dir / MANIFEST).stat()
            stamp = (status.st_mtime_ns, status.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                self._manifest = Manifest.read(self.tables_dir) if stamp else Manifest()
                self._stamp = stamp
                self._cache.clear()
            return self._manifest

    def _source(self, manifest: Manifest, table: str, periods: set[str] | None = None) -> str | None:
        """A ``read_parquet`` over a table's files (those of ``periods`` only, when given)."""
        if table in ("machines", "environments", "problems"):
            path = self.tables_dir / f"{table}.parquet"
            return f"read_parquet({parquet_list([path])})" if path.is_file() else None
        chunks = [chunk for chunk in manifest.chunks if periods is None or chunk.period in periods]
        paths = [self.tables_dir / chunk.path(table) for chunk in sorted(chunks, key=lambda c: c.id)]
        return f"read_parquet({parquet_list(paths)}, hive_partitioning = false)" if paths else None

    def _read(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        """Run a query on a cursor of its own; rows as dicts."""
        cursor = self._connection.cursor()
        try:
            result = cursor.execute(sql, list(params))
            names = [column[0] for column in result.description]
            return [dict(zip(names, values)) for values in result.fetchall()]
        finally:
            cursor.close()

    def _rows(
        self, sql: str, table: str, params: Sequence[Any] = (), periods: set[str] | None = None, cache: bool = False
    ) -> list[dict[str, Any]]:
        """Run ``sql``, where ``{table}`` stands for the table's files; rows as dicts."""
        for attempt in range(2):
            manifest = self.manifest()
            key = (self._stamp, sql, table, tuple(params), tuple(sorted(periods)) if periods is not None else None)
            if cache:
                with self._lock:
                    if key in self._cache:
                        self._cache.move_to_end(key)
                        return self._cache[key]
            source = self._source(manifest, table, periods)
            if source is None:
                return []
            try:
                rows = self._read(sql.replace("{table}", source), params)
            except duckdb.IOException:
                # A file the manifest named was replaced meanwhile (compaction): read the new manifest.
                if attempt:
                    raise
                with self._lock:
                    self._stamp = None
                continue
            if cache and len(rows) <= _CACHE_ROWS:
                with self._lock:
                    self._cache[key] = rows
                    while len(self._cache) > _CACHE_ENTRIES:
                        self._cache.popitem(last=False)
            return rows
        return []

    def remember(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept (among the :data:`_CACHE_ENTRIES` most recent answers) until the tables change.

        For answers derived from the tables that cost more than their queries (rendered plots):
        ``key`` must name everything else the answer depends on.
        """
        self.manifest()
        full_key = ("remembered", self._stamp, *key)
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        # One computation per key at a time: a request that asks meanwhile (or the warm-up) waits for it.
        with computing:
            with self._lock:
                if full_key in self._cache:
                    self._cache.move_to_end(full_key)
                    return self._cache[full_key]
            value = compute()
            with self._lock:
                if full_key[1] == self._stamp:  # not computed from tables that changed meanwhile
                    self._cache[full_key] = value
                    while len(self._cache) > _CACHE_ENTRIES:
                        self._cache.popitem(last=False)
        return value

    # ------------------------------------------------------------------ tables

    def counts(self) -> dict[str, int]:
        """Rows per table, from the manifest (no file is read)."""
        return self.manifest().counts()

    def header(self, table: str) -> list[dict[str, Any]]:
        """Every row of ``machines``, ``environments`` or ``problems``."""
        order = {"machines": "machine", "environments": "environment", "problems": "file"}[table]
        return self._rows(f"SELECT * FROM {{table}} ORDER BY {order}", table, cache=True)

    def machine_names(self) -> dict[str, str]:
        """Machine id -> friendly name."""
        return {row["machine"]: row["name"] or row["machine"] for row in self.header("machines")}

    def runs(self, limit: int, offset: int = 0, newest_first: bool = False) -> list[dict[str, Any]]:
        """Runs by time (oldest first unless ``newest_first``), a page of them."""
        order = "timestamp DESC NULLS LAST, run DESC" if newest_first else "timestamp NULLS LAST, run"
        return self._rows(
            f"SELECT * FROM {{table}} ORDER BY {order} LIMIT ? OFFSET ?", "runs", (limit, offset), cache=True
        )

    def runs_per_machine(self) -> dict[str, int]:
        """Machine id -> number of runs."""
        rows = self._rows("SELECT machine, count(*) AS runs FROM {table} GROUP BY machine", "runs", cache=True)
        return {row["machine"]: row["runs"] for row in rows}

    def run(self, run: str) -> dict[str, Any] | None:
        """One run's row, or None."""
        rows = self._rows("SELECT * FROM {table} WHERE run = ?", "runs", (run,))
        return rows[0] if rows else None

    def benchmarks(self) -> list[dict[str, Any]]:
        """Every benchmark: samples, runs, machines, unit (the first alphabetically) and last run time.

        Summed from per-chunk summaries, each computed once (a chunk never changes, and a run is in
        one chunk only): after an upload only its new chunk is read, not the whole ``series`` table.
        """
        for attempt in range(2):
            try:
                return self.remember(("benchmarks",), self._sum_benchmarks)
            except duckdb.IOException:
                # A chunk was merged away meanwhile (compaction): read the new manifest.
                if attempt:
                    raise
                with self._lock:
                    self._stamp = None
        return []

    def _sum_benchmarks(self) -> list[dict[str, Any]]:
        summaries = self._summarize(self.manifest().chunks)
        totals: dict[str, dict[str, Any]] = {}
        for chunk_rows in summaries.values():
            for row in chunk_rows:
                total = totals.setdefault(
                    row["benchmark"],
                    {
                        "benchmark": row["benchmark"],
                        "samples": 0,
                        "runs": 0,
                        "machines": set(),
                        "unit": None,
                        "last": None,
                    },
                )
                total["samples"] += row["samples"]
                total["runs"] += row["runs"]
                total["machines"].add(row["machine"])
                if row["unit"] is not None and (total["unit"] is None or row["unit"] < total["unit"]):
                    total["unit"] = row["unit"]
                if row["last"] is not None and (total["last"] is None or row["last"] > total["last"]):
                    total["last"] = row["last"]
        return [{**total, "machines": len(total["machines"])} for _, total in sorted(totals.items())]

    def _summarize(self, chunks: list[Chunk]) -> dict[str, list[dict[str, Any]]]:
        """Chunk id -> its ``series`` summed per benchmark and machine (one query for those not known yet).

        Summaries of chunks that are in neither ``chunks`` nor the current manifest are forgotten.
        """
        with self._lock:
            known = {chunk.id: self._summaries[chunk.id] for chunk in chunks if chunk.id in self._summaries}
        missing = [chunk for chunk in chunks if chunk.id not in known]
        paths = {str(self.tables_dir / chunk.path("series")): chunk.id for chunk in missing}
        summaries: dict[str, list[dict[str, Any]]] = {chunk.id: [] for chunk in missing}
        if paths:
            rows = self._read(
                "SELECT filename, benchmark, machine, sum(samples)::BIGINT AS samples, count(DISTINCT run) AS runs,"
                " min(unit) AS unit, max(timestamp) AS last"
                f" FROM read_parquet({parquet_list(list(paths))}, filename = true) GROUP BY filename, benchmark, machine",
                (),
            )
            for row in rows:
                summaries[paths[row.pop("filename")]].append(row)
        with self._lock:
            self._summaries.update(summaries)
            kept = {chunk.id for chunk in self._manifest.chunks} | set(summaries) | set(known)
            for gone in [key for key in self._summaries if key not in kept]:
                del self._summaries[gone]
        return known | summaries

    def options(self, benchmark: str) -> list[dict[str, Any]]:
        """The parameter keys and quantities that a benchmark has."""
        return self._rows(
            "SELECT DISTINCT params, variable, unit FROM {table} WHERE benchmark = ? ORDER BY params, variable",
            "series",
            (benchmark,),
            cache=True,
        )

    def series(self, benchmark: str, params: str, variable: str | None) -> list[dict[str, Any]]:
        """Per-run statistics of one benchmark, parameter key and quantity (None: samples without one)."""
        return self._rows(
            "SELECT run, machine, environment, commit, timestamp, unit, samples, median, q1, q3, min, max, mean"
            " FROM {table} WHERE benchmark = ? AND params = ? AND variable IS NOT DISTINCT FROM ?"
            " ORDER BY timestamp NULLS LAST, run",
            "series",
            (benchmark, params, variable),
            cache=True,
        )

    def samples_of_runs(
        self, benchmark: str, params: str, variable: str | None, runs: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """``run`` and ``value`` of one series' samples in some runs (rows of :meth:`runs`), by run and index.

        Only the periods of those runs are read.
        """
        if not runs:
            return []
        return self._rows(
            "SELECT run, value FROM {table} WHERE benchmark = ? AND params = ? AND variable IS NOT DISTINCT FROM ?"
            " AND list_contains(?::VARCHAR[], run) ORDER BY run, sample_index",
            "samples",
            (benchmark, params, variable, [row["run"] for row in runs]),
            periods={period_of(row["timestamp"]) for row in runs},
        )

    def samples(
        self, benchmark: str, filters: dict[str, str | None], limit: int, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Samples of one benchmark, narrowed by equality on any of machine, params, variable and run.

        Times are naive datetimes in UTC: DuckDB turns a time with a zone into a Python object ten
        times slower, and a page holds up to 100,000 samples.
        """
        where = ["benchmark = ?"]
        params: list[Any] = [benchmark]
        for column in ("machine", "params", "variable", "run"):
            if column in filters:
                where.append(f"{column} IS NOT DISTINCT FROM ?")
                params.append(filters[column])
        sql = (
            f"SELECT * REPLACE (timestamp::TIMESTAMP AS timestamp) FROM {{table}} WHERE {' AND '.join(where)}"
            " ORDER BY params, run, variable NULLS FIRST, sample_index LIMIT ? OFFSET ?"
        )
        return self._rows(sql, "samples", (*params, limit, offset))
