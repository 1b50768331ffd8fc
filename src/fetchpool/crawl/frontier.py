"""What a crawl keeps as it goes, within a memory budget: the pages read and not yet
taken in turn, and the URLs already seen. Past the budget both go on in a temporary
SQLite file, the same kind of store as the ordered map's results that wait."""

from __future__ import annotations

import hashlib
import sqlite3
import threading

from ..core.pages import Page
from ..core.pool import Spill, temporary_database

# Bytes of pages read that wait in memory for their turn, all told; the rest spill.
PAGES_IN_MEMORY = 4 * 1024 * 1024
# Keys a Seen holds in memory before they go to its file (8 bytes each there, about 60
# in memory); and the keys found in the file kept at hand, as a site's menu is found again
# on every page.
SEEN_IN_MEMORY = 16_384
_AT_HAND = 8_192
# Where a page is, for a PageStore: not delivered yet, in memory, in the file, delivered
# unread (None), taken.
_AWAITED, _KEPT, _SPILLED, _NOT_READ, _TAKEN = range(5)


class PageStore:
    """Pages read, by their number, until a crawl takes each in its turn (a PageSink).

    ``deliver`` comes from any thread; ``take`` waits for the page it asks for, or for
    ``close``, after which it gives None at once. ``delivered`` counts the pages
    delivered.
    """

    def __init__(self, budget: int = PAGES_IN_MEMORY) -> None:
        self._budget = budget
        self._ready = threading.Condition()
        # The pages kept in memory, by number; where every page is, a byte a page.
        self._pages: dict[int, Page] = {}
        self._where = bytearray()
        self._kept = 0
        self._spill: Spill | None = None
        self._closed = False
        self.delivered = 0

    def deliver(self, number: int, page: Page | None) -> None:
        with self._ready:
            if self._closed or self._place(number) != _AWAITED:
                return
            self.delivered += 1
            size = _size(page)
            if page is None:
                self._where[number] = _NOT_READ
            elif self._kept + size > self._budget and self._pages:
                if self._spill is None:
                    self._spill = Spill()
                self._spill.put(number, tuple(page))
                self._where[number] = _SPILLED
            else:
                self._pages[number] = page
                self._kept += size
                self._where[number] = _KEPT
            self._ready.notify_all()

    def take(self, number: int) -> Page | None:
        """Page ``number`` once it is read (None: not read, or the store is closed)."""
        with self._ready:
            while not self._closed:
                place = self._place(number)
                if place == _AWAITED:
                    self._ready.wait()
                    continue
                self._where[number] = _TAKEN
                if place == _KEPT:
                    page = self._pages.pop(number)
                    self._kept -= _size(page)
                    return page
                if place == _SPILLED:
                    assert self._spill is not None
                    return Page(*self._spill.take(number))  # type: ignore[misc]
                return None
            return None

    def close(self) -> None:
        """Wake every ``take``; nothing more is kept."""
        with self._ready:
            self._closed = True
            self._pages.clear()
            if self._spill is not None:
                self._spill.close()
                self._spill = None
            self._ready.notify_all()

    @property
    def spilled(self) -> int:
        """Pages waiting in the temporary file."""
        return 0 if self._spill is None else self._spill.count

    def _place(self, number: int) -> int:
        if number >= len(self._where):
            self._where.extend(bytes(number + 1 - len(self._where)))
        return self._where[number]


def _size(page: Page | None) -> int:
    """About what a page takes in memory: its links, at some 200 bytes and their URLs."""
    if page is None:
        return 0
    return 200 + sum(200 + len(link[0]) for link in page.links)


class Seen:
    """A set of keys (URLs) that only grows: ``add`` says whether a key is new. Kept as
    8-byte hashes (BLAKE2b); past SEEN_IN_MEMORY of them in memory, in a file."""

    def __init__(self, in_memory: int = SEEN_IN_MEMORY) -> None:
        self._in_memory = in_memory
        self._recent: set[int] = set()
        self._at_hand: set[int] = set()
        self._db: sqlite3.Connection | None = None
        self.count = 0

    def add(self, key: str) -> bool:
        """Add ``key``; True when it was not there before."""
        digest = int.from_bytes(
            hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
            "little",
            signed=True,
        )
        if digest in self._recent or digest in self._at_hand:
            return False
        if self._db is not None:
            found = self._db.execute("SELECT 1 FROM seen WHERE key = ?", (digest,)).fetchone()
            if found is not None:
                if len(self._at_hand) >= _AT_HAND:
                    self._at_hand.clear()
                self._at_hand.add(digest)
                return False
        self._recent.add(digest)
        self.count += 1
        if len(self._recent) >= self._in_memory:
            self._flush()
        return True

    def _flush(self) -> None:
        if self._db is None:
            self._db = temporary_database()
            self._db.execute("CREATE TABLE seen (key INTEGER PRIMARY KEY) WITHOUT ROWID")
        self._db.executemany(
            "INSERT OR IGNORE INTO seen VALUES (?)", ((key,) for key in self._recent)
        )
        self._recent = set()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
