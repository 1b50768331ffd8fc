"""How a run is configured, and parsing of the option values that have a syntax."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .. import __version__
from .credentials import HostHeader

METHODS = ("GET", "HEAD")
DEFAULT_USER_AGENT = f"fetchpool/{__version__}"
MAX_WORKERS_LIMIT = 1024
MAX_PROCESSES = 256
# How long an ok result stays fresh in --cache (--max-age), as the command line writes it.
DEFAULT_MAX_AGE = "1d"


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Accept:
    """A set of HTTP status codes, written like ``200-299,401``."""

    ranges: tuple[tuple[int, int], ...] = ((200, 399),)

    def __contains__(self, status: object) -> bool:
        return isinstance(status, int) and any(lo <= status <= hi for lo, hi in self.ranges)

    def __str__(self) -> str:
        return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self.ranges)

    @classmethod
    def parse(cls, text: str) -> Accept:
        """Parse ``200-299,401``; raises ValueError naming the bad part."""
        ranges = []
        for part in text.split(","):
            part = part.strip()
            match = re.fullmatch(r"(\d{3})(?:\s*-\s*(\d{3}))?", part)
            if not match:
                raise ValueError(f"{part!r} is not a status code or a range like 200-299")
            lo = int(match.group(1))
            hi = int(match.group(2) or lo)
            if not (100 <= lo <= hi <= 999):
                raise ValueError(f"{part!r} is not a range of status codes from 100 to 999")
            ranges.append((lo, hi))
        return cls(tuple(ranges))


def parse_header(text: str) -> tuple[str, str]:
    """Split ``Name: value``; raises ValueError when it is not a valid header (saying
    so without the text, which may be a secret pasted in the wrong place)."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
        raise ValueError("the value given is not a header like 'Name: value'")
    value = value.strip()
    if any(ch in value for ch in "\r\n\x00"):
        raise ValueError(f"header {name!r} has a line break or NUL in its value")
    try:
        value.encode("latin-1")  # what http.client sends a header value as
    except UnicodeEncodeError:
        raise ValueError(
            f"header {name!r} has characters in its value that are not Latin-1"
        ) from None
    return name, value


def parse_user_agent(text: str) -> str:
    """``text`` as a User-Agent value; raises ValueError when it holds a line break or NUL,
    which would end the header (or the request) early."""
    if any(ch in text for ch in "\r\n\x00"):
        raise ValueError("the User-Agent has a line break or NUL in it")
    return text


@dataclass(frozen=True)
class Remap:
    """A rewrite of the URLs fetched: the first part of ``REGEX REPLACEMENT`` that matches
    a URL is replaced (``\\1``, ``$1``, ``${name}`` name its groups)."""

    pattern: re.Pattern[str]
    replacement: str

    @classmethod
    def parse(cls, text: str) -> Remap:
        """``REGEX REPLACEMENT``, split at the last space; raises ValueError naming what
        is wrong."""
        parts = text.strip().rsplit(None, 1)
        if len(parts) != 2:
            raise ValueError(f"{text!r} is not 'REGEX REPLACEMENT'")
        try:
            pattern = re.compile(parts[0])
        except re.error as exc:
            raise ValueError(f"{parts[0]!r} is not a regular expression: {exc}") from None
        replacement = _DOLLAR.sub(r"\\g<\1\2>", parts[1])
        try:
            pattern.sub(replacement, "")  # parses the replacement, matched or not
        except (re.error, IndexError) as exc:
            raise ValueError(f"{parts[1]!r} is not a replacement for {parts[0]!r}: {exc}") from None
        return cls(pattern, replacement)

    def apply(self, url: str) -> str | None:
        """``url`` rewritten, or None when the pattern does not match it."""
        match = self.pattern.search(url)
        if match is None:
            return None
        return url[: match.start()] + match.expand(self.replacement) + url[match.end() :]


# $1 or ${1} or ${name}, as other tools write a group, to Python's \g<1>.
_DOLLAR = re.compile(r"\$(?:(\d+)|\{(\w+)\})")


def remapped(url: str, remaps: tuple[Remap, ...]) -> str | None:
    """``url`` as the first remap that matches it rewrites it; None when none changes it."""
    for remap in remaps:
        rewritten = remap.apply(url)
        if rewritten is not None:
            return None if rewritten == url else rewritten
    return None


@dataclass(frozen=True)
class Options:
    """Everything that decides how URLs are fetched. Defaults match the CLI's."""

    max_workers: int = 32
    # Seconds for one attempt as a whole: connecting, the status and headers, and
    # what is read of the body.
    timeout: float = 10.0
    # Seconds for a URL as a whole, all its attempts, redirects and waits; None: no cap.
    max_time: float | None = None
    retries: int = 2
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    # Headers sent to one host (or domain) alone, redirects included: --host-header, and
    # credentials.github_headers for a GitHub token.
    host_headers: tuple[HostHeader, ...] = ()
    # Rewrites of the URLs fetched (--remap); a result shows the URL as written.
    remap: tuple[Remap, ...] = ()
    user_agent: str = DEFAULT_USER_AGENT
    follow: bool = True
    max_redirects: int = 10
    accept: Accept = field(default_factory=Accept)
    max_retry_wait: float = 30.0
    # Base of the exponential backoff between retries, in seconds.
    backoff: float = 0.5
    per_host: int | None = None
    rate: float | None = None
    # Seconds between the starts of one host's requests, for hosts that ask for it
    # (robots.txt's Crawl-delay): (host, seconds) pairs, on top of ``rate``.
    intervals: tuple[tuple[str, float], ...] = ()
    # True, False (--insecure) or the path of a CA bundle.
    verify: bool | str = True
    # Items handed to the workers and not finished; None means twice max_workers.
    window: int | None = None
    # Processes that check URLs: 1 checks them on this process's threads; N > 1 spreads a
    # long input over N worker processes (its first items are checked here while they
    # start: see engine.py).
    processes: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.max_workers <= MAX_WORKERS_LIMIT:
            raise ValueError(f"max_workers must be from 1 to {MAX_WORKERS_LIMIT}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        if self.timeout <= 0:
            raise ValueError("timeout must be more than 0")
        if self.max_time is not None and self.max_time <= 0:
            raise ValueError("max_time must be more than 0")
        if self.retries < 0:
            raise ValueError("retries must be 0 or more")
        if not 1 <= self.processes <= MAX_PROCESSES:
            raise ValueError(f"processes must be from 1 to {MAX_PROCESSES}")

    @property
    def limits_hosts(self) -> bool:
        """Whether requests to a host are limited (--per-host, --rate, or a host's own
        interval)."""
        return bool(self.per_host or self.rate or self.intervals)

    @property
    def effective_window(self) -> int:
        # As many again as there are workers wait in the executor's queue, so a worker
        # that finishes never waits for the feeder to read the next line.
        return self.window or self.max_workers * 2


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``30m``, ``12h``, ``1d``, ``2w`` or ``1h30m``; a bare number is seconds.

    Raises ValueError naming the text when it is none of these.
    """
    cleaned = text.strip().lower()
    try:
        seconds = float(cleaned)
    except ValueError:
        parts = _DURATION.findall(cleaned)
        if not parts or _DURATION.sub("", cleaned).strip():
            raise ValueError(f"{text!r} is not a duration like 30m, 12h, 1d or 1h30m") from None
        seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a duration of 0 or more")
    return seconds
