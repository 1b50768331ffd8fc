"""Sitemaps (sitemaps.org): the URLs a ``urlset`` lists, or the sitemaps a ``sitemapindex``
names, each with its line and column. Bytes in, entries out: fetching is the caller's.

Read safely, whatever the bytes: through defusedxml's parser, which refuses a DTD, entities
and external references (no XML bomb expands); gzip inflated a chunk at a time and cut at
MAX_INFLATED; entries cut at MAX_ENTRIES, the protocol's own limit; nesting never held.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from xml.sax import SAXException, SAXParseException, handler
from xml.sax.expatreader import ExpatLocator
from xml.sax.xmlreader import Locator

from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser

from .options import sitemap_like as sitemap_like  # named here too, as before

# The protocol's limits for one sitemap: 50,000 URLs, 50 MB uncompressed.
MAX_ENTRIES: Final = 50_000
MAX_INFLATED: Final = 50 * 2**20

# How a problem begins when the bytes are no sitemap at all (a feed, a page): XML of
# another kind, which a crawl reads nothing from and says nothing of.
NOT_A_SITEMAP: Final = "not a sitemap"

_CHUNK: Final = 64 * 1024
_GZIP_MAGIC: Final = b"\x1f\x8b"
_KINDS: Final = ("urlset", "sitemapindex")
# The element that holds one entry's <loc>, for each kind.
_ENTRY: Final = {"urlset": "url", "sitemapindex": "sitemap"}


@dataclass(frozen=True)
class Sitemap:
    """A sitemap as read. ``kind`` is ``urlset``, ``sitemapindex``, or ``""`` for bytes that
    are no sitemap; ``entries`` are ``(loc, line, column)`` in document order (1-based,
    ``loc`` as written, whitespace around it dropped); ``problem`` says why reading stopped
    early or found nothing, None when the whole sitemap was read."""

    kind: str
    entries: tuple[tuple[str, int, int], ...]
    problem: str | None = None


def read_sitemap(data: bytes) -> Sitemap:
    """The sitemap in ``data`` (gzipped or not). Never raises: what cannot be read is said
    in ``problem``, with the entries read before it."""
    reader = _Reader()
    parser = create_parser()
    parser.forbid_dtd = True
    parser.setContentHandler(reader)
    # The locator is handed over by parse(), not by feed(): hand it over here.
    reader.setDocumentLocator(ExpatLocator(parser))
    parser.setFeature(handler.feature_namespaces, False)
    problem: str | None = None
    try:
        for chunk in _chunks(data):
            parser.feed(chunk)
        parser.close()
    except _Full:
        problem = (
            f"sitemap lists over {MAX_ENTRIES:,} URLs (the protocol's limit): the rest not read"
        )
    except _TooBig:
        problem = f"sitemap over {MAX_INFLATED // 2**20} MiB uncompressed: the rest not read"
    except _NotGzip as exc:
        problem = f"gzipped sitemap cannot be inflated: {exc}"
    except _NotSitemap as exc:
        return Sitemap("", (), f"{NOT_A_SITEMAP}: its root element is <{exc}>")
    except DefusedXmlException:
        problem = "sitemap declares a DTD or entities, which are not read"
    except SAXException as exc:
        problem = f"malformed sitemap XML: {_message(exc)}"
    if not reader.kind:
        return Sitemap("", (), problem or f"{NOT_A_SITEMAP}: no XML in it")
    return Sitemap(reader.kind, tuple(reader.entries), problem)


class _Full(Exception):
    """MAX_ENTRIES entries were read."""


class _TooBig(Exception):
    """The inflated sitemap passed MAX_INFLATED."""


class _NotGzip(Exception):
    """Gzip magic, then bytes that do not inflate."""


class _NotSitemap(Exception):
    """The root element is neither urlset nor sitemapindex (its name is the message)."""


def _chunks(data: bytes) -> Iterator[bytes]:
    """``data`` in chunks for the parser, inflated a chunk at a time when it is gzipped."""
    if not data.startswith(_GZIP_MAGIC):
        for start in range(0, len(data), _CHUNK):
            yield data[start : start + _CHUNK]
        return
    inflate = zlib.decompressobj(wbits=31)
    total = 0
    pending = data
    try:
        while pending and not inflate.eof:
            chunk = inflate.decompress(pending, _CHUNK)
            pending = inflate.unconsumed_tail
            total += len(chunk)
            if total > MAX_INFLATED:
                raise _TooBig
            yield chunk
        while not inflate.eof:  # what the input held back; flush gives it at once
            chunk = inflate.decompress(b"", _CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_INFLATED:
                raise _TooBig
            yield chunk
    except zlib.error as exc:
        raise _NotGzip(str(exc)) from None


def _message(exc: SAXException) -> str:
    """A parse error as one line: what went wrong, and where when the parser says."""
    text = exc.getMessage()
    if isinstance(exc, SAXParseException):
        line, column = exc.getLineNumber() or 0, (exc.getColumnNumber() or 0) + 1
        return f"{text} (line {line}, column {column})"
    return text


class _Reader(handler.ContentHandler):
    """Collects the <loc> of each entry, keeping only the element names it needs: the root,
    the entry element and its <loc> (three levels); deeper nesting is counted, not held."""

    def __init__(self) -> None:
        super().__init__()
        self.kind = ""
        self.entries: list[tuple[str, int, int]] = []
        self._prefix = ""
        self._depth = 0
        self._in_entry = False
        self._in_loc = False
        self._text: list[str] = []
        self._place = (0, 0)
        self._placed = False
        self._where: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:
        self._where = locator

    def startElement(self, name: str, attrs: object) -> None:
        self._depth += 1
        prefix, _, local = name.rpartition(":")
        if self._depth == 1:
            if local not in _KINDS:
                raise _NotSitemap(name)
            self.kind, self._prefix = local, prefix
        elif self._depth == 2:
            self._in_entry = prefix == self._prefix and local == _ENTRY[self.kind]
        elif self._depth == 3 and self._in_entry and prefix == self._prefix and local == "loc":
            self._in_loc = True
            self._text = []
            self._place, self._placed = self._here(), False

    def characters(self, content: str) -> None:
        if not self._in_loc:
            return
        if not self._placed and content.strip():
            # Where the URL itself begins: past the whitespace that leads it in this chunk.
            line, column = self._here()
            lead = content[: len(content) - len(content.lstrip())]
            if "\n" in lead:
                line, column = line + lead.count("\n"), len(lead) - lead.rfind("\n")
            else:
                column += len(lead)
            self._place, self._placed = (line, column), True
        self._text.append(content)

    def endElement(self, name: str) -> None:
        if self._in_loc and self._depth == 3:
            self._in_loc = False
            loc = "".join(self._text).strip()
            self._text = []
            if loc:
                if len(self.entries) >= MAX_ENTRIES:
                    raise _Full
                self.entries.append((loc, *self._place))
        elif self._depth == 2:
            self._in_entry = False
        self._depth -= 1

    def _here(self) -> tuple[int, int]:
        if self._where is None:
            return (0, 0)
        return (self._where.getLineNumber() or 0, (self._where.getColumnNumber() or 0) + 1)
