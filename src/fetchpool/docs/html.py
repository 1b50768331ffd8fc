"""Links and anchors in HTML, read with libxml2 (through lxml).

libxml2's tokenizer is HTML5's: it decides what is a tag, an attribute and its value
(entities decoded, the first of an attribute given twice), what is a comment, and that
the text of ``<script>``, ``<style>``, ``<textarea>``, ``<title>`` and the like holds no
tags. It gives each element the line its start tag ends on; each link is then placed
where it is written by a scan forward over the text from that line, in time linear in
the document.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from .found import Found, Marker, marker_in

# Attributes that hold a URL, on any element.
_URL_ATTRIBUTES = ("href", "src")
# An attribute's name where it is written (not the end of "data-src").
_NAMED = {
    name: re.compile(rf"(?<![\w-]){name}\s*=", re.IGNORECASE)
    for name in (*_URL_ATTRIBUTES, "srcset")
}
# Elements whose text holds no tags: the scan skips it, so a tag written in it is never
# taken for a later one.
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"}
)
# A start tag as HTML5 reads it: attribute values quoted or not, "/" anywhere between
# them. Possessive throughout, so that a tag never closed costs time linear in its length.
_TAG = re.compile(
    r"<[a-zA-Z][^\t\n\f\r />]*+"
    r"(?>[\t\n\f\r /]++|[^\t\n\f\r />][^\t\n\f\r />=]*+"
    r"""(?>[\t\n\f\r ]*+=[\t\n\f\r ]*+(?>"[^"]*+"|'[^']*+'|[^\t\n\f\r >]*+))?)*+>"""
)
# A start tag without attributes.
_BARE = re.compile(r"<[^\t\n\f\r />]+[\t\n\f\r /]*>")
# Where a comment starts: "<!--", or a bogus comment ("<!x", "<?x", "</ x"); not a doctype.
_COMMENT = re.compile(r"<!--|<!(?![dD][oO][cC][tT][yY][pP][eE])|<(?=\?)|</(?![a-zA-Z>])")
# libxml2 keeps a line number in 16 bits: from here on it says nothing.
_LINE_LIMIT = 65535
# libxml2 stops reading a document where elements nest this deep (or it is otherwise
# past its limits).
_DEPTH_LIMIT = 2048
# How much of the text the scan may read, in multiples of its length: a document made to
# send it back and forth gets its links placed by line alone once this is spent.
_SCAN_BUDGET = 8


class DocumentTooDeep(ValueError):
    """A document whose elements nest deeper than libxml2 reads."""


