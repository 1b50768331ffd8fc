"""The anchors a heading gets, by GitHub's rule, so ``#fragment`` links can be checked."""

from __future__ import annotations

import re

# Everything but letters, digits, marks, "_", "-" and spaces goes (GitHub's rule).
_DROPPED = re.compile(r"[^\w\- ]", re.UNICODE)


class Slugger:
    """Turns headings into anchors as GitHub does: lower-case, punctuation dropped except
    ``-`` and ``_``, spaces to ``-``, and ``-1``, ``-2``... for a heading seen before."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, heading: str) -> str:
        base = _DROPPED.sub("", heading.strip().lower()).replace(" ", "-")
        count = self._seen.get(base)
        if count is None:
            self._seen[base] = 0
            return base
        count += 1
        self._seen[base] = count
        slug = f"{base}-{count}"
        self._seen.setdefault(slug, 0)
        return slug
