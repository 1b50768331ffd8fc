"""The standard streams a command runs with, and whether each is a terminal.

Read from the process once (``Environment.from_process``) and passed down: nothing else
in fetchpool asks ``isatty()`` or looks at sys.stdin, sys.stdout or sys.stderr to decide
anything, so a test can run the command in-process with streams of its own.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, TextIO


@dataclass(frozen=True)
class Environment:
    """Standard input (bytes: URLs are read as bytes), output and error, and whether
    each is a terminal. ``stdin`` and ``stdout`` are None when the process was started
    with them closed (``<&-``, ``>&-``)."""

    stdin: BinaryIO | None
    stdout: TextIO | None
    stderr: TextIO
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False

    @classmethod
    def from_process(cls) -> Environment:
        """This process's streams, as they are now."""
        stderr = sys.stderr
        if stderr is None:  # started with standard error closed (2>&-): nothing can show there
            stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
        return cls(
            stdin=getattr(sys.stdin, "buffer", None),
            stdout=sys.stdout,
            stderr=stderr,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(stderr),
        )


def _isatty(stream: IO[Any] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):  # closed, or not a real file
        return False
