"""One URL to one Result: the request, its redirects, deadlines and retries, the body dropped.

What a line must be to be fetched is urls.py's; what a failure is, failures.py's; when to
retry, retry.py's; a host's limits, limits.py's."""

from __future__ import annotations

import http.client
import importlib.util
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
import urllib3

from .credentials import HostHeaders, is_secret
from .deadline import Attempt, Watchdog
from .failures import TIMED_OUT, Failed, Failure, FailureKind, causes, classify
from .inputs import InputLine
from .limits import HostLimiter, host_key
from .options import Options, remapped
from .pages import (
    PAGE_LIMIT,
    READ_LIMIT,
    Page,
    PageLine,
    PageReader,
    fragment_problem,
    media_type,
    not_checked,
    read_bounded,
    settle,
    wants_check,
)
from .results import Result
from .retry import (
    RETRY_STATUSES,
    backoff_delay,
    first_retry_after,
    parse_retry_after,
    rate_limit_reset,
    rate_limited,
)
from .transport import SharedAdapter
from .urls import BAD_LOCATION, check_url, mask_credentials, prepared_as_is, redirect_target

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


# Pages a Fetcher reads for their links at once (see Fetcher._reading), and the size from
# which a page is read alone.
PAGES_READ_AT_ONCE = 2
BIG_PAGE = 1024 * 1024
# Why a page's links were not read when its body could not be.
_UNREAD = (
    "page not read: its body did not come whole (the connection ended, -t or -m ran out,"
    " or an unknown Content-Encoding)"
)


class _NoTurn(Exception):
    """No turn to read a page came before its deadline."""


class _Body(NamedTuple):
    """A page's body as read for its links: its bytes, Content-Type, and whether it was
    cut at READ_LIMIT; or, with no bytes, why it could not be read."""

    data: bytes
    content_type: str
    cut: bool
    problem: str | None = None


class _Reading(NamedTuple):
    """How a check reads its last page: up to ``limit`` bytes, and whatever its kind
    (``any_kind``) or only a kind the page reader reads."""

    limit: int
    any_kind: bool = False


_READ_PAGE = _Reading(READ_LIMIT)


class _Tried(NamedTuple):
    """A URL's attempts, all told: the last status and URL (None without an answer),
    what failed, how many requests it took, and the page's body when it was read."""

    status: int | None
    final_url: str | None
    failure: Failure | None
    attempts: int
    body: _Body | None = None


class _Answer(NamedTuple):
    """The last answer of a URL's redirects: its status, URL and Retry-After, what is
    wrong with its page when one was looked into for a #fragment, and its rate limit."""

    status: int
    url: str
    retry_after: str | None
    problem: Failure | None = None
    body: _Body | None = None
    # Seconds until the host's spent rate limit resets (retry.rate_limit_reset).
    rate_limit: float | None = None


class HandOff(Exception):
    """A check that reached a redirect to a host this process does not own: it goes on
    in the process that does, from that hop, with what the chain has so far (``state``,
    plain values, see Fetcher.resume)."""

    def __init__(self, state: tuple[object, ...]) -> None:
        super().__init__("handed off")
        self.state = state


def proxies_from_environment(scheme: str, netloc: str) -> dict[str, str] | None:
    """The proxies the environment names for one origin (NO_PROXY applied), or None."""
    proxies = requests.utils.get_environ_proxies(f"{scheme}://{netloc}/")
    chosen = {key: proxies[key] for key in (scheme, "all") if key in proxies}
    return chosen or None


