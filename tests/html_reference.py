"""The HTML reader fetchpool had before libxml2: links and anchors read with the standard
library's ``html.parser``, kept to compare the two."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin

from fetchpool.docs.found import Found, Marker, marker_in

# Attributes that hold a URL, on any element.
_URL_ATTRIBUTES = ("href", "src")
# An attribute's name where it is written (not the end of "data-src").
_NAMED = {
    name: re.compile(rf"(?<![\w-]){name}\s*=", re.IGNORECASE)
    for name in (*_URL_ATTRIBUTES, "srcset")
}


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Found | Marker] = []
        self.anchors: set[str] = set()
        self.base: str | None = None
        self.base_place = (0, 0)
        # The tag whose URLs are being placed, and where its last URL ended.
        self._tag_start = (0, 0)
        # An offset in the tag being placed, and its line and column; the attribute whose
        # name was found last in it.
        self._cursor = (0, 0, 0)
        self._named = ""

    def handle_comment(self, data: str) -> None:
        what = marker_in(data)
        if what is not None:
            self.found.append(Marker(what, self.getpos()[0]))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, column = self.getpos()
        raw = self.get_starttag_text() or ""
        seen: set[str] = set()
        for name, value in attrs:
            if value is None or name in seen:
                continue  # an attribute given twice: the first counts, as in a browser
            seen.add(name)
            if name in ("id",) or (name == "name" and tag == "a"):
                self.anchors.add(value)
            elif tag == "base" and name == "href":
                if self.base is None:
                    self.base = value.strip()
                    self.base_place = self._place(value.strip(), name, raw, line, column)
            elif name in _URL_ATTRIBUTES:
                self._add(value.strip(), name, raw, line, column)
            elif name == "srcset":
                for candidate in value.split(","):
                    url = candidate.strip().split(None, 1)[0] if candidate.strip() else ""
                    if url:
                        self._add(url, name, raw, line, column)

    def _add(self, url: str, attribute: str, raw: str, line: int, column: int) -> None:
        if url:
            self.found.append(Found(url, *self._place(url, attribute, raw, line, column)))

    def _place(self, url: str, attribute: str, raw: str, line: int, column: int) -> tuple[int, int]:
        """The line and column of ``url``, a value of ``attribute`` in the tag ``raw``
        (which starts at ``line``, ``column``): after its attribute's name, and after
        the URLs of the tag placed before it. Counted on from the last one placed, so
        that a tag with many attributes costs time linear in its length."""
        if self._tag_start != (line, column):
            self._tag_start = (line, column)
            self._cursor = (0, line, column)
            self._named = ""
        start = self._cursor[0]
        if self._named != attribute:  # its name, once: a srcset's later URLs follow on
            self._named = attribute
            named = _NAMED[attribute].search(raw, start)
            if named is not None:
                start = named.end()
        at = raw.find(url, start)
        if at < 0:
            at = start
        place = self._moved(raw, self._cursor, at)
        self._cursor = self._moved(raw, place, at + len(url))
        return place[1], place[2] + 1

    @staticmethod
    def _moved(raw: str, cursor: tuple[int, int, int], to: int) -> tuple[int, int, int]:
        """``cursor`` (an offset in ``raw``, its line and column) moved on to offset ``to``."""
        offset, line, column = cursor
        newlines = raw.count("\n", offset, to)
        if newlines:
            return to, line + newlines, to - raw.rfind("\n", offset, to) - 1
        return to, line, column + to - offset


def _ended(text: str) -> str:
    """``text`` with what is left open at its end cut off, and marked sections written as
    the bogus comments browsers read them as (``<![`` as ``<!x``: same length, same places).

    Python's parser before 3.11.13, 3.12.11 and 3.13.4 takes time quadratic in the
    number of constructs a document leaves open (CVE-2025-6069): ``<a `` a hundred
    thousand times takes minutes. What a browser makes of those ends holds no link: a
    tag left open at the end is dropped, and a comment left open runs to the end.
    """
    text = text[: text.rfind(">") + 1]
    closed = text.rfind("-->")
    opened = text.find("<!--", closed + 3 if closed >= 0 else 0)
    if opened >= 0:
        text = text[:opened]
    return text.replace("<![", "<!x")


def html_links(text: str) -> Iterator[Found | Marker]:
    """The URLs in ``text``'s ``href``, ``src`` and ``srcset`` attributes, in document
    order, each with its line and column (from 1), and its fetchpool marker comments.

    Relative URLs are resolved against a ``<base href>`` when the document has one. A
    base that is no URL is ignored, as a browser ignores it, and is itself reported as
    a link, so that its fault is seen.
    """
    parser = _LinkParser()
    parser.feed(_ended(text))
    parser.close()
    base = parser.base
    if base is not None:
        try:
            urljoin(base, "x")
        except ValueError:
            yield Found(base, *parser.base_place)
            base = None
    for found in parser.found:
        if base is not None and isinstance(found, Found):
            try:
                url = urljoin(base, found.url)
            except ValueError:  # the link itself is no URL: reported as written
                url = found.url
            yield Found(url, found.line, found.column)
        else:
            yield found


def html_anchors(text: str) -> set[str]:
    """The fragments ``text`` answers to: every ``id``, and ``name`` on ``<a>``."""
    parser = _LinkParser()
    parser.feed(_ended(text))
    parser.close()
    return parser.anchors
