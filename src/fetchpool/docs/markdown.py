"""Links and anchors in Markdown, read with pulldown-cmark (through pyromark): CommonMark
with GitHub's tables, footnotes, task lists and strikethrough, and bare URLs.

The parser is compiled, streams its events, and gives each event the bytes it was
written in, so every link is placed where it is written in time linear in the document,
at any nesting depth. Code spans and code blocks hold no links; raw HTML is read as HTML.
A fetchpool marker counts only as an HTML comment (``<!-- fetchpool-disable -->``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from .anchors import Slugger
from .found import Found, Marker
from .html import html_anchors, html_links

# Bare URLs as GitHub's autolink extension finds them: a web scheme, then up to white
# space or "<"; trailing punctuation, and a ")" with no "(" to match it, are no part of it.
_BARE = re.compile(r"(?<![\w/])https?://[^\s<>]+", re.IGNORECASE)
_TRAILING = "?!.,:;*_~'\""


@lru_cache(maxsize=1)
def _parser() -> Any:
    import pyromark

    options = pyromark.Options
    return pyromark.Markdown(
        options=options.ENABLE_TABLES
        | options.ENABLE_FOOTNOTES
        | options.ENABLE_STRIKETHROUGH
        | options.ENABLE_TASKLISTS
        | options.ENABLE_GFM
    )


class _Places:
    """Line and column (from 1, in characters) of byte offsets into one document, found
    in time linear in the document when asked for in order."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._starts = [0]
        at = data.find(b"\n")
        while at >= 0:
            self._starts.append(at + 1)
            at = data.find(b"\n", at + 1)
        # The last offset placed, its line's index and its column: the next is counted on.
        self._last = (0, 0, 1)

    def line_of(self, offset: int) -> int:
        return bisect_right(self._starts, offset)

    def place(self, offset: int) -> tuple[int, int]:
        last, index, column = self._last
        if not (index < len(self._starts) and self._starts[index] <= last <= offset) or (
            index + 1 < len(self._starts) and offset >= self._starts[index + 1]
        ):
            index = bisect_right(self._starts, offset) - 1
            last, column = self._starts[index], 1
        column += len(self.data[last:offset].decode("utf-8", "replace"))
        self._last = (offset, index, column)
        return index + 1, column


def markdown_links(text: str) -> Iterator[Found | Marker]:
    """Every link and image in ``text`` in document order, each with its line and column,
    and the fetchpool markers written as HTML comments, each with its line."""
    data = text.encode("utf-8", "surrogatepass")
    places = _Places(data)
    reader = _LinkReader(data, places)
    for event, span in _parser().events_with_range(text):
        yield from reader.feed(event, span["start"], span["end"])
    yield from reader.flush_text()


