"""The server's state: both stores, and the tables read from the results store (cached per commit)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from server._config import ServerConfig
from server._database import Tables, build_tables, iter_stored_files, store_path
from server._stores import GitStore, StoreError, WriteOutcome


@dataclass(frozen=True)
class DatabaseOutcome:
    """What a database rebuild did."""

    write: WriteOutcome
    counts: dict[str, int]
    results_commit: str | None


class ResultsService:
    """Everything the routes need, shared by the threads of one process.

    Parameters
    ----------
    config : ServerConfig
        The resolved configuration.
    """

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        timing = {"git_timeout": config.git_timeout, "push_wait": config.push_wait}
        self.results = GitStore("results", config.home, config.results_remote, debug=config.debug, **timing)
        self.database = GitStore("database", config.home, config.database_remote, debug=config.debug, **timing)
        self._cache_lock = threading.Lock()
        self._cached: tuple[str | None, Tables] | None = None

    def close(self) -> None:
        """Stop the stores' background threads."""
        self.results.close()
        self.database.close()

    def contribute(self, name: str, content: Any) -> WriteOutcome:
        """Store one validated file in the results store."""
        path = store_path(name)
        return self.results.write_json(path, content, f"Add {name}")

    def tables(self) -> Tables:
        """The tables of everything in the results clone, rebuilt only when its commit changed."""
        commit = self.results.head_commit()
        with self._cache_lock:
            if self._cached is not None and self._cached[0] == commit:
                return self._cached[1]
        with self.results.locked() as root:
            commit = self.results.head_commit()
            tables = build_tables(list(iter_stored_files(root)))
        with self._cache_lock:
            self._cached = (commit, tables)
        return tables

    def refresh(self) -> None:
        """Pull the results store (and push anything pending), so reads see other servers' uploads."""
        self.results.sync()

    def update_database(self) -> DatabaseOutcome:
        """Rebuild the Parquet tables from every stored result and commit them to the database store."""
        self.refresh()
        tables = self.tables()
        commit = self.results.head_commit()
        files = {f"tables/{name}": data for name, data in tables.to_parquet_files().items()}
        counts = tables.counts()
        message = (
            f"Rebuild database from results {commit[:12] if commit else '(empty)'}: "
            f"{counts['samples']} samples, {counts['runs']} runs, {counts['machines']} machines, "
            f"{counts['environments']} environments"
        )
        # The tables are derived data: start from the remote's state (dropping an older pending rebuild
        # that another server's rebuild may have made impossible to rebase) and write ours on top. When
        # the remote cannot be reached, the rebuild is committed locally and pushed later.
        self.database.reset_to_remote()
        try:
            outcome = self.database.write_files(files, message, remove_others_under="tables")
        except StoreError:
            # Another writer changed the tables on the remote between our reset and our commit.
            if self.database.reset_to_remote() is not None:
                raise
            outcome = self.database.write_files(files, message, remove_others_under="tables")
        return DatabaseOutcome(outcome, counts, commit)
