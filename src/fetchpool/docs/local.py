"""Links to local files, checked on disk without a request: the file must exist, and a
``#fragment`` into a Markdown, HTML or reST file must name one of its anchors."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from ..core.failures import FailureKind
from .options import DocumentKind, kind_of
from .reading import Unreadable, decode, read_bytes, special_kind


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


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def scheme_of(url: str) -> str:
    """``url``'s scheme in lower case, or "" (read as urlsplit reads it, but never failing
    on what follows it)."""
    if url.startswith("https://"):
        return "https"  # the usual link, without a regular expression
    match = _SCHEME.match(url)
    return match[1].lower() if match else ""


# The schemes of web pages; a link with none, or file:, names a file.
WEB_SCHEMES = frozenset(("http", "https"))


def is_remote(url: str) -> bool:
    """Whether ``url`` names a web page (http, https, or ``//host``) rather than a file."""
    return scheme_of(url) in WEB_SCHEMES or url.startswith("//")


def resolve(document: str, url: str, root_dir: str | None) -> LocalLink | None:
    """The file a link in ``document`` names, or None for a ``/``-rooted link with no
    ``root_dir`` to resolve it against. Raises ValueError for a link that names no file."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if "\x00" in path:
        raise ValueError("a NUL byte in the path")
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
    its anchors. Only folders and regular files count: a named pipe, a device or a
    socket is not checked, and a document read for its anchors is read within
    MAX_DOCUMENT."""
    try:
        mode = os.stat(link.path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return Verdict(False, "file not found", FailureKind.FILE_NOT_FOUND)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = f"not checked: {getattr(exc, 'strerror', None) or exc}"
        return Verdict(False, reason, FailureKind.NOT_CHECKED)
    if stat.S_ISDIR(mode):
        return Verdict(True)
    if not stat.S_ISREG(mode):
        reason = f"not checked: {special_kind(mode)}, not a file"
        return Verdict(False, reason, FailureKind.NOT_CHECKED)
    if not link.fragment:
        return Verdict(True)
    kind = kind_of(link.path)
    if kind is None:
        return Verdict(True)  # a fragment into a file that has no anchors to read
    return fragment_verdict(link.fragment, _anchors(link.path, kind))


def fragment_verdict(fragment: str, anchors: frozenset[str] | str) -> Verdict:
    """Whether ``fragment`` is one of a document's ``anchors`` (or why they could not be
    read)."""
    if isinstance(anchors, str):
        return Verdict(False, f"fragment not checked: {anchors}", FailureKind.NOT_CHECKED)
    if fragment in anchors or fragment.lower() in anchors:
        return Verdict(True)
    return Verdict(False, f"no anchor #{fragment}", FailureKind.MISSING_ANCHOR)


@lru_cache(maxsize=256)
def _anchors(path: str, kind: DocumentKind) -> frozenset[str] | str:
    """The anchors of the document at ``path``, or why they could not be read."""
    from .extract import anchors_of

    try:
        text = decode(read_bytes(path).data, kind)
    except Unreadable as exc:
        return str(exc)
    return frozenset(anchors_of(text, kind))
