"""What every output writer does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TextIO

from ..core.results import Result

# What the table shows: the problems (broken, inconclusive) alone, or every result.
Show = Literal["problems", "all"]
SHOW: tuple[Show, ...] = ("problems", "all")


@dataclass(frozen=True)
class View:
    """How the table, the one format for people's eyes alone, shows results: only the
    problems (``problems_only``), and with the path each link to a local file resolved to
    (``verbose``). Every other format writes every record in full and takes no view."""

    problems_only: bool = False
    verbose: bool = False


class Writer:
    """Writes results one at a time as they arrive; ``finish`` closes the document.

    The caller calls ``flush`` whenever it is about to wait for the next result,
    so a reader at the other end of a pipe sees each result without delay, and a
    fast run is not slowed by a system call per line.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, result: Result) -> None:
        self.stream.write(self.format(result))

    def flush(self) -> None:
        self.stream.flush()

    def format(self, result: Result) -> str:
        raise NotImplementedError

    def finish(self, seconds: float | None = None) -> None:
        """Close the document. ``seconds`` is the run's wall time; None when there was
        no run (merged reports)."""
        self.stream.flush()
