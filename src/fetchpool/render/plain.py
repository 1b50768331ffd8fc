"""``URL<TAB>STATUS[<TAB>reason]``, one line per result: for grep, cut and awk.

Control characters, tabs and line breaks among them, are written as escapes
(see text.printable), so a line is always one result and a terminal shows it as is.
"""

from __future__ import annotations

from ..core.results import Result
from .base import Writer
from .text import printable, status_text


class PlainWriter(Writer):
    def format(self, result: Result) -> str:
        line = f"{printable(result.url)}\t{status_text(result)}"
        if result.error:
            line += f"\t{printable(result.error)}"
        return line + "\n"
