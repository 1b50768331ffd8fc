"""What crosses between a run and its worker processes: batches of work and of results.

One place defines it, and it is versioned: a batch is ``marshal`` of a tuple whose
first item is ``VERSION``. Only plain values travel (ints, strings, floats, None,
tuples); no rich object is pickled per URL. Both ends are the same interpreter and
the same fetchpool (the parent starts the children), so marshal's format is shared.

    work:    (VERSION, ((index, url), ...))
    results: (VERSION, ((index, status, ok, error, elapsed, final_url, attempts, kind,
                         remapped), ...))

A work entry may carry a third item, and a result entry be ``(index, "handed off",
state)``: a check that reached a redirect to a host another process owns goes on
there (fetch.HandOff). A work entry ``(index, url, state or None, 1)`` is a page to
read for its links (pages.PageLine); its result entry ends with the page read, as
``(url, links, problem)`` (pages.Page), or None when it was not read.
``(-1, {host: seconds})`` among results: the hosts a worker has held for Retry-After, all
told. A batch of no results is a worker's sign of life
(engine.HEARTBEAT).

``kind`` is a FailureKind's value or None; ``final_url`` is "" when it is the URL
itself, as it is for most, which keeps a batch small; ``remapped`` the URL --remap
fetched instead, or None.
"""

from __future__ import annotations

import marshal
import struct
from collections.abc import Sequence
from typing import IO, TypeAlias

from .failures import FailureKind
from .inputs import InputLine
from .pages import Page, PageLine, settle
from .results import Result

VERSION = 3

Work: TypeAlias = tuple[object, ...]
# The length of a result entry that hands its check on (see above).
HANDED_OFF = 3
Outcome: TypeAlias = tuple[
    int, "int | None", bool, "str | None", float, "str | None", int, "str | None", "str | None"
]


# Each message on a pipe: its length (4 bytes, little-endian), then the message.
_LENGTH = struct.Struct("<I")


class Fault(Exception):
    """An item a worker process could not give a result for (engine.map_in_order): its
    function raised, or its worker died. Says why."""


class WireError(ValueError):
    """A batch that is not one this version wrote."""


def write_message(stream: IO[bytes], data: bytes) -> None:
    """Write one message and flush it; raises OSError when the reader has gone."""
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def read_message(stream: IO[bytes]) -> bytes | None:
    """The next message, or None when the writer has gone (at a message's end or inside one)."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    data = stream.read(length)
    return data if len(data) == length else None


def encode_work(items: Sequence[Work]) -> bytes:
    return marshal.dumps((VERSION, tuple(items)))  # type: ignore[arg-type]


def encode_results(outcomes: Sequence[Outcome]) -> bytes:
    return marshal.dumps((VERSION, tuple(outcomes)))


def decode(data: bytes) -> tuple[tuple[object, ...], ...]:
    """The entries of a batch; raises WireError for a batch of another version or shape."""
    try:
        version, entries = marshal.loads(data)
    except (ValueError, EOFError, TypeError) as exc:
        raise WireError(f"not a batch: {exc}") from exc
    if version != VERSION or not isinstance(entries, tuple):
        raise WireError(f"a batch of version {version!r}, not {VERSION}")
    return entries


def work_of(index: int, item: InputLine, state: tuple[object, ...] | None = None) -> Work:
    """A line to check as it travels: its URL, and whether its page is read."""
    if type(item) is PageLine:
        return (index, item.text, state, 1)
    return (index, item.text) if state is None else (index, item.text, state)


def outcome_of(index: int, result: Result, page: Page | None = None) -> tuple[object, ...]:
    """A fetched Result as it travels: what only the fetch knows, not where the line was;
    and, for a page read (see work_of), the page."""
    final_url = "" if result.final_url == result.url else result.final_url
    kind = None if result.kind is None else result.kind.value
    if page is not None:
        return (*_outcome(index, result, final_url, kind), tuple(page))
    return _outcome(index, result, final_url, kind)


def _outcome(index: int, result: Result, final_url: str | None, kind: str | None) -> Outcome:
    return (
        index,
        result.status,
        result.ok,
        result.error,
        result.elapsed,
        final_url,
        result.attempts,
        kind,
        result.remapped,
    )


def result_of(item: InputLine, outcome: Sequence[object]) -> Result:
    """The Result of ``item`` that ``outcome`` (from ``outcome_of``) describes; a page
    read on the way goes to ``item``'s sink."""
    _, status, ok, error, elapsed, final_url, attempts, kind, remapped = outcome[:9]
    settle(item, Page(*outcome[9]) if len(outcome) > 9 else None)  # type: ignore[misc]
    return Result(
        item.text,
        status,  # type: ignore[arg-type]
        ok,  # type: ignore[arg-type]
        error,  # type: ignore[arg-type]
        elapsed,  # type: ignore[arg-type]
        item.text if final_url == "" else final_url,  # type: ignore[arg-type]
        attempts,  # type: ignore[arg-type]
        item.source,
        item.line,
        kind=None if kind is None else FailureKind(kind),
        column=item.column,
        remapped=remapped,  # type: ignore[arg-type]
    )
