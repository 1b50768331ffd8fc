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
    """Line and column (from 1, in characters) of byte offsets into one document, counted
    on from the last offset placed: time linear in the document when asked for in order,
    as the links of a document are."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._last = (0, 1, 1)  # the last offset placed, its line and its column
        self._starts: list[int] | None = None  # where lines start, made if ever needed

    def place(self, offset: int) -> tuple[int, int]:
        last, line, column = self._last
        data = self.data
        if offset < last:  # back: by where lines start
            if self._starts is None:
                self._starts = [0, *(m.end() for m in re.finditer(b"\n", data))]
            index = bisect_right(self._starts, offset) - 1
            last, line, column = self._starts[index], index + 1, 1
        else:
            newlines = data.count(b"\n", last, offset)
            if newlines:
                line += newlines
                last, column = data.rfind(b"\n", last, offset) + 1, 1
        column += len(data[last:offset].decode("utf-8", "replace"))
        self._last = (offset, line, column)
        return line, column


def markdown_links(text: str) -> Iterator[Found | Marker]:
    """Every link and image in ``text`` in document order, each with its line and column,
    and the fetchpool markers written as HTML comments, each with its line."""
    data = text.encode("utf-8", "surrogatepass")
    places = _Places(data)
    run = _TextRun(data, places)
    references = _References(data, text)
    # Open links and images: [is_image, its data (None inside an image's text), where it
    # starts, where its text read so far ends].
    links: list[list[Any]] = []
    images = 0  # open images: a link in an image's text is part of its alt text, no link
    code = 0  # inside a code block: no links
    # One loop over every event, the common ones first: a run of millions of events.
    for event, span in _parser().events_with_range(text):
        if type(event) is str:  # SoftBreak, HardBreak, Rule
            if run.pieces:
                yield from run.found(references)
            continue
        value = event.get("Text")
        if value is not None:
            if links:
                links[-1][3] = span["end"]
            elif not code:
                run.add(value, span["start"], span["end"], references)
            continue
        if run.pieces:
            yield from run.found(references)
        tag = event.get("Start")
        if tag is not None:
            if type(tag) is str:
                if tag == "HtmlBlock":
                    start, end = span["start"], span["end"]
                    yield from _html(data[start:end].decode("utf-8", "replace"), start, places)
                continue
            link = tag.get("Link")
            image = link is None and "Image" in tag
            if image:
                link = tag["Image"]
            if link is None:
                if "CodeBlock" in tag:
                    code += 1
                continue
            start = span["start"]
            in_image = images > 0
            links.append([image, None if in_image else link, start, start + 1])
            images += image
            if in_image:
                continue
            kind = link["link_type"]
            if kind == "Autolink":
                yield Found(link["dest_url"], *places.place(start + 1))
            elif kind == "Email":
                yield Found("mailto:" + link["dest_url"], *places.place(start + 1))
            elif kind == "Shortcut" or kind == "Collapsed":
                references.used(link)
                yield Found(link["dest_url"], *places.place(start))
            continue
        tag = event.get("End")
        if tag is not None:
            if tag == "Link" or tag == "Image":
                if not links:
                    continue
                image, link, start, text_end = links.pop()
                if image:
                    images -= 1
                end = span["end"]
                if links:
                    links[-1][3] = end
                if link is None:
                    continue
                kind = link["link_type"]
                if kind == "Inline":
                    yield Found(link["dest_url"], *places.place(_destination(data, text_end, end)))
                elif kind == "Reference":
                    references.used(link)
                    # Reported where its label is used: [text][label]
                    label = data.rfind(b"[", start, end)
                    yield Found(link["dest_url"], *places.place(max(label, start)))
            elif tag == "CodeBlock":
                code -= 1
            continue
        if links:
            links[-1][3] = span["end"]
        value = event.get("InlineHtml")
        if value is not None:
            yield from _html(value, span["start"], places)
    if run.pieces:
        yield from run.found(references)


def _destination(data: bytes, text_end: int, end: int) -> int:
    """Where an inline link's destination is written: after ``](``, spaces and ``<``."""
    at = data.find(b"](", text_end, end)
    if at < 0:
        return text_end
    at += 2
    while at < end and data[at] in b" \t\r\n<":
        if data[at] == ord("<"):
            return at + 1
        at += 1
    return at


def _html(html: str, start: int, places: _Places) -> Iterator[Found | Marker]:
    """The links and markers in raw HTML written at byte ``start``."""
    line, column = places.place(start)
    for found in html_links(html):
        if isinstance(found, Marker):
            yield Marker(found.what, line + found.line - 1)
        elif found.line == 1:
            yield Found(found.url, line, column + found.column - 1)
        else:
            yield Found(found.url, line + found.line - 1, found.column)


