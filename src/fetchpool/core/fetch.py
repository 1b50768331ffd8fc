"""One URL to one Result: sessions, timeouts, retries, politeness and error classification."""

from __future__ import annotations

import email.utils
import http.client
import os
import random
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import timezone
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from .deadline import Attempt, Watchdog
from .failures import TIMED_OUT, Failure, FailureKind, causes, classify
from .inputs import InputLine
from .options import Options
from .pages import fragment_problem, wants_check
from .results import Result
from .transport import SharedAdapter

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A body this small is read to its end so the connection can carry the next
# request; a larger one is cut off by closing the connection.
DRAIN_LIMIT = 64 * 1024
# Seconds a body may take to be read to its end; past that it is dropped with its connection.
DRAIN_WAIT = 1.0
_CHUNK = 16 * 1024
# Set-Cookie headers taken from one redirect's answer, as curl takes them.
MAX_SET_COOKIES = 50
_NO_SLOT = nullcontext()
# What a request can raise for anything the network, a server or a URL does.
_REQUEST_ERRORS = (
    requests.exceptions.RequestException,
    OSError,
    ValueError,
    urllib3.exceptions.HTTPError,
)


class _Answer(NamedTuple):
    """The last answer of a URL's redirects: its status, URL and Retry-After, and what is
    wrong with its page when one was looked into for a #fragment."""

    status: int
    url: str
    retry_after: str | None
    problem: Failure | None = None


class _Failure(Exception):
    """A request that produced no response: its kind, a short reason, and whether a retry
    may help (by default, whether the kind is transient)."""

    def __init__(self, kind: FailureKind, reason: str, transient: bool | None = None) -> None:
        super().__init__(reason)
        self.failure = Failure(kind, reason)
        self.transient = kind.transient if transient is None else transient
        # The URL that failed, when a redirect led there: the reason is about it, not the first.
        self.url: str | None = None


class Stopped(BaseException):
    """A request that was waiting for its host's turn when the fetcher stopped: it is never
    sent and has no Result. Not an Exception, so that nothing turns it into one: a run
    drops it as it drops a URL that never started (see Fetcher.stop)."""


# The usual URL, an http(s) scheme, a host name and perhaps a port (0 to 65535), is
# fetchable as it stands: matched at C speed, it skips the full check below.
_PORT = r"[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]"
_PLAIN_URL = re.compile(
    rf"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?(?::(?:{_PORT}))?(?:[/?#]\S*)?"
)

# A URL without its scheme, worth a "did you mean https://...?": a host name (dotted, with a
# top-level label of letters or xn--; or localhost), an IPv4 or bracketed IPv6 address, or
# any one label with a port; then perhaps a port, then perhaps a path. Letters of any script.
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_HOST_LIKE = re.compile(
    rf"(?://)?(?:(?:{_LABEL}\.)+(?:[^\W\d_]{{2,}}|xn--[a-z0-9-]+)\.?|localhost"
    rf"|[0-9]{{1,3}}(?:\.[0-9]{{1,3}}){{3}}|\[[0-9A-Fa-f:.]+\]|{_LABEL}(?=:))"
    rf"(?::(?:{_PORT}))?(?:[/?#]\S*)?",
    re.IGNORECASE,
)


def check_url(text: str) -> Failure | None:
    """Why ``text`` cannot be fetched as an http(s) URL, or None when it can."""
    if _PLAIN_URL.fullmatch(text):
        return None
    return _check_url_fully(text)


