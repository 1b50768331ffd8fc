"""Short texts about a result that several formats share."""

from __future__ import annotations

import http

from ..results import Result


def format_elapsed(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def status_text(result: Result) -> str:
    """The status code, or ``ERR`` when no response arrived."""
    return "ERR" if result.status is None else str(result.status)


def reason(result: Result) -> str:
    """Why a result is not ok: its error, or the status with its phrase (``404 Not Found``)."""
    if result.error:
        return result.error
    if result.status is None:
        return ""
    try:
        phrase = http.HTTPStatus(result.status).phrase
    except ValueError:
        return str(result.status)
    return f"{result.status} {phrase}"


def outcome_text(result: Result) -> str:
    """What the ``URL -> ...`` part of a report says: the status code or the error."""
    return result.error or status_text(result)


def where(result: Result) -> str:
    """``SOURCE:LINE``, the place in the input the URL came from."""
    return f"{result.source}:{result.line}"
