"""Exit statuses, the one function that decides a run's, and the one way to leave at once."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from enum import IntEnum
from typing import IO, TYPE_CHECKING, Any, Literal, NoReturn

if TYPE_CHECKING:
    from .ci.baseline import Baseline
    from .core.results import Tally

# What fails a run (--fail-on): any URL not ok, only broken ones, or only newly broken ones.
FailOn = Literal["any", "broken", "new"]
FAIL_ON: tuple[FailOn, ...] = ("any", "broken", "new")
DEFAULT_FAIL_ON: FailOn = "any"


class ExitStatus(IntEnum):
    """fetchpool's exit statuses, as the README's table and ``--help`` list them."""

    OK = 0
    NOT_OK = 1  # a URL is not ok, under --fail-on
    USAGE = 2  # a usage, input or output error, named in one line
    SIGHUP = 129  # stopped by a signal: 128 + its number, as a shell reports a process it ended
    SIGINT = 130
    BROKEN_PIPE = 141  # the output's reader went away: what `yes | head` reports
    SIGTERM = 143

    @classmethod
    def from_signal(cls, signum: int) -> ExitStatus:
        """The status for a run stopped by ``signum``; raises ValueError for a signal
        other than SIGHUP, SIGINT or SIGTERM."""
        return cls(128 + signum)


def decide_status(
    tally: Tally,
    fail_on: FailOn = DEFAULT_FAIL_ON,
    baseline: Baseline | None = None,
    signum: int | None = None,
) -> ExitStatus:
    """The exit status of a run that wrote ``tally``: the signal's when one stopped it,
    else NOT_OK when ``fail_on`` finds a URL that fails it, else OK.

    ``fail_on`` "new" fails only on URLs broken now and not in ``baseline``, so it
    never fails without one.
    """
    if signum is not None:
        return ExitStatus.from_signal(signum)
    if fail_on == "broken":
        fails = tally.broken > 0
    elif fail_on == "new":
        fails = baseline is not None and bool(baseline.comparison.newly_broken)
    else:
        fails = not tally.all_ok
    return ExitStatus.NOT_OK if fails else ExitStatus.OK


def leave_now(status: int, flush: Iterable[IO[Any] | None] = ()) -> NoReturn:
    """End the process with ``status`` at once, after flushing the streams in ``flush``.

    Not ``sys.exit``: a normal exit joins every worker thread, and a request still in
    flight (a silent server, a long --timeout) or a write blocked on a full pipe would hold
    the process for as long as it takes. A run that was stopped wants none of that: what
    finished is written, and the rest is abandoned. The only ``os._exit`` in fetchpool.
    """
    for stream in flush:
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(status)
