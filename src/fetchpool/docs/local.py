"""Links to local files, checked on disk without a request: the file must exist, and a
``#fragment`` into a Markdown, HTML or reST file must name one of its anchors."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from ..core.failures import FailureKind
from .options import DocumentKind, kind_of


@dataclass(frozen=True)
class LocalLink:
    """A link into the file system: the file (or folder) it names and its fragment."""

    path: str
    fragment: str


@dataclass(frozen=True)
class Verdict:
    """What a local link's check found: ok, or the kind of failure and why."""

    ok: bool
    reason: str | None = None
    kind: FailureKind | None = None


def is_remote(url: str) -> bool:
    """Whether ``url`` names a web page (http, https, or ``//host``) rather than a file."""
    scheme = urlsplit(url).scheme.lower()
    return scheme in ("http", "https") or url.startswith("//")


def is_skipped(url: str) -> bool:
    """Whether ``url`` is no link to check at all (``mailto:``, ``tel:``, ...)."""
    scheme = urlsplit(url).scheme.lower()
    return bool(scheme) and scheme not in ("http", "https", "file")


def resolve(document: str, url: str, root_dir: str | None) -> LocalLink | None:
    """The file a link in ``document`` names, or None for a ``/``-rooted link with no
    ``root_dir`` to resolve it against."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.scheme.lower() == "file":
        target = path
    elif not path:
        target = document  # "#fragment": this document
    elif path.startswith("/"):
        if root_dir is None:
            return None
        target = os.path.join(root_dir, path.lstrip("/"))
    else:
        target = os.path.join(os.path.dirname(document), path)
    return LocalLink(os.path.normpath(target), unquote(parts.fragment))


def check(link: LocalLink) -> Verdict:
    """Whether ``link``'s file exists and, for a fragment into a document, names one of
    its anchors."""
    if not os.path.exists(link.path):
        return Verdict(False, "file not found", FailureKind.FILE_NOT_FOUND)
    if not link.fragment or os.path.isdir(link.path):
        return Verdict(True)
    kind = kind_of(link.path)
    if kind is None:
        return Verdict(True)  # a fragment into a file that has no anchors to read
    anchors = _anchors(link.path, kind)
    if anchors is None:
        return Verdict(False, "file not readable", FailureKind.NOT_CHECKED)
    if link.fragment in anchors or link.fragment.lower() in anchors:
        return Verdict(True)
    return Verdict(False, f"no anchor #{link.fragment}", FailureKind.MISSING_ANCHOR)


@lru_cache(maxsize=256)
def _anchors(path: str, kind: DocumentKind) -> frozenset[str] | None:
    from .extract import anchors_of

    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError:
        return None
    return frozenset(anchors_of(text, kind))
