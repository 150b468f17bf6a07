"""The server's state: both stores, the ingest that keeps the tables current, and the queries over them."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
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


class IngestRounds:
    """Ingests asked for by concurrent uploads, run as few times as they can be: one round serves many.

    An upload asks for a round once its file is committed, and waits for the first round that
    *starts* after that (it reads the results store's head then, so it sees the file). The thread
    that finds no round running runs one itself (it covers every ask made so far); the others wait.
    Under load, one ingest (one chunk, one commit of the tables) serves every upload committed
    meanwhile instead of each upload running its own ingest in turn.

    Parameters
    ----------
    ingestor : Ingestor
        What a round runs (:meth:`Ingestor.catch_up`).
    """

    def __init__(self, ingestor: Ingestor, after_round: Callable[[], None] = lambda: None) -> None:
        self.ingestor = ingestor
        self.after_round = after_round
        self._cond = threading.Condition()
        self._asked = 0  # tickets handed out
        self._served = 0  # every ticket up to this one has had its round
        self._running = False
        #: Rounds run so far (tests and benchmarks read it).
        self.rounds = 0

    def ingest_after_write(self, name: str) -> None:
        """Wait until a round that started after this call has ingested (or failed; it is logged)."""
        with self._cond:
            self._asked += 1
            ticket = self._asked
            while self._served < ticket:
                if self._running:
                    self._cond.wait()
                    continue
                self._running = True
                covered = self._asked
                self._cond.release()
                try:
                    self._round(name)
                finally:
                    self._cond.acquire()
                    self._running = False
                    self._served = max(self._served, covered)
                    self.rounds += 1
                    self._cond.notify_all()
                    self.after_round()

    def _round(self, name: str) -> None:
        try:
            # The uploads wait for the tables' commit, not for the database store's push: derived
            # data, which the pusher delivers in the background and a rebuild can always recreate.
            self.ingestor.catch_up(push_wait=0.0)
        except Exception:  # noqa: BLE001 - whatever failed, the uploads themselves succeeded
            # The files are stored (that is what the clients asked for); the tables catch up with
            # the next upload or POST /data/update-database.
            logger.exception("ingesting uploads (the last asked for: %s) into the database failed", name)


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
        self.ingest_rounds = IngestRounds(self.ingestor, self.warm_up)
        self._warming = threading.Lock()
        #: Called last by a warm-up (the app sets it: the comparison's runs, read in its context).
        self.warm_more: Callable[[], object] = lambda: None

    def warm_up(self) -> None:
        """Load, in a background thread, what the first pages after a start or an upload need.

        The step search's libraries, the answers the overview pages share and (:attr:`warm_more`)
        the runs a comparison reads. Does nothing while an earlier warm-up still runs.
        """
        if self._warming.acquire(blocking=False):
            threading.Thread(target=self._warm, name="warm-up", daemon=True).start()

    def _warm(self) -> None:
        try:
            with contextlib.suppress(ImportError):
                import asv.step_detect  # noqa: F401
                import scipy.stats  # noqa: F401
            self.queries.benchmarks()
            self.queries.runs(10, newest_first=True)
            self.queries.header("machines")
            self.warm_more()
        except Exception:  # noqa: BLE001 - a warm-up is only an optimisation; the page will ask again
            logger.debug("warming up the caches failed", exc_info=True)
        finally:
            self._warming.release()

    def close(self) -> None:
        """Stop the stores' background threads."""
        self.results.close()
        self.database.close()

    def contribute(self, name: str, content: Any) -> WriteOutcome:
        """Store one validated file in the results store, then ingest it into the tables."""
        path = store_path(name)
        outcome = self.results.write_json(path, content, f"Add {name}")
        if outcome.status == "stored":
            # Answered once the tables hold the file (a page read next shows it), through a round
            # shared with the uploads committed meanwhile.
            self.ingest_rounds.ingest_after_write(name)
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