def _check_url_fully(text: str) -> Failure | None:
    # Splitting finds any whitespace at C speed: the text comes back whole only when it has none.
    if text and text.split(None, 1) != [text]:
        return _invalid_url("contains whitespace")
    if "://" not in text:
        scheme, colon, rest = text.partition(":")
        if colon and rest[:1].isalpha() and "." not in scheme and scheme.isalnum():
            return Failure(FailureKind.UNSUPPORTED_SCHEME, f"unsupported scheme {scheme.lower()!r}")
        if _HOST_LIKE.fullmatch(text):
            hint = f"missing scheme, did you mean https://{text.removeprefix('//')}?"
            return Failure(FailureKind.MISSING_SCHEME, hint)
        return Failure(FailureKind.NOT_A_URL, "not a URL")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return _invalid_url(str(exc))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme:
            return _invalid_url("empty scheme")
        return Failure(FailureKind.UNSUPPORTED_SCHEME, f"unsupported scheme {scheme!r}")
    if not parts.hostname:
        return _invalid_url("no host")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        port = parts.netloc.rpartition(":")[2]
        return _invalid_url(f"bad port {port!r}")
    return None


def _invalid_url(problem: str) -> Failure:
    return Failure(FailureKind.INVALID_URL, f"invalid URL: {problem}")


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
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


class HostLimiter:
    """Caps requests in flight per host, spaces each host's requests by a rate, and holds
    a host's requests while it has asked everyone to wait (Retry-After)."""

    def __init__(self, per_host: int | None, rate: float | None) -> None:
        self._per_host = per_host
        self._interval = 1.0 / rate if rate else 0.0
        self._lock = threading.Lock()
        # Only hosts with requests that hold or wait for a slot, or whose next turn is
        # still ahead: a run over a million hosts must not keep something for each.
        self._slots: dict[str, _HostSlots] = {}
        self._next_start: dict[str, float] = {}
        self._prune_at = _PRUNE_AT
        # Hosts held, and until when (time.monotonic()); seconds each was held, in all.
        self._held: dict[str, float] = {}
        self.held: dict[str, float] = {}

    @property
    def active(self) -> bool:
        return bool(self._per_host or self._interval or self._held)

    def hold(self, host: str, seconds: float) -> None:
        """Start none of ``host``'s requests for ``seconds`` from now."""
        if seconds <= 0:
            return
        with self._lock:
            now = time.monotonic()
            until = now + seconds
            before = max(now, self._held.get(host, now))
            if until > before:
                self._held[host] = until
                self.held[host] = self.held.get(host, 0.0) + until - before

    @contextmanager
    def slot(
        self, host: str, stop: threading.Event, deadline: float | None = None
    ) -> Iterator[None]:
        """Hold one of ``host``'s slots, starting no sooner than its rate and any hold allow.

        Raises _Failure(TIMEOUT) when the turn would come after ``deadline``
        (time.monotonic()), and Stopped once ``stop`` is set.
        """
        slots = None
        if self._per_host:
            with self._lock:
                slots = self._slots.get(host)
                if slots is None:
                    slots = self._slots[host] = _HostSlots(self._per_host)
                slots.users += 1
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not slots.semaphore.acquire(timeout=wait):
                self._leave(host, slots)
                # The URL's deadline has come: no time is left for a retry.
                raise _Failure(FailureKind.TIMEOUT, TIMED_OUT, transient=False)
        try:
            start = self._start_time(host, deadline)
            if stop.wait(start - time.monotonic()):
                # The run is over: the turn this request waited for would break the host's
                # limits with a burst of requests whose answers nobody reads.
                raise Stopped
            yield
        finally:
            if slots is not None:
                slots.semaphore.release()
                self._leave(host, slots)

    def _leave(self, host: str, slots: _HostSlots) -> None:
        """One request less holds or waits for ``host``'s slots; the last one drops them
        (all free, so nothing is lost: the next request makes them anew)."""
        with self._lock:
            slots.users -= 1
            if not slots.users:
                del self._slots[host]

    def _start_time(self, host: str, deadline: float | None) -> float:
        """When the next request to ``host`` may start (and, with a rate, take that turn)."""
        with self._lock:
            now = time.monotonic()
            start = now
            held = self._held.get(host)
            if held is not None:
                if held <= now:
                    del self._held[host]
                start = max(start, held)
            if self._interval:
                start = max(start, self._next_start.get(host, now))
            if deadline is not None and start > deadline:
                # A retry would wait for a turn later still.
                raise _Failure(FailureKind.TIMEOUT, TIMED_OUT, transient=False)
            if self._interval:
                self._next_start[host] = start + self._interval
            if len(self._next_start) + len(self._held) > self._prune_at:
                self._prune(now)
            return start

    def _prune(self, now: float) -> None:
        """Forget turns and holds that are over (under the lock): they no longer delay
        anything. Amortised: the next prune waits until the dicts have doubled."""
        self._next_start = {host: at for host, at in self._next_start.items() if at > now}
        self._held = {host: until for host, until in self._held.items() if until > now}
        self._prune_at = max(_PRUNE_AT, 2 * (len(self._next_start) + len(self._held)))


