"""Inline markers that leave links out of a check, in any comment syntax:
``fetchpool-disable`` ... ``fetchpool-enable`` for a block, and
``fetchpool-disable-next-line`` or ``fetchpool-disable-line`` for one line."""

from __future__ import annotations

_MARK = "fetchpool-"


def disabled_lines(text: str) -> frozenset[int]:
    """The line numbers (from 1) whose links are left out."""
    if _MARK not in text:
        return frozenset()
    disabled: set[int] = set()
    off = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _MARK not in line:
            if off:
                disabled.add(number)
            continue
        if "fetchpool-disable-next-line" in line:
            disabled.add(number + 1)
        elif "fetchpool-disable-line" in line:
            disabled.add(number)
        elif "fetchpool-disable" in line:
            off = True
        elif "fetchpool-enable" in line:
            off = False
        if off:
            disabled.add(number)
    return frozenset(disabled)
