"""How documents are read: which kind a file is, by its name, and the options a run gives."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DocumentKind(enum.StrEnum):
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


@dataclass(frozen=True)
class DocumentOptions:
    """How documents are read.

    ``kind`` forces how every SOURCE that is not a folder is read (for standard
    input or an odd suffix); ``offline`` leaves web links out; ``root_dir``
    resolves ``/``-rooted links to files; ``base_url`` turns links to files into
    links to that site instead. ``follow_symlinks`` follows symlinks out of a folder
    being walked; ``allow_outside`` looks up links to files outside the tree checked.
    ``index_files`` and ``fallback_extensions`` read links to files as sites serve them.
    """

    kind: DocumentKind | None = None
    offline: bool = False
    root_dir: str | None = None
    base_url: str | None = None
    follow_symlinks: bool = False
    allow_outside: bool = False
    # What a link to a folder means: the first of these files in it ("." the folder
    # itself); with none, any folder that exists will do.
    index_files: tuple[str, ...] = ()
    # Extensions tried in turn for a link to a file that is not there (guide: guide.md).
    fallback_extensions: tuple[str, ...] = ()
