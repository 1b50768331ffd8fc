"""An ordered, bounded, streaming map over an executor.

``Executor.map`` before Python 3.14 submits its whole input before yielding
anything. ``OrderedMap`` has the semantics of 3.14's ``map(..., buffersize=N)``:
results come out in input order, at most ``window`` items are submitted and not
yet yielded, and input is pulled only as room frees up. Two things it adds,
which the CLI needs and the standard ``map`` cannot give: input is read on a
feeder thread, so a result is yielded as soon as it and every earlier one are
done even while the next input line is still on its way; and ``finished()``
hands over the results that completed out of order when the run is cut short.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_END = object()


class _Done(Generic[R]):
    """A result known on the spot, in a Future's place in the queue (a Future costs more)."""

    __slots__ = ("_value",)

    def __init__(self, value: R) -> None:
        self._value = value

    def done(self) -> bool:
        return True

    def cancelled(self) -> bool:
        return False

    def cancel(self) -> bool:
        return False

    def exception(self) -> None:
        return None

    def result(self) -> R:
        return self._value


_Pending = (Future, _Done)


class _Raised:
    """An exception from the input iterable, carried to the consumer in order."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class OrderedMap(Generic[T, R], Iterator[R]):
    """Iterate ``fn(item)`` for each item of ``items``, in input order.

    At most ``window`` items are in flight (submitted and not yet yielded).
    An exception raised by ``fn`` or by the input iterable is re-raised at its
    place in the order. ``shortcut(item)``, when given, is tried first on the
    feeder thread: a result other than None is used as is, with no trip
    through the executor (for items that need no I/O). ``close()`` stops
    reading input and cancels what has not started.
    """

    def __init__(
        self,
        executor: Executor,
        fn: Callable[[T], R],
        items: Iterable[T],
        window: int,
        shortcut: Callable[[T], R | None] | None = None,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self._executor = executor
        self._fn = fn
        self._shortcut = shortcut
        self._items = items
        self._window = window
        # Free places in the window, one token each, and a token per entry put in
        # ``_pending``: C-level queues, cheaper per item than semaphores made of Conditions.
        self._slots: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(window):
            self._slots.put(None)
        self._pending: deque[object] = deque()
        self._arrived: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._head_arrived = False
        self._closed = threading.Event()
        self._done = False
        self._in_flight = 0
        self._lock = threading.Lock()
        self._feeder = threading.Thread(target=self._feed, name="fetchpool-feeder", daemon=True)
        self._feeder.start()

    @property
    def window(self) -> int:
        return self._window

    @property
    def in_flight(self) -> int:
        """Items submitted and not yet yielded."""
        return self._in_flight

    def _feed(self) -> None:
        try:
            for item in self._items:
                self._slots.get()
                if self._closed.is_set():
                    return
                with self._lock:
                    self._in_flight += 1
                known = self._shortcut(item) if self._shortcut is not None else None
                if known is not None:
                    future: Future[R] | _Done[R] = _Done(known)
                else:
                    try:
                        future = self._executor.submit(self._fn, item)
                    except RuntimeError:  # the executor was shut down under us
                        return
                self._put(future)
        except BaseException as exc:  # handed to the consumer, raised in order
            self._put(_Raised(exc))
        finally:
            self._put(_END)

    def _put(self, entry: object) -> None:
        self._pending.append(entry)
        self._arrived.put(None)

    def __iter__(self) -> OrderedMap[T, R]:
        return self

    def __next__(self) -> R:
        if self._done:
            raise StopIteration
        if not self._head_arrived:
            self._arrived.get()
            self._head_arrived = True
        # The entry stays at the head until it is done, so an interrupted wait loses nothing.
        entry = self._pending[0]
        if entry is _END:
            self._done = True
            raise StopIteration
        if isinstance(entry, _Raised):
            self.close()
            raise entry.exc
        assert isinstance(entry, _Pending)
        try:
            result: R = entry.result()
            return result
        finally:
            if entry.done():
                self._pending.popleft()
                self._head_arrived = False
                self._release()

    def ready(self) -> bool:
        """Whether the next result is already available, so ``next()`` will not wait."""
        try:
            head = self._pending[0]
        except IndexError:
            return False
        return head is _END or (isinstance(head, _Pending) and head.done())

    def _release(self) -> None:
        with self._lock:
            self._in_flight -= 1
        self._slots.put(None)

    def _entries(self) -> list[Future[R] | _Done[R]]:
        # deque.copy() is one C call, safe while the feeder appends.
        return [entry for entry in self._pending.copy() if isinstance(entry, _Pending)]

    def finished(self) -> list[R]:
        """Results completed but not yet yielded, in input order, skipping the unfinished.

        Meant for a run cut short: call ``close()`` first so nothing new starts.
        """
        return [
            future.result()
            for future in self._entries()
            if future.done() and not future.cancelled() and future.exception() is None
        ]

    def close(self) -> None:
        """Stop reading input and cancel every submitted item that has not started."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._done = True
        # Wake the feeder if it waits for a slot, so it sees the flag and leaves.
        self._slots.put(None)
        for future in self._entries():
            future.cancel()


def ordered_map(
    executor: Executor,
    fn: Callable[[T], R],
    items: Iterable[T],
    window: int,
    shortcut: Callable[[T], R | None] | None = None,
) -> OrderedMap[T, R]:
    """``executor.map(fn, items)`` in input order with at most ``window`` items in flight."""
    return OrderedMap(executor, fn, items, window, shortcut)
