"""``URL<TAB>STATUS[<TAB>reason]``, one line per result: for grep, cut and awk."""

from __future__ import annotations

from ..results import Result
from .base import Writer
from .text import status_text

_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


class PlainWriter(Writer):
    def format(self, result: Result) -> str:
        line = f"{result.url.translate(_ESCAPES)}\t{status_text(result)}"
        if result.error:
            line += f"\t{result.error.translate(_ESCAPES)}"
        return line + "\n"
