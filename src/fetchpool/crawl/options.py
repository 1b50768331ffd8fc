"""How a website is read: whether pages are crawled, their scope, depth and number."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# Pages a crawl reads at most, unless told otherwise: a site that never ends (a calendar,
# session ids in every link) must not keep a run going for ever.
DEFAULT_MAX_PAGES = 100_000


@dataclass(frozen=True)
class CrawlOptions:
    """``crawl`` reads every page in scope (not only the pages given as SOURCEs);
    ``scope`` is the URL prefixes a page must start with to be read (none: each start
    page's own, see default_scope); ``depth`` how many links away from a start page a
    page may be to be read (None: any); ``max_pages`` how many pages are read at most;
    ``robots`` whether robots.txt is obeyed."""

    crawl: bool = False
    scope: tuple[str, ...] = ()
    depth: int | None = None
    max_pages: int = DEFAULT_MAX_PAGES
    robots: bool = True

    def __post_init__(self) -> None:
        if self.depth is not None and self.depth < 0:
            raise ValueError("depth must be 0 or more")
        if self.max_pages < 1:
            raise ValueError("max_pages must be 1 or more")
        for prefix in self.scope:
            check_prefix(prefix)


def check_prefix(prefix: str) -> str:
    """``prefix`` when it is an http(s) URL prefix; raises ValueError naming it else."""
    try:
        parts = urlsplit(prefix)
    except ValueError as exc:
        raise ValueError(f"{prefix!r} is not a URL: {exc}") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{prefix!r} is not an http(s) URL like https://example.com/docs/")
    return prefix


def default_scope(url: str) -> str:
    """The scope a start page gives: its scheme, host and port, and its path up to its
    last ``/`` (as linkchecker and muffet take it)."""
    parts = urlsplit(url)
    path = parts.path[: parts.path.rfind("/") + 1] or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def in_scope(url: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``url`` starts with one of ``prefixes``, scheme and host in any case."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https"):
        return False
    normal = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))
    return any(normal.startswith(prefix) for prefix in prefixes)


def normal_prefix(prefix: str) -> str:
    """A --scope prefix as in_scope compares it: scheme and host lower-cased, a bare host
    given its ``/``."""
    parts = urlsplit(prefix)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))
