"""A Rich table for people at a terminal, printed a row at a time as results arrive: every
result, or only the problems (see base.View)."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..core.results import BROKEN, INCONCLUSIVE, SKIPPED, Result
from .base import View, Writer
from .text import format_elapsed, printable, status_text, where

_STATUS_WIDTH = 6
_TIME_WIDTH = 8
# The detail column takes a third of the width; half when links in documents come first:
# their detail holds where the link is written as well as what is wrong.
_DETAIL_SHARE = 3
_DOCUMENT_DETAIL_SHARE = 2


def status_style(result: Result) -> str:
    """Colour by status class, bold where the result is not ok; a skipped link is dim."""
    if result.outcome == SKIPPED:
        return "dim"
    if result.status is None:
        return "green" if result.ok else "bold red"  # a link to a file: there or not
    colour = {2: "green", 3: "cyan", 4: "yellow", 5: "red"}.get(result.status // 100, "magenta")
    return colour if result.ok else f"bold {colour}"


class TableWriter(Writer):
    """Columns URL, Status, Time and Detail; widths fixed from the terminal's, so rows line up.

    With ``view.problems_only`` only broken and inconclusive results get a row (in input
    order, as every row); the header comes with the first row, so no problem, no header.
    """

    def __init__(
        self, stream: TextIO, console: Console | None = None, view: View | None = None
    ) -> None:
        super().__init__(stream)
        # A console of the caller's sets width and colours; rows still go to ``stream``.
        self.console = console or Console(file=stream, highlight=False)
        self.view = view or View()
        self._header_done = False
        self._left_out = 0
        # Set by the first row, so that every row lines up with the header.
        self._detail_share = _DETAIL_SHARE

    def _table(self, header: bool) -> Table:
        width = self.console.width
        detail_width = max(20, width // self._detail_share)
        url_width = max(20, width - _STATUS_WIDTH - _TIME_WIDTH - detail_width - 3)
        table = Table(
            box=None,
            padding=(0, 1, 0, 0),
            show_header=header,
            show_edge=False,
            header_style="bold underline",
        )
        table.add_column("URL", width=url_width, overflow="fold", no_wrap=False)
        table.add_column("Status", width=_STATUS_WIDTH, justify="right")
        table.add_column("Time", width=_TIME_WIDTH, justify="right")
        table.add_column("Detail", width=detail_width, overflow="fold")
        return table

    def write(self, result: Result) -> None:
        if self.view.problems_only and result.category not in (BROKEN, INCONCLUSIVE):
            self._left_out += 1
            return
        if not self._header_done and result.column:
            self._detail_share = _DOCUMENT_DETAIL_SHARE
        table = self._table(header=not self._header_done)
        self._header_done = True
        skipped = result.outcome == SKIPPED
        if not result.ok:
            # The failure class first: it is what decides whether the run fails.
            detail = f"{result.category}: {result.error}" if result.error else result.category
            if result.final_url and result.final_url not in (result.url, result.source):
                # Where a redirect led, and it failed; the file a local link was looked
                # for in (not the document it is in: the row says where that is).
                detail += f" at {result.final_url}"
        elif (
            result.final_url
            and result.final_url != result.url
            and (self.view.verbose or result.status is not None)
        ):
            # Where a redirect led; for a link to a file (ok with no response), its path
            # on disk, with -v only: the row already says where the link is written.
            detail = f"-> {result.final_url}"
        else:
            detail = ""
        if result.cached:
            detail = f"{detail} (cached)" if detail else "cached"
        if result.column:  # a link in a document: where it is written
            detail = f"{where(result)} {detail}" if detail else where(result)
        table.add_row(
            # Rich strips only some control characters: an ESC would reach the terminal.
            Text(printable(result.url)),
            Text(status_text(result), style=status_style(result)),
            Text(format_elapsed(result.elapsed), style="dim"),
            Text(printable(detail), style="dim" if result.ok or skipped else "red"),
        )
        self._print(table)

    def _print(self, renderable: Table | Text) -> None:
        # Rendered to text and written to the stream, not printed to it: a Console
        # unwraps the stdout proxy of a live progress display and would write under
        # the display instead of above it.
        with self.console.capture() as capture:
            self.console.print(renderable)
        self.stream.write(capture.get())
        self.stream.flush()

    def finish(self, seconds: float | None = None) -> None:
        if not self._header_done:
            if self._left_out:
                noun = "URL" if self._left_out == 1 else "URLs"
                line = f"Nothing broken or inconclusive among {self._left_out:,} {noun}."
            else:
                line = "No URLs in the input."
            self._print(Text(line, style="dim"))
        super().finish(seconds)
