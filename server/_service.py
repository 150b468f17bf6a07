"""The server's state: both stores, the ingest that keeps the tables current, and the queries over them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from server._config import ServerConfig
from server._database import store_path
from server._ingest import Ingestor, IngestOutcome
from server._queries import Queries
from server._stores import GitStore, WriteOutcome

logger = logging.getLogger("server")


@dataclass(frozen=True)
class DatabaseOutcome:
    """What bringing the database up to date did."""

    write: WriteOutcome
    counts: dict[str, int]
    results_commit: str | None
    files_read: int = 0
    rebuilt: bool = False
    problems: int = 0


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
        self.ingestor = Ingestor(self.results, self.database, config.home)
        self.queries = Queries(self.database.clone_dir / "tables")

    def close(self) -> None:
        """Stop the stores' background threads."""
        self.results.close()
        self.database.close()

    def contribute(self, name: str, content: Any) -> WriteOutcome:
        """Store one validated file in the results store, then ingest it into the tables."""
        path = store_path(name)
        outcome = self.results.write_json(path, content, f"Add {name}")
        if outcome.status == "stored":
            try:
                self.ingestor.catch_up()
            except Exception:  # noqa: BLE001 - whatever failed, the upload itself succeeded
                # The file is stored (that is what the client asked for); the tables catch up with the
                # next upload or POST /data/update-database.
                logger.exception("ingesting %s into the database failed", name)
        return outcome

    def refresh(self) -> None:
        """Pull the results store (and push anything pending), so reads see other servers' uploads."""
        self.results.sync()

    def update_database(self, rebuild: bool = False) -> DatabaseOutcome:
        """Pull the results store, ingest what the tables lack (or everything, with ``rebuild``) and commit."""
        self.refresh()
        outcome: IngestOutcome = self.ingestor.catch_up(rebuild=rebuild)
        write = outcome.write
        if write is None:
            state = self.database.sync()
            head = None if self.database.debug else self.database.head_commit()
            status = "validated" if self.database.debug else "unchanged"
            message = "debug mode: nothing committed" if self.database.debug else "the tables are up to date"
            write = WriteOutcome(status, "tables/manifest.json", head, state.pushed, message)
        return DatabaseOutcome(
            write, outcome.counts, outcome.results_commit, outcome.files_read, outcome.rebuilt, outcome.problems
        )
