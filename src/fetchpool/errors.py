"""Every error fetchpool reports: one tree, rooted at ``FetchpoolError``.

Each is raised where the problem is found and caught once, by the command's ``main``,
which prints it as one line (``fetchpool: error: ...``) and exits with status 2. A
failed fetch is never one of these: it is a Result.
"""

from __future__ import annotations

from typing import ClassVar


class FetchpoolError(Exception):
    """Something fetchpool cannot do as it was asked; the message says what, in one line."""

    #: Whether the error is in what the command line asks for, found before any result was
    #: written: the message then points to ``--help``.
    usage: ClassVar[bool] = False


class UsageError(FetchpoolError):
    """What was asked cannot be done: a SOURCE that cannot be read, an output that would
    overwrite an input, a report named twice, ``--fail-on new`` without a baseline."""

    usage = True


class ConfigError(FetchpoolError):
    """A config file that cannot be read, or that sets something it may not."""

    usage = True


class CacheError(FetchpoolError):
    """The --cache file exists but cannot be read as a fetchpool cache."""

    usage = True


class InputError(FetchpoolError):
    """A source could not be opened or read during the run."""


class ReportError(FetchpoolError):
    """A report file cannot be opened, or a line of it is not a fetchpool result."""


class OutputError(FetchpoolError):
    """The results cannot be written (a full disk); a closed pipe is not an error."""
