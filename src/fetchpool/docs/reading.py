"""Reading one document: only regular files, never more than MAX_DOCUMENT bytes, and
decoded as a browser or GitHub would, or not at all."""

from __future__ import annotations

import codecs
import os
import re
import stat
from typing import BinaryIO, NamedTuple

from .options import DocumentKind

# A document is read whole to find its links; past this size it is reported, not read.
MAX_DOCUMENT = 64 * 1024 * 1024

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symlink"),
)
# Byte order marks, longest first: a UTF-32 LE mark begins as a UTF-16 LE one does.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset=X> and <meta http-equiv=Content-Type content="...; charset=X">, looked
# for in the first 1,024 bytes as browsers do.
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
# The encodings a <meta charset> may name (the WHATWG Encoding Standard's, by the name of
# Python's codec for each), and the codec browsers read each as. Any other label (Python
# also names codecs such as bz2, uu or unicode-escape) is ignored, as browsers ignore it.
_AS_BROWSERS_READ = {
    "utf_8": "utf-8",
    "utf_16": "utf-8",  # a page that says UTF-16 without a byte order mark is read as UTF-8
    "utf_16_le": "utf-8",
    "utf_16_be": "utf-8",
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "cp1252": "cp1252",
    "cp866": "cp866",
    "koi8_r": "koi8_r",
    "koi8_u": "koi8_u",
    "mac_roman": "mac_roman",
    "mac_cyrillic": "mac_cyrillic",
    "cp874": "cp874",
    "gbk": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "euc_jp": "euc_jp",
    "iso2022_jp": "iso2022_jp",
    "shift_jis": "cp932",
    "cp932": "cp932",
    "euc_kr": "cp949",
    **{f"iso8859_{n}": f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)},
    **{f"cp125{n}": f"cp125{n}" for n in range(9) if n != 2},
}


def _c1(error: UnicodeError) -> tuple[str, int]:
    """The five bytes Python's cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) as
    the C1 controls browsers read them as."""
    assert isinstance(error, UnicodeDecodeError)
    return chr(error.object[error.start]), error.start + 1


_AS_C1 = "fetchpool-windows-1252"
codecs.register_error(_AS_C1, _c1)


class Unreadable(Exception):
    """A document that is not read; the message says why, in a few words."""


class Read(NamedTuple):
    """A document's bytes, and the (device, inode) of the file they came from."""

    data: bytes
    identity: tuple[int, int] | None


def read_bytes(
    path: str,
    stream: BinaryIO | None = None,
    *,
    limit: int = MAX_DOCUMENT,
    follow_symlinks: bool = True,
) -> Read:
    """The bytes of the regular file at ``path`` (of ``stream`` when given: standard
    input). Raises Unreadable for anything else (a symlink too, without
    ``follow_symlinks``), for a file over ``limit`` bytes, and when it cannot be opened or
    read. A named pipe, a device or a socket is never opened: it is known by its status
    first (and the file opened is checked again, should it have been swapped)."""
    try:
        if stream is not None:
            data = stream.read(limit + 1)
            identity = None
        else:
            _check_regular(os.stat(path, follow_symlinks=follow_symlinks), limit)
            flags = _OPEN_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
            descriptor = os.open(path, flags)
            with open(descriptor, "rb") as file:
                status = os.fstat(descriptor)
                _check_regular(status, limit)
                data = file.read(limit + 1)
                identity = (status.st_dev, status.st_ino)
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # a NUL in the path
        raise Unreadable(f"cannot read: {exc}") from exc
    _check_size(len(data), limit)
    return Read(data, identity)


def _check_regular(status: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise Unreadable(f"{special_kind(status.st_mode)}, not a file: not read")
    _check_size(status.st_size, limit)


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise Unreadable(f"over {limit // 2**20} MiB: not read")


def special_kind(mode: int) -> str:
    """What a file that is not a regular one is: ``a named pipe``, ``a socket``..."""
    for test, name in _SPECIAL:
        if test(mode):
            return name
    return "a special file"


def decode(data: bytes, kind: DocumentKind | None, charset: str | None = None) -> str:
    """A document's text: by its byte order mark; then by ``charset``, the one a server's
    Content-Type gives (None: none), when it is one browsers know; for HTML, by the charset
    its ``<meta>`` declares; else UTF-8, or Windows-1252 as browsers read it (what they read
    unlabelled legacy text as) when it is no UTF-8. Raises Unreadable for what is not text:
    a NUL byte."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    served = None if charset is None else codec_of(charset)
    if served is not None:
        return data.decode(served, "replace")
    if kind is DocumentKind.HTML:
        declared = _declared(data[:1024])
        if declared is not None:
            return data.decode(declared, "replace")  # an encoding of the table: never raises
    nul = data.find(b"\x00")
    if nul >= 0:
        raise Unreadable(f"not text (a NUL byte at byte {nul + 1:,}): not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return data.decode("cp1252", _AS_C1)


def _declared(head: bytes) -> str | None:
    """The codec an HTML document's ``<meta>`` names, as browsers read it; None when it names
    no encoding browsers know."""
    match = _META_CHARSET.search(head)
    if match is None:
        return None
    return codec_of(match[1].decode("ascii"))


def codec_of(label: str) -> str | None:
    """The codec browsers read the encoding ``label`` as; None for a label they do not know."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name.replace("-", "_")
    except (LookupError, ValueError):
        return None
    return _AS_BROWSERS_READ.get(name)
