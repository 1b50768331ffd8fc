"""A run with the CI features around it: selection, --dedupe and --cache, in input order.

    lines -> Selection -> (mark repeats) -> Run(lookup: repeat or cache) -> (fill repeats)

A repeated URL is marked as the input is read (on the feeder thread, in input
order) and answered at once with a placeholder; since results come out in
input order, the first line's result has always been yielded by the time its
repeats come out, and they are filled in from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..core.inputs import InputLine
from ..core.options import Options
from ..core.pages import PageLine, PageReader
from ..core.pool import PoolState
from ..core.results import Result
from ..core.run import Run
from ..core.urls import url_key
from .selection import Selection

if TYPE_CHECKING:
    from .cache import Cache


@dataclass(frozen=True)
class _Repeat(InputLine):
    """A line whose URL an earlier line already fetches."""


@dataclass(frozen=True)
class _Placeholder(Result):
    """Stands in for a repeat until the first line's result is at hand."""


class Checks(Iterator[Result]):
    """Results for the selected lines in input order, one per selected line.

    ``dedupe`` fetches each distinct URL (see urlkey.url_key) once; ``cache``
    answers URLs that were ok recently and records this run's results in it
    (``cache.save()`` is left to the caller).
    """

    def __init__(
        self,
        lines: Iterable[InputLine],
        options: Options,
        selection: Selection | None = None,
        dedupe: bool = False,
        cache: Cache | None = None,
        known: Callable[[InputLine], Result | None] | None = None,
        anchors_of: Callable[[str], set[str]] | None = None,
        page_reader: PageReader | None = None,
    ) -> None:
        self.options = options
        self.selection = selection or Selection()
        self.cache = cache
        self.dedupe = dedupe
        self._firsts: dict[str, Result] = {}
        items = self.selection.select(lines) if self.selection.active else lines
        # With #fragments checked, a page and a place in it are each their own check.
        self._fragments = anchors_of is not None
        if dedupe:
            items = _mark_repeats(items, self._key)
        # ``known`` gives the result of a line that needs no request (a link to a local file).
        self._known = known
        needs_lookup = dedupe or cache is not None or known is not None
        self.run = Run(
            items, options, self._lookup if needs_lookup else None, anchors_of, page_reader
        )

    @property
    def started(self) -> float:
        """The ``time.perf_counter()`` at which the run began."""
        return self.run.started

    @property
    def in_flight(self) -> int:
        """Lines read and not yet yielded."""
        return self.run.in_flight

    @property
    def held(self) -> dict[str, float]:
        """Seconds each host was held because it answered with Retry-After, by host."""
        return self.run.held

    def state(self) -> PoolState:
        """What is running, what waits behind the head, and what the output waits for."""
        return self.run.state()

    def ready(self) -> bool:
        """Whether the next result is available without waiting."""
        return self.run.ready()

    def __iter__(self) -> Checks:
        return self

    def __next__(self) -> Result:
        while True:
            settled = self._settle(next(self.run))
            if settled is not None:
                return settled

    def finished(self) -> list[Result]:
        """After an interruption: results done but not yet yielded, in input order."""
        settled = (self._settle(result) for result in self.run.finished())
        return [result for result in settled if result is not None]

    @property
    def interrupted(self) -> bool:
        """Whether ``interrupt()`` cut the run short."""
        return self.run.interrupted

    def interrupt(self) -> None:
        """End the iteration before the next result; safe in a signal handler."""
        self.run.interrupt()

    def close(self) -> None:
        self.run.close()

    def _lookup(self, item: InputLine) -> Result | None:
        if self._known is not None:
            known = self._known(item)
            if known is not None:
                return known
        if isinstance(item, _Repeat):
            return _Placeholder(
                item.text, None, False, source=item.source, line=item.line, column=item.column
            )
        # A page to read is fetched to be read, whatever the cache says of its link.
        fetched_anyway = type(item) is PageLine or (self._fragments and "#" in item.text)
        if self.cache is not None and not fetched_anyway:
            return self.cache.lookup(item, self.options.accept.__contains__)
        return None

    def _key(self, url: str) -> str:
        return url_key(url, keep_fragment=self._fragments)

    def _settle(self, result: Result) -> Result | None:
        if isinstance(result, _Placeholder):
            first = self._firsts.get(self._key(result.url))
            if first is None:  # its first line never finished (an interrupted run)
                return None
            return replace(
                first, url=result.url, source=result.source, line=result.line, column=result.column
            )
        if self.dedupe:
            self._firsts.setdefault(self._key(result.url), result)
        if self.cache is not None:
            self.cache.record(result)
        return result


def _mark_repeats(lines: Iterable[InputLine], key: Callable[[str], str]) -> Iterator[InputLine]:
    seen: set[str] = set()
    for line in lines:
        # Not fetched (a bad line, a link to a local file), or a page a crawl reads, which it
        # has made sure is new.
        if "://" not in line.text or type(line) is PageLine:
            yield line
            continue
        named = key(line.text)
        if named in seen:
            yield _Repeat(line.text, line.source, line.line, line.error, line.column)
        else:
            seen.add(named)
            yield line
