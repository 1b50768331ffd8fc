"""The links of a document of any kind, and the anchors it offers."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from .found import Found, Marker
from .options import DocumentKind

# The module that reads each kind of document: it has NAME_links and NAME_anchors.
# Modules load on first use, so a run over URL lists loads no parser.
_READERS = {
    DocumentKind.MARKDOWN: "markdown",
    DocumentKind.HTML: "html",
    DocumentKind.RST: "rst",
}


def links_of(text: str, kind: DocumentKind) -> Iterator[Found | Marker]:
    """Every link in ``text``, read as ``kind``, and every fetchpool marker comment, in
    document order."""
    if kind not in _READERS:
        raise ValueError(f"not a document kind: {kind}")
    links: Iterator[Found | Marker] = _reader(kind, "links")(text)
    return links


def anchors_of(text: str, kind: DocumentKind) -> set[str]:
    """The ``#fragments`` ``text``, read as ``kind``, answers to."""
    if kind not in _READERS:
        return set()
    anchors: set[str] = _reader(kind, "anchors")(text)
    return anchors


def _reader(kind: DocumentKind, what: str) -> Callable[[str], Any]:
    name = _READERS[kind]
    module = importlib.import_module(f".{name}", __package__)
    function: Callable[[str], Any] = getattr(module, f"{name}_{what}")
    return function
