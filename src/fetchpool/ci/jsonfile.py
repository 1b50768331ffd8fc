"""JSON that fetchpool reads back (a --cache file, a line of a jsonl report), read so that
no file can end the run with a traceback: nesting is bounded, numbers are finite."""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Deeper than any file fetchpool writes (a cache is 3 levels, a report line 1), and far
# shallower than the interpreter's recursion limit, which '[' * 100000 would pass.
MAX_DEPTH = 32

# To find how deep brackets nest, at C speed: drop escapes (a \" does not end a string),
# then strings (whose brackets are text), then all but brackets; then take away the
# innermost pairs, a level at a time.
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class BadJson(ValueError):
    """Text that is not JSON fetchpool reads: malformed, nested too deeply, or holding a
    number that is not finite. The message says which, in a few words."""


def loads(text: str) -> Any:
    """The value ``text`` holds, as ``json.loads`` gives it.

    Raises BadJson when ``text`` is not JSON, nests arrays and objects deeper than
    MAX_DEPTH, or holds NaN, Infinity, -Infinity or a number too large to be finite.
    """
    if text.count("[") + text.count("{") > MAX_DEPTH:  # else it cannot nest that deep
        _check_depth(text)
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except BadJson:
        raise
    except RecursionError as exc:  # in case the interpreter's limit is lower still
        raise BadJson(f"nested deeper than {MAX_DEPTH} levels") from exc
    except json.JSONDecodeError as exc:
        raise BadJson(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except ValueError as exc:  # a number with more digits than int() takes
        raise BadJson(f"not JSON: {exc}") from exc


def _check_depth(text: str) -> None:
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    for _ in range(MAX_DEPTH):
        inner = brackets.replace("[]", "").replace("{}", "")
        if inner == brackets:
            return  # all taken away, or what is left is no nesting (json.loads says why)
        brackets = inner
    if "[]" in brackets or "{}" in brackets:
        raise BadJson(f"nested deeper than {MAX_DEPTH} levels")


def _refuse_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson(f"{text} is not a finite number")
    return value
