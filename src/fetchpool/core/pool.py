"""An ordered, streaming map over an executor, with two bounds.

Results come out in input order, each as soon as it and every earlier one are
done, as ``Executor.map`` gives them. Two bounds keep it flat, not one:

- ``window`` bounds the work submitted to the executor and not yet finished;
- finished results that wait for a slower item ahead of them are kept in
  memory up to ``memory`` of them (or of bytes, by ``size``), and beyond that in
  a temporary file.

So an item that stalls at the head of the order holds up only its own place
in the output: the workers go on through the input behind it, and memory stays
flat however long it stalls. (``Executor.map(..., buffersize=N)`` in Python 3.14
bounds items submitted and not yet *yielded*: one stalled item then stops all
work once N later ones are done.) Input is pulled on a feeder thread only as
room frees up, so a result is yielded while the next input line is still on its
way, and ``finished()`` hands over what is done but not yet yielded when a run
is cut short. ``interrupt()`` ends the iteration from a signal handler: it
takes no lock, so it cannot deadlock with the thread it interrupts.

The work goes to an executor's threads, or to a ``Dispatcher``, which hands it on
(to other processes, say) and reports what is done through ``complete``.
"""

from __future__ import annotations

import pickle
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    import sqlite3

T = TypeVar("T")
R = TypeVar("R")
T_contra = TypeVar("T_contra", contravariant=True)

# The page cache of a spill file, in KiB (SQLite's default is 2,000).
SPILL_CACHE_KIB = 256
# Finished results held in memory while they wait for an earlier one; more spill to disk.
DEFAULT_MEMORY = 4096

_MISSING = object()


