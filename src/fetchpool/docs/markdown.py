"""Links and anchors in Markdown, read with markdown-it-py (CommonMark, tables, bare URLs).

markdown-it gives the lines of each block but not where inside it a link is: each link is
found again in its block's source text, as written (inline, autolink, bare URL), or by the
label it is used with (reference style, reported where used). Code blocks and inline code
hold no links; raw HTML is read as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from .anchors import Slugger
from .found import Found
from .html import html_anchors, html_links


@lru_cache(maxsize=1)
def _parser() -> Any:
    """A CommonMark parser for finding links: bare URLs found too, and every rule that
    cannot change where a link is or whether it is one left out (emphasis, headings,
    rules, entities; a heading's or a table's links are found as a paragraph's). Twice
    as fast as the full parser; link destinations are kept as written."""
    from markdown_it import MarkdownIt

    class LinkFinder(MarkdownIt):
        # Destinations as written (no percent-encoding or punycode), any scheme: fetchpool
        # decides what a link is, and finds where it is written by its text.
        def normalizeLink(self, url: str) -> str:
            return url

        def normalizeLinkText(self, link: str) -> str:
            return link

        def validateLink(self, url: str) -> bool:
            return True

    md = LinkFinder("commonmark", {"linkify": True}).enable(["linkify"])
    unneeded = ["emphasis", "entity", "hr", "lheading", "heading", "newline", "balance_pairs"]
    md.disable([*unneeded, "fragments_join", "text_join"])
    # Only URLs with a scheme are links: "README.md" or "setup.py" are file names, not hosts.
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})  # type: ignore[union-attr]
    return md


@lru_cache(maxsize=1)
def _heading_parser() -> Any:
    """A full CommonMark parser, for the headings that anchors are made from."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def markdown_links(text: str) -> Iterator[Found]:
    """Every link and image in ``text`` in document order, with its line and column."""
    env: dict[str, Any] = {}
    tokens = _parser().parse(text, env)
    lines = text.splitlines(keepends=True)
    definitions = _definitions(env.get("references", {}), lines)
    for token in tokens:
        if not token.map:
            continue
        start, end = token.map
        if token.type == "inline":
            block = _Block("".join(lines[start:end]), start)
            # A link may hold an image whose URL is written first: document order is
            # the order of the places, not of markdown-it's tokens.
            placed = _inline_links(token.children or [], block, definitions)
            yield from sorted(placed, key=lambda found: (found.line, found.column))
        elif token.type == "html_block":
            for found in html_links("".join(lines[start:end])):
                yield Found(found.url, start + found.line, found.column)


def markdown_anchors(text: str) -> set[str]:
    """The fragments ``text`` answers to: its headings' anchors and any HTML ids."""
    slugger = Slugger()
    anchors: set[str] = set()
    tokens = _heading_parser().parse(text, {})
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            inline = tokens[index + 1]
            words = [
                child.content
                for child in inline.children or []
                if child.type in ("text", "code_inline", "html_inline")
                and not child.content.startswith("<")
            ]
            anchors.add(slugger.slug("".join(words)))
        elif token.type in ("html_block", "inline"):
            raw = token.content
            if token.type == "inline":
                raw = "".join(c.content for c in token.children or [] if c.type == "html_inline")
            if raw:
                anchors |= html_anchors(raw)
    return anchors


# What may follow a URL written in Markdown.
_URL_ENDS = frozenset(" \t\r\n)>\"'")


class _Block:
    """One block's source text, where links are found again, each place once."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self._folded = text.lower()
        self._first_line = first_line
        self._claimed: set[int] = set()

    def find(
        self, needle: str, skip: int = 0, folded: bool = False, whole: bool = False
    ) -> int | None:
        """Where ``needle`` is first written with its part from ``skip`` on not yet
        claimed: that place (from ``skip``), now claimed; or None. With ``whole``, only
        where it ends as a URL ends (space, ``)``, ``>``, a quote)."""
        if not needle:
            return None
        haystack = self._folded if folded else self.text
        needle = needle.lower() if folded else needle
        at = haystack.find(needle)
        while at >= 0 and (
            at + skip in self._claimed or (whole and not self._ends(at + len(needle)))
        ):
            at = haystack.find(needle, at + 1)
        if at < 0:
            return None
        self._claimed.add(at + skip)
        return at + skip

    def _ends(self, at: int) -> bool:
        return at >= len(self.text) or self.text[at] in _URL_ENDS

    def place(self, at: int) -> tuple[int, int]:
        """Line and column (from 1) of offset ``at``."""
        line = self._first_line + self.text.count("\n", 0, at) + 1
        return line, at - (self.text.rfind("\n", 0, at) + 1) + 1


def _inline_links(
    children: list[Any], block: _Block, definitions: dict[str, tuple[str, list[str]]]
) -> Iterator[Found]:
    for index, child in enumerate(children):
        if child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            if child.markup in ("autolink", "linkify"):
                shown = children[index + 1].content if index + 1 < len(children) else href
                # A bare URL ends where the linkifier says, before any punctuation.
                yield from _located(href, [(shown, 0, False), (href, 0, False)], block, definitions)
            else:
                yield from _located(href, _destinations(href), block, definitions)
        elif child.type == "image":
            src = str(child.attrs.get("src", ""))
            yield from _located(src, _destinations(src), block, definitions)
        elif child.type == "html_inline" and "=" in child.content:
            at = block.find(child.content)
            for found in html_links(child.content):
                if at is None:
                    continue
                line, column = block.place(at)
                if found.line > 1:
                    line, column = line + found.line - 1, found.column
                else:
                    column += found.column - 1
                yield Found(found.url, line, column)


def _destinations(href: str) -> list[tuple[str, int, bool]]:
    """How an inline link's destination may be written: ``](url``, ``](<url>``, ``]( url``;
    each with the length of what comes before the URL, and ending where the URL ends."""
    return [(f"]({href}", 2, True), (f"](<{href}", 3, True), (f"]( {href}", 3, True)]


def _located(
    href: str,
    written: list[tuple[str, int, bool]],
    block: _Block,
    definitions: dict[str, tuple[str, list[str]]],
) -> Iterator[Found]:
    """``href`` at the place its block writes it: the URL itself, or where a reference
    to its definition is used."""
    for candidate, skip, whole in written:
        at = block.find(candidate, skip, whole=whole)
        if at is not None:
            line, column = block.place(at)
            yield Found(candidate[skip:], line, column)
            return
    raw, labels = definitions.get(href, (href, []))
    for label in labels:
        at = block.find(f"[{label}]", folded=True)
        if at is not None:
            line, column = block.place(at)
            yield Found(raw, line, column)
            return
    if href:
        line, column = block.place(0)
        yield Found(raw, line, column)


_DEFINITION = re.compile(r"^\s{0,3}\[(?P<label>(?:[^\]\\]|\\.)+)\]:\s*<?(?P<url>[^\s>]*)")


def _definitions(
    references: dict[str, dict[str, Any]], lines: list[str]
) -> dict[str, tuple[str, list[str]]]:
    """Each reference definition's href (as markdown-it gives it): the URL as written and
    the labels it is used with."""
    found: dict[str, tuple[str, list[str]]] = {}
    for reference in references.values():
        href = str(reference.get("href", ""))
        where = reference.get("map") or [0, 0]
        written = href
        label_texts: list[str] = []
        for line in lines[where[0] : max(where[1], where[0] + 1)]:
            match = _DEFINITION.match(line)
            if match:
                written = match["url"] or href
                label_texts.append(match["label"])
                break
        previous = found.get(href, (written, []))
        found[href] = (previous[0], previous[1] + label_texts)
    return found
