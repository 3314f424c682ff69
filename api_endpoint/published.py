"""Answers kept in each worker's memory for as long as what they were read from stays published.

A published snapshot never changes: a publication adds a new one or replaces one whole. So a worker can keep what
it read from one, and needs to ask only whether anything was published since. It asks with a version query (a
few bytes), at most once every `API_RECHECK_SECONDS`, and forgets everything it kept when the answer changes. A
newer publication is therefore answered within that many seconds (plus the check's own time), and a question
costs no database round trip in between. One request at a time asks; the others answer from memory meanwhile.
While the database is away, each request that asks fails as any query does (a 503) and the next one asks again;
the questions answered from memory between two such failures get the last published answers, which cannot have
changed without the database.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

from api_endpoint import db

MEMOS_KEY = "warehouse_published_memos"
# A worker keeps at most this many values per memo (snapshots asked for by date), dropping them all past it.
MAX_KEPT = 64
MISSING = object()


class PublishedMemo:
    """Values loaded from published tables, kept until the tables' version changes."""

    def __init__(self, version_query: str, recheck_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.version_query = version_query
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self.version: Any = None
        self.checked_at = float("-inf")
        self.kept: dict[Any, Any] = {}
        # Guards replacing `kept` against keeping a value in a dict a newer version has already replaced.
        self.lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        """Return the value kept under `key`, or load it (None, a missing value, is never kept)."""
        self.recheck()
        kept = self.kept
        value = kept.get(key, MISSING)
        if value is not MISSING:
            return value
        value = load()
        if value is not None:
            with self.lock:
                # Kept only if no newer version replaced the dict while it loaded.
                if self.kept is kept:
                    if len(kept) >= MAX_KEPT:
                        self.kept = kept = {}
                    kept[key] = value
        return value

    def recheck(self) -> None:
        now = self.clock()
        if now - self.checked_at < self.recheck_seconds:
            return
        # One request asks; the others answer from memory meanwhile, rather than all asking at once.
        previous, self.checked_at = self.checked_at, now
        try:
            version = db.fetch_one(self.version_query)
        except BaseException:
            # Unanswered: the next request asks again (and, while the database is away, fails as this one does).
            self.checked_at = previous
            raise
        with self.lock:
            if version != self.version:
                self.kept = {}
                self.version = version


def memo(name: str, version_query: str) -> PublishedMemo:
    """This app's memo called `name` (each app has its own: tests run several apps on different databases)."""
    memos = current_app.extensions.setdefault(MEMOS_KEY, {})
    if name not in memos:
        memos[name] = PublishedMemo(version_query, current_app.config["RECHECK_SECONDS"])
    return memos[name]
