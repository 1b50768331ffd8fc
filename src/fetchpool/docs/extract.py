"""The links of a document of any kind, and the anchors it offers."""

from __future__ import annotations

from collections.abc import Iterator

from .found import Found
from .options import DocumentKind


def links_of(text: str, kind: DocumentKind) -> Iterator[Found]:
    """Every link in ``text``, read as ``kind``, in document order."""
    if kind is DocumentKind.MARKDOWN:
        from .markdown import markdown_links

        return markdown_links(text)
    if kind is DocumentKind.HTML:
        from .html import html_links

        return html_links(text)
    if kind is DocumentKind.RST:
        from .rst import rst_links

        return rst_links(text)
    raise ValueError(f"not a document kind: {kind}")


def anchors_of(text: str, kind: DocumentKind) -> set[str]:
    """The ``#fragments`` ``text``, read as ``kind``, answers to."""
    if kind is DocumentKind.MARKDOWN:
        from .markdown import markdown_anchors

        return markdown_anchors(text)
    if kind is DocumentKind.HTML:
        from .html import html_anchors

        return html_anchors(text)
    if kind is DocumentKind.RST:
        from .rst import rst_anchors

        return rst_anchors(text)
    return set()
