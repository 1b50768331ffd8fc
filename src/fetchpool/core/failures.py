"""What kind of failure a result is: retried or not, broken or inconclusive.

A failure's kind decides what it is; its reason text is for people. Machine
formats write the kind's value (``"dns"``, ``"timeout"``), so a reworded
reason never changes how an old report is read.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from enum import Enum
from typing import NamedTuple

# Failure classes. A *broken* link is one the checker is sure of: the server says it is gone,
# or no server can ever answer it. An *inconclusive* one may work for a reader but not for
# this check, now: rate limits, bot walls, logins, timeouts, server errors, TLS trouble.
OK = "ok"
BROKEN = "broken"
INCONCLUSIVE = "inconclusive"
# Not requested, on purpose (robots.txt asks a crawl not to): neither ok nor a failure.
SKIPPED = "skipped"
CATEGORIES = (OK, BROKEN, INCONCLUSIVE, SKIPPED)

# Client errors that say more about the client (no login, a bot wall, too many requests,
# the wrong country) than about the link. Every other status below 500 that is not
# accepted is broken; 500 and up is inconclusive.
INCONCLUSIVE_STATUSES = frozenset({401, 403, 407, 408, 425, 429, 451})

TIMED_OUT = "timed out"


class FailureKind(Enum):
    """Why a URL is not ok. The value is the stable name machine formats write."""

    DNS = "dns"  # the name does not resolve
    DNS_TRY_AGAIN = "dns_try_again"  # the resolver said "try again later" (EAI_AGAIN)
    REFUSED = "refused"
    RESET = "reset"
    CLOSED = "closed"  # the server closed the connection before a whole answer
    CONNECTION_FAILED = "connection_failed"  # a connection error of no kind above
    UNREACHABLE = "unreachable"
    TOO_MANY_FILES = "too_many_files"  # this machine's open-file limit (EMFILE, ENFILE)
    TIMEOUT = "timeout"
    TLS_VERIFY = "tls_verify"
    TLS = "tls"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    INVALID_REDIRECT = "invalid_redirect"
    INVALID_RESPONSE = "invalid_response"  # a status line or Content-Length against HTTP
    HEADERS_TOO_LARGE = "headers_too_large"
    INVALID_URL = "invalid_url"
    MISSING_SCHEME = "missing_scheme"
    NOT_A_URL = "not_a_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    BAD_LINE = "bad_line"  # an input line that is no text: not UTF-8, NUL, too long, binary
    PROXY = "proxy"  # the proxy could not be reached or used
    PROXY_REFUSED = "proxy_refused"  # the proxy answered CONNECT with a refusal
    FILE_NOT_FOUND = "file_not_found"  # a link in a document to a file that is not there
    MISSING_ANCHOR = "missing_anchor"  # a #fragment its page or file does not have
    NOT_CHECKED = "not_checked"  # a link that could not be checked here (see its reason)
    UNREADABLE = "unreadable"  # a document or folder that could not be read (see its reason)
    OUTSIDE_TREE = "outside_tree"  # a link or symlink out of the tree checked: not looked up
    WORKER_LOST = "worker_lost"  # the worker process checking it ended (killed, out of memory)
    ROBOTS_DISALLOWED = "robots_disallowed"  # a crawl's link robots.txt says not to request
    RATE_LIMITED = "rate_limited"  # a host's rate limit spent until after --max-retry-wait
    HTTP_STATUS = "http_status"  # a response whose status is outside --accept
    OTHER = "other"  # anything unexpected

    @property
    def transient(self) -> bool:
        """Whether a request that failed this way (no response) is retried.

        A response is retried by its status (fetch.RETRY_STATUSES), not by its
        kind: HTTP_STATUS is not transient here.
        """
        return _TRAITS[self][0]

    def category_for(self, status: int | None = None) -> str:
        """``broken`` or ``inconclusive``; for HTTP_STATUS, that of ``status``:
        5xx and INCONCLUSIVE_STATUSES are inconclusive, any other status broken."""
        category = _TRAITS[self][1]
        if category is not None:
            return category
        if status is None or status >= 500 or status in INCONCLUSIVE_STATUSES:
            return INCONCLUSIVE
        return BROKEN

    @classmethod
    def named(cls, value: str) -> FailureKind | None:
        """The kind whose value is ``value``, or None for a name this version does not know."""
        return _BY_VALUE.get(value)


# Each kind: whether it is transient, and its category (None: by the status).
_TRAITS: dict[FailureKind, tuple[bool, str | None]] = {
    FailureKind.DNS: (False, BROKEN),
    FailureKind.DNS_TRY_AGAIN: (True, INCONCLUSIVE),  # the resolver, not the name: no network
    FailureKind.REFUSED: (True, BROKEN),
    FailureKind.RESET: (True, INCONCLUSIVE),
    FailureKind.CLOSED: (True, INCONCLUSIVE),
    FailureKind.CONNECTION_FAILED: (True, INCONCLUSIVE),
    FailureKind.UNREACHABLE: (True, INCONCLUSIVE),
    FailureKind.TOO_MANY_FILES: (True, INCONCLUSIVE),
    FailureKind.TIMEOUT: (True, INCONCLUSIVE),
    FailureKind.TLS_VERIFY: (False, INCONCLUSIVE),
    FailureKind.TLS: (False, INCONCLUSIVE),
    FailureKind.TOO_MANY_REDIRECTS: (False, BROKEN),
    FailureKind.INVALID_REDIRECT: (False, BROKEN),
    FailureKind.INVALID_RESPONSE: (False, BROKEN),
    FailureKind.HEADERS_TOO_LARGE: (False, BROKEN),
    FailureKind.INVALID_URL: (False, BROKEN),
    FailureKind.MISSING_SCHEME: (False, BROKEN),
    FailureKind.NOT_A_URL: (False, BROKEN),
    FailureKind.UNSUPPORTED_SCHEME: (False, BROKEN),
    FailureKind.BAD_LINE: (False, BROKEN),
    FailureKind.PROXY: (True, INCONCLUSIVE),
    FailureKind.PROXY_REFUSED: (False, INCONCLUSIVE),
    FailureKind.FILE_NOT_FOUND: (False, BROKEN),
    FailureKind.MISSING_ANCHOR: (False, BROKEN),
    FailureKind.NOT_CHECKED: (False, INCONCLUSIVE),
    FailureKind.UNREADABLE: (False, INCONCLUSIVE),
    FailureKind.OUTSIDE_TREE: (False, INCONCLUSIVE),
    FailureKind.WORKER_LOST: (False, INCONCLUSIVE),
    FailureKind.ROBOTS_DISALLOWED: (False, SKIPPED),
    FailureKind.RATE_LIMITED: (False, INCONCLUSIVE),
    FailureKind.HTTP_STATUS: (False, None),
    FailureKind.OTHER: (False, INCONCLUSIVE),
}
_BY_VALUE = {kind.value: kind for kind in FailureKind}


class Failure(NamedTuple):
    """A failure's kind, and its reason in a few words for people."""

    kind: FailureKind
    reason: str


