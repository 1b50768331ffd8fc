"""When to try again: the statuses retried, the server's Retry-After, and the backoff."""

from __future__ import annotations

import email.utils
import random
import time
from datetime import UTC
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import requests

RETRY_STATUSES = frozenset({429, 502, 503, 504})


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    # ASCII digits only: "\xb2" (superscript two, as a Latin-1 header gives it) is a digit
    # to str.isdigit, and no number to float().
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


def first_retry_after(response: requests.Response) -> str | None:
    """The Retry-After header, the first one when there are several: requests joins them
    with ", ", which is no number of seconds, and a CDN may add one to the server's."""
    values: list[str] = response.raw.headers.getlist("Retry-After")
    return values[0] if values else None


def rate_limit_reset(response: requests.Response, now: float | None = None) -> float | None:
    """Seconds until the rate limit a 403 or 429 answer says is spent resets, by GitHub's
    headers (``x-ratelimit-remaining: 0``, ``x-ratelimit-reset``: seconds since the
    epoch); None for any other answer."""
    if response.status_code not in (403, 429):
        return None
    headers = response.raw.headers
    remaining = headers.getlist("x-ratelimit-remaining")
    resets = headers.getlist("x-ratelimit-reset")
    if not remaining or remaining[0].strip() != "0" or not resets:
        return None
    reset = resets[0].strip()
    if not (reset.isascii() and reset.isdigit()):
        return None
    return max(0.0, float(reset) - (now if now is not None else time.time()))


def rate_limited(reset: float, max_wait: float, retries_left: int) -> str:
    """Why a check ended on a spent rate limit that resets in ``reset`` seconds."""
    try:
        # The date too when it is not within the day: a reset hours away reads as today's.
        shape = " at %H:%M:%S UTC" if reset < 12 * 3600 else " at %Y-%m-%d %H:%M:%S UTC"
        when = time.strftime(shape, time.gmtime(time.time() + reset))
    except (OverflowError, OSError, ValueError):  # a server's reset past any clock
        when = ""
    if retries_left <= 0:
        why = "no retries left"
    elif reset > max_wait:
        why = f"over --max-retry-wait {max_wait:g} s"
    else:
        why = "past -m"
    return f"rate limited: the host's limit resets{when}, in {reset:.0f} s ({why})"


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    """Seconds to wait before retry number ``attempt`` (from 1): as long as the server's
    Retry-After says, or ``base`` doubled each time with jitter; never over ``cap``."""
    if retry_after is not None:
        return min(retry_after, cap)
    # Jitter spreads the retries of many threads apart.
    delay: float = min(cap, base * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.0)