class _References:
    """Reference-style links the parser leaves as text.

    pulldown-cmark expands references only up to a budget the size of the document
    (against documents made to blow up); past it, ``[label]`` stays text. Once the
    links expanded come near that budget, runs of text are read for labels the
    document defines, so that no link is left out silently.
    """

    def __init__(self, data: bytes, text: str) -> None:
        self._text = text
        self._budget = max(len(data), 100_000) // 2
        self._definitions: dict[str, str] | None = None

    def used(self, link: dict[str, str]) -> None:
        self._budget -= len(link["dest_url"]) + len(link["title"]) + 1

    def definitions(self) -> dict[str, str] | None:
        """Each label the document defines (folded) and its URL, once the budget is near
        its end; None before."""
        if self._budget > 0:
            return None
        if self._definitions is None:
            found = _parser().reference_definitions(self._text)
            self._definitions = {_fold(label): value["dest"] for label, value in found.items()}
        return self._definitions


def _fold(label: str) -> str:
    return " ".join(label.split()).casefold()


# [text][label], [label][] and [label], as written in text the parser left alone.
_LABEL = re.compile(r"\[([^\[\]\n]{1,999})\](?:\[([^\[\]\n]{0,999})\])?")


# Pieces of text a run holds before those that cannot hold a URL are let go.
_RUN_PIECES = 4096


class _TextRun:
    """A run of text outside links and code, read for bare URLs as a whole: the parser
    splits text where an escape or an entity is, and a URL may span the pieces."""

    def __init__(self, data: bytes, places: _Places) -> None:
        self._data = data
        self._places = places
        self.pieces: list[tuple[str, int, int]] = []  # (text, start, end)
        self._scheme = False  # whether a piece of the run holds "://"

    def add(self, text: str, start: int, end: int, references: _References) -> None:
        """One more piece of the run. A run of many pieces with no "://" in any (a line of
        ten thousand brackets) is let go but for its last piece: a URL begins within one
        piece, so none can begin in them, and memory stays bounded."""
        self.pieces.append((text, start, end))
        if "://" in text:
            self._scheme = True
        elif (
            len(self.pieces) > _RUN_PIECES and not self._scheme and references.definitions() is None
        ):
            del self.pieces[:-1]

    def found(self, references: _References) -> Iterator[Found]:
        """The bare URLs (and references left as text) in the run read so far; the run
        starts anew."""
        pieces, self.pieces = self.pieces, []
        self._scheme = False
        run = pieces[0][0] if len(pieces) == 1 else "".join(piece[0] for piece in pieces)
        definitions = references.definitions() if "[" in run else None
        if "://" not in run and definitions is None:
            return
        starts = [0]
        for piece in pieces:
            starts.append(starts[-1] + len(piece[0]))
        where = _Offsets(self._data, pieces, starts)
        found = [(match.start(), _trimmed(match[0])) for match in _BARE.finditer(run)]
        if definitions:
            for match in _LABEL.finditer(run):
                label = match[2] or match[1]
                url = definitions.get(_fold(label))
                if url is not None:
                    found.append((match.start(2) - 1 if match[2] else match.start(), url))
            found.sort()
        for at, url in found:
            yield Found(url, *self._places.place(where.byte(at)))


class _Offsets:
    """Byte offsets in the document of character offsets in a run of text, asked for in
    order: a piece written as it reads maps character for character; one that is not
    (an escape, an entity) maps to where it starts."""

    def __init__(self, data: bytes, pieces: list[tuple[str, int, int]], starts: list[int]):
        self._data = data
        self._pieces = pieces
        self._starts = starts
        self._index = -1
        self._verbatim = False
        self._at = (0, 0)  # a character offset in the run, and its byte offset

    def byte(self, at: int) -> int:
        index = bisect_right(self._starts, at) - 1
        if index != self._index or at < self._at[0]:
            text, start, end = self._pieces[index]
            self._index = index
            self._verbatim = end - start == len(text.encode("utf-8", "surrogatepass"))
            self._at = (self._starts[index], start)
        if not self._verbatim:
            return self._at[1]
        char, byte = self._at
        text = self._pieces[index][0]
        piece_start = self._starts[index]
        byte += len(text[char - piece_start : at - piece_start].encode("utf-8", "surrogatepass"))
        self._at = (at, byte)
        return byte


def _trimmed(url: str) -> str:
    """A bare URL without the punctuation that ends the sentence around it, and without
    the ``)`` it has no ``(`` for, in one pass from its end."""
    opened, closed = url.count("("), url.count(")")
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last == ")" and closed > opened:
            end -= 1
            closed -= 1
        else:
            break
    return url[:end]


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