# Reason texts as fetchpool has worded them, by the kind they name: for reports written
# before results carried their kind. Only this reads a kind from text.
_KIND_BY_REASON = (
    ("proxy: CONNECT", FailureKind.PROXY_REFUSED),
    ("proxy:", FailureKind.PROXY),
    ("DNS lookup failed", FailureKind.DNS),
    ("connection refused", FailureKind.REFUSED),
    ("connection reset", FailureKind.RESET),
    ("connection closed by server", FailureKind.CLOSED),
    ("connection failed", FailureKind.CONNECTION_FAILED),
    ("network unreachable", FailureKind.UNREACHABLE),
    ("too many open files", FailureKind.TOO_MANY_FILES),
    ("timed out", FailureKind.TIMEOUT),
    ("TLS certificate verify failed", FailureKind.TLS_VERIFY),
    ("TLS error", FailureKind.TLS),
    ("too many redirects", FailureKind.TOO_MANY_REDIRECTS),
    ("invalid redirect", FailureKind.INVALID_REDIRECT),
    ("invalid HTTP response", FailureKind.INVALID_RESPONSE),
    ("response headers too large", FailureKind.HEADERS_TOO_LARGE),
    ("invalid URL", FailureKind.INVALID_URL),
    ("missing scheme", FailureKind.MISSING_SCHEME),
    ("not a URL", FailureKind.NOT_A_URL),
    ("unsupported scheme", FailureKind.UNSUPPORTED_SCHEME),
    ("not valid UTF-8", FailureKind.BAD_LINE),
    ("contains a NUL byte", FailureKind.BAD_LINE),
    ("line too long", FailureKind.BAD_LINE),
    ("binary data", FailureKind.BAD_LINE),
)


def kind_from_text(status: int | None, error: str | None) -> FailureKind:
    """The kind of a failed result that does not name one (a report from before kinds
    were written, or a kind this version does not know), from its reason text.

    A status with no error is HTTP_STATUS; a reason this function does not know is
    OTHER, inconclusive: a link is taken for broken only when it is known to be.
    """
    if error is None:
        return FailureKind.OTHER if status is None else FailureKind.HTTP_STATUS
    for prefix, kind in _KIND_BY_REASON:
        if error.startswith(prefix):
            return kind
    return FailureKind.OTHER


