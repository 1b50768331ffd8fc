"""A small website on 127.0.0.1 for tests that read pages and follow their links.

A site is built from a dict of paths to pages::

    site = Website({"/": html('<a href="/a.html">a</a>'), "/a.html": html("A")})

A page is found by its path and query (``/a.html?x=1``) first, then by its path alone;
any other path answers 404 with an HTML page that links nowhere. Helpers make the usual
kinds: ``html``, ``markdown``, ``png`` (an image whose bytes hold an ``href``, so a reader
that takes it for HTML is caught out), ``redirect``, ``robots`` and ``sitemap`` (of
``urlset`` or ``sitemapindex`` XML, gzipped or not).

Besides the pages:

- ``endless=True`` serves a section that never ends: ``/cal/N`` links to ``/cal/N+1`` and to
  ``/cal/N?session=RANDOM``, a new random value each time, as a calendar with session ids does
- ``Page(silent=True)`` reads the request and never answers (until the site stops)
- ``Page(trickle=True)`` sends its body a byte at a time, 20 bytes a second
- ``site.hold(target, until=other)`` keeps ``target``'s answer back until ``other`` has been
  answered (or HOLD_LIMIT seconds have passed), to make pages answer out of order

Every request is counted by (method, path and query) and logged in order, with the host
it was sent to, *before* its answer is written: a test that has the answer can read the
count. ``wait_for`` waits on those counts (a condition, not a sleep).

The same server reached as ``localhost`` is another host to a client: ``site.url(path,
host=OTHER_HOST)``. Use as a context manager, or start() and stop().
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

HOST = "127.0.0.1"
OTHER_HOST = "localhost"  # the same server, another host to a client
# The longest a held answer waits for the answer it is held for.
HOLD_LIMIT = 10.0
# The longest a silent or trickling page keeps its connection, if the site is not stopped.
STALL_LIMIT = 60.0

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Page:
    """One answer of the site."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = HTML
    headers: Mapping[str, str] = field(default_factory=dict)
    silent: bool = False
    trickle: bool = False
    # Without a Content-Length: the body ends where the connection does.
    sized: bool = True

    @property
    def data(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


def html(body: str, status: int = 200) -> Page:
    return Page(body, status=status)


def markdown(text: str) -> Page:
    return Page(text, content_type="text/markdown; charset=utf-8")


# The 8-byte PNG signature, then bytes that would be a link if read as HTML.
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b'<a href="/trap/png">'


def png() -> Page:
    return Page(PNG_BYTES, content_type="image/png")


def redirect(location: str, status: int = 301) -> Page:
    return Page(b"", status=status, content_type="text/plain", headers={"Location": location})


def robots(text: str) -> Page:
    return Page(text, content_type="text/plain")


def urlset(*urls: str) -> str:
    """A sitemap listing ``urls``, each ``<loc>`` on a line of its own: line 3 and on."""
    return _sitemap_xml("urlset", "url", urls)


def sitemapindex(*urls: str) -> str:
    """A sitemap index listing the sitemaps ``urls``, each ``<loc>`` on line 3 and on."""
    return _sitemap_xml("sitemapindex", "sitemap", urls)


def _sitemap_xml(root: str, entry: str, urls: tuple[str, ...]) -> str:
    namespace = "http://www.sitemaps.org/schemas/sitemap/0.9"
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{root} xmlns="{namespace}">',
        *(f"  <{entry}><loc>{escape(url)}</loc></{entry}>" for url in urls),
        f"</{root}>",
    ]
    return "\n".join(lines) + "\n"


def sitemap(xml: str, *, gzipped: bool = False) -> Page:
    """A sitemap as a server sends it: XML, or a .xml.gz file (gzip, not a Content-Encoding)."""
    if gzipped:
        return Page(gzip.compress(xml.encode()), content_type="application/gzip")
    return Page(xml, content_type="application/xml")


def line_of(text: str, part: str) -> int:
    """The line (from 1) on which ``part`` first appears in ``text``."""
    return text[: text.index(part)].count("\n") + 1


def endless_page(number: int) -> Page:
    session = uuid.uuid4().hex
    return html(
        f"<!doctype html><title>Day {number}</title>\n"
        f'<a href="/cal/{number + 1}">next</a>\n'
        f'<a href="/cal/{number}?session={session}">this day, again</a>\n'
    )


NOT_FOUND = html("<!doctype html><title>Not found</title><p>Not here.</p>\n", status=404)


