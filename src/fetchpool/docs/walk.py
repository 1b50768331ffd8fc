"""The documents in a folder: Markdown, HTML and reStructuredText files, in name order,
skipping hidden folders and whatever git ignores there.

The walk keeps its own stack (no recursion limit on depth), enters each folder once (by
device and inode: a symlink loop ends), and follows no symlink out of the folder unless
asked. ``.gitignore`` files apply as git applies them: from the repository's root down,
the deeper file and the later pattern deciding, with ``.git/info/exclude`` under all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from ..core.failures import FailureKind
from ..core.urls import is_web_url
from .options import kind_of
from .reading import Unreadable, read_bytes
from .tree import Tree

# An ignore file is read up to this size (some 40,000 patterns); a larger one is not applied.
_IGNORE_LIMIT = 1024 * 1024


class Skipped(NamedTuple):
    """A document or folder the walk could not or would not read, and why."""

    path: str
    reason: str
    kind: FailureKind


# Ignore rules in force in a folder: (absolute folder, spec), shallowest first.
_Rules = tuple[tuple[str, Any], ...]


def documents(
    root: str,
    follow_symlinks: bool = False,
    wanted: Callable[[str], bool] | None = None,
    enter: Callable[[str], bool] | None = None,
) -> Iterator[str | Skipped]:
    """Every document under ``root``, lazily, in a stable order (names sorted, a folder's
    files before its subfolders), and what was skipped on the way, where it was met.

    Paths are named from ``root`` as given (``root/sub/a.md``; ``sub/a.md`` for ``.``).
    ``wanted`` (a file's path) chooses the files instead of their suffix, and ``enter``
    (a folder's path) the folders worth walking into; a glob gives both."""
    wanted = wanted or _is_document
    checked = Tree(root)
    top = checked.real
    # Each folder as named from root, as a real path (matched against ignore rules), and
    # the rules in force above it.
    stack: list[tuple[str, str, _Rules]] = [(root, top, _inherited_rules(top))]
    entered: set[tuple[int, int]] = set()
    while stack:
        folder, real, rules = stack.pop()
        try:
            status = os.stat(folder)
            identity = (status.st_dev, status.st_ino)
            if identity in entered:
                continue  # a symlink loop, or a folder reached by two names
            entered.add(identity)
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            yield Skipped(folder, f"cannot read folder: {exc.strerror or exc}", _UNREADABLE)
            continue
        rules = (*rules, *_rules_in(real))
        folders: list[tuple[str, str]] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = os.path.join(real, entry.name)
            named = entry.name if folder == os.curdir else os.path.join(folder, entry.name)
            try:
                is_link = entry.is_symlink()
            except OSError:
                is_link = False
            if is_link and not follow_symlinks and checked.resolve(entry.path) is None:
                # Out of the folder, and looked at no further: whether what it points to
                # exists (or is a folder) stays unsaid. A document's name is reported.
                if wanted(named) and not _ignored(path, False, rules):
                    yield Skipped(named, _OUT_OF_FOLDER, FailureKind.OUTSIDE_TREE)
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir and not wanted(named):
                continue
            if is_dir and enter is not None and not enter(named):
                continue
            if _ignored(path, is_dir, rules):
                continue
            if is_dir:
                folders.append((named, path))
            else:
                yield named
        stack.extend((sub, sub_real, rules) for sub, sub_real in reversed(folders))


def _is_document(path: str) -> bool:
    return kind_of(path) is not None


def clean_path(path: str) -> str:
    """``path`` as every report names it: without ``.`` components and repeated or
    trailing separators (``./docs//a.md`` is ``docs/a.md``); ``..`` and an absolute
    start are kept, and so are ``-`` (standard input) and a web page's URL."""
    if path == "-" or is_web_url(path):
        return path
    start = os.sep if path.startswith(os.sep) else ""
    cleaned = start + os.sep.join(part for part in path.split(os.sep) if part not in ("", "."))
    if cleaned == "-":
        return os.path.join(os.curdir, "-")  # a file named -, not standard input
    return cleaned or os.curdir


_UNREADABLE = FailureKind.UNREADABLE
_OUT_OF_FOLDER = "a symlink out of the folder checked: not followed (--follow-symlinks follows it)"


def work_tree(path: str) -> str | None:
    """The root of the git work tree that holds ``path``, or None."""
    folder = os.path.realpath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _inherited_rules(top: str) -> _Rules:
    """The ignore rules of the folders above ``top`` (a real path) in its git work tree:
    the repository's ``.git/info/exclude``, then each ``.gitignore`` from the root down."""
    repository = work_tree(top)
    if repository is None:
        return ()
    exclude = os.path.join(repository, ".git", "info", "exclude")
    rules = [(repository, spec) for spec in _spec(exclude)]
    above: list[str] = []
    folder = top
    while folder != repository and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
        above.append(folder)
    for each in reversed(above):
        rules.extend(_rules_in(each))
    return tuple(rules)


def _rules_in(folder: str) -> _Rules:
    return tuple((folder, spec) for spec in _spec(os.path.join(folder, ".gitignore")))


def _spec(path: str) -> list[Any]:
    """The patterns of the ignore file at ``path``: none when there is none, or when it is
    no regular file (git reads no symlinked ignore file either) or over 1 MiB."""
    import pathspec

    try:
        data = read_bytes(path, limit=_IGNORE_LIMIT, follow_symlinks=False).data
    except Unreadable:
        return []
    return [pathspec.GitIgnoreSpec.from_lines(data.decode("utf-8", "replace").splitlines())]


def _ignored(path: str, is_dir: bool, rules: _Rules) -> bool:
    """Whether git ignores ``path``: the deepest ignore file with a pattern for it decides."""
    for base, spec in reversed(rules):
        relative = os.path.relpath(path, base).replace(os.sep, "/") + ("/" if is_dir else "")
        if relative.startswith("../"):
            continue
        include = spec.check_file(relative).include
        if include is not None:
            return bool(include)
    return False