class _LinkReader:
    """Turns the parser's events into links, in the order they are written."""

    def __init__(self, data: bytes, places: _Places) -> None:
        self._data = data
        self._places = places
        # Open links and images: (is_image, data, start, where its text so far ends).
        self._open: list[list[Any]] = []
        self._code = 0  # inside a code block
        self._html_block: int | None = None  # where the raw HTML block being read starts
        self._html_end = 0
        # A run of text outside links and code, for bare URLs: (text, start, end) pieces.
        self._text: list[tuple[str, int, int]] = []

    def feed(self, event: Any, start: int, end: int) -> Iterator[Found | Marker]:
        if isinstance(event, str):  # SoftBreak, HardBreak, Rule
            yield from self.flush_text()
            return
        name, value = next(iter(event.items()))
        if name == "Text":
            if self._open:
                self._open[-1][3] = end
            elif not self._code:
                self._text.append((value, start, end))
            return
        yield from self.flush_text()
        if self._open and name in ("Code", "InlineHtml", "InlineMath", "DisplayMath"):
            self._open[-1][3] = end
        if name == "Start":
            yield from self._start(value, start)
        elif name == "End":
            yield from self._end(value, end)
        elif name == "InlineHtml":
            yield from self._html(value, start)
        elif name == "Html" and self._html_block is not None:
            self._html_end = end

    def _start(self, tag: Any, start: int) -> Iterator[Found]:
        if not isinstance(tag, dict):
            if tag == "HtmlBlock":
                self._html_block = start
                self._html_end = start
            return
        kind, value = next(iter(tag.items()))
        if kind == "CodeBlock":
            self._code += 1
        elif kind in ("Link", "Image"):
            in_image = any(entry[0] for entry in self._open)
            # A link written in an image's text is the image's alt text, not a link.
            self._open.append([kind == "Image", None if in_image else value, start, start + 1])
            if in_image:
                return
            link_type = value["link_type"]
            if link_type == "Autolink":
                yield self._found(value["dest_url"], start + 1)
            elif link_type == "Email":
                yield self._found("mailto:" + value["dest_url"], start + 1)
            elif link_type in ("Shortcut", "Collapsed"):
                yield self._found(value["dest_url"], start)

    def _end(self, tag: Any, end: int) -> Iterator[Found | Marker]:
        if tag == "HtmlBlock" and self._html_block is not None:
            block, self._html_block = self._html_block, None
            yield from self._html(self._data[block : self._html_end].decode("utf-8"), block)
        elif isinstance(tag, dict) and "CodeBlock" in tag:
            self._code -= 1
        elif tag in ("Link", "Image") and self._open:
            _, value, start, text_end = self._open.pop()
            if self._open:
                self._open[-1][3] = end
            if value is None:
                return
            link_type = value["link_type"]
            if link_type == "Inline":
                yield self._found(value["dest_url"], self._destination(text_end, end))
            elif link_type == "Reference":
                # Reported where its label is used: [text][label]
                label = self._data.rfind(b"[", start, end)
                yield self._found(value["dest_url"], label if label > start else start)

    def _destination(self, text_end: int, end: int) -> int:
        """Where an inline link's destination is written: after ``](``, spaces and ``<``."""
        data = self._data
        at = data.find(b"](", text_end, end)
        if at < 0:
            return text_end
        at += 2
        while at < end and data[at] in b" \t\r\n<":
            if data[at] == ord("<"):
                return at + 1
            at += 1
        return at

    def _html(self, html: str, start: int) -> Iterator[Found | Marker]:
        line, column = self._places.place(start)
        for found in html_links(html):
            if isinstance(found, Marker):
                yield Marker(found.what, line + found.line - 1)
            elif found.line == 1:
                yield Found(found.url, line, column + found.column - 1)
            else:
                yield Found(found.url, line + found.line - 1, found.column)

    def flush_text(self) -> Iterator[Found]:
        """The bare URLs in the run of text read so far."""
        pieces, self._text = self._text, []
        if not pieces:
            return
        run = "".join(piece[0] for piece in pieces)
        if "://" not in run:
            return
        offsets = []
        at = 0
        for piece in pieces:
            offsets.append(at)
            at += len(piece[0])
        for match in _BARE.finditer(run):
            url = _trimmed(match[0])
            index = bisect_right(offsets, match.start()) - 1
            piece_text, piece_start, piece_end = pieces[index]
            written = self._data[piece_start:piece_end]
            if written == piece_text.encode("utf-8", "surrogatepass"):
                inside = run[offsets[index] : match.start()]
                offset = piece_start + len(inside.encode("utf-8", "surrogatepass"))
            else:  # an entity or an escape: the piece is not written as it reads
                offset = piece_start
            yield self._found(url, offset)

    def _found(self, url: str, offset: int) -> Found:
        line, column = self._places.place(offset)
        return Found(url, line, column)


def _trimmed(url: str) -> str:
    """A bare URL without the punctuation that ends the sentence around it."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last == ")" and url.count(")") > url.count("(")):
            url = url[:-1]
        else:
            break
    return url


def markdown_anchors(text: str) -> set[str]:
    """The fragments ``text`` answers to: its headings' anchors and any HTML ids."""
    slugger = Slugger()
    anchors: set[str] = set()
    heading: list[str] | None = None
    for event in _parser().events(text):
        if isinstance(event, str):
            continue
        name, value = next(iter(event.items()))
        if name == "Start" and isinstance(value, dict) and "Heading" in value:
            heading = []
        elif name == "End" and isinstance(value, dict) and "Heading" in value:
            if heading is not None:
                anchors.add(slugger.slug("".join(heading)))
            heading = None
        elif name in ("Text", "Code") and heading is not None:
            heading.append(value)
        elif name in ("Html", "InlineHtml") and "=" in value:
            anchors |= html_anchors(value)
    return anchors
