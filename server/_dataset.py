"""The Parquet dataset of the database store: its layout, manifest, chunk writing and compaction.

Layout, under ``tables/`` of the database store::

    manifest.json                         which chunks make up the tables, and the results commit they reflect
    machines.parquet                      one row per machine header
    environments.parquet                  one row per environment header
    problems.parquet                      stored files that could not be ingested, and why
    samples/period=YYYY-MM/<chunk>.parquet    one row per sample
    series/period=YYYY-MM/<chunk>.parquet     one row per run, benchmark, parameter key and quantity
    runs/period=YYYY-MM/<chunk>.parquet       one row per result file

A *chunk* is a set of runs of one period (the month of the run's time) stored as one file in each
of ``samples``, ``series`` and ``runs``. Each ingest adds a small chunk; when a period holds
:data:`FANOUT` chunks of the same level, they are merged into one chunk of the next level, up to
:data:`MAX_LEVEL`; a chunk's level follows its size (see :func:`level_of`). Merging is done by DuckDB, which sorts out of core, so its memory stays bounded;
its cost is bounded by the size of one period's chunks, never by the size of the whole dataset.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

#: The three tables stored in chunks, and the order their files are sorted in.
CHUNK_TABLES: dict[str, str] = {
    "samples": "benchmark, params, variable NULLS FIRST, run, sample_index",
    "series": "benchmark, params, variable NULLS FIRST, timestamp, run",
    "runs": "timestamp, run",
}
#: Header tables, rewritten whole (they hold one row per machine or environment).
HEADER_TABLES = ("machines", "environments", "problems")
#: Chunks of one level merged at once, and the level beyond which chunks are no longer merged.
FANOUT = 8
MAX_LEVEL = 3
MANIFEST = "manifest.json"
FORMAT_VERSION = 1

_STRING = pa.string()
_TIME = pa.timestamp("us", tz="UTC")
SAMPLES_SCHEMA = pa.schema(
    [
        ("benchmark", _STRING),
        ("params", _STRING),
        ("variable", _STRING),
        ("unit", _STRING),
        ("value", pa.float64()),
        ("sample_index", pa.int64()),
        ("machine", _STRING),
        ("environment", _STRING),
        ("commit", _STRING),
        ("timestamp", _TIME),
        ("run", _STRING),
    ]
)
RUNS_SCHEMA = pa.schema(
    [
        ("run", _STRING),
        ("machine", _STRING),
        ("environment", _STRING),
        ("commit", _STRING),
        ("timestamp", _TIME),
        ("benchmarks", pa.int64()),
        ("samples", pa.int64()),
        ("legacy", pa.bool_()),
        ("file", _STRING),
    ]
)
HEADER_SCHEMAS: dict[str, pa.Schema] = {
    "machines": pa.schema(
        [
            ("machine", _STRING),
            ("name", _STRING),
            ("cpu", _STRING),
            ("num_cpu", _STRING),
            ("ram_bytes", pa.float64()),
            ("os", _STRING),
            ("arch", _STRING),
            ("file", _STRING),
        ]
    ),
    "environments": pa.schema(
        [
            ("environment", _STRING),
            ("python", _STRING),
            ("packages", _STRING),
            ("package_count", pa.int64()),
            ("file", _STRING),
        ]
    ),
    "problems": pa.schema([("file", _STRING), ("problem", _STRING)]),
}

SERIES_SCHEMA = pa.schema(
    [
        ("benchmark", _STRING),
        ("params", _STRING),
        ("variable", _STRING),
        ("unit", _STRING),
        ("machine", _STRING),
        ("environment", _STRING),
        ("commit", _STRING),
        ("timestamp", _TIME),
        ("run", _STRING),
        ("samples", pa.int64()),
        ("median", pa.float64()),
        ("q1", pa.float64()),
        ("q3", pa.float64()),
        ("min", pa.float64()),
        ("max", pa.float64()),
        ("mean", pa.float64()),
    ]
)


def sort_keys(table: str) -> list[tuple[str, str, str]]:
    """The order of a chunk table's files (:data:`CHUNK_TABLES`), as pyarrow's sort keys."""
    return [(column.split()[0], "ascending", "at_start") for column in CHUNK_TABLES[table].split(", ")]


def period_of(timestamp: datetime | None) -> str:
    """The partition of a run: the month of its time, or ``unknown``."""
    return "unknown" if timestamp is None else f"{timestamp.year:04d}-{timestamp.month:02d}"


@dataclass
class Chunk:
    """One chunk: a file in each of ``samples``, ``series`` and ``runs``."""

    id: str
    period: str
    level: int
    rows: dict[str, int]

    def path(self, table: str) -> str:
        """The chunk's file of ``table``, relative to ``tables/``."""
        return f"{table}/period={self.period}/{self.id}.parquet"