@lru_cache(maxsize=64)
def _proxy_problem(proxy: str) -> str | None:
    """Why a proxy the environment names (http_proxy, ...) cannot be used, or None."""
    try:
        parts = urllib3.util.parse_url(proxy)
    except urllib3.exceptions.LocationParseError:
        return f"proxy: {mask_credentials(proxy)!r} (from the environment) is not a URL"
    scheme = (parts.scheme or "http").lower()
    if scheme.startswith("socks"):
        if importlib.util.find_spec("socks") is None:  # PySocks, which requests needs for SOCKS
            return "proxy: a SOCKS proxy (from the environment) needs PySocks, not installed"
    elif scheme not in ("http", "https"):
        return f"proxy: {scheme}:// (from the environment) is no proxy scheme fetchpool speaks"
    if not parts.host:
        return f"proxy: {mask_credentials(proxy)!r} (from the environment) names no host"
    return None


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
        hand_off: bool = False,
        page_reader: PageReader | None = None,
    ) -> None:
        """``anchors_of``, when given, turns on the check of ``#fragment`` URLs: it gives
        the anchors of an HTML page's text, which must hold the fragment.

        With ``hand_off``, a redirect to another host raises HandOff rather than being
        followed here: that host's requests belong to another process (engine.py).

        ``page_reader`` reads the page of each PageLine for its links, in the same GET
        that checks it (a PageLine is then checked with GET whatever --method says)."""
        self.options = options or Options()
        self._hand_off = hand_off
        self._anchors_of = anchors_of
        self.page_reader = page_reader
        self._requests = _Requests(self.options)
        self._adapter = SharedAdapter(self.options.max_workers)
        self._watchdog = Watchdog()
        # Pages read for links at once: reading takes the GIL and some 30 times a body's size
        # in memory, so more at once would cost memory and gain no time.
        self._reading = threading.BoundedSemaphore(PAGES_READ_AT_ONCE)
        self._reading_big = threading.Lock()
        self._limiter = HostLimiter(
            self.options.per_host, self.options.rate, self.options.intervals
        )
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

    def abort(self) -> None:
        """Stop, and cut short the requests under way too (their sockets shut down)."""
        self.stop()
        self._watchdog.expire_all()

    def close(self) -> None:
        """Stop, and close every kept-alive connection."""
        self.stop()
        self._watchdog.close()
        self._adapter.close()

    def reject(self, item: InputLine) -> Result | None:
        """The error Result for a line that cannot be fetched at all, or None when it can."""
        rewritten = self._remapped(item.text)
        if item.error:
            problem: Failure | None = Failure(FailureKind.BAD_LINE, item.error)
        else:
            problem = check_url(rewritten or item.text)
        if problem is None:
            return None
        kind, reason = problem
        return Result(
            item.text,
            None,
            False,
            reason,
            0.0,
            None,
            0,
            item.source,
            item.line,
            kind=kind,
            column=item.column,
            remapped=rewritten,
        )

    def _remapped(self, url: str) -> str | None:
        """What --remap makes of ``url``, the URL fetched in its place; None when it
        leaves it as it is."""
        return remapped(url, self.options.remap) if self.options.remap else None

    def fetch(self, item: InputLine | str) -> Result:
        """Check one URL; never raises for anything the network or the input does."""
        if isinstance(item, str):
            item = InputLine(item)
        rejected = self.reject(item)
        return rejected if rejected is not None else self.fetch_accepted(item)

    def fetch_accepted(self, item: InputLine) -> Result:
        """``fetch`` for a line that ``reject`` has already let through.

        Raises HandOff (with ``hand_off``) for a redirect to another host."""
        return self._check(item, None)

    def resume(self, item: InputLine, state: tuple[object, ...]) -> Result:
        """Go on with ``item``'s check from the redirect another process handed off
        (HandOff.state); raises HandOff again for a redirect to yet another host."""
        return self._check(item, _Resumed(*state))  # type: ignore[arg-type]

    def _check(self, item: InputLine, resumed: _Resumed | None) -> Result:
        started = time.perf_counter()
        read = type(item) is PageLine and self.page_reader is not None
        rewritten = self._remapped(item.text)
        try:
            tried = self._fetch_with_retries(
                rewritten or item.text, resumed, _READ_PAGE if read else None
            )
        except HandOff as handed:
            spent = time.perf_counter() - started + (resumed.elapsed if resumed else 0.0)
            raise HandOff((*handed.state[:-1], spent)) from None
        except Exception as exc:  # a bug or an odd library error must not cost a result
            tried = _Tried(None, None, classify(exc), 1)
        if read:
            max_time = self.options.max_time
            spent = time.perf_counter() - started + (resumed.elapsed if resumed else 0.0)
            until = None if max_time is None else time.monotonic() + max_time - spent
            settle(item, self._read_page(tried, self._page_url(item.text, rewritten, tried), until))
        return self._result_of(item, tried, started, resumed, rewritten)

    def fetch_body(self, url: str, limit: int) -> tuple[Result, bytes | None]:
        """Check ``url`` with GET and read its last page's body, whatever its kind, up to
        ``limit`` bytes (a robots.txt, say); the body is None without a 2xx answer or when
        it could not be read. Never raises for anything the network does."""
        item = InputLine(url)
        rejected = self.reject(item)
        if rejected is not None:
            return rejected, None
        started = time.perf_counter()
        rewritten = self._remapped(url)
        try:
            tried = self._fetch_with_retries(rewritten or url, None, _Reading(limit, any_kind=True))
        except Exception as exc:
            tried = _Tried(None, None, classify(exc), 1)
        read = tried.body
        body = read.data if read is not None and read.problem is None else None
        return self._result_of(item, tried, started, None, rewritten), body

    def _result_of(
        self,
        item: InputLine,
        tried: _Tried,
        started: float,
        resumed: _Resumed | None,
        rewritten: str | None,
    ) -> Result:
        """The Result of ``item`` from its attempts, ``tried`` since ``started``, at
        ``rewritten`` when --remap fetched that instead."""
        kind: FailureKind | None
        failure = tried.failure
        if failure is not None:  # no answer, or one whose page lacks the #fragment
            ok, kind, error = False, failure.kind, failure.reason
        else:
            ok = tried.status in self.options.accept
            kind, error = (None if ok else FailureKind.HTTP_STATUS), None
        elapsed = time.perf_counter() - started
        return Result(
            item.text,
            tried.status,
            ok,
            error,
            elapsed if resumed is None else elapsed + resumed.elapsed,
            tried.final_url,
            tried.attempts,
            item.source,
            item.line,
            kind=kind,
            column=item.column,
            remapped=rewritten,
        )

    def _page_url(self, written: str, rewritten: str | None, tried: _Tried) -> str | None:
        """The URL a page read is known by, which its links are resolved against: where
        its redirects led, or, for a page --remap fetched at ``rewritten`` without a
        redirect, the URL as written (a site checked through a local build is crawled as
        published)."""
        final = tried.final_url
        if final is None or rewritten is None:
            return final
        if final == rewritten:
            return written
        with suppress(*_REQUEST_ERRORS):
            if final == self._requests.prepare("GET", rewritten).url:
                return written
        return final

    def _read_page(self, tried: _Tried, url: str | None, until: float | None) -> Page | None:
        """The links of the page ``tried`` read, as the page at ``url``; None when no page
        was read. A reader that fails costs the page's links, not its check, as does a
        turn to read that does not come by ``until`` (time.monotonic(); -m)."""
        body = tried.body
        if body is None or url is None:
            return None
        if body.problem is not None:
            return Page(url, (), body.problem)
        assert self.page_reader is not None
        try:
            with self._reading_slots(len(body.data), until):
                return self.page_reader.read(body.data, body.content_type, url, body.cut)
        except _NoTurn:
            return Page(url, (), "page not read: -m ran out while it waited its turn")
        except Exception as exc:
            return Page(url, (), f"cannot read its links: {type(exc).__name__}: {exc}")

    @contextmanager
    def _reading_slots(self, size: int, until: float | None = None) -> Iterator[None]:
        """A slot to read a page of ``size`` bytes in; a large page takes every slot, since
        reading takes some thirty times its size (one large page at a time takes them).
        Raises _NoTurn when the slots are not had by ``until`` (time.monotonic())."""

        def wait() -> float | None:
            return None if until is None else max(until - time.monotonic(), 0.0)

        wanted = 1 if size < BIG_PAGE else PAGES_READ_AT_ONCE
        big = wanted > 1
        if big:
            left = wait()
            if not self._reading_big.acquire(timeout=-1 if left is None else left):
                raise _NoTurn
        taken = 0
        try:
            while taken < wanted:
                if not self._reading.acquire(timeout=wait()):
                    raise _NoTurn
                taken += 1
            yield
        finally:
            for _ in range(taken):
                self._reading.release()
            if big:
                self._reading_big.release()

    def _fetch_with_retries(
        self, url: str, resumed: _Resumed | None = None, read: _Reading | None = None
    ) -> _Tried:
        options = self.options
        # --max-time: one deadline for the URL, all its attempts and waits included.
        deadline = None if options.max_time is None else time.monotonic() + options.max_time
        if resumed is None:
            # A page read, or a #fragment looked for in it: HEAD has no body to read.
            wants_body = read is not None or (self._anchors_of is not None and "#" in url)
            method = "GET" if wants_body else options.method
            attempts = 0
            retries_left = options.retries
        else:
            # From the hop handed over, which a retry starts again from.
            method, attempts, retries_left = resumed.method, resumed.attempts, resumed.retries
            if resumed.time_left is not None:
                deadline = time.monotonic() + resumed.time_left
        while True:
            attempts += 1
            try:
                status, final_url, retry_after, problem, body, rate_limit = self._request(
                    method, url, deadline, resumed, read
                )
            except HandOff as handed:
                time_left = None if deadline is None else deadline - time.monotonic()
                # The chain, then this check's own count: attempts, retries left, time left,
                # and the seconds it has taken so far (added up on the way out).
                raise HandOff((*handed.state, attempts - 1, retries_left, time_left, 0.0)) from None
            except Failed as failure:
                if (
                    failure.transient
                    and retries_left > 0
                    and self._backoff(attempts, None, deadline)
                ):
                    retries_left -= 1
                    continue
                return _Tried(None, failure.url, failure.failure, attempts)
            if rate_limit is not None:
                if (
                    retries_left > 0
                    and rate_limit <= options.max_retry_wait
                    and self._backoff(attempts, rate_limit, deadline)
                ):
                    retries_left -= 1
                    continue
                reason = rate_limited(rate_limit, options.max_retry_wait, retries_left)
                return _Tried(
                    status, final_url, Failure(FailureKind.RATE_LIMITED, reason), attempts
                )
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
            return _Tried(status, final_url, problem, attempts, body)

    def _backoff(self, attempt: int, retry_after: float | None, deadline: float | None) -> bool:
        """Wait before a retry; False (no wait) when the run stops or the wait would pass
        ``deadline``: the last attempt's outcome then stands."""
        options = self.options
        delay = backoff_delay(attempt, options.backoff, options.max_retry_wait, retry_after)
        if self._stop.is_set() or not _time_left(deadline, delay):
            return False
        self._stop.wait(delay)
        return not self._stop.is_set()

    def _request(
        self,
        method: str,
        url: str,
        url_deadline: float | None,
        resumed: _Resumed | None = None,
        read: _Reading | None = None,
    ) -> _Answer:
        """Send ``url``'s request and follow its redirects, each hop a request of its own:
        it waits for its host's turn, gets -t, and has its body dropped unread past a
        small bound (or, with ``read``, the last page's body read when it is one the page
        reader reads). Returns the last answer. ``resumed``: start from a hop handed over.

        Raises Failed; past the first request, with the URL of the hop that failed.
        Raises HandOff for a hop to another host when this fetcher hands those off."""
        # A redirect chain carries its cookies from hop to hop, and no further.
        cookies: _ChainCookies | None = None
        if resumed is None:
            request = self._requests.prepare(method, url)
            fragment = urlsplit(url).fragment if self._anchors_of is not None else ""
            hops = 0
        else:
            request = self._requests.resumed(method, resumed)
            cookies = resumed.cookie_jar()
            fragment, hops = resumed.fragment, resumed.hops
        # The host this process checks the chain on, when hops to others are handed off.
        host = host_key(urlsplit(str(request.url)).hostname) if self._hand_off else None
        while True:
            try:
                response, answer = self._hop(request, url_deadline, fragment, read)
            except Failed as failure:
                if hops:
                    failure.url = str(request.url)
                raise
            if answer is not None:
                return answer
            hops += 1
            if hops > self.options.max_redirects:
                raise Failed(FailureKind.TOO_MANY_REDIRECTS, "too many redirects")
            if cookies is None:
                # The first request's Cookie header is the one given with -H, if any.
                cookies = _ChainCookies(request.headers.get("Cookie"))
            cookies.extract_cookies(
                _SetCookies(response.raw.headers),  # type: ignore[arg-type]
                requests.cookies.MockRequest(request),  # type: ignore[arg-type]
            )
            request = self._requests.next_hop(request, response, cookies)
            if host is not None and host_key(urlsplit(str(request.url)).hostname) != host:
                raise HandOff(_chain_state(request, hops, cookies, fragment))

    def _hop(
        self,
        request: requests.PreparedRequest,
        url_deadline: float | None,
        fragment: str = "",
        read: _Reading | None = None,
    ) -> tuple[requests.Response, _Answer | None]:
        """One request: its host's turn, then the request itself within -t; the body is
        drained or dropped, never decoded or held. Returns the response, and the answer
        when it is the last of the URL's (None for a redirect to follow). For a
        ``fragment`` to look for, a last page that answers 2xx is read (to a bound) for it;
        with ``read``, a last page of a kind the page reader reads is read (to READ_LIMIT)."""
        url = str(request.url)
        slot: AbstractContextManager[None] = _NO_SLOT
        proxies: dict[str, str] = {}
        # The host matters only to host limits or to proxy settings; most runs have neither.
        if self._limiter.active or self._has_proxies:
            parts = urlsplit(url)
            if self._limiter.active:
                slot = self._limiter.slot(host_key(parts.hostname), self._stop, url_deadline)
            if self._has_proxies:
                proxies = dict(self._proxies_for(parts.scheme.lower(), parts.netloc.lower()) or {})
                for proxy in proxies.values():
                    unusable = _proxy_problem(proxy)
                    if unusable is not None:  # the environment's fault: not the URL's, nor passing
                        raise Failed(FailureKind.PROXY, unusable, transient=False)
        # Certificate settings matter only to TLS. For a plain http URL sent directly,
        # True spares requests a look at the CA bundle's path on disk for every request.
        verify = True if url.startswith("http:") and not proxies else self._verify
        with slot, self._watchdog.attempt(self._attempt_deadline(url_deadline)) as attempt:
            response = self._send_once_more_if_stale(request, verify, proxies, attempt)
            retry_after = first_retry_after(response)
            if retry_after is not None and response.status_code in RETRY_STATUSES:
                self._limiter.hold(host_key(urlsplit(url).hostname), self._held_for(retry_after))
            rate_limit = rate_limit_reset(response)
            if rate_limit is not None and rate_limit <= self.options.max_retry_wait:
                # The host's other URLs wait for the reset too, rather than spend requests.
                self._limiter.hold(host_key(urlsplit(url).hostname), rate_limit)
            answer = None
            if not (self.options.follow and response.is_redirect):
                problem = None
                body = None
                if 200 <= response.status_code < 300:
                    if read is not None:
                        body = self._read_body(response, read)
                        if attempt.expired and body is not None and body.problem is None:
                            # Cut at the deadline: a body with no length seems whole.
                            body = body._replace(data=b"", cut=False, problem=_UNREAD)
                    if fragment and wants_check(fragment, str(response.url)):
                        problem = self._fragment_problem(response, fragment, body)
                answer = _Answer(
                    response.status_code, str(response.url), retry_after, problem, body, rate_limit
                )
            _discard_body(response, attempt)
        return response, answer

    def _read_body(self, response: requests.Response, read: _Reading) -> _Body | None:
        """The body of a page to read, when the page reader reads its kind (None else); a
        body that cannot be read comes back empty, with its problem."""
        if not read.any_kind:
            assert self.page_reader is not None
            if not self.page_reader.reads(media_type(response), str(response.url)):
                return None
        content_type = str(response.headers.get("Content-Type", ""))
        data, cut = read_bounded(response, read.limit)
        if data is None:
            return _Body(b"", content_type, False, _UNREAD)
        return _Body(data, content_type, cut)

    def _fragment_problem(
        self, response: requests.Response, fragment: str, body: _Body | None
    ) -> Failure | None:
        """Whether the page lacks ``fragment``, from its ``body`` when read already."""
        assert self._anchors_of is not None
        if body is None:
            return fragment_problem(response, fragment, self._anchors_of)
        if body.cut or body.problem is not None or len(body.data) > PAGE_LIMIT:
            return not_checked(f"page over {PAGE_LIMIT // 2**20} MiB or cut short")
        return fragment_problem(response, fragment, self._anchors_of, body.data)

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
                    raise Failed(FailureKind.TIMEOUT, TIMED_OUT) from exc
                if attempt.reused and not attempt.fresh and _unanswered(exc):
                    attempt.fresh = True
                    continue
                raise Failed(*classify(exc)) from exc

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
        # The -H headers a redirect to another host drops (their secrets).
        self._secrets = tuple(name for name, _ in options.headers if is_secret(name))
        self._host_headers = HostHeaders(options.host_headers)
        for header in options.host_headers:
            checked.prepare_headers({header.name: header.value})  # raises as -H would

    def prepare(self, method: str, url: str) -> requests.PreparedRequest:
        """The first request of a check."""
        request = requests.PreparedRequest()
        request.prepare_method(method)
        if prepared_as_is(url):
            request.url = url  # spared a parse, an IDNA check and a requote that change nothing
        else:
            request.prepare_url(url, None)
        request.headers = self.headers.copy()
        if self._host_headers:
            request.headers.update(self._host_headers.of(*_where(str(request.url))))
        if "@" in url:  # credentials in the URL become a header; no "@", no credentials
            request.prepare_auth(None, url)
        return request

    def resumed(self, method: str, resumed: _Resumed) -> requests.PreparedRequest:
        """The hop a check handed over at, as the process that handed it would have sent it."""
        request = self.prepare(method, resumed.url)
        # Its headers as the chain left them: credentials and cookies already decided.
        request.headers = requests.structures.CaseInsensitiveDict(resumed.headers)
        return request

    def next_hop(
        self,
        request: requests.PreparedRequest,
        response: requests.Response,
        cookies: _ChainCookies,
    ) -> requests.PreparedRequest:
        """The request following ``response``'s redirect, as a browser would send it.

        Raises Failed("invalid redirect: ...") for a Location that is no http(s) URL.
        """
        previous = str(request.url)
        # One Location, or the same one more than once: requests joins them with ", ".
        locations = set(response.raw.headers.getlist("Location"))
        if len(locations) > 1:
            raise Failed(FailureKind.INVALID_REDIRECT, "invalid redirect: more than one Location")
        target = redirect_target(previous, locations.pop())
        hop = requests.PreparedRequest()
        # 303 asks for a GET; a check sends GET or HEAD, which every redirect keeps.
        hop.prepare_method(request.method)
        if prepared_as_is(target):
            hop.url = target
        else:
            try:
                hop.prepare_url(target, None)
            except _REQUEST_ERRORS as exc:
                raise Failed(FailureKind.INVALID_REDIRECT, BAD_LOCATION) from exc
        hop.headers = request.headers.copy()
        hop.headers.pop("Cookie", None)
        # The hop goes to the prepared URL's host: urlsplit reads some Locations
        # ("http://a\\@b/") as naming another host than the one requests connects to.
        target = str(hop.url)
        if self._host_headers:
            self._host_headers_for(hop, previous, target)
        if self._session.should_strip_auth(previous, target):  # type: ignore[no-untyped-call]
            hop.headers.pop("Authorization", None)
            for name in self._secrets:
                hop.headers.pop(name, None)
            cookies.given = None
            if self._host_headers:  # its own host's may have been among those dropped
                hop.headers.update(self._host_headers.of(*_where(target)))
        if "@" in target:
            hop.prepare_auth(None, target)
        hop.prepare_cookies(cookies)
        if cookies.given:
            chain = hop.headers.get("Cookie")
            hop.headers["Cookie"] = f"{cookies.given}; {chain}" if chain else cookies.given
        return hop

    def _host_headers_for(self, hop: requests.PreparedRequest, previous: str, url: str) -> None:
        """Give ``hop`` its host's --host-header headers in place of the last hop's: each
        of those names goes back to its -H value, if any, or away."""
        before, after = _where(previous), _where(url)
        if before == after:
            return
        for name, _ in self._host_headers.of(*before):
            given = self.headers.get(name)
            if given is None:
                hop.headers.pop(name, None)
            else:
                hop.headers[name] = given
        hop.headers.update(self._host_headers.of(*after))


