"""The documents in a folder: Markdown, HTML and reStructuredText files, in name order,
skipping hidden folders and whatever the folder's ``.gitignore`` files ignore."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .options import kind_of


def documents(root: str) -> Iterator[str]:
    """Every document under ``root``, lazily, in a stable order (names sorted, a folder's
    files before its subfolders)."""
    import pathspec

    top = Path(root)

    def walk(folder: Path, rules: list[tuple[Path, Any]]) -> Iterator[str]:
        ignore = folder / ".gitignore"
        if ignore.is_file():
            with open(ignore, encoding="utf-8", errors="replace") as lines:
                spec = pathspec.GitIgnoreSpec.from_lines(lines)
            rules = [*rules, (folder, spec)]
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            return
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            is_dir = entry.is_dir()
            if _ignored(Path(entry.path), is_dir, rules):
                continue
            if is_dir:
                folders.append(Path(entry.path))
            elif kind_of(entry.name) is not None:
                yield entry.path
        for sub in folders:
            yield from walk(sub, rules)

    yield from walk(top, [])


def _ignored(path: Path, is_dir: bool, rules: list[tuple[Path, Any]]) -> bool:
    for base, spec in rules:
        relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        if spec.match_file(relative):
            return True
    return False