@dataclass
class Manifest:
    """What the tables hold: their chunks, and the results-store commit they reflect."""

    results_commit: str | None = None
    chunks: list[Chunk] = field(default_factory=list)
    header_rows: dict[str, int] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """Serialize (sorted, so the same state always gives the same bytes)."""
        chunks = sorted(self.chunks, key=lambda chunk: (chunk.period, chunk.level, chunk.id))
        document = {
            "format": FORMAT_VERSION,
            "results_commit": self.results_commit,
            "header_rows": dict(sorted(self.header_rows.items())),
            "chunks": [{"id": c.id, "period": c.period, "level": c.level, "rows": c.rows} for c in chunks],
        }
        return (json.dumps(document, indent=1) + "\n").encode()

    @classmethod
    def read(cls, tables_dir: Path) -> Manifest:
        """Read the manifest of a checkout; an absent or unreadable one is an empty dataset."""
        try:
            document = json.loads((tables_dir / MANIFEST).read_bytes())
            if document.get("format") != FORMAT_VERSION:
                return cls()
            chunks = [Chunk(c["id"], c["period"], int(c["level"]), dict(c["rows"])) for c in document["chunks"]]
            return cls(document.get("results_commit"), chunks, dict(document.get("header_rows") or {}))
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {
            "samples": sum(chunk.rows.get("samples", 0) for chunk in self.chunks),
            "machines": self.header_rows.get("machines", 0),
            "environments": self.header_rows.get("environments", 0),
            "runs": sum(chunk.rows.get("runs", 0) for chunk in self.chunks),
        }

    def files(self, table: str) -> list[str]:
        """The files of a chunk table, relative to ``tables/``."""
        return [chunk.path(table) for chunk in sorted(self.chunks, key=lambda c: (c.period, c.level, c.id))]