def classify(exc: BaseException) -> Failure:
    """The kind of a failed request and a short human reason for it.

    A failure to reach or use a proxy says so (``proxy: connection refused``): it is
    no fault of the URL's, so it is never classed broken.
    """
    import urllib3

    chain = list(causes(exc))
    failure = _classify(exc, chain)
    if any(isinstance(item, urllib3.exceptions.ProxyError) for item in chain):
        # http.client words a refused CONNECT "Tunnel connection failed: 407 Proxy ...".
        refused = [str(item) for item in chain if type(item) is OSError]
        tunnel = [text for text in refused if text.startswith("Tunnel connection failed: ")]
        if tunnel:
            answer = tunnel[0].partition(": ")[2]
            return Failure(FailureKind.PROXY_REFUSED, f"proxy: CONNECT answered {answer}")
        return Failure(FailureKind.PROXY, f"proxy: {failure.reason}")
    return failure


def _classify(exc: BaseException, chain: list[BaseException]) -> Failure:
    # Imported here, not above: reading a report (merge, --baseline) needs the kinds,
    # not an HTTP client.
    import http.client
    import ssl

    import requests
    import urllib3

    from .transport import HeadTooLarge, InvalidResponse

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(item, types) for item in chain)

    if has(requests.exceptions.TooManyRedirects):
        return Failure(FailureKind.TOO_MANY_REDIRECTS, "too many redirects")
    if has(ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return Failure(FailureKind.TLS_VERIFY, "TLS certificate verify failed")
    if has(requests.exceptions.SSLError, ssl.SSLError):
        return Failure(FailureKind.TLS, "TLS error")
    if has(
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
        urllib3.exceptions.LocationParseError,
        UnicodeError,
    ):
        return Failure(FailureKind.INVALID_URL, "invalid URL")
    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        gai = next((item for item in chain if isinstance(item, socket.gaierror)), None)
        # EAI_AGAIN is the resolver saying "try later"; other answers are final.
        again = gai is not None and gai.errno == socket.EAI_AGAIN
        return Failure(FailureKind.DNS_TRY_AGAIN if again else FailureKind.DNS, "DNS lookup failed")
    if has(ConnectionRefusedError):
        return Failure(FailureKind.REFUSED, "connection refused")
    # Before ConnectionResetError, of which RemoteDisconnected is a subclass.
    if has(http.client.RemoteDisconnected):
        return Failure(FailureKind.CLOSED, "connection closed by server")
    invalid = next((item for item in chain if isinstance(item, InvalidResponse)), None)
    if invalid is not None:
        too_large = isinstance(invalid, HeadTooLarge)
        kind = FailureKind.HEADERS_TOO_LARGE if too_large else FailureKind.INVALID_RESPONSE
        return Failure(kind, invalid.reason)
    if has(ConnectionResetError):
        return Failure(FailureKind.RESET, "connection reset")
    for item in chain:
        if isinstance(item, OSError) and item.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return Failure(FailureKind.UNREACHABLE, "network unreachable")
        if isinstance(item, OSError) and item.errno in (errno.EMFILE, errno.ENFILE):
            # This machine's limit, not the server's doing: say so, not "timed out".
            return Failure(FailureKind.TOO_MANY_FILES, "too many open files here (see ulimit -n)")
    # After the causes above: urllib3 files every failed connect under ConnectTimeoutError.
    if has(
        requests.exceptions.Timeout,
        urllib3.exceptions.TimeoutError,
        socket.timeout,
        TimeoutError,
    ):
        return Failure(FailureKind.TIMEOUT, TIMED_OUT)
    if has(
        urllib3.exceptions.ProtocolError,
        http.client.IncompleteRead,
        requests.exceptions.ChunkedEncodingError,
    ):
        return Failure(FailureKind.CLOSED, "connection closed by server")
    if has(requests.exceptions.ContentDecodingError):
        # Bodies are never decoded, so this is as unexpected as the last case.
        return Failure(FailureKind.OTHER, "bad response")
    if has(requests.exceptions.ConnectionError):
        return Failure(FailureKind.CONNECTION_FAILED, "connection failed")
    return Failure(FailureKind.OTHER, f"request failed ({type(exc).__name__})")


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps: causes, contexts, urllib3 reasons and arguments."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked.extend(current.args)
        stack.extend(item for item in linked if isinstance(item, BaseException))


class Failed(Exception):
    """A request that produced no response: its kind, a short reason, and whether a retry
    may help (by default, whether the kind is transient)."""

    def __init__(self, kind: FailureKind, reason: str, transient: bool | None = None) -> None:
        super().__init__(reason)
        self.failure = Failure(kind, reason)
        self.transient = kind.transient if transient is None else transient
        # The URL that failed, when a redirect led there: the reason is about it, not the first.
        self.url: str | None = None
