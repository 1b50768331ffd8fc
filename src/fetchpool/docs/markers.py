"""Markers that leave links out of a check, written as comments of the document's own
syntax (``<!-- fetchpool-disable -->``, ``.. fetchpool-disable``): ``fetchpool-disable``
... ``fetchpool-enable`` for a stretch, ``fetchpool-disable-line`` for the links on its
line, and ``fetchpool-disable-next-line`` for those on the line after it. The same words
in prose, code or a URL are no marker."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .found import Found, Marker


def enabled(items: Iterable[Found | Marker]) -> Iterator[Found]:
    """The links of ``items`` (links and markers in document order) no marker leaves out.

    The links of a line are held until the line ends, since a ``disable-line`` marker
    may follow them on it.
    """
    held: list[Found] = []
    line = 0
    off = False
    skipped: set[int] = set()  # lines left out by a marker before or on them
    for item in items:
        if item.line != line:
            yield from held
            held = []
            skipped.discard(line)
            line = item.line
        if isinstance(item, Found):
            if not off and line not in skipped:
                held.append(item)
        elif item.what == "disable-line":
            held = []
            skipped.add(line)
        elif item.what == "disable-next-line":
            skipped.add(line + 1)
        elif item.what == "disable":
            off = True
            held = []
        else:
            off = False
    yield from held
