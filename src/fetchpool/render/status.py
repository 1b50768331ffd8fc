"""What goes to standard error: a live progress display and the closing summary."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from ..results import Result, Tally

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ..baseline import Baseline


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def summary_line(
    tally: Tally,
    seconds: float | None,
    unreported: int = 0,
    skipped: int = 0,
    merged: int | None = None,
) -> str:
    """One line: the counts, the wall time and the rate; then the failure classes, the
    cached results and the lines left out, when there are any.

    ``unreported`` marks an interrupted run: how many URLs in flight went unreported.
    ``seconds`` is None for merged reports, whose wall time says nothing; ``merged``
    is then how many reports were merged.
    """
    text = (
        f"{_count(tally.total, 'URL')}: {tally.ok} ok, {tally.failed} failed,"
        f" {_count(tally.error, 'error')}"
    )
    if merged is not None:
        text = f"merged {_count(merged, 'report')}, {text}"
    if seconds is not None:
        rate = tally.total / seconds if seconds > 0 else 0.0
        text += f" in {seconds:.2f} s ({rate:.1f} URLs/s)"
    extras = []
    if not tally.all_ok:
        extras.append(f"{tally.broken} broken, {tally.inconclusive} inconclusive")
    if tally.cached:
        extras.append(f"{tally.cached} ok from cache")
    if skipped:
        extras.append(f"{_count(skipped, 'line')} not selected")
    if unreported:
        extras.append(f"{unreported} in flight not reported")
    if extras:
        text += "; " + "; ".join(extras)
    return f"interrupted after {text}" if unreported else text


def baseline_lines(baseline: Baseline) -> list[str]:
    """The comparison with --baseline: a count line, then each URL under its heading."""
    comparison = baseline.comparison
    groups = (
        ("newly broken", comparison.newly_broken),
        ("fixed", comparison.fixed),
        ("still broken", comparison.still_broken),
    )
    counts = ", ".join(f"{len(results)} {name}" for name, results in groups)
    lines = [f"compared with {baseline.path}: {counts}"]
    for name, results in groups:
        if results:
            lines.append(f"{name}:")
            lines.extend(f"  {_describe(result)}" for result in results)
    return lines


def _describe(result: Result) -> str:
    place = f"{result.source}:{result.line}"
    if result.ok:
        return f"{place}  {result.url}"
    return f"{place}  {result.url} -> {result.error or result.status}"


class StatusDisplay:
    """A Rich progress display on ``stream`` while results come in, when it is a terminal.

    With ``redirect_stdout``, anything written to ``sys.stdout`` meanwhile is
    printed above the display instead of through it.
    """

    def __init__(self, stream: TextIO, enabled: bool, redirect_stdout: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._redirect = redirect_stdout
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> StatusDisplay:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                Progress,
                ProgressColumn,
                SpinnerColumn,
                Task,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.text import Text

            class RateColumn(ProgressColumn):
                """Results per second so far, worked out at each refresh, not at each result."""

                def render(self, task: Task) -> Text:
                    elapsed = task.elapsed or 0.0
                    rate = f"{task.completed / elapsed:.1f}/s" if elapsed > 0.5 else ""
                    return Text(rate, style="dim")

            console = Console(file=self.stream)
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("checked [bold]{task.completed}[/] ·"),
                TextColumn(
                    "[green]{task.fields[ok]} ok[/] [yellow]{task.fields[failed]} failed[/]"
                    " [red]{task.fields[error]} errors[/] ·"
                ),
                TextColumn("{task.fields[in_flight]} in flight ·"),
                RateColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                redirect_stdout=self._redirect,
                redirect_stderr=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                "", total=None, ok=0, failed=0, error=0, in_flight=0
            )
        return self

    def update(self, tally: Tally, in_flight: int) -> None:
        if self._progress is None or self._task is None:
            return
        self._progress.update(
            self._task,
            advance=1,
            ok=tally.ok,
            failed=tally.failed,
            error=tally.error,
            in_flight=in_flight,
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def print_summary(line: str, stream: TextIO | None = None, all_ok: bool = True) -> None:
    """Write the summary line, coloured when the stream is a terminal."""
    stream = stream or sys.stderr
    if stream.isatty():
        from rich.console import Console

        Console(file=stream, highlight=False).print(line, style="green" if all_ok else "yellow")
    else:
        stream.write(line + "\n")
        stream.flush()
