"""Incremental ingest: bring the database store's tables up to the results store's commit.

Only the files that changed between the commit the tables reflect (in their manifest) and the
results store's head are read, so accepting one upload costs the same whatever the store holds.
The tables are rebuilt from scratch only when asked to, or when the manifest's commit is not in
the results store's history (another server's tables, a rewritten history) or a stored result
changed or disappeared.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import git
import pyarrow.parquet as pq

from pytest_nwb_benchmarks.results import InvalidFileName, parse_file_name
from server._chunk_tables import chunk_tables
from server._database import KIND_FOLDERS, BadFile, RunRows, environment_row, machine_row, read_stored_file, run_rows
from server._dataset import (
    CHUNK_TABLES,
    HEADER_TABLES,
    MANIFEST,
    Chunk,
    Manifest,
    due_for_merge,
    header_table,
    merge_chunks,
    period_of,
    write_chunk,
    writer_connection,
)
from server._stores import GitStore, StoreError, WriteOutcome, file_lock

logger = logging.getLogger("server.ingest")

#: Samples of one period held in memory before they are written as a chunk (see _read_batches).
#: This bounds the memory of a rebuild (a batch being written and the next being read: a few
#: hundred MB). A rebuild reads the files in the order of their names (their time), so its chunks
#: of about a hundred full-suite runs each are of level 2, and a month of one run an hour needs no
#: merging (see server._dataset).
BATCH_SAMPLES = 1_000_000
_FORMER_TABLES = ["tables/samples.parquet", "tables/runs.parquet"]
_FOLDERS = {folder: kind for kind, folder in KIND_FOLDERS.items()}


@dataclass(frozen=True)
class IngestOutcome:
    """What one ingest did."""

    write: WriteOutcome | None
    counts: dict[str, int]
    results_commit: str | None
    files_read: int
    rebuilt: bool
    problems: int


class Ingestor:
    """Keeps the Parquet tables of the database store in step with the results store.

    Parameters
    ----------
    results, database : GitStore
        The two stores.
    home : Path
        The server's data directory (lock and scratch space).
    """

    def __init__(self, results: GitStore, database: GitStore, home: Path) -> None:
        self.results = results
        self.database = database
        self.lock_path = Path(home) / "locks" / "ingest.lock"
        self.scratch_root = Path(home) / "scratch"
        #: Files read by ingests of this process (tests prove that ingest is incremental with it).
        self.files_read = 0

    @property
    def tables_dir(self) -> Path:
        """The ``tables/`` folder of the database store's clone."""
        return self.database.clone_dir / "tables"

    def catch_up(
        self, rebuild: bool = False, push_wait: float | None = None, fresh_within: float = 1.0
    ) -> IngestOutcome:
        """Ingest what changed in the results store since the tables were last written, and commit.

        Parameters
        ----------
        rebuild : bool
            Read every stored file again and replace the tables.
        push_wait : float, optional
            Seconds to wait for the database store's push (default: the store's push wait; the
            tables are readable here once committed, and the pusher keeps trying regardless).
        fresh_within : float
            Skip pulling the database store when it was pulled less than this many seconds ago.

        Returns
        -------
        IngestOutcome
            What was done.
        """
        self.results.ensure_ready()
        self.database.ensure_ready()
        with file_lock(self.lock_path):
            if self.database.debug:
                manifest = Manifest.read(self.tables_dir)
                return IngestOutcome(None, manifest.counts(), self.results.head_commit(), 0, False, 0)
            try:
                # Under a stream of uploads, one fetch a second serves them all (a push that the
                # remote refuses because it moved meanwhile is fetched, rebased and retried anyway).
                self.database.sync(fresh_within=fresh_within, push_wait=push_wait)
            except StoreError:
                # Our unpublished tables cannot be rebased onto another server's: they are derived
                # data, so take the remote's and bring them up to date from there.
                if self.database.reset_to_remote() is not None:
                    raise
            try:
                return self._catch_up_locked(rebuild, push_wait)
            except StoreError:
                if self.database.reset_to_remote() is not None:
                    raise
                return self._catch_up_locked(rebuild, push_wait)

    def pending_files(self) -> tuple[str | None, str | None, int]:
        """The results store's head, the results commit the tables reflect, and the stored files between.

        Returns
        -------
        tuple of (str or None, str or None, int)
            The head, the tables' commit, and how many files of the three kinds changed in
            between (not yet in the tables); 0 when the tables are at the head.
        """
        head = self.results.head_commit()
        ingested = Manifest.read(self.tables_dir).results_commit
        if head == ingested or head is None:
            return head, ingested, 0
        repo = git.Repo(self.results.clone_dir)
        try:
            if ingested is None:
                raise git.GitCommandError("diff", 1)
            output = repo.git.diff("--name-only", "--no-renames", "-z", ingested, head)
        except git.GitCommandError:  # no tables yet, or another history: everything is pending
            output = repo.git.ls_tree("-r", "--name-only", "-z", head)
        return head, ingested, sum(1 for _ in self._ingestible([path for path in output.split("\0") if path]))

    # ------------------------------------------------------------------ planning

    def _changes(self, manifest: Manifest, head: str | None) -> tuple[list[str], list[str], bool]:
        """Store paths added or modified since the manifest's commit, paths deleted, and whether to rebuild."""
        repo = git.Repo(self.results.clone_dir)
        if head is None:
            return [], [], manifest.results_commit is not None or bool(manifest.chunks)
        if manifest.results_commit is None:
            return self._all_files(repo), [], bool(manifest.chunks) or bool(manifest.header_rows)
        try:
            repo.git.merge_base("--is-ancestor", manifest.results_commit, head)
        except git.GitCommandError:
            return self._all_files(repo), [], True
        output = repo.git.diff("--name-status", "--no-renames", "-z", manifest.results_commit, head)
        fields = output.split("\0")
        added, deleted = [], []
        for status, path in zip(fields[0::2], fields[1::2]):
            # A stored result that changed or vanished, or a header that vanished: its rows are
            # somewhere in the tables; start over (results are never overwritten through the API).
            if status != "A" and (path.startswith("results/") or status == "D"):
                return self._all_files(repo), [], True
            (deleted if status == "D" else added).append(path)
        return added, deleted, False

    @staticmethod
    def _all_files(repo: git.Repo) -> list[str]:
        output = repo.git.ls_tree("-r", "--name-only", "-z", "HEAD")
        return [path for path in output.split("\0") if path]

    # ------------------------------------------------------------------ ingesting

    def _catch_up_locked(self, rebuild: bool, push_wait: float | None) -> IngestOutcome:
        manifest = Manifest.read(self.tables_dir)
        head = self.results.head_commit()
        if not rebuild and manifest.results_commit == head and (head is not None or not manifest.chunks):
            return IngestOutcome(None, manifest.counts(), head, 0, False, manifest.header_rows.get("problems", 0))
        if rebuild:
            added, deleted = (self._all_files(git.Repo(self.results.clone_dir)) if head else []), []
        else:
            added, deleted, rebuild = self._changes(manifest, head)
        old_chunks = list(manifest.chunks)
        if rebuild:
            manifest = Manifest()
            headers: dict[str, dict[str, dict]] = {name: {} for name in HEADER_TABLES}
        else:
            headers = {name: self._read_header(name) for name in HEADER_TABLES}
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="ingest-", dir=self.scratch_root))
        try:
            out_dir = scratch / "tables"
            tree = git.Repo(self.results.clone_dir).commit(head).tree if head else None
            new_chunks, read = self._ingest_files(tree, added, deleted, headers, out_dir)
            located = {chunk.id: self.tables_dir for chunk in manifest.chunks}
            located.update({chunk.id: out_dir for chunk in new_chunks})
            chunks = manifest.chunks + new_chunks
            if due_for_merge(chunks):
                # DuckDB only when a merge is due: opening it costs more than a small ingest.
                connection = writer_connection(scratch)
                try:
                    while due := due_for_merge(chunks):
                        merged = merge_chunks(connection, due[0], located, out_dir)
                        located[merged.id] = out_dir
                        chunks = [chunk for chunk in chunks if chunk not in due[0]] + [merged]
                finally:
                    connection.close()
            manifest.chunks = chunks
            manifest.results_commit = head
            files: dict[str, bytes | Path] = {}
            for chunk in chunks:
                if located[chunk.id] == out_dir:
                    for table in CHUNK_TABLES:
                        files[f"tables/{chunk.path(table)}"] = out_dir / chunk.path(table)
            for name in HEADER_TABLES:
                rows = sorted(headers[name].values(), key=lambda row: str(next(iter(row.values()))))
                manifest.header_rows[name] = len(rows)
                target = out_dir / f"{name}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(header_table(name, rows), target)
                files[f"tables/{name}.parquet"] = target
            # The manifest goes last: a reader that sees it finds every file it names.
            files[f"tables/{MANIFEST}"] = manifest.to_bytes()
            kept = {chunk.id for chunk in chunks}
            gone = [
                f"tables/{chunk.path(table)}" for chunk in old_chunks if chunk.id not in kept for table in CHUNK_TABLES
            ]
            gone += _FORMER_TABLES  # whole-table files of earlier versions of the server, if still there
            counts = manifest.counts()
            message = (
                f"{'Rebuild' if rebuild else 'Update'} tables to results {head[:12] if head else '(empty)'}: "
                f"{read} files read; {counts['runs']} runs, {counts['samples']} samples"
            )
            write = self.database.write_files(files, message, remove_paths=gone, push_wait=push_wait)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self.files_read += read
        return IngestOutcome(write, counts, head, read, rebuild, len(headers["problems"]))

    def _read_header(self, name: str) -> dict[str, dict]:
        path = self.tables_dir / f"{name}.parquet"
        if not path.is_file():
            return {}
        rows = pq.read_table(path).to_pylist()
        return {row["file"] if name == "problems" else row[name.removesuffix("s")]: row for row in rows}

    def _ingest_files(
        self,
        tree: git.Tree | None,
        added: list[str],
        deleted: list[str],
        headers: dict[str, dict],
        out_dir: Path,
    ) -> tuple[list[Chunk], int]:
        """Read the added files into new chunks and header rows; return the chunks and the files read.

        Files are read from the commit (git's objects), not from the clone's working tree, which a
        concurrent upload may be rebasing.
        """
        problems = headers["problems"]
        for path in deleted:
            problems.pop(Path(path).name, None)
        files = _CommittedFiles(tree)
        # One batch is written (pyarrow, mostly without the interpreter lock) while the next is read.
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-writer") as writer:
            return self._read_batches(files, added, headers, out_dir, writer)

    def _read_batches(
        self, files: _CommittedFiles, added: list[str], headers: dict[str, dict], out_dir: Path, writer: Executor
    ) -> tuple[list[Chunk], int]:
        """Read the files; write a period's runs as a chunk once they hold :data:`BATCH_SAMPLES` samples.

        A period's runs are written together until then, so that a period read in time order (a
        rebuild) gets full chunks and one partial chunk at most; every pending run is written when
        they hold twice as many (runs of many periods read in turn).
        """
        problems = headers["problems"]
        new_chunks: list[Chunk] = []
        writing: Future[list[Chunk]] | None = None
        pending: dict[str, list[RunRows]] = defaultdict(list)
        samples: dict[str, int] = defaultdict(int)
        read = 0
        for path in self._ingestible(added):
            name = Path(path).name
            problems.pop(name, None)
            read += 1
            try:
                parsed, content = read_stored_file(name, files.read(path))
                if parsed.kind != "result":
                    self._upsert_header(headers, parsed.kind, name, parsed, content)
                    continue
                rows = run_rows(name, parsed, content)
            except (BadFile, TypeError, ValueError, AttributeError, RecursionError) as error:
                problem = f"{type(error).__name__}: {error}" if not isinstance(error, BadFile) else str(error)
                logger.warning("skipping the stored file %s: %s", path, problem)
                problems[name] = {"file": name, "problem": problem[:1000]}
                continue
            period = period_of(rows.run["timestamp"])
            pending[period].append(rows)
            samples[period] += rows.sample_count
            if samples[period] >= BATCH_SAMPLES:
                due = {period: pending.pop(period)}
            elif sum(samples.values()) >= 2 * BATCH_SAMPLES:
                due, pending = pending, defaultdict(list)
            else:
                continue
            for written in due:
                samples.pop(written)
            if writing is not None:  # at most one batch waits to be written: memory stays bounded
                new_chunks.extend(writing.result())
            writing = writer.submit(self._flush, due, out_dir)
        if writing is not None:
            new_chunks.extend(writing.result())
        new_chunks.extend(self._flush(pending, out_dir))
        return new_chunks, read

    @staticmethod
    def _ingestible(paths: list[str]) -> Iterator[str]:
        """Stored files of the three kinds, headers first (so that a batch's runs find their machine)."""
        wanted = []
        for path in paths:
            folder, _, name = path.partition("/")
            if folder not in _FOLDERS or "/" in name or not name.endswith(".json"):
                continue
            wanted.append((folder == "results", path))
        yield from (path for _, path in sorted(wanted))

    @staticmethod
    def _upsert_header(headers: dict[str, dict], kind: str, name: str, parsed: object, content: dict) -> None:
        row = machine_row(name, parsed, content) if kind == "machine" else environment_row(name, parsed, content)
        table = headers[f"{kind}s"]
        key = row[kind]
        existing = table.get(key)
        # A legacy "machine-<id>.json" and an "info_machine-<id>.json" may both exist: keep the newer layout.
        if existing is None or not parsed.legacy or _is_legacy(existing["file"]):
            table[key] = row

    @staticmethod
    def _flush(pending: dict[str, list[RunRows]], out_dir: Path) -> list[Chunk]:
        return [write_chunk(period, chunk_tables(runs), out_dir) for period, runs in sorted(pending.items())]


class _CommittedFiles:
    """The stored files of one commit, read from git's objects by path.

    Each folder's tree is listed once (looking a path up in the commit's tree lists the folder
    again each time: a cost that grows with the store), and the blobs are read through GitPython's
    one long-running ``git cat-file --batch`` process.
    """

    def __init__(self, tree: git.Tree | None) -> None:
        self.tree = tree
        self._folders: dict[str, dict[str, git.Blob]] = {}

    def read(self, path: str) -> bytes:
        """The committed content of a stored file (``folder/name``)."""
        folder, _, name = path.partition("/")
        try:
            if folder not in self._folders:
                self._folders[folder] = {blob.name: blob for blob in self.tree[folder].blobs}
            return self._folders[folder][name].data_stream.read()
        except Exception as error:  # noqa: BLE001 - git's object database raises many kinds of errors
            problem = f"{type(error).__name__}: {error}"
            raise BadFile(f"cannot read the file from the store's git objects: {problem}") from None


def _is_legacy(name: str) -> bool:
    try:
        return parse_file_name(name).legacy
    except InvalidFileName:
        return True