def _where(url: str) -> tuple[str, bool]:
    """The host a request for ``url`` goes to, and whether over https: what decides its
    --host-header headers."""
    parts = urlsplit(url)
    # "api.github.com." is api.github.com, as a name lookup has it.
    return host_key(parts.hostname).rstrip("."), parts.scheme.lower() == "https"


class _Resumed(NamedTuple):
    """A check handed over at a redirect (HandOff.state): the hop's request, the chain so
    far, and the check's own count. Plain values only: it travels between processes."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    hops: int
    # The chain's cookies (name, value, domain, path, secure), and the one given with -H.
    cookies: tuple[tuple[str, str, str, str, bool], ...]
    given: str | None
    fragment: str
    attempts: int
    retries: int
    time_left: float | None
    elapsed: float

    def cookie_jar(self) -> _ChainCookies:
        jar = _ChainCookies(self.given)
        for name, value, domain, path, secure in self.cookies:
            jar.set(name, value, domain=domain, path=path, secure=secure)
        return jar


def _chain_state(
    request: requests.PreparedRequest, hops: int, cookies: _ChainCookies, fragment: str
) -> tuple[object, ...]:
    """The first part of a _Resumed, from the hop about to be sent."""
    jar = tuple(
        (cookie.name, cookie.value or "", cookie.domain, cookie.path, cookie.secure)
        for cookie in cookies
    )
    headers = tuple((str(name), str(value)) for name, value in request.headers.items())
    return (request.method, str(request.url), headers, hops, jar, cookies.given, fragment)


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


def _unanswered(exc: BaseException) -> bool:
    """Whether a request failed before a valid status line came: the connection was
    closed, reset or gave something other than an answer."""
    return any(
        isinstance(cause, (http.client.BadStatusLine, ConnectionResetError, BrokenPipeError))
        for cause in causes(exc)
    )


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
