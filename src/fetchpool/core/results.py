"""The record each URL check produces, and the run's tally."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# A result's categories, named here too for those that read results.
from .failures import BROKEN as BROKEN
from .failures import INCONCLUSIVE as INCONCLUSIVE
from .failures import OK as OK
from .failures import SKIPPED as SKIPPED
from .failures import FailureKind, kind_from_text

# The keys machine-readable formats write, in this order (Result.to_dict spells them out).
FIELDS = (
    "url",
    "status",
    "ok",
    "error",
    "elapsed",
    "final_url",
    "attempts",
    "source",
    "line",
    "column",
    "category",
    "kind",
    "cached",
    "remapped",
)


@dataclass(frozen=True)
class Result:
    """What happened to one input line.

    ``status`` is None when no response arrived; ``error`` then says why in a few words.
    ``cached`` is True when the result was taken from ``--cache`` instead of fetched.
    ``kind`` is None when ok, HTTP_STATUS for a response outside --accept, and else
    what went wrong; a failed Result made without one takes it from ``status`` and
    ``error`` (see failures.kind_from_text).
    """

    url: str
    status: int | None
    ok: bool
    error: str | None = None
    elapsed: float = 0.0
    final_url: str | None = None
    attempts: int = 0
    source: str = "-"
    line: int = 0
    cached: bool = False
    kind: FailureKind | None = None
    # Where on its line the link starts, from 1, for a link found in a document; else 0.
    column: int = 0
    # The URL fetched in place of ``url`` when --remap rewrote it; else None.
    remapped: str | None = None

    def __post_init__(self) -> None:
        if self.ok:
            object.__setattr__(self, "kind", None)
        elif self.kind is None:
            object.__setattr__(self, "kind", kind_from_text(self.status, self.error))

    @property
    def outcome(self) -> str:
        """``ok``, ``failed`` (a response outside --accept), ``error`` (no response) or
        ``skipped`` (not requested, on purpose: see failures.SKIPPED)."""
        if self.ok:
            return "ok"
        if self.status is not None:
            return "failed"
        return SKIPPED if self.kind is not None and self.kind.category_for() == SKIPPED else "error"

    @property
    def category(self) -> str:
        """``ok``, or the failure's ``broken`` or ``inconclusive``, from its kind."""
        if self.kind is None:
            return OK
        return self.kind.category_for(self.status)

    def to_dict(self) -> dict[str, Any]:
        """The keys of FIELDS, in that order, with JSON's values: ``kind`` by its name,
        ``elapsed`` to the microsecond, and the ``category`` the kind gives."""
        # Written out, not dataclasses.asdict, which deep-copies every value: this runs
        # once for every result written.
        kind = self.kind
        return {
            "url": self.url,
            "status": self.status,
            "ok": self.ok,
            "error": self.error,
            "elapsed": round(self.elapsed, 6),
            "final_url": self.final_url,
            "attempts": self.attempts,
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "category": OK if kind is None else kind.category_for(self.status),
            "kind": None if kind is None else kind.value,
            "cached": self.cached,
            "remapped": self.remapped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """The Result a ``to_dict`` (or a line of ``-f jsonl``) describes.

        Keys other than the fields are ignored (``category`` is recomputed). A
        failure with no ``kind``, or one this version does not know, takes its kind
        from its status and error (a report from before kinds were written).
        Raises ValueError when ``url`` is missing or a value has the wrong type.
        """
        url = data.get("url")
        if not isinstance(url, str):
            raise ValueError("no 'url' string")
        status = data.get("status")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
            raise ValueError("'status' is not an integer or null")
        ok = data.get("ok", False)
        error = data.get("error")
        elapsed = data.get("elapsed", 0.0)
        final_url = data.get("final_url")
        attempts = data.get("attempts", 0)
        source = data.get("source", "-")
        line = data.get("line", 0)
        cached = data.get("cached", False)
        kind = data.get("kind")
        column = data.get("column", 0)
        remapped = data.get("remapped")
        checks = (
            (isinstance(ok, bool), "'ok' is not true or false"),
            (error is None or isinstance(error, str), "'error' is not a string or null"),
            (_is_number(elapsed), "'elapsed' is not a number"),
            (final_url is None or isinstance(final_url, str), "'final_url' is not a string"),
            (_is_int(attempts), "'attempts' is not an integer"),
            (isinstance(source, str), "'source' is not a string"),
            (_is_int(line), "'line' is not an integer"),
            (isinstance(cached, bool), "'cached' is not true or false"),
            (kind is None or isinstance(kind, str), "'kind' is not a string or null"),
            (_is_int(column), "'column' is not an integer"),
            (remapped is None or isinstance(remapped, str), "'remapped' is not a string"),
        )
        for passed, problem in checks:
            if not passed:
                raise ValueError(problem)
        return cls(
            url,
            status,
            ok,
            error,
            float(elapsed),
            final_url,
            attempts,
            source,
            line,
            cached,
            None if kind is None else FailureKind.named(kind),
            column,
            remapped,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class Tally:
    """Results counted by class (ok, broken, inconclusive, skipped), as they are written;
    ``cached`` counts the ok results taken from --cache."""

    ok: int = 0
    broken: int = 0
    inconclusive: int = 0
    skipped: int = 0
    cached: int = 0

    def add(self, result: Result) -> None:
        category = result.category
        if category == OK:
            self.ok += 1
        elif category == BROKEN:
            self.broken += 1
        elif category == INCONCLUSIVE:
            self.inconclusive += 1
        else:
            self.skipped += 1
        if result.cached:
            self.cached += 1

    @property
    def total(self) -> int:
        return self.ok + self.broken + self.inconclusive + self.skipped

    @property
    def all_ok(self) -> bool:
        """Whether nothing is broken or inconclusive (a skipped link fails no run)."""
        return self.broken == 0 and self.inconclusive == 0