@lru_cache(maxsize=256)
def _start_of(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<{re.escape(tag)}(?=[\t\n\f\r />])", re.IGNORECASE | re.ASCII)


@lru_cache(maxsize=256)
def _end_of(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{re.escape(tag)}(?=[\t\n\f\r />])", re.IGNORECASE | re.ASCII)


_local = threading.local()


@lru_cache(maxsize=1)
def _etree() -> Any:
    from lxml import etree  # on first use: a run over URL lists loads no parser

    return etree


def _nodes(text: str) -> Iterator[Any]:
    """libxml2's elements and comments of ``text``, in document order; raises
    DocumentTooDeep, after the nodes before it, where it stops reading."""
    etree = _etree()
    parser = getattr(_local, "parser", None)
    if parser is None:  # one a thread: a parser is not to be shared between threads
        parser = _local.parser = etree.HTMLParser(
            huge_tree=True, collect_ids=False, encoding="utf-8"
        )
    data = text.encode("utf-8", "replace")
    root = etree.fromstring(data, parser)
    if root is None and "fetchpool-" in text:
        # Comments alone make no document to libxml2: an element after them makes one
        # (a comment left open at the end takes it in, as it takes in any text).
        root = etree.fromstring(data + b"<p>", parser)
    if root is None:
        return
    yield from reversed(list(root.itersiblings(preceding=True)))
    yield from root.iter()
    yield from root.itersiblings()
    if text.count("<") < _DEPTH_LIMIT:
        return  # too few tags to nest that deep
    for error in parser.error_log:
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise DocumentTooDeep(f"elements nested {_DEPTH_LIMIT} deep: the rest is not read")


class _Scan:
    """Where elements and comments are written in ``text``, found in document order from
    the line libxml2 gives each (the line its start tag or comment ends on)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0  # everything before it is placed
        self._newlines = [match.start() for match in re.finditer("\n", text)]
        self._budget = _SCAN_BUDGET * len(text) + 65536

    def line_of(self, offset: int) -> int:
        return bisect_left(self._newlines, offset) + 1

    def place_of(self, offset: int) -> tuple[int, int]:
        """``offset``'s line (from 1) and column (from 0, in characters)."""
        line = bisect_left(self._newlines, offset) + 1
        return line, offset - self._newlines[line - 2] - 1 if line > 1 else offset

    def _window(self, line: int) -> int:
        """Where the text of ``line`` ends (the whole text when the line is not known)."""
        newlines = self._newlines
        if line >= _LINE_LIMIT or line > len(newlines):
            return len(self.text)
        return newlines[line - 1]

    def _spend(self, start: int, end: int) -> bool:
        self._budget -= end - start
        return self._budget > 0

    def tag(self, name: str, line: int, bare: bool) -> tuple[int, int] | None:
        """Where the start tag of the element ``name`` ending on ``line`` is written, with
        attributes or ``bare`` of them: its start and end; None when it is not found."""
        text, window = self.text, self._window(line)
        start_of = _start_of(name)
        at = self.cursor
        while self._budget > 0:
            found = start_of.search(text, at, window)
            if not self._spend(at, found.start() if found else window) or found is None:
                return None
            tag = _TAG.match(text, found.start(), window + 1)
            if not self._spend(found.start(), tag.end() if tag else window):
                return None
            if tag is None:
                at = found.end()  # "<a" in text libxml2 read as no tag
                continue
            if (line < _LINE_LIMIT and self.line_of(tag.end() - 1) < line) or bare != bool(
                _BARE.fullmatch(tag[0])
            ):
                at = tag.end()  # another, or one in text libxml2 read as no tag
                continue
            self.cursor = tag.end()
            if name in _RAW_TEXT:
                end = _end_of(name).search(text, self.cursor)
                if self._spend(self.cursor, end.start() if end else len(text)) and end:
                    self.cursor = end.start()
            return found.start(), tag.end()
        return None

    def comment(self, content: str, line: int) -> int:
        """The line a comment holding ``content`` and ending on ``line`` starts on."""
        text, window = self.text, self._window(line)
        at = self.cursor
        while self._budget > 0:
            found = _COMMENT.search(text, at, window)
            if not self._spend(at, found.start() if found else window) or found is None:
                break
            end = found.end() + len(content)
            if not self._spend(found.end(), end) or not text.startswith(content, found.end()):
                at = found.end()  # in text libxml2 read as no comment, or not as written
                continue
            self.cursor = end
            return self.line_of(found.start())
        if line < _LINE_LIMIT:
            return max(line - content.count("\n"), 1)
        return self.line_of(self.cursor)


class _Places:
    """The line and column of each URL in one start tag ``raw``, written at ``line`` and
    ``column`` (from 0): after its attribute's name, and after the URLs of the tag placed
    before it, so that a tag with many attributes costs time linear in its length."""

    def __init__(self, raw: str, line: int, column: int) -> None:
        self._raw = raw
        self._cursor = (0, line, column)
        self._named = ""

    def place(self, url: str, attribute: str) -> tuple[int, int]:
        raw = self._raw
        start = self._cursor[0]
        if self._named != attribute:  # its name, once: a srcset's later URLs follow on
            self._named = attribute
            named = _NAMED[attribute].search(raw, start)
            if named is not None:
                start = named.end()
        at = raw.find(url, start)
        if at < 0:
            at = start
        place = self._moved(self._cursor, at)
        self._cursor = self._moved(place, at + len(url))
        return place[1], place[2] + 1

    def _moved(self, cursor: tuple[int, int, int], to: int) -> tuple[int, int, int]:
        """``cursor`` (an offset in the tag, its line and column) moved on to offset ``to``."""
        offset, line, column = cursor
        raw = self._raw
        newlines = raw.count("\n", offset, to)
        if newlines:
            return to, line + newlines, to - raw.rfind("\n", offset, to) - 1
        return to, line, column + to - offset


class _Unplaced:
    """The places of the URLs of a tag the scan did not find: the line libxml2 gives."""

    def __init__(self, line: int) -> None:
        self._line = line

    def place(self, url: str, attribute: str) -> tuple[int, int]:
        return self._line, 1


def _urls(attributes: Any) -> Iterator[tuple[str, str]]:
    """The URLs of an element's attributes (a ``href`` or ``src`` perhaps empty), in the
    order they are written, each with the name of its attribute."""
    for name, value in attributes.items():
        if name in _URL_ATTRIBUTES:
            yield value.strip(), name
        elif name == "srcset":
            for candidate in value.split(","):
                url = candidate.strip().split(None, 1)[0] if candidate.strip() else ""
                if url:
                    yield url, name


@dataclass
class _Read:
    """What reading a document found: its links and markers in document order, its
    ``<base href>`` and where that is written, and whether it nests too deep to read on."""

    found: list[Found | Marker] = field(default_factory=list)
    base: str | None = None
    base_place: tuple[int, int] = (0, 0)
    too_deep: DocumentTooDeep | None = None
    # The links (by their place in ``found``) of elements marked rel="nofollow", and
    # whether the page asks for none of its links to be followed (<meta name=robots>).
    nofollow: set[int] = field(default_factory=set)
    nofollow_all: bool = False


def _read(text: str) -> _Read:
    scan = _Scan(text)
    read = _Read()
    try:
        for node in _nodes(text):
            line = node.sourceline or 1
            tag = node.tag
            if type(tag) is not str:  # a comment (HTML has no other nodes but elements)
                content = node.text or ""
                what = marker_in(content)
                place = scan.comment(content, line)
                if what is not None:
                    read.found.append(Marker(what, place))
                continue
            attributes = node.attrib
            if not attributes and tag not in _RAW_TEXT:
                continue  # implied by the parser, or nothing to place
            if tag == "meta" and _says_nofollow(attributes):
                read.nofollow_all = True
            written = scan.tag(tag, line, bare=not attributes)
            urls = list(_urls(attributes))
            if not urls:
                continue
            places: _Places | _Unplaced = _Unplaced(min(line, _LINE_LIMIT))
            if written is not None:
                start, end = written
                places = _Places(text[start:end], *scan.place_of(start))
            nofollow = "nofollow" in attributes.get("rel", "").lower().split()
            for url, attribute in urls:
                if tag == "base" and attribute == "href":
                    if read.base is None:
                        read.base = url
                        read.base_place = places.place(url, attribute)
                elif url:
                    if nofollow:
                        read.nofollow.add(len(read.found))
                    read.found.append(Found(url, *places.place(url, attribute)))
    except DocumentTooDeep as exc:
        read.too_deep = exc
    return read


def _says_nofollow(attributes: Any) -> bool:
    """Whether a <meta> is ``name=robots`` with ``nofollow`` (or ``none``) in its content."""
    if attributes.get("name", "").strip().lower() != "robots":
        return False
    words = attributes.get("content", "").lower().replace(",", " ").split()
    return "nofollow" in words or "none" in words


def html_links(text: str) -> Iterator[Found | Marker]:
    """The URLs in ``text``'s ``href``, ``src`` and ``srcset`` attributes, in document
    order, each with its line and column (from 1, in characters), and its fetchpool
    marker comments.

    Relative URLs are resolved against a ``<base href>`` when the document has one. A
    base that is no URL is ignored, as a browser ignores it, and is itself reported as
    a link, so that its fault is seen.

    Raises DocumentTooDeep, after the links before it, where elements nest deeper than
    libxml2 reads.
    """
    for found, _ in html_links_followed(text):
        yield found


def html_links_followed(text: str) -> Iterator[tuple[Found | Marker, bool]]:
    """``html_links``, each with whether it may be followed: False for a link marked
    ``rel="nofollow"``, and for every link of a page whose ``<meta name="robots">`` says
    ``nofollow``. Raises as html_links does."""
    if "=" not in text and "fetchpool-" not in text:
        return  # no attribute with a value, no marker: nothing to parse for
    read = _read(text)
    base = read.base
    if base is not None:
        try:
            urljoin(base, "x")
        except ValueError:
            yield Found(base, *read.base_place), not read.nofollow_all
            base = None
    nofollow = read.nofollow
    for number, found in enumerate(read.found):
        follow = not read.nofollow_all and number not in nofollow
        if base is not None and isinstance(found, Found):
            try:
                url = urljoin(base, found.url)
            except ValueError:  # the link itself is no URL: reported as written
                url = found.url
            yield Found(url, found.line, found.column), follow
        else:
            yield found, follow
    if read.too_deep is not None:
        raise read.too_deep


def html_anchors(text: str) -> set[str]:
    """The fragments ``text`` answers to: every ``id``, and ``name`` on ``<a>``.

    Past where elements nest deeper than libxml2 reads, every ``id=`` or ``name=`` written
    counts, wherever it stands: a page read in part must never make a link broken."""
    anchors: set[str] = set()
    if "=" not in text:
        return anchors
    try:
        for node in _nodes(text):
            attributes = node.attrib if type(node.tag) is str else None
            if attributes:
                if "id" in attributes:
                    anchors.add(attributes["id"])
                if node.tag == "a" and "name" in attributes:
                    anchors.add(attributes["name"])
    except DocumentTooDeep:
        anchors.update(match[1] or match[2] or match[3] for match in _ANY_ANCHOR.finditer(text))
    return anchors


# An id or name attribute anywhere, quoted either way or not at all.
_ANY_ANCHOR = re.compile(
    r"""(?:\bid|\bname)[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]+))""",
    re.IGNORECASE,
)
