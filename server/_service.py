"""The server's state: both stores, the ingest that keeps the tables current, and the queries over them."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server._config import ServerConfig
from server._database import store_path
from server._ingest import Ingestor, IngestOutcome
from server._queries import Queries
from server._stores import GitStore, WriteOutcome
from server._updater import DatabaseUpdater

logger = logging.getLogger("server")


#: Seconds without a request after which a warm-up goes on (see :meth:`ResultsService.wait_quiet`).
QUIET = 0.3
#: Services whose warm-up may run: stopped when the interpreter exits (see _stop_warm_ups).
_WARM_UPS: weakref.WeakSet[ResultsService] = weakref.WeakSet()


class _Stopped(Exception):
    """The warm-up is asked to end."""


@atexit.register
def _stop_warm_ups() -> None:
    """End the warm-ups before the interpreter exits.

    A warm-up thread is a daemon; one that were inside DuckDB when the interpreter finalizes
    would be unwound through DuckDB's C++ frames, which aborts the process. Each is asked to end
    and given up to 10 s for the query under way (atexit runs before daemon threads are stopped).
    """
    for service in list(_WARM_UPS):
        service.stop_warm_up()


def import_step_search() -> None:
    """Import the step search's libraries (a second or more of work, done once per process).

    The app does it before it serves (see :func:`server.create_app`): done later, by a warm-up or
    by the first plot, it would hold the interpreter while requests wait.
    """
    with contextlib.suppress(ImportError):
        import asv.step_detect  # noqa: F401
        import scipy.stats  # noqa: F401


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
        self._warming = threading.Lock()
        #: Called last by a warm-up with :meth:`wait_quiet` (the app sets it: it reads the recent
        #: runs' result files, in its context, waiting for quiet before each file).
        self.warm_more: Callable[[Callable[[], None]], object] = lambda pause: None
        self._quiet = threading.Condition()
        self._requests = 0  # requests being answered
        self._last_request = time.monotonic()  # when the last one ended (or the service started)
        self._stopping = False
        self._warm_thread: threading.Thread | None = None
        # Files committed but not yet in the tables (e.g. before a restart) are ingested at start.
        self.updater = DatabaseUpdater(self.ingestor, self.warm_up)
        self.updater.request()

    def request_started(self) -> None:
        """Note that a request is being answered (the app calls it before each request)."""
        with self._quiet:
            self._requests += 1

    def request_finished(self) -> None:
        """Note that a request was answered (the app calls it after each request)."""
        with self._quiet:
            self._requests -= 1
            self._last_request = time.monotonic()
            self._quiet.notify_all()

    def wait_quiet(self) -> None:
        """Wait until no request has been answered for :data:`QUIET` seconds (at once when that is so).

        A warm-up does its work between requests: the server runs its requests and the warm-up in
        one Python process, and a warm-up that reads result files while a request is answered
        makes that request wait for the interpreter.
        """
        with self._quiet:
            while True:
                if self._stopping:
                    raise _Stopped
                remaining = self._last_request + QUIET - time.monotonic()
                if self._requests == 0 and remaining <= 0:
                    return
                self._quiet.wait(max(remaining, 0.05) if self._requests == 0 else None)

    def warm_up(self) -> None:
        """Load, in a background thread and between requests, what the first pages after a start or an upload need.

        The answers the overview pages share and (:attr:`warm_more`) the recent runs' result files
        that the step search of ``/regressions`` reads. Does nothing while an earlier warm-up still runs. Each step
        waits until no request is being answered (:meth:`wait_quiet`): a request that comes first
        computes what it needs itself, and the warm-up then finds it done.
        """
        if self._warming.acquire(blocking=False):
            thread = threading.Thread(target=self._warm, name="warm-up", daemon=True)
            _WARM_UPS.add(self)
            self._warm_thread = thread
            thread.start()

    def _warm(self) -> None:
        try:
            for step in (
                self.queries.benchmarks,
                lambda: self.queries.runs(10, newest_first=True),
                lambda: self.queries.header("machines"),
            ):
                self.wait_quiet()
                step()
            self.warm_more(self.wait_quiet)
        except _Stopped:
            pass
        except Exception:  # noqa: BLE001 - a warm-up is only an optimisation; the page will ask again
            logger.debug("warming up the caches failed", exc_info=True)
        finally:
            self._warming.release()

    def stop_warm_up(self, timeout: float = 10.0) -> None:
        """End a warm-up at its next step, waiting up to ``timeout`` seconds for the step under way."""
        with self._quiet:
            self._stopping = True
            self._quiet.notify_all()
        thread = self._warm_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def close(self) -> None:
        """Stop the background threads (the warm-up, the database update, the stores')."""
        self.stop_warm_up()
        self.updater.stop()
        self.results.close()
        self.database.close()

    def contribute(self, name: str, content: Any) -> WriteOutcome:
        """Store one validated file in the results store; the tables catch up in the background.

        Answered once the file is committed (the durability promise); the database update that
        puts it into the tables runs afterwards and serves every upload committed meanwhile.
        """
        outcome = self.results.write_json(store_path(name), content, f"Add {name}")
        if outcome.status != "validated":
            # Also after "unchanged": the commit's pull may have brought other servers' files.
            self.updater.request()
        return outcome

    def database_status(self) -> dict[str, Any]:
        """How far the tables lag behind the results store (``pending_files`` 0: they hold every file)."""
        head, ingested, pending = self.ingestor.pending_files()
        return {
            "state": "pending" if pending else "current",
            "pending_files": pending,
            "results_commit": head,
            "tables_results_commit": ingested,
            "updating": self.updater.busy,
            "rounds": self.updater.rounds,
            "last_error": self.updater.last_error,
        }

    def refresh(self) -> None:
        """Pull the results store (and push anything pending), so reads see other servers' uploads."""
        self.results.sync()

    def update_database(self, rebuild: bool = False) -> DatabaseOutcome:
        """Pull the results store, ingest what the tables lack (or everything, with ``rebuild``) and commit."""
        self.refresh()
        # Always pulled: tables another server published meanwhile are found (and ours rebased or rebuilt) here.
        outcome: IngestOutcome = self.ingestor.catch_up(rebuild=rebuild, fresh_within=0.0)
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
