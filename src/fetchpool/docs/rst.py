"""Links and anchors in reStructuredText, read line by line (no docutils).

Covered: standalone URLs, ``\\`text <url>\\`_`` (and ``__``), hyperlink targets
``.. _name: url`` (reported where defined), and the ``image``, ``figure`` and
``include`` directives. Literal blocks (after ``::``), ``code-block``/``code``
directives and inline literals hold no links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .found import Found, Marker, marker_in

_EMBEDDED = re.compile(r"`[^`]*?<(?P<url>[^<>`\s]+)>`__?")
_TARGET = re.compile(r"^\s*\.\. _[^:]+:\s+(?P<url>\S+)\s*$")
_DIRECTIVE = re.compile(r"^\s*\.\. (?:image|figure|include)::\s+(?P<url>\S+)\s*$")
_CODE_DIRECTIVE = re.compile(r"^\s*\.\. (?:code-block|code|sourcecode|highlight)::")
_BARE = re.compile(r"https?://[^\s<>`\"]+")
_LITERAL = re.compile(r"``.*?``")
# Punctuation that ends a sentence rather than a URL.
_TRAILING = ".,;:!?)]}'\""


def rst_links(text: str) -> Iterator[Found | Marker]:
    """Every link in ``text`` in document order, with its line and column (from 1), and
    the fetchpool markers written as comments (``.. fetchpool-disable``)."""
    literal_indent: int | None = None
    for number, line in enumerate(_lines(text), start=1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                continue  # inside a literal block
            literal_indent = None
        if _CODE_DIRECTIVE.match(line) or (
            stripped.endswith("::") and not stripped.startswith("..")
        ):
            literal_indent = indent
            if _CODE_DIRECTIVE.match(line):
                continue
        directive = _TARGET.match(line) or _DIRECTIVE.match(line)
        if directive:
            yield Found(directive["url"], number, directive.start("url") + 1)
            continue
        if line.lstrip().startswith(".. ") and "::" not in line:
            what = marker_in(line.lstrip()[3:])
            if what is not None:
                yield Marker(what, number)
            continue  # a comment
        yield from _inline(line, number)


def _lines(text: str) -> list[str]:
    """``text``'s lines as git and the other readers count them: split at ``\n`` only (not
    at a form feed or U+2028, as ``str.splitlines`` would), a ``\r`` before it dropped."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _inline(line: str, number: int) -> Iterator[Found]:
    # Inline literals hold no links: blank them out, keeping every column where it is.
    line = _LITERAL.sub(lambda match: " " * len(match[0]), line)
    taken: list[tuple[int, int]] = []
    found: list[Found] = []
    for match in _EMBEDDED.finditer(line):
        found.append(Found(match["url"], number, match.start("url") + 1))
        taken.append(match.span())
    spans = iter(taken)  # in order, as the bare URLs are: one pass over both
    span = next(spans, None)
    for match in _BARE.finditer(line):
        while span is not None and span[1] <= match.start():
            span = next(spans, None)
        if span is not None and span[0] <= match.start():
            continue
        url = match[0].rstrip(_TRAILING)
        if url.endswith("_") and not url.endswith("__"):
            url = url[:-1]  # url_ is a reference to itself
        found.append(Found(url, number, match.start() + 1))
    yield from sorted(found, key=lambda item: item.column)


_TITLE_UNDERLINE = re.compile(r"^([=\-`:'\"~^_*+#<>])\1{2,}\s*$")


def rst_anchors(text: str) -> set[str]:
    """The fragments ``text`` answers to: section ids and named targets, as docutils
    makes them (lower-case, runs of other characters as one ``-``)."""
    anchors: set[str] = set()
    lines = _lines(text)
    for index, line in enumerate(lines):
        if index and _TITLE_UNDERLINE.match(line) and lines[index - 1].strip():
            anchors.add(_rst_id(lines[index - 1]))
        target = re.match(r"^\s*\.\. _([^:]+):", line)
        if target:
            anchors.add(_rst_id(target[1]))
    return anchors


def _rst_id(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")