def writer_connection(scratch: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for writing chunks: bounded memory, spilling to ``scratch``."""
    connection = duckdb.connect(config={"memory_limit": "256MB", "threads": 2, "temp_directory": str(scratch)})
    # DuckDB draws a progress bar on the terminal for long queries. A server's stdout may be a pipe that
    # nobody reads: once it is full, the write blocks, and the merge (holding the ingest lock) with it.
    connection.execute("SET enable_progress_bar = false")
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET preserve_insertion_order = false")
    return connection


def _copy(connection: duckdb.DuckDBPyConnection, select: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    connection.execute(
        f"COPY ({select}) TO '{_quote(target)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)"
    )


def _quote(path: Path | str) -> str:
    return str(path).replace("'", "''")


def parquet_list(paths: list[Path]) -> str:
    """A SQL list literal of file paths (our own paths: quotes escaped all the same)."""
    return "[" + ", ".join(f"'{_quote(path)}'" for path in paths) + "]"


def level_of(runs: int) -> int:
    """A chunk's level by its size: 0 below :data:`FANOUT` runs, 1 below ``FANOUT**2``, ... up to :data:`MAX_LEVEL`.

    Chunks are merged only with chunks of their own level, so a run is rewritten at most
    :data:`MAX_LEVEL` times, and a small new chunk is never merged into a large one.
    """
    level = 0
    while level < MAX_LEVEL and runs >= FANOUT ** (level + 1):
        level += 1
    return level


def _chunk_id(level: int, runs: list[str]) -> str:
    digest = hashlib.sha1("\n".join(sorted(runs)).encode()).hexdigest()[:20]
    return f"L{level}-{digest}"


def write_chunk(period: str, tables: dict[str, pa.Table], out_dir: Path) -> Chunk:
    """Write the runs of one period as a new chunk (of the level its size gives) under ``out_dir``.

    Parameters
    ----------
    period : str
        The runs' period.
    tables : dict of str to pyarrow.Table
        ``samples``, ``series`` and ``runs`` rows of the chunk, each sorted by its :func:`sort_keys`.
    out_dir : Path
        Where the files go (laid out as under ``tables/``).

    Returns
    -------
    Chunk
        The new chunk.
    """
    runs = tables["runs"].column("run").to_pylist()
    level = level_of(len(runs))
    chunk = Chunk(_chunk_id(level, runs), period, level, {})
    for table, rows in tables.items():
        target = out_dir / chunk.path(table)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Columns of text may come as dictionary arrays (see server._chunk_tables); without pyarrow's
        # schema in the file, every reader (pyarrow too) reads them as text, like DuckDB's merged files.
        # Measurements are stored plainly: a dictionary of distinct floats only makes them larger.
        dictionary = [field.name for field in rows.schema if not pa.types.is_floating(field.type)]
        pq.write_table(
            rows,
            target,
            compression="zstd",
            compression_level=3,
            use_dictionary=dictionary,
            row_group_size=100_000,
            store_schema=False,
        )
        chunk.rows[table] = rows.num_rows
    return chunk


def merge_chunks(
    connection: duckdb.DuckDBPyConnection, chunks: list[Chunk], locate: dict[str, Path], out_dir: Path
) -> Chunk:
    """Merge chunks of one period and level into one chunk of a higher level.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        From :func:`writer_connection`.
    chunks : list of Chunk
        The chunks to merge.
    locate : dict of str to Path
        Chunk id -> the ``tables/`` folder its files are in (the store's clone or ``out_dir``).
    out_dir : Path
        Where the merged files go.

    Returns
    -------
    Chunk
        The merged chunk.
    """
    files = {table: [locate[chunk.id] / chunk.path(table) for chunk in chunks] for table in CHUNK_TABLES}
    runs = [
        row[0] for row in connection.execute(f"SELECT run FROM read_parquet({parquet_list(files['runs'])})").fetchall()
    ]
    level = max(chunks[0].level + 1, level_of(len(runs)))
    merged = Chunk(_chunk_id(level, runs), chunks[0].period, level, {})
    for table, sources in files.items():
        select = f"SELECT * FROM read_parquet({parquet_list(sources)}, hive_partitioning = false)"
        _copy(connection, f"{select} ORDER BY {CHUNK_TABLES[table]}", out_dir / merged.path(table))
    merged.rows = {name: sum(chunk.rows.get(name, 0) for chunk in chunks) for name in CHUNK_TABLES}
    return merged


def due_for_merge(chunks: list[Chunk]) -> list[list[Chunk]]:
    """Groups of :data:`FANOUT` chunks of one period and level below :data:`MAX_LEVEL`, lowest level first."""
    groups: dict[tuple[str, int], list[Chunk]] = {}
    for chunk in chunks:
        if chunk.level < MAX_LEVEL:
            groups.setdefault((chunk.period, chunk.level), []).append(chunk)
    due = []
    for (_, _), members in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        members.sort(key=lambda chunk: chunk.id)
        for start in range(0, len(members) - FANOUT + 1, FANOUT):
            due.append(members[start : start + FANOUT])
    return due


def header_table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """A header table (machines, environments or problems) from its rows."""
    schema = HEADER_SCHEMAS[name]
    return pa.Table.from_pylist(rows, schema=schema)
