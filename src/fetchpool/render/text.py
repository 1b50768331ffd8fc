"""Short texts about a result that several formats share."""

from __future__ import annotations

import dataclasses
import http
import re
from collections.abc import Callable

from ..core.results import SKIPPED, Result
from ..core.urls import mask_credentials_in, masked

# C0 controls, DEL and C1 controls: what a terminal may act on rather than show.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def printable(text: str) -> str:
    """``text`` with control characters written as escapes: ``\\x1b``, ``\\x07``, ``\\x9b``,
    and ``\\t``, ``\\n``, ``\\r``.

    For everything a person's terminal shows that came from the input or a server
    (URLs, reasons, redirect targets, file names): an escape sequence in a URL line
    must not retitle the terminal, move the cursor or break the line it is on.
    """
    if text.isprintable():  # no control character: the usual text, at C speed
        return text
    return text if _CONTROL.search(text) is None else _CONTROL.sub(_escape_control, text)


def escape_surrogates(text: str) -> str:
    """``text`` with the bytes a non-UTF-8 file name held written as ``\\xe9``.

    ``os.fsdecode(b"caf\\xe9.md")`` is ``"caf\\udce9.md"``, which no UTF-8 output can
    hold: it becomes ``"caf\\\\xe9.md"``. Any other lone surrogate is written as ``\\udXXX``.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")  # the bytes the name was
    except UnicodeEncodeError:  # a surrogate no byte decodes to (from JSON, say)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def for_display(result: Result, hide: Callable[[str], str] | None = None) -> Result:
    """``result`` as it may be shown or stored: passwords in its URLs masked (see
    urls.mask_credentials), what ``hide`` masks (a run's secrets, credentials.Redactor)
    masked in every text, and file names that are not UTF-8 escaped (see
    ``escape_surrogates``), in every field; ``result`` itself when nothing changes.

    Every format writes what this gives: what a run fetched keeps the real URL.
    """
    url = escape_surrogates(masked(result.url, hide))
    final_url = result.final_url
    if final_url is not None:
        final_url = escape_surrogates(masked(final_url, hide))
    error = result.error
    if error is not None:
        error = mask_credentials_in(error)
        error = escape_surrogates(error if hide is None else hide(error))
    # A source may be a page's URL (a crawl): masked as any URL is.
    source = escape_surrogates(masked(result.source, hide))
    remapped = result.remapped
    if remapped is not None:
        remapped = escape_surrogates(masked(remapped, hide))
    if (
        url is result.url
        and final_url is result.final_url
        and error is result.error
        and source is result.source
        and remapped is result.remapped
    ):
        return result
    return dataclasses.replace(
        result, url=url, final_url=final_url, error=error, source=source, remapped=remapped
    )


def format_elapsed(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def status_text(result: Result) -> str:
    """The status code; ``ERR`` when no response arrived, ``OK`` for a link to a file
    that is there (no request is made for one)."""
    if result.status is None:
        if result.ok:
            return "OK"
        return "SKIP" if result.outcome == SKIPPED else "ERR"
    return str(result.status)


def reason(result: Result) -> str:
    """Why a result is not ok: its error, or the status with its phrase (``404 Not Found``)."""
    if result.error:
        return result.error
    if result.status is None:
        return ""
    try:
        phrase = http.HTTPStatus(result.status).phrase
    except ValueError:
        return str(result.status)
    return f"{result.status} {phrase}"


def outcome_text(result: Result) -> str:
    """What the ``URL -> ...`` part of a report says: the status code or the error."""
    return result.error or status_text(result)


def where(result: Result) -> str:
    """``SOURCE:LINE``, the place in the input the URL came from; ``SOURCE:LINE:COLUMN``
    for a link in a document."""
    return place(result.source, result.line, result.column)


def place(source: str, line: int, column: int = 0) -> str:
    """``SOURCE:LINE``, with ``:COLUMN`` when there is one (a link in a document); just
    ``SOURCE`` for no line (a document that was not read)."""
    if not line:
        return source
    return f"{source}:{line}:{column}" if column else f"{source}:{line}"