# Hosts whose turns and holds a HostLimiter keeps before it forgets those that are over.
_PRUNE_AT = 1024


class _HostSlots:
    """A host's slots, and how many requests hold or wait for one."""

    __slots__ = ("semaphore", "users")

    def __init__(self, size: int) -> None:
        self.semaphore = threading.Semaphore(size)
        self.users = 0


def proxies_from_environment(scheme: str, netloc: str) -> dict[str, str] | None:
    """The proxies the environment names for one origin (NO_PROXY applied), or None."""
    proxies = requests.utils.get_environ_proxies(f"{scheme}://{netloc}/")
    chosen = {key: proxies[key] for key in (scheme, "all") if key in proxies}
    return chosen or None


def _environment_ca_bundle() -> str | None:
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


class Fetcher:
    """Fetches one input line at a time into a Result; safe to call from many threads.

    All threads send through one connection pool (transport.SharedAdapter), so a
    connection to a host is kept alive and reused by whichever thread goes there
    next. Redirects are followed here, hop by hop, each hop passing its own host's
    limits; a chain's cookies go from hop to hop and end with it.
    """

    def __init__(
        self,
        options: Options | None = None,
        anchors_of: Callable[[str], set[str]] | None = None,
    ) -> None:
        """``anchors_of``, when given, turns on the check of ``#fragment`` URLs: it gives
        the anchors of an HTML page's text, which must hold the fragment."""
        self.options = options or Options()
        self._anchors_of = anchors_of
        self._requests = _Requests(self.options)
        self._adapter = SharedAdapter(self.options.max_workers)
        self._watchdog = Watchdog()
        self._limiter = HostLimiter(self.options.per_host, self.options.rate)
        self._stop = threading.Event()
        verify = self.options.verify
        if verify is True:
            verify = _environment_ca_bundle() or True
        self._verify = verify
        # Each read and connect is bounded by -t too; the watchdog bounds the whole attempt.
        self._timeout = (self.options.timeout, self.options.timeout)
        # Proxies are looked up once per origin, not on every request as requests would.
        self._proxies_for = lru_cache(maxsize=4096)(proxies_from_environment)
        self._has_proxies = bool(urllib.request.getproxies())

    @property
    def held(self) -> dict[str, float]:
        """Seconds each host was held because it answered with Retry-After, by host."""
        return dict(self._limiter.held)

    def stop(self) -> None:
        """Cut short every backoff; a request waiting for its host's turn is not sent (its
        fetch raises Stopped); requests under way finish on their own."""
        self._stop.set()

    def close(self) -> None:
        """Stop, and close every kept-alive connection."""
        self.stop()
        self._watchdog.close()
        self._adapter.close()

    def reject(self, item: InputLine) -> Result | None:
        """The error Result for a line that cannot be fetched at all, or None when it can."""
        if item.error:
            problem: Failure | None = Failure(FailureKind.BAD_LINE, item.error)
        else:
            problem = check_url(item.text)
        if problem is None:
            return None
        kind, reason = problem
        return Result(
            item.text, None, False, reason, 0.0, None, 0, item.source, item.line, kind=kind
        )

    def fetch(self, item: InputLine | str) -> Result:
        """Check one URL; never raises for anything the network or the input does."""
        if isinstance(item, str):
            item = InputLine(item)
        rejected = self.reject(item)
        return rejected if rejected is not None else self.fetch_accepted(item)

    def fetch_accepted(self, item: InputLine) -> Result:
        """``fetch`` for a line that ``reject`` has already let through."""
        started = time.perf_counter()
        failure: Failure | None
        kind: FailureKind | None
        try:
            status, final_url, failure, attempts = self._fetch_with_retries(item.text)
        except Exception as exc:  # a bug or an odd library error must not cost a result
            status, final_url, failure, attempts = None, None, classify(exc), 1
        if failure is not None:  # no answer, or one whose page lacks the #fragment
            ok, kind, error = False, failure.kind, failure.reason
        else:
            ok = status in self.options.accept
            kind, error = (None if ok else FailureKind.HTTP_STATUS), None
        return Result(
            item.text,
            status,
            ok,
            error,
            time.perf_counter() - started,
            final_url,
            attempts,
            item.source,
            item.line,
            kind=kind,
            column=item.column,
        )

    def _fetch_with_retries(self, url: str) -> tuple[int | None, str | None, Failure | None, int]:
        options = self.options
        # A #fragment is looked for in the page: HEAD has none to look in.
        method = "GET" if self._anchors_of is not None and "#" in url else options.method
        attempts = 0
        retries_left = options.retries
        # --max-time: one deadline for the URL, all its attempts and waits included.
        deadline = None if options.max_time is None else time.monotonic() + options.max_time
        while True:
            attempts += 1
            try:
                status, final_url, retry_after, problem = self._request(method, url, deadline)
            except _Failure as failure:
                if (
                    failure.transient
                    and retries_left > 0
                    and self._backoff(attempts, None, deadline)
                ):
                    retries_left -= 1
                    continue
                return None, failure.url, failure.failure, attempts
            if (
                status in RETRY_STATUSES
                and retries_left > 0
                and self._backoff(attempts, parse_retry_after(retry_after), deadline)
            ):
                retries_left -= 1
                continue
            if method == "HEAD" and status >= 400 and _time_left(deadline):
                # Servers answer HEAD with 405, 403, 404 or 500 when they mean "not supported".
                method = "GET"
                continue
            return status, final_url, problem, attempts

    def _backoff(self, attempt: int, retry_after: float | None, deadline: float | None) -> bool:
        """Wait before a retry; False (no wait) when the run stops or the wait would pass
        ``deadline``: the last attempt's outcome then stands."""
        cap = self.options.max_retry_wait
        if retry_after is not None:
            delay = min(retry_after, cap)
        else:
            delay = min(cap, self.options.backoff * 2 ** (attempt - 1))
            delay *= random.uniform(0.5, 1.0)  # jitter spreads retries of many threads apart
        if self._stop.is_set() or not _time_left(deadline, delay):
            return False
        self._stop.wait(delay)
        return not self._stop.is_set()

    def _request(self, method: str, url: str, url_deadline: float | None) -> _Answer:
        """Send ``url``'s request and follow its redirects, each hop a request of its own:
        it waits for its host's turn, gets -t, and has its body dropped unread past a
        small bound. Returns the last answer.

        Raises _Failure; past the first request, with the URL of the hop that failed."""
        request = self._requests.prepare(method, url)
        # A redirect chain carries its cookies from hop to hop, and no further.
        cookies: _ChainCookies | None = None
        fragment = urlsplit(url).fragment if self._anchors_of is not None else ""
        hops = 0
        while True:
            try:
                response, problem = self._hop(request, url_deadline, fragment)
            except _Failure as failure:
                if hops:
                    failure.url = str(request.url)
                raise
            if not (self.options.follow and response.is_redirect):
                return _Answer(
                    response.status_code, str(response.url), _retry_after(response), problem
                )
            hops += 1
            if hops > self.options.max_redirects:
                raise _Failure(FailureKind.TOO_MANY_REDIRECTS, "too many redirects")
            if cookies is None:
                # The first request's Cookie header is the one given with -H, if any.
                cookies = _ChainCookies(request.headers.get("Cookie"))
            cookies.extract_cookies(
                _SetCookies(response.raw.headers),  # type: ignore[arg-type]
                requests.cookies.MockRequest(request),  # type: ignore[arg-type]
            )
            request = self._requests.next_hop(request, response, cookies)

    def _hop(
        self, request: requests.PreparedRequest, url_deadline: float | None, fragment: str = ""
    ) -> tuple[requests.Response, Failure | None]:
        """One request: its host's turn, then the request itself within -t; the body is
        drained or dropped, never decoded or held. For a ``fragment`` to look for, a page
        that answers 2xx is read (to a bound) for it: what is wrong with it, or None."""
        url = str(request.url)
        slot: AbstractContextManager[None] = _NO_SLOT
        proxies: dict[str, str] = {}
        # The host matters only to host limits or to proxy settings; most runs have neither.
        if self._limiter.active or self._has_proxies:
            parts = urlsplit(url)
            if self._limiter.active:
                slot = self._limiter.slot(_host(parts.hostname), self._stop, url_deadline)
            if self._has_proxies:
                proxies = dict(self._proxies_for(parts.scheme.lower(), parts.netloc.lower()) or {})
        # Certificate settings matter only to TLS. For a plain http URL sent directly,
        # True spares requests a look at the CA bundle's path on disk for every request.
        verify = True if url.startswith("http:") and not proxies else self._verify
        with slot, self._watchdog.attempt(self._attempt_deadline(url_deadline)) as attempt:
            response = self._send_once_more_if_stale(request, verify, proxies, attempt)
            retry_after = _retry_after(response)
            if retry_after is not None and response.status_code in RETRY_STATUSES:
                self._limiter.hold(_host(urlsplit(url).hostname), self._held_for(retry_after))
            problem = None
            final = not (self.options.follow and response.is_redirect)
            if fragment and final and 200 <= response.status_code < 300 and wants_check(fragment):
                assert self._anchors_of is not None
                problem = fragment_problem(response, fragment, self._anchors_of)
            _discard_body(response, attempt)
        return response, problem

    def _held_for(self, retry_after: str) -> float:
        """How long a Retry-After answer holds its host: as asked, up to --max-retry-wait."""
        asked = parse_retry_after(retry_after)
        return 0.0 if asked is None else min(asked, self.options.max_retry_wait)

    def _send_once_more_if_stale(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        proxies: dict[str, str],
        attempt: Attempt,
    ) -> requests.Response:
        """Send; when a kept-alive connection fails before any answer, send again at once
        on a new one, within the same attempt, as curl and browsers do.

        Such a connection may have been closed by the server while idle, or left with
        bytes a server owed (a body sent after a HEAD answer): neither is the URL's doing.
        """
        while True:
            try:
                # The adapter directly, not Session.send: a check needs none of what
                # Session.send adds to a request (hooks, timing, a long-lived cookie jar).
                return self._adapter.send(
                    request, stream=True, timeout=self._timeout, verify=verify, proxies=proxies
                )
            except _REQUEST_ERRORS as exc:
                if attempt.expired:
                    # Cut off by the deadline: whatever broke, it broke because time ran out.
                    raise _Failure(FailureKind.TIMEOUT, TIMED_OUT) from exc
                if attempt.reused and not attempt.fresh and _unanswered(exc):
                    attempt.fresh = True
                    continue
                raise _Failure(*classify(exc)) from exc

    def _attempt_deadline(self, url_deadline: float | None) -> float:
        """When the request starting now must end: -t from now, and no later than -m."""
        ends = time.monotonic() + self.options.timeout
        return ends if url_deadline is None else min(ends, url_deadline)


