"""GitHub Actions workflow commands: an annotation on the input line of each failure.

``::error file=SOURCE,line=N,title=broken::URL -> 404`` for a broken URL and
``::warning ...`` for an inconclusive one; ok URLs print nothing. Control
characters are written as escapes first (see text.printable), since a job's log
is shown as a terminal would show it; then values are escaped as GitHub's own
toolkit escapes them (``%``, CR and LF in the message; also ``:`` and ``,`` in
properties). A SOURCE of ``-`` (standard input) has no file to point at, so
those annotations carry no file or line; nor does a web page's, whose place (URL, line
and column) is written in the message instead.
"""

from __future__ import annotations

import os
from typing import TextIO

from ..core.results import BROKEN, SKIPPED, Result
from ..core.urls import is_web_url
from .base import Writer
from .text import outcome_text, printable, where

_DATA_ESCAPES = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
_PROPERTY_ESCAPES = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def escape_data(text: str) -> str:
    return printable(text).translate(_DATA_ESCAPES)


def escape_property(text: str) -> str:
    return printable(text).translate(_PROPERTY_ESCAPES)


def workflow_command(command: str, message: str, **properties: str) -> str:
    """One ``::command prop=value,...::message`` line, escaped."""
    props = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}\n"


def checkout(workspace: str | None = None) -> str | None:
    """The checkout paths are given relative to: ``workspace``, else $GITHUB_WORKSPACE."""
    return workspace if workspace is not None else os.environ.get("GITHUB_WORKSPACE")


def annotation_path(source: str, workspace: str | None) -> str:
    """``source`` relative to the checkout (``$GITHUB_WORKSPACE``) when it lies inside it,
    since that is the path GitHub matches annotations against."""
    if not workspace:
        return source
    absolute = os.path.abspath(source)
    root = os.path.abspath(workspace)
    if os.path.commonpath([absolute, root]) != root:
        return source
    return os.path.relpath(absolute, root)


class GitHubWriter(Writer):
    def __init__(self, stream: TextIO, workspace: str | None = None) -> None:
        super().__init__(stream)
        self.workspace = checkout(workspace)

    def format(self, result: Result) -> str:
        category = result.category
        if result.ok or category == SKIPPED:
            return ""
        properties = {}
        message = f"{result.url} -> {outcome_text(result)}"
        if is_web_url(result.source):
            # A web page is no file of the checkout: the place goes in the message.
            message += f" (on {where(result)})"
        elif result.source != "-":
            properties["file"] = annotation_path(result.source, self.workspace)
            properties["line"] = str(result.line)
            if result.column:
                properties["col"] = str(result.column)
        properties["title"] = category
        command = "error" if category == BROKEN else "warning"
        return workflow_command(command, message, **properties)
