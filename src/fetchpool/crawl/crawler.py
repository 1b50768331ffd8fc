"""A crawl: pages turned into links, breadth first, in a deterministic order.

The crawl is a source of input lines, read on the run's feeder thread. A link whose
page is to be read goes out as a PageLine: the run's fetch reads the page in the GET
that checks it (core.fetch) and delivers the page to the crawl's PageStore. The crawl
takes pages in the order their links went out, whenever their fetches finish, so two
crawls of a site give the same lines in the same order: the start pages, the links of
the first page in document order, then the new links of the second, and so on.

Each link is checked once (the first place it is found), each page read once.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..core.failures import FailureKind
from ..core.inputs import InputLine
from ..core.limits import host_key
from ..core.options import Options
from ..core.pages import PageLine
from ..core.urls import url_key
from .frontier import PageStore, Seen
from .options import CrawlOptions, default_scope, in_scope, normal_prefix
from .pages import ENTRY, LINK, NOFOLLOW, SITEMAP
from .robots import MAX_ROBOTS, Robots, robots_url

if TYPE_CHECKING:
    from ..core.fetch import Fetcher

_DISALLOWED = "disallowed by robots.txt: not requested"
# The longest Crawl-delay waited between two requests to a host, whatever robots.txt asks.
MAX_CRAWL_DELAY = 60.0
_LAST_DEPTH = 65_535
# Origins kept as written (see Crawler._robots_of), at most.
_ORIGINS_AS_WRITTEN = 4_096


class Crawler:
    """Reads websites given as SOURCEs (a page or a sitemap, by URL, or a sitemap file)
    into input lines. One for a run: a link checked for one SOURCE is not checked again
    for the next.

    ``wanted`` says whether a URL is checked at all (--include, --exclude, --shard):
    a page that is not is not read either. ``pages_read`` counts the pages whose links
    were read, ``max_pages`` at most: past it, a page taken is not read and links in scope
    are checked, not read, and ``limit_reached`` says so. ``repeats`` counts the links
    found again, which are not checked again. Pages are counted as they are
    taken, in turn, so the limit falls at the same page in every crawl of a site.
    """

    def __init__(
        self,
        options: CrawlOptions,
        fetch_options: Options,
        check_fragments: bool = False,
        wanted: Callable[[str], bool] | None = None,
    ) -> None:
        self.options = options
        self._fetch_options = fetch_options
        self._fragments = check_fragments
        self._wanted = wanted
        self.pages = PageStore()
        self._checked = Seen()
        self._read = Seen()
        # Each page's depth, by its number; pages are numbered as their lines go out.
        self._depths: array[int] = array("H")
        # Whether each page is a sitemap that an index names (read wherever it is).
        self._listed = bytearray()
        self._next_page = 0
        self._scope = tuple(normal_prefix(prefix) for prefix in options.scope)
        self._own_scope = not self._scope
        self._robots: dict[str, Robots] = {}
        self._robots_as_written: dict[str, Robots] = {}
        self._robots_fetcher: Fetcher | None = None
        self._used = 0
        self.repeats = 0
        self.limit_reached = False
        self.not_read = 0
        self._closed = False
        self._aborted = False

    @property
    def pages_read(self) -> int:
        """The pages read for their links so far."""
        return self._used

    def describe(self) -> str:
        """The crawl so far, for a progress display: ``12 pages read · 40 to read``."""
        waiting = max(len(self._depths) - self.pages.delivered, 0)
        return f"{self.pages_read:,} pages read · {waiting:,} to read"

    # --- SOURCEs ----------------------------------------------------------------------

    def from_url(self, url: str) -> Iterator[InputLine]:
        """The lines of the page (or sitemap) at ``url``: the page itself, read whatever
        robots.txt says (it was asked for by name), then what reading it leads to."""
        self._add_scope(url)
        self._checked.add(self._check_key(url))
        self._read.add(url_key(url))
        yield self._page(url, url, 0, 0, 0, LINK)
        yield from self._drain()

    def from_sitemap(
        self, source: str, entries: Iterable[tuple[str, int, int]], index: bool = False
    ) -> Iterator[InputLine]:
        """The lines of a sitemap read from a file: its entries, each a start page (for
        a sitemap ``index``, each a sitemap to read)."""
        role = SITEMAP if index else ENTRY
        for url, line, column in entries:
            found = self._link(url, source, line, column, role, 1)
            if found is not None:
                yield found
        yield from self._drain()

    def close(self) -> None:
        """Stop: a wait for a page ends, no more lines come, and the connections
        robots.txt was read on are closed."""
        self._closed = True
        self.pages.close()
        self._checked.close()
        self._read.close()
        if self._robots_fetcher is not None:
            self._robots_fetcher.close()

    def abort(self) -> None:
        """Cut short a robots.txt being read (safe from another thread: a signal's)."""
        self._aborted = True
        if self._robots_fetcher is not None:
            self._robots_fetcher.abort()

    def crawl_delays(self, sources: Iterable[str]) -> dict[str, float]:
        """The Crawl-delay each host in scope asks for, by host, with robots.txt read now
        for each (so that a run's limits hold them from its first request), MAX_CRAWL_DELAY
        at most."""
        if not self.options.robots or not self.options.crawl:
            return {}
        prefixes = self._scope or tuple(filter(None, (default_scope(url) for url in sources)))
        delays: dict[str, float] = {}
        for prefix in prefixes:
            if self._aborted:
                break
            robots = self._robots_of(prefix)
            host = host_key(urlsplit(prefix).hostname)
            if robots.crawl_delay:
                delays[host] = max(delays.get(host, 0.0), robots.crawl_delay)
        return {host: min(delay, MAX_CRAWL_DELAY) for host, delay in delays.items()}

    # --- the crawl ----------------------------------------------------------------------

    def _drain(self) -> Iterator[InputLine]:
        """The links of every page read, in turn, until no page is left to take."""
        while self._next_page < len(self._depths) and not self._closed:
            number = self._next_page
            self._next_page += 1
            page = self.pages.take(number)
            if page is None:
                continue  # not read: no answer, not a page, or the run stopped
            depth = self._depths[number]
            if depth == 0:
                self._add_scope(page.url)  # a start page that redirects: where it led too
            elif (
                self.options.crawl
                and not self._listed[number]
                and not in_scope(page.url, self._scope)
            ):
                continue  # a redirect out of scope: the link is checked, its page not read
            if page.links or page.problem is None:  # read, if only in part
                if self._used >= self.options.max_pages:
                    self.limit_reached = True
                    continue  # past --max-pages: checked, its links not read
                self._used += 1
            for url, line, column, role in page.links:
                found = self._link(url, page.url, line, column, role, depth + 1)
                if found is not None:
                    yield found
            if page.problem is not None:
                from ..docs.sources import KnownLine

                self.not_read += 1
                yield KnownLine(page.url, page.url, 0, reason=page.problem)

    def _link(
        self, url: str, source: str, line: int, column: int, role: int, depth: int
    ) -> InputLine | None:
        """The line for a link found (None when it was found before): a page to read, a
        link to check, or a link robots.txt keeps this crawl from."""
        if role == ENTRY:
            depth = 0  # a sitemap's entries are where a crawl starts
            if self.options.crawl:
                self._add_scope(url)
        scoped = in_scope(url, self._scope)
        if scoped and self.options.crawl and self.options.robots and not self._allowed(url):
            if not self._checked.add(self._check_key(url)):
                self.repeats += 1
                return None
            from ..docs.sources import KnownLine

            unread = self._robots_of(url).reason
            reason, kind = _DISALLOWED, FailureKind.ROBOTS_DISALLOWED
            if unread is not None:
                # Not the site's wish but its fault: the link is not known to be fine.
                reason = f"not requested: {unread} (--ignore-robots requests it)"
                kind = FailureKind.NOT_CHECKED
            return KnownLine(url, source, line, column=column, reason=reason, kind=kind)
        if (
            not self.limit_reached
            and self._to_read(url, role, depth, scoped)
            and self._read.add(url_key(url))
        ):
            self._checked.add(self._check_key(url))
            return self._page(url, source, line, column, depth, role)
        if not self._checked.add(self._check_key(url)):
            self.repeats += 1  # found again: checked once, at the first place
            return None
        return InputLine(url, source, line, None, column)

    def _to_read(self, url: str, role: int, depth: int, scoped: bool) -> bool:
        """Whether the page a link names is to be read (if not read already)."""
        if role == SITEMAP:
            # A sitemap index's sitemaps are read for their entries; an index that one
            # of them turns out to be is not read on (the protocol has indexes list
            # sitemaps, never indexes), so a loop of indexes ends.
            return depth <= 1
        if role == NOFOLLOW or not (self.options.crawl and scoped):
            return False
        limit = self.options.depth
        if limit is not None and depth > limit:
            return False
        return self._wanted is None or self._wanted(url)

    def _page(
        self, url: str, source: str, line: int, column: int, depth: int, role: int
    ) -> PageLine:
        number = len(self._depths)
        self._depths.append(min(depth, _LAST_DEPTH))
        self._listed.append(role == SITEMAP)
        return PageLine(url, source, line, column, sink=self.pages, number=number)

    def _check_key(self, url: str) -> str:
        return url_key(url, keep_fragment=self._fragments)

    def _add_scope(self, url: str) -> None:
        if self._own_scope:
            prefix = default_scope(url)
            if prefix is not None and prefix not in self._scope:
                self._scope = (*self._scope, prefix)

    # --- robots.txt ---------------------------------------------------------------------

    def _allowed(self, url: str) -> bool:
        return self._robots_of(url).allowed(url)

    def _robots_of(self, url: str) -> Robots:
        """The robots.txt of ``url``'s origin, read once (on first need)."""
        # The origin as written, to find it again without parsing the URL.
        written = url[: url.find("/", url.find("//") + 2)] if "//" in url else url
        robots = self._robots_as_written.get(written)
        if robots is not None:
            return robots
        try:
            where = robots_url(url)
        except ValueError:
            return Robots.allow_all()
        robots = self._robots.get(where)
        if robots is None:
            robots = self._robots[where] = self._read_robots(where)
        if len(self._robots_as_written) < _ORIGINS_AS_WRITTEN:
            self._robots_as_written[written] = robots
        return robots

    def _read_robots(self, where: str) -> Robots:
        from ..core.fetch import Fetcher

        fetcher = self._robots_fetcher
        if fetcher is None:
            fetcher = self._robots_fetcher = Fetcher(self._fetch_options)
            if self._aborted:
                fetcher.abort()
        result, body = fetcher.fetch_body(where, MAX_ROBOTS)
        if result.kind is FailureKind.TOO_MANY_REDIRECTS:
            return Robots.allow_all()  # RFC 9309: a redirect loop leaves it unavailable
        return Robots.from_answer(result.status, body or b"", self._fetch_options.user_agent)