class _Requests:
    """The requests a check sends, built as ``requests.Session.request`` would build them.

    ``PreparedRequest.prepare`` runs every step for every request: it checks each
    header again, and prepares cookies, a body and hooks, which a first request
    never has (GET and HEAD carry no body; cookies live only along a redirect
    chain). Only the steps that depend on the method and URL run here; tests hold
    the result equal to what ``prepare`` makes.
    """

    def __init__(self, options: Options) -> None:
        # A Session for its default headers and its rule for dropping credentials on a
        # redirect; it sends nothing.
        self._session = requests.Session()
        headers = self._session.headers
        headers["User-Agent"] = options.user_agent
        headers["Accept-Encoding"] = "identity"
        # HTTP/1.1 keeps a connection open unless told otherwise: like curl, fetchpool
        # does not spend a header on saying so in every request.
        del headers["Connection"]
        headers.update(dict(options.headers))
        checked = requests.PreparedRequest()
        checked.prepare_headers(headers)
        self.headers = checked.headers

    def prepare(self, method: str, url: str) -> requests.PreparedRequest:
        """The first request of a check."""
        request = requests.PreparedRequest()
        request.prepare_method(method)
        request.prepare_url(url, None)
        request.headers = self.headers.copy()
        if "@" in url:  # credentials in the URL become a header; no "@", no credentials
            request.prepare_auth(None, url)
        return request

    def next_hop(
        self,
        request: requests.PreparedRequest,
        response: requests.Response,
        cookies: _ChainCookies,
    ) -> requests.PreparedRequest:
        """The request following ``response``'s redirect, as a browser would send it.

        Raises _Failure("invalid redirect: ...") for a Location that is no http(s) URL.
        """
        previous = str(request.url)
        # One Location, or the same one more than once: requests joins them with ", ".
        locations = set(response.raw.headers.getlist("Location"))
        if len(locations) > 1:
            raise _Failure(FailureKind.INVALID_REDIRECT, "invalid redirect: more than one Location")
        target = redirect_target(previous, locations.pop())
        hop = requests.PreparedRequest()
        # 303 asks for a GET; a check sends GET or HEAD, which every redirect keeps.
        hop.prepare_method(request.method)
        try:
            hop.prepare_url(target, None)
        except _REQUEST_ERRORS as exc:
            raise _Failure(FailureKind.INVALID_REDIRECT, _BAD_LOCATION) from exc
        hop.headers = request.headers.copy()
        hop.headers.pop("Cookie", None)
        if self._session.should_strip_auth(previous, target):  # type: ignore[no-untyped-call]
            hop.headers.pop("Authorization", None)
            cookies.given = None
        if "@" in target:
            hop.prepare_auth(None, target)
        hop.prepare_cookies(cookies)
        if cookies.given:
            chain = hop.headers.get("Cookie")
            hop.headers["Cookie"] = f"{cookies.given}; {chain}" if chain else cookies.given
        return hop


