"""Pages read from their answers: whether a page has the anchor a ``#fragment`` link
names, and the links of a page to read (``PageLine``), each by a function given.

For an anchor the page is read as HTML, up to PAGE_LIMIT bytes (unpacked with the same
bound): a page that is not HTML, is larger than the limit or cannot be read whole is not
checked (inconclusive), never taken for one without the anchor (broken). A page read
for its links is read up to READ_LIMIT bytes, and what was read is what counts.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from http.client import HTTPException
from typing import TYPE_CHECKING, NamedTuple, Protocol
from urllib.parse import unquote

import urllib3

from .failures import Failure, FailureKind
from .inputs import InputLine

if TYPE_CHECKING:
    import requests

PAGE_LIMIT = 4 * 1024 * 1024
# What of a page read for its links is read; the rest is cut off, and the page says so.
READ_LIMIT = 10 * 1024 * 1024
_CHUNK = 64 * 1024
# Fragments every HTML page answers to (the top of the page), and text fragments,
# which name words rather than anchors.
_ALWAYS = frozenset({"", "top"})
_TEXT_FRAGMENT = ":~:"
# A line, or lines, of a file shown on GitHub: #L20, #L20-L30, #L20C5-L30C2.
_GITHUB_LINES = re.compile(r"L\d+(?:C\d+)?(?:-L\d+(?:C\d+)?)?")
_GITHUB_BLOB = re.compile(r"https://github\.com/[^/?#]+/[^/?#]+/blob/", re.IGNORECASE)


class Page(NamedTuple):
    """What reading a page gave, in plain values (it travels between processes): the URL
    it was read at (after redirects), its links ``(url, line, column, role)`` with each
    URL made absolute, and why it was not read, or not to its end (None: read whole)."""

    url: str
    links: tuple[tuple[str, int, int, int], ...]
    problem: str | None = None


class PageReader(Protocol):
    """Turns a page's body into a Page; given to a Fetcher (and sent to worker processes,
    so it pickles)."""

    def reads(self, media_type: str, url: str) -> bool:
        """Whether a page of ``media_type`` (``text/html``) at ``url`` is read at all."""
        ...

    def read(self, body: bytes, content_type: str, url: str, cut: bool) -> Page:
        """The links of ``body``, served with ``content_type`` at ``url``; ``cut``: the
        body stops at READ_LIMIT."""
        ...


class PageSink(Protocol):
    """Where a read page goes: ``deliver`` is called once for each PageLine, from any
    thread, with the page, or None when it was not read (no answer, not 2xx, stopped)."""

    def deliver(self, number: int, page: Page | None) -> None: ...


class PageLine(InputLine):
    """A link whose page is read for its links as it is checked, by one GET; what was
    read goes to ``sink`` under ``number``."""

    sink: PageSink | None
    number: int

    def __init__(
        self,
        text: str,
        source: str = "-",
        line: int = 0,
        column: int = 0,
        sink: PageSink | None = None,
        number: int = 0,
    ) -> None:
        super().__init__(text, source, line, None, column)
        self.__dict__["sink"] = sink
        self.__dict__["number"] = number

    def deliver(self, page: Page | None) -> None:
        """Hand the page read (None: not read) to the sink."""
        if self.sink is not None:
            self.sink.deliver(self.number, page)


def settle(item: InputLine, page: Page | None = None) -> None:
    """Deliver ``item``'s page when it is a PageLine: every path a line's result takes
    ends here, so no reader waits for a page that will never come."""
    if type(item) is PageLine:
        item.deliver(page)


def wants_check(fragment: str, url: str = "") -> bool:
    """Whether a link's ``fragment`` names an anchor to look for in the page at ``url``:
    not for the top of a page, a text fragment, or a line of a file on GitHub
    (``blob/…#L20``, ``#L20-L30``), whose anchors its scripts make."""
    if fragment in _ALWAYS or fragment.startswith(_TEXT_FRAGMENT):
        return False
    return not (_GITHUB_LINES.fullmatch(fragment) and _GITHUB_BLOB.match(url))


def media_type(response: requests.Response) -> str:
    """The response's Content-Type without its parameters, lower-cased."""
    return media_of(str(response.headers.get("Content-Type", "")))[0]


def media_of(content_type: str) -> tuple[str, str | None]:
    """A Content-Type's media type (lower-cased) and its charset parameter, if any."""
    media, _, parameters = content_type.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip()
    return media.strip().lower(), charset


def fragment_problem(
    response: requests.Response,
    fragment: str,
    anchors_of: Callable[[str], set[str]],
    body: bytes | None = None,
) -> Failure | None:
    """None when ``response``'s page has the anchor ``fragment``; else why not, as a
    MISSING_ANCHOR (it is not there) or NOT_CHECKED (the page could not tell).
    ``body``: the page, when it has been read already (whole)."""
    if media_type(response) not in ("text/html", "application/xhtml+xml"):
        return not_checked("not an HTML page")
    if body is None:
        body, cut = read_bounded(response, PAGE_LIMIT)
        if cut:
            body = None
    if body is None or len(body) > PAGE_LIMIT:
        return not_checked(f"page over {PAGE_LIMIT // 2**20} MiB or cut short")
    text = body.decode(response.encoding or "utf-8", errors="replace")
    anchors = anchors_of(text)
    name = unquote(fragment)
    # GitHub renders a README's heading ids with a prefix its script takes off.
    if name in anchors or f"user-content-{name}" in anchors:
        return None
    return Failure(FailureKind.MISSING_ANCHOR, f"no anchor #{fragment}")


def not_checked(why: str) -> Failure:
    """A fragment the page could not tell about, and ``why``."""
    return Failure(FailureKind.NOT_CHECKED, f"fragment not checked: {why}")


def read_bounded(response: requests.Response, limit: int) -> tuple[bytes | None, bool]:
    """The page's bytes, unpacked when gzip or deflate, up to ``limit`` of them, and
    whether it was cut there (it goes on past ``limit``, packed or unpacked). None when
    the body cannot be read (cut short, cut off at the deadline, an unknown packing)."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    unpack = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        unpack = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # gzip or zlib, by header
    elif encoding not in ("", "identity"):
        return None, False
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = response.raw.read(_CHUNK, decode_content=False)
            if not chunk:
                break
            if unpack is not None:
                chunk = unpack.decompress(chunk, limit + 1 - size)
            size += len(chunk)
            if size > limit or (unpack is not None and unpack.unconsumed_tail):
                parts.append(chunk)
                return b"".join(parts)[:limit], True
            parts.append(chunk)
    except (OSError, ValueError, zlib.error, HTTPException, urllib3.exceptions.HTTPError):
        return None, False
    return b"".join(parts), False
