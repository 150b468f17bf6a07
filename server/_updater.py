"""The background database update: the tables follow the results store after uploads are answered.

An upload is answered once its file is committed to the results store. It then only announces
the commit (:meth:`DatabaseUpdater.request`: a counter, no queue of work), and one background
thread brings the tables up to the results store's head. A round reads the head when it starts,
so it covers every file committed before; the uploads that arrive while it runs are covered by
the next round, however many they are. A burst thus costs at most the round under way and one
more, never one round per upload. A round that fails is retried with a growing pause.

At start-up one round runs as well: the incremental ingest reads what changed between the commit
the tables reflect (their manifest) and the results store's head, so the files committed but not
yet ingested when the server stopped are ingested then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from server._ingest import Ingestor

logger = logging.getLogger("server.updater")

#: A round starts once no commit was announced for SETTLE seconds, or SETTLE_LONGEST after the first.
SETTLE = 0.2
SETTLE_LONGEST = 1.0
#: Pause before the first retry of a failed update, and the longest pause.
_RETRY_FIRST = 1.0
_RETRY_LONGEST = 60.0


class DatabaseUpdater:
    """One thread that runs the shared database update after commits to the results store.

    Parameters
    ----------
    ingestor : Ingestor
        What a round runs (:meth:`Ingestor.catch_up`).
    after_round : callable
        Called after each successful round (warms the page caches).
    """

    def __init__(self, ingestor: Ingestor, after_round: Callable[[], None] = lambda: None) -> None:
        self.ingestor = ingestor
        self.after_round = after_round
        self._cond = threading.Condition()
        self._asked = 0  # commits announced so far
        self._served = 0  # every announcement up to this one is covered by a finished round
        self._running = False
        self._stopped = False
        #: Rounds finished so far, and the reason the last round failed (None when it succeeded).
        self.rounds = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="database-updater", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Announce a commit of the results store: a round that starts after this call will ingest it."""
        with self._cond:
            self._asked += 1
            self._cond.notify_all()

    @property
    def busy(self) -> bool:
        """Whether a round runs or is due."""
        with self._cond:
            return self._running or self._served < self._asked

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every announced commit is covered by a finished round; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._served >= self._asked and not self._running, timeout)

    def stop(self) -> None:
        """End the thread after the round under way."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _next(self) -> int | None:
        """Wait for an announcement not yet covered; return the count a round now covers (None: stop)."""
        with self._cond:
            self._cond.wait_for(lambda: self._stopped or self._served < self._asked)
            # Let a burst settle a little (bounded): one larger round costs less than several small ones.
            deadline = time.monotonic() + SETTLE_LONGEST
            while not self._stopped and time.monotonic() < deadline:
                seen = self._asked
                if not self._cond.wait_for(lambda seen=seen: self._stopped or self._asked > seen, SETTLE):
                    break
            if self._stopped:
                return None
            self._running = True
            return self._asked

    def _run(self) -> None:
        pause = _RETRY_FIRST
        while (covered := self._next()) is not None:
            failure = self._round()
            with self._cond:
                self._running = False
                self.last_error = failure
                if failure is None:
                    self._served = max(self._served, covered)
                    self.rounds += 1
                self._cond.notify_all()
                if failure is not None:
                    # Retried after the pause (or at stop); the files stay committed meanwhile.
                    self._cond.wait_for(lambda: self._stopped, pause)
            if failure is None:
                pause = _RETRY_FIRST
                self.after_round()
            else:
                pause = min(pause * 2, _RETRY_LONGEST)

    def _round(self) -> str | None:
        try:
            # Derived data: the round waits for the tables' commit, never for their push, which the
            # database store's pusher delivers in the background.
            self.ingestor.catch_up(push_wait=0.0)
        except Exception as error:  # noqa: BLE001 - the thread must outlive any failure; it retries
            logger.exception("updating the database tables failed; retrying")
            return f"{type(error).__name__}: {error}"[:500]
        return None
