"""Writing a run's results as they come: one output writer, the progress display, the tally."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from .results import Result, Tally

if TYPE_CHECKING:
    from .baseline import Baseline


@dataclass
class Written:
    """What was written: the tally, and for an interrupted run how many went unreported."""

    tally: Tally = field(default_factory=Tally)
    unreported: int = 0

    @property
    def interrupted(self) -> bool:
        return self.unreported > 0

    def fails(self, fail_on: str, baseline: Baseline | None = None) -> bool:
        """Whether the run fails under ``--fail-on`` (any, broken or new)."""
        if fail_on == "broken":
            return self.tally.broken > 0
        if fail_on == "new":
            return baseline is not None and bool(baseline.comparison.newly_broken)
        return not self.tally.all_ok


def write_report(
    results: Iterator[Result],
    format_name: str,
    stream: TextIO,
    *,
    progress: bool = False,
    baseline: Baseline | None = None,
) -> Written:
    """Write every result in ``format_name`` to ``stream`` as it arrives.

    ``results`` is a running ``Checks`` (with a live progress display on
    standard error when ``progress``) or any iterator of Results (merged
    reports). Ctrl-C during a run writes the results already finished, in
    order, and returns with ``unreported`` set. Errors reading the input or
    writing the output (a closed pipe: BrokenPipeError) propagate.
    """
    from .pipeline import Checks
    from .render import make_writer
    from .render.status import StatusDisplay

    written = Written()
    checks = results if isinstance(results, Checks) else None
    terminal = stream is sys.stdout and sys.stdout.isatty()
    display = StatusDisplay(
        sys.stderr,
        enabled=progress and checks is not None,
        redirect_stdout=terminal,
        state=checks.state if checks is not None else None,
    )

    with display:
        # Made inside the display, so that what goes to the terminal appears above it.
        writer = make_writer(format_name, sys.stdout if terminal else stream)

        def take(result: Result) -> None:
            writer.write(result)
            written.tally.add(result)
            if baseline is not None:
                baseline.compare(result)

        try:
            for result in results:
                take(result)
                if checks is not None:
                    display.update(written.tally)
                    # Flush only when the next result is not in yet: a reader sees
                    # each result promptly, and a fast run is not one write per line.
                    if not checks.ready():
                        writer.flush()
        except KeyboardInterrupt:
            if checks is None:
                raise
            finished = checks.finished()
            written.unreported = max(1, checks.in_flight - len(finished))
            for result in finished:
                take(result)
        writer.finish()
    return written
