"""Which kind of document a file is, by its name."""

from __future__ import annotations

import enum


class DocumentKind(str, enum.Enum):
    """How a SOURCE is read: a list of URLs, or a document whose links are checked."""

    URLS = "urls"
    MARKDOWN = "markdown"
    HTML = "html"
    RST = "rst"


_SUFFIXES = {
    ".md": DocumentKind.MARKDOWN,
    ".markdown": DocumentKind.MARKDOWN,
    ".html": DocumentKind.HTML,
    ".htm": DocumentKind.HTML,
    ".rst": DocumentKind.RST,
}


def kind_of(name: str) -> DocumentKind | None:
    """The kind of document ``name`` is by its suffix, or None for any other file."""
    dot = name.rfind(".")
    return _SUFFIXES.get(name[dot:].lower()) if dot >= 0 else None
