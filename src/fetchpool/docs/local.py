"""Links to local files, checked on disk without a request: the file must exist (a
folder's index file, a fallback extension's file, when asked), and a ``#fragment`` into
a Markdown, HTML or reST file must name one of its anchors."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from ..core.failures import FailureKind
from .options import DocumentKind, DocumentOptions, kind_of
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
    # The file the link was checked against (an index file, a fallback extension's).
    path: str | None = None


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def scheme_of(url: str) -> str:
    """``url``'s scheme in lower case, or "" (read as urlsplit reads it, but never failing
    on what follows it)."""
    if url.startswith("https://"):
        return "https"  # the usual link, without a regular expression
    match = _SCHEME.match(url)
    return match[1].lower() if match else ""


OUTSIDE = "outside the tree checked: not looked up (--allow-outside looks)"
_NOT_FOUND = FailureKind.FILE_NOT_FOUND
_DEFAULTS = DocumentOptions()

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


def check(
    link: LocalLink,
    options: DocumentOptions = _DEFAULTS,
    inside: Callable[[str], bool] | None = None,
) -> Verdict:
    """Whether ``link``'s file exists and, for a fragment into a document, names one of
    its anchors; the verdict's ``path`` is the file checked, None when none was looked up.

    A link to a folder means the first of ``options.index_files`` in it (any folder that
    exists when there are none), and a link to a file that is not there the first file
    with one of ``options.fallback_extensions`` added that is (``guide`` is
    ``guide.md``): its fragment is checked in that file. ``inside`` says whether a path
    may be looked up (the tree checked); a link or a file it leads to that may not is
    ``outside_tree``, with nothing outside looked at. Only folders and regular files
    count: a named pipe, a device or a socket is not checked, and a document read for
    its anchors is read within MAX_DOCUMENT."""
    if inside is not None and not inside(link.path):
        return Verdict(False, OUTSIDE, FailureKind.OUTSIDE_TREE)
    found = _locate(link.path, options, inside)
    if isinstance(found, Verdict):
        return found
    path, mode = found
    return replace(_file_verdict(path, mode, link.fragment), path=path)


def _locate(
    path: str, options: DocumentOptions, inside: Callable[[str], bool] | None
) -> tuple[str, int] | Verdict:
    """The file (or folder) a link to ``path`` is checked against, and its mode; or the
    verdict when there is none."""
    mode = _mode(path)
    if isinstance(mode, Verdict):
        if mode.kind is FailureKind.FILE_NOT_FOUND:
            for extension in options.fallback_extensions:
                found = _candidate(f"{path}.{extension}", inside)
                if found is not None:
                    return found
        return mode
    if not stat.S_ISDIR(mode) or not options.index_files:
        return path, mode
    for name in options.index_files:
        if name == os.curdir:  # the folder itself will do
            return path, mode
        found = _candidate(os.path.join(path, name), inside)
        if found is not None:
            return found
    names = ", ".join(options.index_files)
    return Verdict(False, f"no index file ({names}) in the folder", _NOT_FOUND, path)


def _candidate(path: str, inside: Callable[[str], bool] | None) -> tuple[str, int] | Verdict | None:
    """An index file or a fallback extension's file: its path and mode, None when there
    is no such file, or the verdict when it may not or cannot be looked up."""
    if inside is not None and not inside(path):
        return Verdict(False, OUTSIDE, FailureKind.OUTSIDE_TREE)
    mode = _mode(path)
    if isinstance(mode, Verdict):
        return None if mode.kind is _NOT_FOUND else mode
    return None if stat.S_ISDIR(mode) else (path, mode)


def _mode(path: str) -> int | Verdict:
    """The mode of the file at ``path`` (symlinks followed), or why there is none."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return Verdict(False, "file not found", _NOT_FOUND, path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = f"not checked: {getattr(exc, 'strerror', None) or exc}"
        return Verdict(False, reason, FailureKind.NOT_CHECKED, path)


def _file_verdict(path: str, mode: int, fragment: str) -> Verdict:
    """Whether the file or folder at ``path`` does for a link with ``fragment``."""
    if stat.S_ISDIR(mode):
        return Verdict(True)
    if not stat.S_ISREG(mode):
        reason = f"not checked: {special_kind(mode)}, not a file"
        return Verdict(False, reason, FailureKind.NOT_CHECKED)
    if not fragment:
        return Verdict(True)
    kind = kind_of(path)
    if kind is None:
        return Verdict(True)  # a fragment into a file that has no anchors to read
    return fragment_verdict(fragment, _anchors(path, kind))


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
