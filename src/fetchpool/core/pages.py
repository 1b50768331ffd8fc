"""Whether a page has the anchor a ``#fragment`` link names: the page read as HTML, up to
PAGE_LIMIT bytes (unpacked with the same bound), its anchors found by a function given.

A page that is not HTML, is larger than the limit or cannot be read whole is not
checked (inconclusive), never taken for one without the anchor (broken).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from http.client import HTTPException
from typing import TYPE_CHECKING
from urllib.parse import unquote

import urllib3

from .failures import Failure, FailureKind

if TYPE_CHECKING:
    import requests

PAGE_LIMIT = 4 * 1024 * 1024
_CHUNK = 64 * 1024
# Fragments every HTML page answers to (the top of the page), and text fragments,
# which name words rather than anchors.
_ALWAYS = frozenset({"", "top"})
_TEXT_FRAGMENT = ":~:"


def wants_check(fragment: str) -> bool:
    """Whether a link's ``fragment`` names an anchor to look for."""
    return fragment not in _ALWAYS and not fragment.startswith(_TEXT_FRAGMENT)


def fragment_problem(
    response: requests.Response, fragment: str, anchors_of: Callable[[str], set[str]]
) -> Failure | None:
    """None when ``response``'s page has the anchor ``fragment``; else why not, as a
    MISSING_ANCHOR (it is not there) or NOT_CHECKED (the page could not tell)."""
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in ("text/html", "application/xhtml+xml"):
        return _not_checked("not an HTML page")
    body = _read_bounded(response)
    if body is None:
        return _not_checked(f"page over {PAGE_LIMIT // 2**20} MiB or cut short")
    text = body.decode(response.encoding or "utf-8", errors="replace")
    anchors = anchors_of(text)
    name = unquote(fragment)
    # GitHub renders a README's heading ids with a prefix its script takes off.
    if name in anchors or f"user-content-{name}" in anchors:
        return None
    return Failure(FailureKind.MISSING_ANCHOR, f"no anchor #{fragment}")


def _not_checked(why: str) -> Failure:
    return Failure(FailureKind.NOT_CHECKED, f"fragment not checked: {why}")


def _read_bounded(response: requests.Response) -> bytes | None:
    """The page's bytes, unpacked when gzip or deflate; None when they would pass
    PAGE_LIMIT (packed or unpacked), or the body cannot be read to its end."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    unpack = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        unpack = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # gzip or zlib, by header
    elif encoding not in ("", "identity"):
        return None
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = response.raw.read(_CHUNK, decode_content=False)
            if not chunk:
                break
            if unpack is not None:
                chunk = unpack.decompress(chunk, PAGE_LIMIT + 1 - size)
                if unpack.unconsumed_tail:
                    return None  # unpacks past the limit
            size += len(chunk)
            if size > PAGE_LIMIT:
                return None
            parts.append(chunk)
    except (OSError, ValueError, zlib.error, HTTPException, urllib3.exceptions.HTTPError):
        return None  # cut short, or cut off at the deadline
    return b"".join(parts)
