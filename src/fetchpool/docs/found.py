"""A link found in a document: its target as written, and where it is."""

from __future__ import annotations

from typing import NamedTuple


class Found(NamedTuple):
    """``url`` as the document writes it, on ``line`` at ``column`` (both from 1)."""

    url: str
    line: int
    column: int
