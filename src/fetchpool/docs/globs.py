"""SOURCEs that are glob patterns, quoted so that the shell leaves them to fetchpool:
``'docs/**/*.md'``. ``*``, ``?`` and ``[...]`` match within a name, ``**`` any number of
folders. A pattern is a folder walk narrowed: the walk of the folder its pattern starts
in (hidden names and what git ignores left out, see walk.py), keeping the documents
whose path matches, and entering only the folders a match may lie in.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from ..core.urls import is_web_url
from .options import kind_of
from .walk import Skipped, clean_path, documents

_WILDCARDS = frozenset("*?[")


def is_glob(source: str) -> bool:
    """Whether the SOURCE ``source`` is a pattern: it holds ``*``, ``?`` or ``[`` and
    names no file itself (a file named ``a[1].md`` is that file)."""
    return (
        not _WILDCARDS.isdisjoint(source) and not is_web_url(source) and not os.path.lexists(source)
    )


@dataclass(frozen=True)
class Glob:
    """A pattern, by path component, and the folder its walk starts in (its components
    before the first with a wildcard)."""

    root: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, pattern: str) -> Glob:
        cleaned = clean_path(pattern)
        parts = tuple(cleaned.split(os.sep))
        fixed = next(index for index, part in enumerate(parts) if not _WILDCARDS.isdisjoint(part))
        root = os.sep.join(parts[:fixed]) or (os.sep if cleaned.startswith(os.sep) else os.curdir)
        return cls(root, parts)

    def documents(self, follow_symlinks: bool = False) -> Iterator[str | Skipped]:
        """The documents the pattern matches, in the walk's order, and what the walk
        skipped on the way (see walk.documents)."""
        return documents(self.root, follow_symlinks, self._wanted, self._may_hold)

    def first(self) -> str | None:
        """The first document the pattern matches; None when it matches none."""
        return next((path for path in self.documents() if isinstance(path, str)), None)

    def _wanted(self, path: str) -> bool:
        return kind_of(path) is not None and _match(self.parts, tuple(path.split(os.sep)), False)

    def _may_hold(self, folder: str) -> bool:
        return _match(self.parts, tuple(folder.split(os.sep)), True)


def _match(pattern: tuple[str, ...], parts: tuple[str, ...], prefix: bool) -> bool:
    """Whether ``parts`` (a path's components) match ``pattern``'s; with ``prefix``,
    whether they may begin a path that does (a folder worth walking into).

    A loop, not recursion: a walk has no depth limit. A ``**`` is a ``*`` over
    components, and the last one met takes one more component whenever what follows
    it fails to match."""
    at = done = 0
    star, taken = -1, 0
    while done < len(parts):
        if at < len(pattern) and pattern[at] == "**":
            star, taken = at, done
            at += 1
        elif at < len(pattern) and fnmatchcase(parts[done], pattern[at]):
            at += 1
            done += 1
        elif star >= 0:
            taken += 1
            at, done = star + 1, taken
        else:
            return False
    return prefix or all(part == "**" for part in pattern[at:])
