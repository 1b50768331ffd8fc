"""When two input lines name the same thing to fetch, and which host a URL belongs to."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def host_of(url: str) -> str:
    """The URL's host, lowercased, in IDNA form, without a trailing dot; ``""`` if none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def url_key(url: str, keep_fragment: bool = False) -> str:
    """``url`` as the request it makes: scheme and host lowercased, fragment dropped
    (kept with ``keep_fragment``, when what the page holds is checked too).

    Lines with the same key are one fetch (``--dedupe``) and one cache entry
    (``--cache``); text that does not parse as a URL is its own key.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    return urlunsplit(
        (
            parts.scheme.lower(),
            _lower_host(parts.netloc),
            parts.path,
            parts.query,
            parts.fragment if keep_fragment else "",
        )
    )


def _lower_host(netloc: str) -> str:
    # Lowercase the host but not the user info, which may be case-sensitive.
    userinfo, at, hostport = netloc.rpartition("@")
    return f"{userinfo}{at}{hostport.lower()}"
