"""Writing a run's results as they come: one output writer, the progress display, the tally."""

from __future__ import annotations

import errno
import os
import select
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from ..core.results import Result, Tally

if TYPE_CHECKING:
    from ..ci.baseline import Baseline
    from .base import View


@dataclass
class Written:
    """What was written: the tally, the run's wall time (None for merged reports, which
    have none), and whether the run was interrupted, leaving ``unreported`` URLs in
    flight without a result."""

    tally: Tally = field(default_factory=Tally)
    interrupted: bool = False
    unreported: int = 0
    seconds: float | None = None


class _ReaderWatch:
    """While results go to a pipe, notices at once that its reader went away (``| head -1``).

    A write would notice too, but the next write may be a slow URL's whole timeout away.
    ``on_gone`` is called from the watching thread.
    """

    def __init__(self, stream: TextIO, on_gone: Callable[[], None] | None) -> None:
        self.gone = False
        self._on_gone = on_gone
        self._fd = _pipe_fd(stream) if on_gone is not None else None
        self._done = threading.Event()

    def __enter__(self) -> _ReaderWatch:
        if self._fd is not None:
            watcher = threading.Thread(
                target=self._watch, args=(self._fd,), name="fetchpool-reader", daemon=True
            )
            watcher.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()

    def _watch(self, fd: int) -> None:
        poller = select.poll()
        poller.register(fd, 0)  # no events asked for: errors and hang-ups still come
        while not self._done.is_set():
            if poller.poll(200) and self._on_gone is not None:
                self.gone = True
                self._on_gone()
                return


def _pipe_fd(stream: TextIO) -> int | None:
    """The descriptor of ``stream`` when it is a pipe or a socket that poll() can watch."""
    if not hasattr(select, "poll"):
        return None
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError):
        return None
    return fd if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else None


def write_report(
    results: Iterator[Result],
    format_name: str,
    stream: TextIO,
    *,
    progress: TextIO | None = None,
    terminal: bool = False,
    baseline: Baseline | None = None,
    progress_note: Callable[[], str] | None = None,
    hide: Callable[[str], str] | None = None,
    view: View | None = None,
) -> Written:
    """Write every result in ``format_name`` to ``stream`` as it arrives.

    ``results`` is a running ``Checks`` (with a live progress display on the
    terminal ``progress``, when given) or any iterator of Results (merged
    reports). Each is written as ``text.for_display`` gives it, passwords and what
    ``hide`` masks (the run's secrets) masked, and compared with ``baseline`` so.
    ``terminal`` says that ``stream`` is a terminal, the one the display is on: results
    are then printed above the display, not through it.
    ``progress_note`` gives the display more to show (see StatusDisplay). ``view`` says
    how the table shows results (see base.View); the tally counts every result whatever
    the table shows.
    A run cut short by ``Checks.interrupt()`` (a signal) ends with
    the results already finished, in order, and the output closed as for a
    whole run; ``interrupted`` and ``unreported`` say so. Errors reading the
    input or writing the output (a closed pipe: BrokenPipeError, raised as soon
    as the pipe's reader goes away) propagate.
    """
    from ..ci.checks import Checks
    from . import make_writer
    from .progress import StatusDisplay
    from .text import for_display

    written = Written()
    checks = results if isinstance(results, Checks) else None
    display = StatusDisplay(
        progress,
        enabled=progress is not None and checks is not None,
        redirect_stdout=terminal,
        state=checks.state if checks is not None else None,
        tally=written.tally,
        note=progress_note,
        hide=hide,
    )

    watch = _ReaderWatch(stream, checks.close if checks is not None else None)
    with display, watch:
        # Made inside the display, on the standard output it puts in place (which prints
        # above it) when the results go to its terminal.
        target = sys.stdout if terminal and display.enabled else stream
        writer = make_writer(format_name, target, view)

        def take(result: Result) -> None:
            # The one door to the writers: no format shows a password or a bare surrogate.
            result = for_display(result, hide)
            writer.write(result)
            written.tally.add(result)
            if baseline is not None:
                baseline.compare(result)

        # An interrupted run ends here too: its next() stops before taking a result, so
        # none is lost between the run and the writer.
        for result in results:
            take(result)
            # Flush only when the next result is not in yet: a reader sees
            # each result promptly, and a fast run is not one write per line.
            if checks is not None and not checks.ready():
                writer.flush()
        if checks is not None and checks.interrupted:
            finished = checks.finished()
            written.interrupted = True
            written.unreported = max(0, checks.in_flight - len(finished))
            for result in finished:
                take(result)
        if watch.gone:
            raise BrokenPipeError(errno.EPIPE, "the output's reader went away")
        if checks is not None:
            written.seconds = time.perf_counter() - checks.started
        writer.finish(written.seconds)
    return written
