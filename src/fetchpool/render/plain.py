"""``URL<TAB>STATUS[<TAB>reason]``, one line per result: for grep, cut and awk. A link
found in a document has its place as a fourth field, the reason empty when there is
none: ``URL<TAB>STATUS<TAB>reason<TAB>SOURCE:LINE:COLUMN``.

Control characters, tabs and line breaks among them, are written as escapes
(see text.printable), so a line is always one result and a terminal shows it as is.
"""

from __future__ import annotations

from ..core.results import Result
from .base import Writer
from .text import printable, status_text, where


class PlainWriter(Writer):
    def format(self, result: Result) -> str:
        line = f"{printable(result.url)}\t{status_text(result)}"
        if result.column:
            line += f"\t{printable(result.error or '')}\t{printable(where(result))}"
        elif result.error:
            line += f"\t{printable(result.error)}"
        return line + "\n"