class _Raised:
    """An exception from ``fn`` or from the input, raised at its place in the order."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Dispatcher(Protocol[T_contra]):
    """Where an ordered map sends its items when not to an executor's threads.

    ``bind`` gives it the map's ``complete``, through which it reports each item's
    result (or a _Raised), from any thread, once. ``dispatch`` is called on the map's
    feeder thread, in input order, at most ``window`` items ahead of what is complete.
    """

    def bind(self, complete: Callable[[list[tuple[int, object]]], None]) -> None: ...

    def dispatch(self, index: int, item: T_contra) -> None: ...


@dataclass(frozen=True)
class PoolState:
    """A snapshot of an ordered map, for a progress display."""

    # Items being worked on right now (started and not finished).
    running: int
    # Items finished and waiting for an earlier one to be done.
    waiting: int
    # How many of those wait in the temporary file rather than in memory.
    spilled: int
    # The item the output waits for, while it is being worked on, and since when
    # (time.monotonic()); None when the output waits for nothing but input.
    head: object | None = None
    head_started: float | None = None


def temporary_database() -> sqlite3.Connection:
    """A private SQLite database in a temporary file, deleted when it is closed, for what
    spills past a memory budget: no journal, no syncing, and a small page cache (what is
    written is read back once), so its own memory stays small too."""
    import sqlite3

    db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute(f"PRAGMA cache_size = -{SPILL_CACHE_KIB}")
    return db


class Spill:
    """Values beyond a memory budget, by index, in a temporary SQLite file: the map's
    finished results, a crawl's pages waiting their turn (crawl.frontier).

    Not thread-safe on its own: its users call it under their lock.
    """

    def __init__(self) -> None:
        self._db = temporary_database()
        self._db.execute("CREATE TABLE waiting (idx INTEGER PRIMARY KEY, value BLOB NOT NULL)")
        self.count = 0

    def put(self, index: int, value: object) -> bool:
        """Keep ``value``; False when it cannot be pickled (the caller keeps it in memory)."""
        try:
            data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return False
        self._db.execute("INSERT INTO waiting VALUES (?, ?)", (index, data))
        self.count += 1
        return True

    def take(self, index: int) -> object:
        """The value at ``index``, removed, or _MISSING."""
        row = self._db.execute("SELECT value FROM waiting WHERE idx = ?", (index,)).fetchone()
        if row is None:
            return _MISSING
        self._db.execute("DELETE FROM waiting WHERE idx = ?", (index,))
        self.count -= 1
        return pickle.loads(row[0])

    def has(self, index: int) -> bool:
        found = self._db.execute("SELECT 1 FROM waiting WHERE idx = ?", (index,)).fetchone()
        return found is not None

    def from_index(self, index: int) -> list[tuple[int, object]]:
        """Every kept value from ``index`` on, in order."""
        rows = self._db.execute(
            "SELECT idx, value FROM waiting WHERE idx >= ? ORDER BY idx", (index,)
        )
        return [(row[0], pickle.loads(row[1])) for row in rows]

    def close(self) -> None:
        self._db.close()


class OrderedMap(Generic[T, R], Iterator[R]):
    """Iterate ``fn(item)`` for each item of ``items``, in input order.

    At most ``window`` items are submitted to the executor and not finished;
    finished results waiting for an earlier one are held in memory up to
    ``memory`` of them and spill to a temporary file beyond that. An exception
    raised by ``fn`` or by the input iterable is re-raised at its place in the
    order. ``shortcut(item)``, when given, is tried first on the feeder thread:
    a result other than None is used as is, with no trip through the executor
    (for items that need no I/O). ``close()`` stops reading input and drops what
    has not started; ``interrupt()`` does so too, from a signal handler.
    """

    def __init__(
        self,
        executor: Executor | None,
        fn: Callable[[T], R],
        items: Iterable[T],
        window: int,
        shortcut: Callable[[T], R | None] | None = None,
        memory: int = DEFAULT_MEMORY,
        size: Callable[[R], int] | None = None,
        dispatcher: Dispatcher[T] | None = None,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        if memory < 0:
            raise ValueError("memory must be 0 or more")
        if (executor is None) == (dispatcher is None):
            raise ValueError("give an executor or a dispatcher")
        self._executor = executor
        self._dispatcher = dispatcher
        self._fn = fn
        # What a waiting result costs of ``memory``: 1 each, or its size.
        self._size: Callable[[object], int] = size or _one  # type: ignore[assignment]
        self._kept = 0
        self._shortcut = shortcut
        self._items = items
        self._window = window
        self._memory = memory
        # Free places in the window, one token each: a C-level queue, cheap per item.
        self._slots: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(window):
            self._slots.put(None)
        self._lock = threading.Lock()
        # Guarded by _lock: finished results by index, the spill file, the items being
        # worked on (with when they started), and how the input ended.
        self._done: dict[int, object] = {}
        self._spill: Spill | None = None
        self._running: dict[int, tuple[T, float]] = {}
        self._end: int | None = None
        # The consumer sleeps on _wake while it waits for index _sleeping (-1: not asleep).
        self._sleeping = -1
        self._wake: queue.SimpleQueue[None] = queue.SimpleQueue()
        # The feeder sleeps on _taken while the consumer is behind (see _wait_for_consumer).
        self._feeder_asleep = False
        self._taken: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._head = 0
        self._read = 0
        self._closed = threading.Event()
        self._exhausted = False
        # Set by interrupt(), possibly from a signal handler; the consumer acts on it.
        self._interrupted = False
        if dispatcher is not None:
            dispatcher.bind(self.complete)
        self._feeder = threading.Thread(target=self._feed, name="fetchpool-feeder", daemon=True)
        self._feeder.start()

    @property
    def window(self) -> int:
        return self._window

    @property
    def in_flight(self) -> int:
        """Items read from the input and not yet yielded."""
        return self._read - self._head

    def state(self) -> PoolState:
        """What is running, what waits behind the head, and what the output waits for."""
        with self._lock:
            spilled = self._spill.count if self._spill is not None else 0
            head = self._running.get(self._head)
            return PoolState(
                running=len(self._running),
                waiting=len(self._done) + spilled,
                spilled=spilled,
                head=head[0] if head is not None else None,
                head_started=head[1] if head is not None else None,
            )

    def _feed(self) -> None:
        index = 0
        try:
            for item in self._items:
                self._wait_for_consumer()
                if self._closed.is_set():
                    return
                known = self._shortcut(item) if self._shortcut is not None else None
                if known is not None:
                    self._store([(index, known)])
                else:
                    self._slots.get()
                    if self._closed.is_set():
                        return
                    if self._dispatcher is not None:
                        with self._lock:
                            self._running[index] = (item, time.monotonic())
                        self._dispatcher.dispatch(index, item)
                    else:
                        try:
                            self._executor.submit(self._work, index, item)  # type: ignore[union-attr]
                        except RuntimeError:  # the executor was shut down under us
                            return
                index += 1
                self._read = index
        except BaseException as exc:  # handed to the consumer, raised in order
            self._store([(index, _Raised(exc))])
            index += 1
            self._read = index
        finally:
            with self._lock:
                self._end = index
                wake = self._sleeping == index
            if wake:
                self._wake.put(None)

    def _wait_for_consumer(self) -> None:
        """Wait while the memory budget is full and the head is done: then the consumer,
        not a slow item, is what holds the output back, and spilling would not help it."""
        with self._lock:
            behind = self._kept >= self._memory and self._head in self._done
            self._feeder_asleep = behind
        if behind:
            self._taken.get()

    def _wake_feeder(self) -> None:
        """Wake the feeder if it waits for the consumer (under the lock)."""
        if self._feeder_asleep:
            self._feeder_asleep = False
            self._taken.put(None)

    def _work(self, index: int, item: T) -> None:
        if self._closed.is_set():  # closed before it started: dropped
            return
        with self._lock:
            self._running[index] = (item, time.monotonic())
        value: object
        try:
            value = self._fn(item)
        except BaseException as exc:
            value = _Raised(exc)
        self.complete([(index, value)])

    def complete(self, done: list[tuple[int, object]]) -> None:
        """Items that are done, with their results (or _Raised), from any thread: each
        frees its place in the window."""
        self._store(done)
        for _ in done:
            self._slots.put(None)

    def _store(self, done: list[tuple[int, object]]) -> None:
        wake = False
        with self._lock:
            for index, value in done:
                self._running.pop(index, None)
                self._keep(index, value)
                if self._sleeping == index:
                    self._sleeping = -1
                    wake = True
        if wake:
            self._wake.put(None)

    def _keep(self, index: int, value: object) -> None:
        """Hold a finished result in memory, or past the budget in the spill file (locked)."""
        # The head goes straight to the consumer, and an exception is kept as it is.
        if index != self._head and self._kept >= self._memory and not isinstance(value, _Raised):
            if self._spill is None:
                self._spill = Spill()
            if self._spill.put(index, value):
                return
        self._done[index] = value
        self._kept += self._size_of(value)

    def _size_of(self, value: object) -> int:
        return 1 if isinstance(value, _Raised) else self._size(value)

    def _take(self, index: int) -> object:
        value = self._done.pop(index, _MISSING)
        if value is not _MISSING:
            self._kept -= self._size_of(value)
        elif self._spill is not None and self._spill.count:
            value = self._spill.take(index)
        return value

    def __iter__(self) -> OrderedMap[T, R]:
        return self

    def __next__(self) -> R:
        while True:
            if self._interrupted:
                self.close()
            if self._exhausted:
                raise StopIteration
            with self._lock:
                value = self._take(self._head)
                if value is not _MISSING:
                    self._head += 1
                    # Room again, or the next result is not in yet (a slow item, which the
                    # work behind must not wait for): the consumer is no longer behind.
                    if self._kept <= self._memory // 2 or self._head not in self._done:
                        self._wake_feeder()
                    break
                if self._end is not None and self._head >= self._end:
                    self._exhausted = True
                    self._drop_spill()
                    raise StopIteration
                self._sleeping = self._head
                # The consumer has caught up and waits for a slow item: the work behind it
                # must go on, spilling if need be.
                self._wake_feeder()
            # Interruptible (Ctrl-C) and lossless: the head stays where it is until it comes.
            self._wake.get()
        if isinstance(value, _Raised):
            self.close()
            raise value.exc
        return value  # type: ignore[return-value]

    def ready(self) -> bool:
        """Whether the next result is already available, so ``next()`` will not wait."""
        with self._lock:
            head = self._head
            if head in self._done or (self._end is not None and head >= self._end):
                return True
            return self._spill is not None and self._spill.count > 0 and self._spill.has(head)

    def finished(self) -> list[R]:
        """Results completed but not yet yielded, in input order, skipping the unfinished.

        Meant for a run cut short: call ``close()`` first so nothing new starts.
        """
        with self._lock:
            entries = [(index, value) for index, value in self._done.items() if index >= self._head]
            if self._spill is not None:
                entries.extend(self._spill.from_index(self._head))
        entries.sort(key=lambda entry: entry[0])
        return [value for _, value in entries if not isinstance(value, _Raised)]  # type: ignore[misc]

    @property
    def interrupted(self) -> bool:
        """Whether ``interrupt()`` ended the iteration (rather than the end of the input)."""
        return self._interrupted

    def interrupt(self) -> None:
        """End the iteration before the next result is taken, and close the map.

        Safe in a signal handler, even one that runs while this thread holds the
        map's lock: it only sets a flag and wakes the consumer (SimpleQueue.put is
        reentrant). The consumer then closes the map itself, on its own thread;
        ``finished()`` gives what was done and not yet taken.
        """
        self._interrupted = True
        self._wake.put(None)

    def close(self) -> None:
        """Stop reading input, and drop every submitted item that has not started."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._exhausted = True
        # Wake the feeder if it waits for a slot or for the consumer, and the consumer if it
        # waits for the head (close() may come from another thread), so they see the flag.
        self._slots.put(None)
        self._taken.put(None)
        self._wake.put(None)

    def _drop_spill(self) -> None:
        """Delete the spill file, once the output has passed everything in it (under the lock)."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None


def _one(value: object) -> int:
    return 1


def ordered_map(
    executor: Executor,
    fn: Callable[[T], R],
    items: Iterable[T],
    window: int,
    shortcut: Callable[[T], R | None] | None = None,
    memory: int = DEFAULT_MEMORY,
) -> OrderedMap[T, R]:
    """``executor.map(fn, items)`` in input order, with at most ``window`` items at work."""
    return OrderedMap(executor, fn, items, window, shortcut, memory)
