"""The live progress display on standard error while results come in."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from ..core.inputs import InputLine
from ..core.pool import PoolState
from ..core.results import BROKEN, INCONCLUSIVE, OK, SKIPPED, Tally
from ..core.urls import masked
from .summary import class_counts
from .text import escape_surrogates, printable

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.progress import Progress


_CLASS_STYLES = {OK: "green", BROKEN: "red", INCONCLUSIVE: "yellow", SKIPPED: "dim"}

# The output has waited this long for one URL before the display names it.
NAME_THE_WAIT_AFTER = 1.0


def describe_flight(state: PoolState) -> str:
    """Requests in flight and results done behind the head: ``3 in flight · 120 done behind``."""
    text = f"{state.running} in flight"
    return f"{text} · {state.waiting} done behind" if state.waiting else text


def describe_wait(
    state: PoolState, now: float | None = None, hide: Callable[[str], str] | None = None
) -> str | None:
    """The URL the output waits for, once it has waited a while: ``waiting for
    https://slow.example/ (8 s)``, its password and what ``hide`` masks masked; None while
    nothing has waited that long."""
    if state.head is None or state.head_started is None:
        return None
    waited = (time.monotonic() if now is None else now) - state.head_started
    if waited < NAME_THE_WAIT_AFTER:
        return None
    url = state.head.text if isinstance(state.head, InputLine) else str(state.head)
    url = masked(url, hide)
    shown = printable(escape_surrogates(url))
    return f"waiting for {shown} ({waited:.0f} s)"


class StatusDisplay:
    """A Rich progress display on ``stream`` (a terminal) while results come in, when
    ``enabled``.

    With ``redirect_stdout``, anything written to ``sys.stdout`` meanwhile is
    printed above the display instead of through it. ``state``, when given, is
    asked at each refresh what is in flight and what the output waits for, so
    the display stays true while no result comes. ``tally`` is read at each refresh
    too: counting a result costs the writer nothing here. ``note``, when given, is asked
    at each refresh for more to show (a crawl's pages read and to read). ``hide`` masks the
    run's secrets in the URL waited for.
    """

    def __init__(
        self,
        stream: TextIO | None,
        enabled: bool,
        redirect_stdout: bool,
        state: Callable[[], PoolState] | None = None,
        tally: Tally | None = None,
        note: Callable[[], str] | None = None,
        hide: Callable[[str], str] | None = None,
    ) -> None:
        self.stream = stream
        self._note = note
        self._hide = hide
        self.enabled = enabled and stream is not None
        self._state = state
        self._tally = tally
        self._redirect = redirect_stdout
        self._progress: Progress | None = None

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

            state = self._state
            tally = self._tally
            note = self._note
            hide = self._hide
            # The pool's state, asked once at each refresh, for the column and the line below.
            latest: list[PoolState | None] = [None]

            class StateColumn(ProgressColumn):
                """What is in flight, as of this refresh."""

                def render(self, task: Task) -> Text:
                    parts = [describe_flight(latest[0])] if latest[0] else []
                    if note is not None:
                        parts.append(note())
                    return Text(" ".join(f"{part} ·" for part in parts))

            class LiveProgress(Progress):
                """The progress line, then what the output waits for, when it waits."""

                def get_renderables(self) -> Iterable[RenderableType]:
                    latest[0] = state() if state is not None else None
                    if tally is not None:
                        for task in self.tasks:
                            self.update(task.id, completed=tally.total)
                    yield self.make_tasks_table(self.tasks)
                    wait = describe_wait(latest[0], hide=hide) if latest[0] else None
                    if wait:
                        yield Text(wait, style="yellow", no_wrap=True, overflow="ellipsis")

            class CountsColumn(ProgressColumn):
                """The tally by class, in the summary's words."""

                def render(self, task: Task) -> Text:
                    if tally is None:
                        return Text("")
                    text = Text()
                    for number, word in class_counts(tally):
                        text.append(f"{number} {word} ", style=_CLASS_STYLES.get(word, ""))
                    text.append("·")
                    return text

            class RateColumn(ProgressColumn):
                """Results per second so far, worked out at each refresh, not at each result."""

                def render(self, task: Task) -> Text:
                    elapsed = task.elapsed or 0.0
                    rate = f"{task.completed / elapsed:.1f}/s" if elapsed > 0.5 else ""
                    return Text(rate, style="dim")

            console = Console(file=self.stream)
            self._progress = LiveProgress(
                SpinnerColumn(),
                TextColumn("checked [bold]{task.completed}[/] ·"),
                CountsColumn(),
                StateColumn(),
                RateColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                redirect_stdout=self._redirect,
                redirect_stderr=False,
            )
            self._progress.start()
            self._progress.add_task("", total=None)
        return self

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
