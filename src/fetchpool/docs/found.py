"""What reading a document finds: links, each with its target as written and where it
is, and the fetchpool markers written as comments."""

from __future__ import annotations

import re
from typing import NamedTuple


class Found(NamedTuple):
    """``url`` as the document writes it, on ``line`` at ``column`` (both from 1)."""

    url: str
    line: int
    column: int


class Marker(NamedTuple):
    """A ``fetchpool-WHAT`` comment on ``line``: ``disable``, ``enable``, ``disable-line``
    or ``disable-next-line``."""

    what: str
    line: int


_MARKER = re.compile(r"\s*fetchpool-(disable-next-line|disable-line|disable|enable)\s*")


def marker_in(comment: str) -> str | None:
    """What a comment's text says, when the whole of it is a fetchpool marker."""
    match = _MARKER.fullmatch(comment)
    return match[1] if match else None