class _SetCookies:
    """A response's first MAX_SET_COOKIES Set-Cookie headers, as http.cookiejar reads them.

    A head of 300 KiB holds some 14,000 of them; parsing them all cost a second of
    CPU a hop (under the GIL, past every deadline), and sent them all to the next hop.
    """

    def __init__(self, headers: urllib3.HTTPHeaderDict) -> None:
        self._headers = headers

    def info(self) -> _SetCookies:
        return self

    def get_all(self, name: str, default: list[str] | None = None) -> list[str] | None:
        return self._headers.getlist(name)[:MAX_SET_COOKIES] or default


class _ChainCookies(requests.cookies.RequestsCookieJar):
    """A redirect chain's cookies: those its answers set, and the Cookie header given
    with -H, which goes along as Authorization does: until a hop leaves for another host."""

    def __init__(self, given: str | None) -> None:
        super().__init__()
        self.given = given


# Characters a Location may not hold as they are: controls, space, and (when the
# header is not UTF-8) bytes over 127, which are sent percent-encoded, as curl does.
_UNSAFE_IN_UTF8 = re.compile(r"[\x00-\x20\x7f]")
_UNSAFE_IN_BYTES = re.compile(r"[\x00-\x20\x7f-\xff]")
_BAD_LOCATION = "invalid redirect: bad Location"


