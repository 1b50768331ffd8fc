"""The library's entry point: URLs in, Results out, in input order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING

from .fetch import Fetcher
from .inputs import InputLine
from .options import Options
from .pages import PageReader, settle
from .pool import OrderedMap, PoolState
from .results import Result

if TYPE_CHECKING:
    from .engine import Engine

# What a finished result waiting for an earlier one may hold in memory, all told, before
# the rest spill to disk: by bytes, since one may carry a URL of 100 KB.
WAITING_BYTES = 4 * 1024 * 1024


def started_executor(workers: int) -> ThreadPoolExecutor:
    """A ThreadPoolExecutor with every worker thread already running.

    Started on demand, one per submit, each new thread waits for the GIL behind the
    busy ones, and a wide pool is still growing long after the first answers come
    back. Started here, before any work, all of them start at once: each parks on
    a barrier, which forces the executor to start a thread for every submit.
    """
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetchpool")
    barrier = threading.Barrier(workers + 1)
    try:
        for _ in range(workers):
            executor.submit(barrier.wait)
        barrier.wait()
    except BaseException:
        barrier.abort()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    return executor


def _as_lines(items: Iterable[str | InputLine]) -> Iterator[InputLine]:
    for number, item in enumerate(items, 1):
        yield item if isinstance(item, InputLine) else InputLine(item, "-", number)


class Run(Iterator[Result]):
    """Results of a run as they become available, in input order.

    Iterating drives the run; ``close()`` (or leaving a ``with`` block) stops it,
    cancelling what has not started. ``interrupt()``, safe in a signal handler,
    ends the iteration before the next result and closes the run. After an
    interruption, ``finished()`` gives the results that completed but were not
    yet yielded.

    ``lookup``, when given, is asked first for each item, in input order on the
    thread that reads the input; a Result it returns (from a cache, say) stands
    in for fetching that item. ``anchors_of``, when given, turns on the check of
    ``#fragment`` URLs (see Fetcher).

    ``page_reader``, when given, reads the page of each PageLine for its links (see
    Fetcher); a PageLine's page goes to its sink however its result comes about.

    ``started`` is the ``time.perf_counter()`` at which the run began.
    """

    def __init__(
        self,
        items: Iterable[str | InputLine],
        options: Options | None = None,
        lookup: Callable[[InputLine], Result | None] | None = None,
        anchors_of: Callable[[str], set[str]] | None = None,
        page_reader: PageReader | None = None,
    ) -> None:
        self.started = time.perf_counter()
        self.options = options or Options()
        # With worker processes, a host under limits belongs to one of them (engine.py).
        hand_off = self.options.processes > 1 and self.options.limits_hosts
        self.fetcher = Fetcher(self.options, anchors_of, hand_off=hand_off, page_reader=page_reader)
        self._closed = False
        self._lookup = lookup
        self._executor = started_executor(self.options.max_workers)
        self._engine: Engine | None = None
        if self.options.processes > 1:
            from .engine import Engine

            self._engine = Engine(self.options, (self._executor, self.fetcher), anchors_of)
        self._map: OrderedMap[InputLine, Result] = OrderedMap(
            None if self._engine else self._executor,
            # The shortcut has rejected every line that cannot be fetched, on the feeder thread.
            self.fetcher.fetch_accepted,
            _as_lines(items),
            self.options.effective_window,
            shortcut=self._shortcut,
            memory=WAITING_BYTES,
            size=result_size,
            dispatcher=self._engine,
        )

    def _shortcut(self, item: InputLine) -> Result | None:
        """A Result known without fetching: what ``lookup`` knows (a link to a local file
        is no URL, yet has a result), or a rejected line."""
        known = self._lookup(item) if self._lookup is not None else None
        if known is None:
            known = self.fetcher.reject(item)
        if known is not None:
            settle(item)  # not fetched, so not read
        return known

    @property
    def in_flight(self) -> int:
        """URLs read and not yet yielded."""
        return self._map.in_flight

    @property
    def held(self) -> dict[str, float]:
        """Seconds each host was held because it answered with Retry-After, by host."""
        held = self.fetcher.held
        if self._engine is not None:
            for host, seconds in self._engine.held.items():
                held[host] = held.get(host, 0.0) + seconds
        return held

    def state(self) -> PoolState:
        """What is running, what waits behind the head, and what the output waits for."""
        return self._map.state()

    def ready(self) -> bool:
        """Whether the next result is available without waiting."""
        return self._map.ready()

    def __iter__(self) -> Run:
        return self

    def __next__(self) -> Result:
        try:
            return next(self._map)
        except StopIteration:
            if self._map.interrupted:
                self.close()  # requests in flight are not waited for
            self._finish()
            raise

    @property
    def interrupted(self) -> bool:
        """Whether ``interrupt()`` cut the run short."""
        return self._map.interrupted

    def interrupt(self) -> None:
        """End the iteration before the next result, as if the input ended there, and
        close the run; ``interrupted`` then says so. Safe in a signal handler."""
        self._map.interrupt()

    def finished(self) -> list[Result]:
        """Results done but not yet yielded, in input order; stops the run first."""
        self.close()
        return self._map.finished()

    def close(self) -> None:
        """Stop reading input, cancel what has not started and cut short any waits.

        Requests under way finish on their own (within their deadlines); their threads
        and the run's connections go with them.
        """
        self._closed = True
        self._map.close()
        self.fetcher.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._engine is not None:
            self._engine.close()

    def _finish(self) -> None:
        # Every result is out, so no request is under way, unless the run was closed
        # (perhaps from another thread) with requests still in flight: those are not waited.
        if not self._closed:
            self._executor.shutdown(wait=True)
            self.fetcher.close()
            if self._engine is not None:
                self._engine.close()

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def result_size(result: Result) -> int:
    """About what a Result takes in memory, in bytes: its strings and a fixed part."""
    return (
        400
        + len(result.url)
        + len(result.final_url or "")
        + len(result.error or "")
        + len(result.source)
    )


def fetch_all(items: Iterable[str | InputLine], options: Options | None = None) -> Run:
    """Fetch every URL in ``items`` concurrently; iterate the result for Results in input order.

    ``items`` is read lazily, so it may be a generator or a pipe that is still
    being written. Each item yields exactly one Result; failures are Results
    with ``error`` set, never exceptions. Raises ValueError for bad options.
    """
    return Run(items, options)
