"""Output formats: one writer per format, chosen by name."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .base import View, Writer

# The one format that takes a View (see base.View).
TABLE = "table"

# format name -> (module, class); modules load only when their format is used.
FORMATS: dict[str, tuple[str, str]] = {
    TABLE: ("table", "TableWriter"),
    "plain": ("plain", "PlainWriter"),
    "jsonl": ("machine", "JsonLinesWriter"),
    "json": ("machine", "JsonWriter"),
    "csv": ("machine", "CsvWriter"),
    "junit": ("junit", "JUnitWriter"),
    "markdown": ("markdown", "MarkdownWriter"),
    "github": ("github", "GitHubWriter"),
    "sarif": ("sarif", "SarifWriter"),
}

# What `-o FILE` picks when no --format is given.
FORMAT_BY_SUFFIX = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".txt": "plain",
    ".tsv": "plain",
    ".xml": "junit",
    ".md": "markdown",
    ".sarif": "sarif",
}


def make_writer(name: str, stream: TextIO, view: View | None = None) -> Writer:
    """A writer for format ``name`` on ``stream``, the table shown as ``view`` says (other
    formats keep every record); raises KeyError for an unknown format."""
    module_name, class_name = FORMATS[name]
    module = importlib.import_module(f".{module_name}", __name__)
    if name == TABLE and view is not None:
        table: Writer = getattr(module, class_name)(stream, view=view)
        return table
    writer_class: type[Writer] = getattr(module, class_name)
    return writer_class(stream)


__all__ = ["FORMATS", "FORMAT_BY_SUFFIX", "TABLE", "Writer", "make_writer"]