def redirect_target(url: str, location: str) -> str:
    """The URL a redirect from ``url`` with this Location header leads to.

    The header's bytes are read as UTF-8 where they are UTF-8 (a host name may then
    be international) and otherwise percent-encoded byte by byte, as curl does; a
    fragment carries over from ``url`` when the Location has none (RFC 9110).
    Raises _Failure("invalid redirect: ...") when that is no http(s) URL.
    """
    raw = location.strip().encode("latin-1", "replace")  # the bytes as they came
    try:
        text = _UNSAFE_IN_UTF8.sub(_percent, raw.decode("utf-8"))
    except UnicodeDecodeError:
        text = _UNSAFE_IN_BYTES.sub(_percent, raw.decode("latin-1"))
    try:
        target = urljoin(url, text)
        fragment = urlsplit(url).fragment
        if fragment and not urlsplit(target).fragment:
            target = f"{target.partition('#')[0]}#{fragment}"
    except ValueError as exc:
        raise _Failure(FailureKind.INVALID_REDIRECT, _BAD_LOCATION) from exc
    problem = check_url(target)
    if problem is not None:
        reason = problem.reason.removeprefix("invalid URL: ")
        raise _Failure(FailureKind.INVALID_REDIRECT, f"invalid redirect: {reason}")
    return target


