"""robots.txt (RFC 9309): which URLs of a site fetchpool may fetch, how long it should wait
between requests, and the sitemaps the site lists. Bytes in, answers out: fetching the file
is the caller's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from protego import Protego

from .options import origin_and_path

# RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt; what lies beyond is cut.
MAX_ROBOTS: Final = 512 * 1024


def robots_url(url: str) -> str:
    """The robots.txt URL of ``url``'s origin: ``scheme://host[:port]/robots.txt``, with the
    scheme and host lowercased, a default port left out and any user info dropped.

    Raises ValueError when ``url`` is no http(s) URL with a host, or has a port that is not
    a number from 0 to 65535, or brackets that do not close.
    """
    parts = origin_and_path(url)
    if parts is None:
        raise ValueError(f"{url!r} is no http(s) URL with a host and a valid port")
    return parts[0] + "/robots.txt"


@dataclass(frozen=True)
class Robots:
    """What one origin's robots.txt says to ``user_agent`` (a User-Agent value such as
    ``fetchpool/1.2.3``, matched by its product token, ``fetchpool``, as RFC 9309 asks).

    Made by ``allow_all``, ``disallow_all``, ``parse`` or ``from_answer``. Nothing changes
    after construction, so threads may share one. Pickled, it carries only its text, which
    is parsed again where it is unpickled.
    """

    # The robots.txt as read: decoded, without a byte order mark, cut at MAX_ROBOTS.
    text: str = field(default="", repr=False)
    user_agent: str = ""
    # Why everything is disallowed (robots.txt could not be read); None when the text rules.
    reason: str | None = None
    # Seconds to wait between two requests to the origin: the larger of Crawl-delay and
    # what Request-rate gives for one request, in the group that applies; None if neither.
    crawl_delay: float | None = field(init=False)
    # The Sitemap lines, as written, in order, each once.
    sitemaps: tuple[str, ...] = field(init=False)
    _rules: Protego | None = field(init=False, repr=False, compare=False)
    # The name the rules are asked with: the product token, or "*" (see _asked_as).
    _asked_as: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rules = _parse(self.text) if self.reason is None and self.text else None
        asked_as = _asked_as(rules, self.user_agent) if rules is not None else "*"
        crawl_delay: float | None = None
        sitemaps: tuple[str, ...] = ()
        if rules is not None:
            delay = rules.crawl_delay(asked_as)
            rate = rules.request_rate(asked_as)
            per_request = rate.seconds / rate.requests if rate is not None else None
            crawl_delay = max((d for d in (delay, per_request) if d is not None), default=None)
            sitemaps = tuple(dict.fromkeys(rules.sitemaps))
            # Protego picks the group and indexes its rules on the first question asked:
            # asked here, later questions only read, and threads can share the rules.
            rules.can_fetch("/", asked_as)
        object.__setattr__(self, "_rules", rules)
        object.__setattr__(self, "_asked_as", asked_as)
        object.__setattr__(self, "crawl_delay", crawl_delay)
        object.__setattr__(self, "sitemaps", sitemaps)

    @classmethod
    def allow_all(cls) -> Robots:
        """Rules that allow every URL: no robots.txt, or one that is unavailable (4xx)."""
        return cls()

    @classmethod
    def disallow_all(cls, reason: str) -> Robots:
        """Rules that allow no URL, because of ``reason`` (robots.txt could not be read)."""
        return cls(reason=reason)

    @classmethod
    def parse(cls, body: bytes, user_agent: str) -> Robots:
        """The rules in robots.txt ``body`` for ``user_agent``.

        Read as UTF-8 (bytes that are not become U+FFFD), without a byte order mark, up to
        the last whole line within MAX_ROBOTS bytes. Never raises: a body that cannot be
        parsed allows every URL, as an empty robots.txt does.
        """
        return cls(_text(body), user_agent)

    @classmethod
    def from_answer(cls, status: int | None, body: bytes, user_agent: str) -> Robots:
        """The rules given by the answer to a request for robots.txt, after its redirects
        (RFC 9309 section 2.3.1): ``status`` is the final HTTP status, or None when no
        answer came (a network error, a timeout).

        2xx: the body's rules. 3xx (redirects that could not be followed) and 4xx
        (unavailable): every URL allowed. 429, 5xx, any other status, or no answer
        (unreachable): no URL allowed, with the reason. Never raises.
        """
        if status is None:
            return cls.disallow_all("robots.txt could not be read (no answer)")
        if 200 <= status < 300:
            return cls.parse(body, user_agent)
        # 429 asks to slow down, not to go ahead: unreachable, as Google reads it.
        if 300 <= status < 500 and status != 429:
            return cls.allow_all()
        return cls.disallow_all(f"robots.txt could not be read (HTTP {status})")

    def allowed(self, url: str) -> bool:
        """Whether fetchpool may fetch ``url``, a URL of this robots.txt's origin (its
        scheme and host are not looked at: only its path and query).

        The longest matching rule decides, Allow winning a tie; ``*`` and a final ``$`` in
        rules match as RFC 9309 says, and percent-encoding is compared decoded, but for
        ``%2F``, which is not ``/``. Costs a little per rule that could match; never raises.
        """
        if self.reason is not None:
            return False
        if self._rules is None:
            return True
        try:
            return self._rules.can_fetch(url, self._asked_as)
        except ValueError:
            # A URL that cannot be split is no path of this site: fetching reports it invalid.
            return True

    def __reduce__(self) -> tuple[Any, ...]:
        # The text, not protego's objects: a smaller pickle that reads the same anywhere.
        return (Robots, (self.text, self.user_agent, self.reason))


def _text(body: bytes) -> str:
    """``body`` as robots.txt text: up to its last whole line within MAX_ROBOTS bytes,
    decoded as UTF-8 with U+FFFD for what is not, without a byte order mark."""
    if len(body) > MAX_ROBOTS:
        cut = body[:MAX_ROBOTS]
        # A line cut short could allow more than it says ("Allow: /a-b" read as "/a"): drop it.
        end = max(cut.rfind(b"\n"), cut.rfind(b"\r"))
        body = cut[: end + 1]
    return body.decode("utf-8", errors="replace").removeprefix("\ufeff")


def _parse(text: str) -> Protego | None:
    """Protego's rules for ``text``, or None when it raises on it."""
    try:
        return Protego.parse(text)
    except Exception:  # protego is not ours: whatever it raises, the text is not read
        return None


def _product_token(user_agent: str) -> str:
    """The product token of a User-Agent value, lowercased: ``fetchpool`` for
    ``fetchpool/1.2.3 (+https://...)``; ``""`` when there is none."""
    words = user_agent.split("/", 1)[0].split()
    return words[0].lower() if words else ""


def _asked_as(rules: Protego, user_agent: str) -> str:
    """The name to ask ``rules`` with for ``user_agent``: its product token when a group
    names it, else ``*``.

    Protego takes a group whose name begins the token as matching it (``User-agent: fetch``
    for ``fetchpool``); RFC 9309 matches the whole token, and asking as ``*`` when no group
    names it keeps that.
    """
    token = _product_token(user_agent)
    groups = getattr(rules, "_user_agents", None)
    if not token or (isinstance(groups, dict) and token not in groups):
        return "*"
    return token
