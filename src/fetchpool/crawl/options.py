"""How a website is read: whether pages are crawled, their scope, depth and number."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

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


def default_scope(url: str) -> str | None:
    """The scope a start page gives: its scheme, host and port, and its path up to its
    last ``/`` (as linkchecker and muffet take it); None for a URL that is no web page's."""
    parts = origin_and_path(url)
    if parts is None:
        return None
    origin, path = parts
    return origin + (path[: path.rfind("/") + 1] or "/")


def in_scope(url: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``url`` starts with one of ``prefixes`` (each as normal_prefix gives it)."""
    # A URL already in the one spelling, as most are, starts with its prefix as written: a
    # prefix's host ends at its "/", so no other host (nor user info) can match it.
    if url.startswith(prefixes):
        return True
    parts = origin_and_path(url)
    if parts is None:
        return False
    normal = parts[0] + parts[1]
    return any(normal.startswith(prefix) for prefix in prefixes)


def normal_prefix(prefix: str) -> str:
    """A --scope prefix (see check_prefix) as in_scope compares it."""
    parts = origin_and_path(prefix)
    return prefix if parts is None else parts[0] + parts[1]


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_and_path(url: str) -> tuple[str, str] | None:
    """``scheme://host[:port]`` and the path (``/`` at least) of an http(s) URL, in the
    one spelling scopes are compared in: scheme and host lower-cased, a default port and
    any user info left out; None for what is not an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}", parts.path or "/"


def sitemap_like(name: str) -> bool:
    """Whether ``name`` (a file name or a URL) is named as a sitemap is: ``.xml`` or
    ``.xml.gz``, in any case, a URL's query and fragment not looked at."""
    try:
        path = urlsplit(name).path if "://" in name else name
    except ValueError:
        return False
    return path.lower().endswith((".xml", ".xml.gz"))
