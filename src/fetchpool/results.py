"""The record each URL check produces, and the run's tally."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# The keys machine-readable formats write, in this order.
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
)


@dataclass(frozen=True)
class Result:
    """What happened to one input line.

    ``status`` is None when no response arrived; ``error`` then says why in a few words.
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

    @property
    def outcome(self) -> str:
        """``ok``, ``failed`` (a response outside --accept) or ``error`` (no response)."""
        if self.ok:
            return "ok"
        return "failed" if self.status is not None else "error"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["elapsed"] = round(self.elapsed, 6)
        return {key: data[key] for key in FIELDS}


@dataclass
class Tally:
    """Counts of outcomes, updated as results are written."""

    ok: int = 0
    failed: int = 0
    error: int = 0

    def add(self, result: Result) -> None:
        outcome = result.outcome
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def total(self) -> int:
        return self.ok + self.failed + self.error

    @property
    def all_ok(self) -> bool:
        return self.failed == 0 and self.error == 0
