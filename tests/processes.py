"""What every child process the tests start needs."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """For a child process: SIGINT as a shell's foreground job has it.

    A test run started in the background inherits SIGINT ignored, and so would
    every fetchpool it starts; the Ctrl-C tests need the signal delivered.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
