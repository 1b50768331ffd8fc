"""A Markdown report for a CI job's summary page: counts, then failures, then the rest.

Failures come first but arrive mixed with the rest, so rows are kept in two
spooled temporary files (memory, then disk) and the document is written at the
end. The ok rows sit in a collapsed ``<details>`` block.
"""

from __future__ import annotations

import re
import tempfile
from typing import TextIO

from ..core.results import BROKEN, INCONCLUSIVE, SKIPPED, Result, Tally
from .base import Writer
from .text import format_elapsed, printable, reason, status_text, where

_SPOOL_BYTES = 1024 * 1024
# Characters that could start inline markup; a backslash escapes any ASCII punctuation.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def escape_text(text: str) -> str:
    """``text`` as literal Markdown, safe inside a table cell, control characters escaped."""
    return _SPECIAL.sub(r"\\\1", printable(text))


def code_span(text: str) -> str:
    """``text`` as a code span, safe inside a table cell (a pipe is escaped even there),
    control characters escaped."""
    text = printable(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if longest or text.startswith(" ") else text
    return f"{fence}{padded}{fence}".replace("|", "\\|")


class MarkdownWriter(Writer):
    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._tally = Tally()
        self._failures = self._spool()
        self._passes = self._spool()

    @staticmethod
    def _spool() -> tempfile.SpooledTemporaryFile[str]:
        # backslashreplace: a writer used on its own may be given a name no UTF-8 holds.
        return tempfile.SpooledTemporaryFile(
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8", errors="backslashreplace"
        )

    def write(self, result: Result) -> None:
        self._tally.add(result)
        url = code_span(result.url)
        if result.ok:
            time = "cached" if result.cached else format_elapsed(result.elapsed)
            self._passes.write(
                f"| {url} | {result.status} | {time} | {escape_text(where(result))} |\n"
            )
        else:
            self._failures.write(
                f"| {url} | {status_text(result)} | {result.category}"
                f" | {escape_text(reason(result))} | {escape_text(where(result))} |\n"
            )

    def format(self, result: Result) -> str:  # pragma: no cover - write() is overridden
        raise NotImplementedError

    def finish(self, seconds: float | None = None) -> None:
        tally = self._tally
        write = self.stream.write
        write(f"## fetchpool: {_headline(tally)}\n\n")
        write("| Result | URLs |\n|---|---:|\n")
        write(f"| ok | {tally.ok} |\n")
        write(f"| {BROKEN} | {tally.broken} |\n")
        write(f"| {INCONCLUSIVE} | {tally.inconclusive} |\n")
        if tally.skipped:
            write(f"| {SKIPPED} | {tally.skipped} |\n")
        write(f"| **total** | **{tally.total}** |\n")
        if tally.total - tally.ok:
            write("\n### Failures\n\n")
            write("| URL | Status | Class | Reason | Where |\n|---|---:|---|---|---|\n")
            self._copy(self._failures)
        if tally.ok:
            noun = "URL" if tally.ok == 1 else "URLs"
            write(f"\n<details><summary>{tally.ok} ok {noun}</summary>\n\n")
            write("| URL | Status | Time | Where |\n|---|---:|---:|---|\n")
            self._copy(self._passes)
            write("\n</details>\n")
        self._failures.close()
        self._passes.close()
        super().finish(seconds)

    def _copy(self, spool: tempfile.SpooledTemporaryFile[str]) -> None:
        spool.seek(0)
        for line in spool:
            self.stream.write(line)


def _headline(tally: Tally) -> str:
    if tally.total == 0:
        return "no URLs checked"
    if tally.all_ok:
        return f"all {tally.total} URLs ok" if tally.total > 1 else "the URL is ok"
    return f"{tally.broken} broken, {tally.inconclusive} inconclusive of {tally.total} URLs"
