"""The tree a check may look into, and the one way to tell whether a path is in it.

A path is resolved one component at a time from the tree's root, following a symlink only
while its target stays in the tree: as soon as the path leaves it (``..`` past the root, a
symlink pointing out), the answer is "outside", and nothing outside was looked at (no
stat, no readlink, no open). So a report never tells which files exist elsewhere on the
machine, and a link into a hung network mount costs nothing.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from functools import lru_cache

# Symlinks followed in one path before it is taken for a loop (Linux's own limit).
_MAX_HOPS = 40


class Tree:
    """A folder (as given, and as its real path)."""

    def __init__(self, folder: str) -> None:
        self.given = os.path.abspath(folder)
        self.real = os.path.realpath(folder)

    def resolve(self, path: str, follow_symlinks: bool = False) -> str | None:
        """``path`` (relative to the working directory, or absolute) as a real path in the
        tree; None when it leaves the tree.

        With ``follow_symlinks``, symlinks are part of the tree wherever they point: only
        the path as written must stay in it.
        """
        written = os.path.abspath(path)
        rest = _within(written, self.given)
        if rest is None:
            rest = _within(written, self.real)
        if rest is None:
            return None
        if follow_symlinks:
            return written
        parts = deque(rest)
        current = self.real
        hops = 0
        while parts:
            part = parts.popleft()
            if part == "..":
                if current == self.real:
                    return None
                current = os.path.dirname(current)
                continue
            candidate = os.path.join(current, part)
            try:
                is_link = stat.S_ISLNK(os.lstat(candidate).st_mode)
            except (OSError, ValueError):  # not there (the rest is read as written), or NUL
                is_link = False
            if not is_link:
                current = candidate
                continue
            hops += 1
            try:
                target = os.path.normpath(os.path.join(current, os.readlink(candidate)))
            except OSError:
                return None
            inside = _within(target, self.real)
            if inside is None:
                inside = _within(target, self.given)
            if inside is None or hops > _MAX_HOPS:
                return None
            parts.extendleft(reversed(inside))
            current = self.real
        return current


def _within(path: str, root: str) -> list[str] | None:
    """The components of ``path`` below ``root`` (both absolute and normalised), or None
    when ``path`` is not ``root`` or below it."""
    if path == root:
        return []
    prefix = root if root.endswith(os.sep) else root + os.sep
    if not path.startswith(prefix):
        return None
    return [part for part in path[len(prefix) :].split(os.sep) if part and part != "."]


def tree(folder: str) -> Tree:
    """The Tree of ``folder``, made once."""
    # By absolute path: a relative one (".") names another folder after a chdir.
    return _tree(os.path.abspath(folder))


@lru_cache(maxsize=64)
def _tree(folder: str) -> Tree:
    return Tree(folder)