def _percent(match: re.Match[str]) -> str:
    return f"%{ord(match[0]):02X}"


def _discard_body(response: requests.Response, attempt: Attempt) -> None:
    """Read a small body to its end so the connection is reused; drop a big one unread.

    A body over DRAIN_LIMIT, one cut short, or one still coming after DRAIN_WAIT
    (or at the attempt's deadline) is dropped with its connection, so no body is
    ever held or downloaded past DRAIN_LIMIT. The status and headers are in by
    now: whatever the body does, the response stands.
    """
    raw = response.raw
    # The status is in: a body is worth a short wait (to keep its connection), not all of -t.
    attempt.deadline = min(attempt.deadline, time.monotonic() + DRAIN_WAIT)
    # urllib3 knows the length: 0 for HEAD, 1xx, 204 and 304; None when chunked or unsaid.
    remaining = getattr(raw, "length_remaining", None)
    if remaining is None or remaining <= DRAIN_LIMIT:
        read = 0
        try:
            while read <= DRAIN_LIMIT:
                # Read even an empty body: that closes the response, ready for the next.
                chunk = raw.read(_CHUNK, decode_content=False)
                # With its length known, a body is at its end when none remains.
                if not chunk or getattr(raw, "length_remaining", None) == 0:
                    # Back to the pool for any worker: from here it is not this attempt's.
                    attempt.let_go()
                    raw.release_conn()
                    return
                read += len(chunk)
        except (OSError, ValueError, http.client.HTTPException, urllib3.exceptions.HTTPError):
            pass
    response.close()


def _retry_after(response: requests.Response) -> str | None:
    """The Retry-After header, the first one when there are several: requests joins them
    with ", ", which is no number of seconds, and a CDN may add one to the server's."""
    values: list[str] = response.raw.headers.getlist("Retry-After")
    return values[0] if values else None


def _unanswered(exc: BaseException) -> bool:
    """Whether a request failed before a valid status line came: the connection was
    closed, reset or gave something other than an answer."""
    return any(
        isinstance(cause, (http.client.BadStatusLine, ConnectionResetError, BrokenPipeError))
        for cause in causes(exc)
    )


def _host(hostname: str | None) -> str:
    return (hostname or "").lower()


def _time_left(deadline: float | None, needed: float = 0.0) -> bool:
    """Whether ``needed`` seconds from now still end before ``deadline`` (None: no deadline)."""
    return deadline is None or time.monotonic() + needed < deadline


def fetch_one(url: str, options: Options | None = None) -> Result:
    """Check a single URL with a throwaway Fetcher."""
    fetcher = Fetcher(options)
    try:
        return fetcher.fetch(url)
    finally:
        fetcher.close()
