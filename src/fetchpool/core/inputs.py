"""Reading URL lists lazily from files and standard input, one record per line."""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import InputError as InputError  # importable here too, as before

# Longer lines are reported, not fetched: no server takes URLs this long, and a
# line with no newline in sight must not grow without bound in memory.
MAX_LINE_BYTES = 64 * 1024
# The rest of an overlong line is skipped to find the next line, but only this far:
# an endless line (/dev/zero, a stream with no line breaks) must not be read forever.
MAX_SKIP_BYTES = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_CHUNK = 64 * 1024
_NUL = b"\x00"
_REST_NOT_READ = "the rest of the source is not read"


@dataclass(frozen=True)
class InputLine:
    """One non-blank, non-comment line of input.

    ``text`` is the line with surrounding whitespace removed; bytes that are not
    UTF-8 and NUL bytes appear in it as backslash escapes. ``error`` is set when
    the line cannot be a URL at all: its result's kind is then BAD_LINE.
    """

    text: str
    source: str = "-"
    line: int = 0
    error: str | None = None
    # Where on the line the URL starts, from 1, when the source is a document; else 0.
    column: int = 0

    def __init__(
        self, text: str, source: str = "-", line: int = 0, error: str | None = None, column: int = 0
    ) -> None:
        # Written out: a frozen dataclass's own __init__ sets each field through
        # object.__setattr__, twice the time, and a run makes one of these per line.
        fields = self.__dict__
        fields["text"] = text
        fields["source"] = source
        fields["line"] = line
        fields["error"] = error
        fields["column"] = column


def check_source(path: str) -> str | None:
    """Why the file ``path`` cannot be read as a source (``No such file or directory``),
    or None when it looks readable.

    Found without opening the file: a named pipe opened here and closed again would
    lose what its writer wrote, and the reader's own open would then wait for a writer
    that never comes. Opening is left to ``read_sources``, once.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISDIR(mode):
        return os.strerror(errno.EISDIR)
    effective = os.access in os.supports_effective_ids
    if not os.access(path, os.R_OK, effective_ids=effective):
        return os.strerror(errno.EACCES)
    return None


def read_sources(sources: Iterable[str], stdin: BinaryIO | None = None) -> Iterator[InputLine]:
    """Yield the URL lines of each source in turn; ``-`` names standard input.

    Files are opened only when reached and read a line at a time, so a pipe
    streams. Raises InputError when a file cannot be opened or read.
    """
    for source in sources:
        if source == "-":
            yield from read_lines(stdin if stdin is not None else sys.stdin.buffer, "-")
            continue
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed in the finally below
        except OSError as exc:
            raise InputError(f"cannot open {source!r}: {exc.strerror or exc}") from exc
        try:
            yield from read_lines(stream, source)
        finally:
            stream.close()


def read_lines(stream: BinaryIO, source: str = "-") -> Iterator[InputLine]:
    """Yield an InputLine for each line of ``stream`` that is neither blank nor a comment.

    A line over MAX_LINE_BYTES is one error record. When it holds a NUL byte (binary
    data) or has no end within MAX_SKIP_BYTES, its record says that the rest of the
    source is not read, and reading stops there: time and memory stay bounded
    whatever the stream holds. Raises InputError when the stream cannot be read.
    """
    number = 0
    while True:
        # Room for a BOM and a CRLF beyond the limit, which count against no line.
        raw = _read_line(stream, source, MAX_LINE_BYTES + len(_BOM) + 2)
        if not raw:
            return
        number += 1
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if len(_without_line_ending(raw)) > MAX_LINE_BYTES:
            reason, go_on = _overlong(raw, stream, source)
            yield InputLine(f"{_escape(raw[:60]).strip()}...", source, number, reason)
            if not go_on:
                return
            continue
        record = parse_line(raw, source, number)
        if record is not None:
            yield record


def parse_line(raw: bytes, source: str = "-", number: int = 0) -> InputLine | None:
    """One line of bytes as an InputLine, or None when it is blank or a comment."""
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        text = _escape(raw).strip()
        if not text or text.startswith("#"):
            return None
        return InputLine(text, source, number, f"not valid UTF-8 (byte {exc.start + 1})")
    if not text or text.startswith("#"):
        return None
    if "\x00" in text:
        return InputLine(text.replace("\x00", "\\x00"), source, number, "contains a NUL byte")
    return InputLine(text, source, number)


def _escape(raw: bytes) -> str:
    return raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def _without_line_ending(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return raw[:-2]
    return raw[:-1] if raw.endswith(b"\n") else raw


def _overlong(raw: bytes, stream: BinaryIO, source: str) -> tuple[str, bool]:
    """Why the overlong line that starts with ``raw`` is not read, and whether to read on.

    Its rest is skipped to find the next line. A NUL byte in it (binary data: a disk
    image, /dev/zero) or no line end within MAX_SKIP_BYTES (an endless line) stops
    the source instead: what follows is no list of URLs, and might never end.
    """
    limit = f"the limit is {MAX_LINE_BYTES:,}"
    binary = f"binary data (a NUL byte in a line over {MAX_LINE_BYTES:,} bytes); {_REST_NOT_READ}"
    size = len(_without_line_ending(raw))
    chunk = raw
    while True:
        if _NUL in chunk:
            return binary, False
        if chunk is not raw:
            size += len(_without_line_ending(chunk))
        if not chunk or chunk.endswith(b"\n"):
            return f"line too long ({size:,} bytes; {limit})", True
        if size > MAX_SKIP_BYTES:
            endless = f"no line end within {MAX_SKIP_BYTES:,} bytes; {limit}"
            return f"line too long ({endless}); {_REST_NOT_READ}", False
        chunk = _read_line(stream, source, _CHUNK)


def _read_line(stream: BinaryIO, source: str, size: int) -> bytes:
    try:
        return stream.readline(size)
    except OSError as exc:
        raise InputError(f"cannot read {source!r}: {exc.strerror or exc}") from exc