@dataclass(frozen=True)
class Request:
    method: str
    host: str  # the host name the client sent it to (the Host header, without the port)
    target: str  # path and query


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and
        # the client's delayed ACK hold every kept-alive answer back by about 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def _handle(self) -> None:
        site = self.server.site
        host = self.headers.get("Host", "").rsplit(":", 1)[0]
        request = Request(self.command, host, self.path)
        site._arrived(request)
        try:
            page = site._page(self.path)
            site._wait_for_hold(self.path)
            if page.silent:
                site._stopped.wait(STALL_LIMIT)
                self.close_connection = True
                return
            self._answer(page)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            site._answered(request)

    def _answer(self, page: Page) -> None:
        body = page.data
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        for name, value in page.headers.items():
            self.send_header(name, value)
        if page.sized:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        if not page.trickle:
            self.wfile.write(body)
            return
        self.close_connection = True
        for index in range(min(len(body), int(STALL_LIMIT * 20))):
            if self.server.site._stopped.wait(0.05):
                return
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, site: Website) -> None:
        super().__init__((HOST, 0), _Handler)
        self.site = site

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up (a timed-out or interrupted fetchpool) is expected here.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class Website:
    """A website of ``pages`` (path, or path and query, to Page) on 127.0.0.1, port 0."""

    def __init__(self, pages: Mapping[str, Page], *, endless: bool = False) -> None:
        self.pages = dict(pages)
        self.endless = endless
        self._condition = threading.Condition()
        self._log: list[Request] = []
        self._counts: Counter[tuple[str, str]] = Counter()
        self._done: list[str] = []
        self._holds: dict[str, str] = {}
        self._stopped = threading.Event()
        self._server = _Server(self)
        # A short poll, so that stop() returns at once.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    # --- addresses -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/", host: str = HOST) -> str:
        """The absolute URL of ``path`` (with its query) on ``host``."""
        return f"http://{host}:{self.port}{path}"

    # --- what was asked ----------------------------------------------------------------------

    @property
    def log(self) -> list[Request]:
        """Every request so far, in the order they arrived."""
        with self._condition:
            return list(self._log)

    @property
    def answered(self) -> list[str]:
        """The targets answered so far (or given up on), in the order their answers went out."""
        with self._condition:
            return list(self._done)

    def count(self, target: str, method: str = "GET", host: str | None = None) -> int:
        """How many ``method`` requests for ``target`` (path and query) arrived, on
        ``host`` or on any."""
        with self._condition:
            if host is None:
                return self._counts[(method, target)]
            return sum(
                1
                for seen in self._log
                if (seen.method, seen.target, seen.host) == (method, target, host)
            )

    def requested(self, target: str) -> int:
        """How many requests of any method arrived for ``target``."""
        with self._condition:
            return self._requested(target)

    def targets(self, method: str = "GET") -> list[str]:
        """The targets of ``method`` requests, in the order they arrived."""
        return [seen.target for seen in self.log if seen.method == method]

    def wait_for(self, target: str, count: int = 1, timeout: float = 20.0) -> bool:
        """Wait until ``count`` requests (of any method) for ``target`` have arrived;
        False if they have not within ``timeout`` seconds."""
        with self._condition:
            return self._condition.wait_for(lambda: self._requested(target) >= count, timeout)

    def hold(self, target: str, until: str) -> None:
        """Keep the answer to ``target`` back until ``until`` has been answered (at most
        HOLD_LIMIT seconds)."""
        with self._condition:
            self._holds[target] = until

    def reset(self) -> None:
        """Forget every request and hold: a fresh log for the next run."""
        with self._condition:
            self._log.clear()
            self._counts.clear()
            self._done.clear()
            self._holds.clear()

    # --- the handler's side ----------------------------------------------------------------

    def _requested(self, target: str) -> int:
        return sum(count for (_, seen), count in self._counts.items() if seen == target)

    def _arrived(self, request: Request) -> None:
        with self._condition:
            self._log.append(request)
            self._counts[(request.method, request.target)] += 1
            self._condition.notify_all()

    def _answered(self, request: Request) -> None:
        with self._condition:
            self._done.append(request.target)
            self._condition.notify_all()

    def _wait_for_hold(self, target: str) -> None:
        with self._condition:
            until = self._holds.get(target)
            if until is not None:
                self._condition.wait_for(
                    lambda: until in self._done or self._stopped.is_set(), HOLD_LIMIT
                )

    def _page(self, target: str) -> Page:
        path = urlsplit(target).path
        page = self.pages.get(target) or self.pages.get(path)
        if page is not None:
            return page
        if self.endless and path.startswith("/cal/") and path[5:].isdigit():
            return endless_page(int(path[5:]))
        return NOT_FOUND

    # --- life --------------------------------------------------------------------------------

    def start(self) -> Website:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        with self._condition:
            self._condition.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Website:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
