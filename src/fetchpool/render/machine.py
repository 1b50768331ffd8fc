"""Formats for programs: JSON Lines, a JSON array and CSV, all with the same keys.

Values are written exactly: control characters from the input or a server are
left to each format's own escaping, not made printable as for people.
"""

from __future__ import annotations

import csv
import json
import re
from typing import TextIO

import orjson

from ..core.results import FIELDS, Result
from .base import Writer

# JSON escapes C0 controls but may leave DEL and C1 ones raw, which a terminal showing the
# output may act on, and U+2028 and U+2029, at which str.splitlines() and old JavaScript
# break a line; they can stand only inside strings, where \u escapes keep their value.
_RAW = "\x7f-\x9f\u2028\u2029"
_RAW_CONTROL = re.compile(f"[{_RAW}]")
# What the standard library leaves raw besides: lone surrogates, which UTF-8 cannot hold.
_RAW_OR_SURROGATE = re.compile(f"[{_RAW}\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def to_json(data: object) -> str:
    """``data`` as one line of compact JSON, UTF-8 as it is, with no raw control
    characters, line separators or lone surrogates."""
    try:
        text = orjson.dumps(data).decode()
    except orjson.JSONEncodeError:
        # orjson refuses a lone surrogate (a name that is not UTF-8, written by a caller
        # that did not escape it for display) and an integer past 64 bits (from a report
        # read back); the standard library writes both.
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return _RAW_OR_SURROGATE.sub(_escape, text)
    # The usual line is ASCII with no DEL: two scans at memory speed, where the search,
    # a step per character, took five times as long as orjson.
    if (text.isascii() and "\x7f" not in text) or _RAW_CONTROL.search(text) is None:
        return text
    return _RAW_CONTROL.sub(_escape, text)


class JsonLinesWriter(Writer):
    def format(self, result: Result) -> str:
        return to_json(result.to_dict()) + "\n"


class JsonWriter(Writer):
    """A JSON array, streamed: ``[`` first, each object as it comes, ``]`` at the end."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._count = 0

    def format(self, result: Result) -> str:
        prefix = "[\n  " if self._count == 0 else ",\n  "
        self._count += 1
        return prefix + to_json(result.to_dict())

    def finish(self, seconds: float | None = None) -> None:
        self.stream.write("\n]\n" if self._count else "[]\n")
        super().finish(seconds)


class _Echo:
    """A file for csv.writer that keeps nothing: ``writerow`` returns what ``write``
    returns, so the row's text comes back without a buffer to empty after each row."""

    def write(self, text: str) -> str:
        return text


class CsvWriter(Writer):
    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._csv = csv.writer(_Echo(), lineterminator="\n")
        self._header: str | None = self._csv.writerow(FIELDS)

    def format(self, result: Result) -> str:
        # Null as an empty cell, and the two booleans as JSON spells them.
        data = result.to_dict()
        data["ok"] = "true" if result.ok else "false"
        data["cached"] = "true" if result.cached else "false"
        cells = ["" if value is None else value for value in data.values()]
        row: str = self._csv.writerow(cells)
        if self._header is not None:
            row = self._header + row
            self._header = None
        return row

    def finish(self, seconds: float | None = None) -> None:
        if self._header is not None:
            self.stream.write(self._header)
        super().finish(seconds)
