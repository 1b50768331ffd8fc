"""One connection pool for all workers, whose sockets the deadline watchdog can reach.

Every worker sends through one ``SharedAdapter``: a connection a worker opens
to a host is kept alive and reused by any worker that checks a URL on that
host next, and pools are kept for thousands of hosts. Idle connections kept
open across all hosts are capped (``idle_budget``) so that a long list of hosts
never runs the process out of file descriptors: past the cap a finished
connection is closed instead of kept.

The connections register their socket with the attempt under way on their
thread (deadline.py), so a deadline can end a request in any phase.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit

import urllib3
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.exceptions import InvalidURL
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPHeaderDict, HTTPResponse
from urllib3.connection import HTTPConnection, HTTPSConnection, port_by_scheme
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    URLSchemeUnknown,
)
from urllib3.util.connection import allowed_gai_family
from urllib3.util.request import SKIP_HEADER, SKIPPABLE_HEADERS

from . import deadline

# Idle connections kept open across all hosts: at most this, and at most half the
# file descriptors the process may open, less one for each worker's request.
MAX_IDLE = 8192
# Connection pools (one per host) kept at once: they hold no connection while idle
# connections are capped, but each holds a queue of `workers` places.
POOL_PLACES = 1_000_000


def _open_file_limit() -> int:
    try:
        import resource
    except ImportError:  # not on POSIX
        return 8192
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def idle_budget(workers: int) -> int:
    """How many idle connections may be kept open at once with ``workers`` workers."""
    return max(16, min(MAX_IDLE, _open_file_limit() // 2 - workers))


class _Budget:
    """A count of idle connections that may still be kept (a lock and an int: a
    Semaphore costs several times as much, on every request)."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._free <= 0:
                return False
            self._free -= 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._free += 1


# Limits of a response's head, as curl has them: a status or header line of at most
# 100 KiB, and at most 300 KiB for the whole head, interim (1xx) answers included, with
# any number of headers within that (a browser accepts a page with 150 Set-Cookie lines).
_MAXLINE = 100 * 1024
_MAXHEAD = 300 * 1024


class InvalidResponse(http.client.HTTPException):
    """An answer that does not follow HTTP/1.x; ``reason`` says how, for a person."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what

    @property
    def reason(self) -> str:
        return f"invalid HTTP response: {self.what}"


class BadStatusLine(InvalidResponse, http.client.BadStatusLine):
    """A first line that is not an HTTP status line (garbage, HTTP/0.9, status 0 or 1000).

    An http.client.BadStatusLine too: on a kept-alive connection it may be bytes
    left over from an earlier answer, so the request is worth sending once more.
    """

    def __init__(self, line: str) -> None:
        InvalidResponse.__init__(self, "bad status line")
        self.line = line


class HeadTooLarge(InvalidResponse):
    """A status or header line, or the head as a whole, over the limits above."""

    def __init__(self) -> None:
        super().__init__("headers too large")

    @property
    def reason(self) -> str:
        return "response headers too large"


class _CheckedResponse(http.client.HTTPResponse):
    # Bytes the rest of the head may take (see _MAXHEAD).
    _head_left = _MAXHEAD

    """An http.client response whose head must arrive whole and follow the rules.

    http.client takes the end of the stream as the end of a status or header line,
    and of the header block: a server that hangs up after ``HTTP/1.1 200`` would pass
    for a 200. It also returns an interim answer such as ``103 Early Hints`` as the
    response, leaving the final one to be read as the answer to the next request on
    the connection. The head is read here instead: interim answers are skipped, the
    head's size is bounded as a whole, and a head that breaks the rules raises
    InvalidResponse. Headers are parsed directly rather than through the email
    package's parser (a sixth of the CPU a check costs, measured at zero latency).
    """

    def begin(self) -> None:
        if self.headers is not None:
            return
        self._head_left = _MAXHEAD
        while True:
            head = self._buffered_head()
            if head is None:
                version, status, reason = self._read_status()
                fields = self._read_head()
            else:
                version, status, reason, fields = head
            # 1xx answers but 101 (a protocol switch, never asked for) come before the answer.
            if not 100 <= status < 200 or status == http.client.SWITCHING_PROTOCOLS:
                break
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            self._close_conn()
            raise InvalidResponse(f"unsupported version {version[:20]!r}")
        # urllib3's own header type, given to its response as it is: no email.message
        # parsing, and no copy (added one by one: its constructor's type checks cost more).
        headers = HTTPHeaderDict()
        for name, value in fields:
            headers.add(name, value)
        self.headers = self.msg = headers
        encoding = _first(headers, "transfer-encoding")
        self.chunked = bool(encoding and encoding.lower() == "chunked")
        self.chunk_left = None
        self.will_close = self._check_close() or status == http.client.SWITCHING_PROTOCOLS
        self.length = None if self.chunked else _content_length(headers)
        if status in (204, 304) or 100 <= status < 200 or self._method == "HEAD":
            # No body, whatever Transfer-Encoding says (a 304 may say chunked): reading
            # chunks that never come held each such answer, and its connection, for seconds.
            self.length = 0
            self.chunked = False
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True

    def _buffered_head(self) -> tuple[str, int, str, list[tuple[str, str]]] | None:
        """The next head, taken whole from the bytes already received when they hold
        all of it, every line ending in CRLF, with a valid status line; else None, and
        nothing taken: the head is then read line by line, whatever it holds.

        One search at C speed instead of a readline per line: the usual answer's head
        arrives in one piece, and most of its reading was calls into the buffer."""
        peek = getattr(self.fp, "peek", None)
        if peek is None:
            return None
        received: bytes = peek()  # what is buffered, or one read's worth when nothing is
        end = received.find(b"\r\n\r\n")
        if end < 0 or end + 4 > min(_MAXLINE, self._head_left):
            return None  # not all in, or maybe over a limit: read line by line, which says
        raw = received[:end]
        if raw.count(b"\n") != raw.count(b"\r\n"):
            return None  # a line ends in a bare LF: the head may end earlier than found
        status_line, *lines = raw.decode("iso-8859-1").split("\r\n")
        status = _status_of(status_line)
        if status is None:
            return None
        self.fp.read(end + 4)
        self._head_left -= end + 4
        return (*status, _fields(lines))

    def _read_line(self) -> bytes:
        raw: bytes = self.fp.readline(min(_MAXLINE, self._head_left) + 1)
        self._head_left -= len(raw)
        if len(raw) > _MAXLINE or self._head_left < 0:
            self._close_conn()  # type: ignore[attr-defined]
            raise HeadTooLarge
        return raw

    def _read_status(self) -> tuple[str, int, str]:
        raw = self._read_line()
        if not raw:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        if not raw.endswith(b"\n"):
            self._cut()
        line = raw.decode("iso-8859-1")
        status = _status_of(line)
        if status is None:
            self._close_conn()  # type: ignore[attr-defined]
            raise BadStatusLine(line)
        return status

    def _read_head(self) -> list[tuple[str, str]]:
        lines: list[str] = []
        while True:
            raw = self._read_line()
            if raw in (b"\r\n", b"\n"):
                break
            if not raw.endswith(b"\n"):
                self._cut()
            lines.append(raw.decode("iso-8859-1"))
        return _fields(lines)

    def _cut(self) -> None:
        self._close_conn()  # type: ignore[attr-defined]
        raise http.client.RemoteDisconnected("the answer ended before its headers did")


def _status_of(line: str) -> tuple[str, int, str] | None:
    """A status line's version, status and reason; None when it is no status line."""
    parts = line.split(None, 2)
    version, status, reason = parts if len(parts) == 3 else [*parts, "", ""][:3]
    valid = status.isascii() and status.isdigit() and 100 <= int(status) <= 999
    if not version.startswith("HTTP/") or not valid:
        return None
    return version, int(status), reason


def _fields(lines: list[str]) -> list[tuple[str, str]]:
    """A head's header lines (without the status line) as names and values."""
    fields: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and fields:
            # An obsolete folded line goes on with the header before it.
            name, value = fields[-1]
            fields[-1] = (name, f"{value} {line.strip()}")
            continue
        name, _, value = line.partition(":")
        fields.append((name, value.strip()))
    return fields


def _first(headers: HTTPHeaderDict, name: str) -> str | None:
    """The first of a header's values, as http.client reads one (``get`` joins them all)."""
    values = headers.getlist(name)
    return values[0] if values else None


def _content_length(headers: HTTPHeaderDict) -> int | None:
    """The body's length the headers give, None when they give none.

    Raises InvalidResponse for lengths that disagree or are not numbers: where
    the body ends is then unknown, and so is what follows it on the connection.
    """
    values = headers.getlist("content-length")
    if not values:
        return None
    lengths = {part.strip() for value in values for part in value.split(",")}
    if len(lengths) > 1:
        raise InvalidResponse("conflicting Content-Length")
    [length] = lengths
    if not (length.isascii() and length.isdigit()):
        raise InvalidResponse("bad Content-Length")
    return int(length)


# What http.client and urllib3 refuse in a request line and in a header (as they check it).
_BAD_METHOD = re.compile(r"[^-!#$%&'*+.^_`|~0-9a-zA-Z]").search
_BAD_IN_URL = re.compile("[\x00-\x20\x7f]").search
_LEGAL_NAME = re.compile(rb"[^:\s][^:\r\n]*").fullmatch
_BAD_VALUE = re.compile(rb"\n(?![ \t])|\r(?![ \t\n])").search
_URLLIB3_AGENT = f"python-urllib3/{urllib3.__version__}".encode()  # type: ignore[attr-defined]
# Methods sent without a Content-Length when they have no body, as urllib3 sends them.
_BODILESS_METHODS = frozenset(("GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"))


def _field(name: str, value: str | bytes | int) -> bytes:
    """One header line (without its CRLF), checked as http.client checks it."""
    encoded_name = name.encode("ascii")
    if not _LEGAL_NAME(encoded_name):
        raise ValueError(f"Invalid header name {encoded_name!r}")
    if isinstance(value, str):
        encoded = value.encode("latin-1")
    elif isinstance(value, int):
        encoded = str(value).encode("ascii")
    else:
        encoded = value
    if _BAD_VALUE(encoded):
        raise ValueError(f"Invalid header value {encoded!r}")
    return encoded_name + b": " + encoded


def _without_zone(host: bytes) -> bytes:
    """An IPv6 address without its zone (``%eth0``), which has no place in a Host header."""
    host, percent, _ = host.partition(b"%")
    return host + b"]" if percent else host


class _Awaiting(NamedTuple):
    """A request sent on a connection, whose answer is still to be read."""

    method: str
    url: str
    preload_content: bool
    decode_content: bool
    enforce_content_length: bool


class _Watched:
    """A connection that tells the attempt on its thread which socket it uses."""

    response_class: type[http.client.HTTPResponse] = _CheckedResponse

    # The attempt that last used this connection: only it may shut the socket down.
    attempt: deadline.Attempt | None = None
    # Whether this connection, idle in a pool, holds a place in the idle budget.
    budget: _Budget | None = None
    # Whether the connection carried a request before this one (it was kept alive).
    carried = False

    # The request sent, whose answer getresponse reads; the Host header's value.
    _awaiting: _Awaiting | None = None
    _host_bytes: bytes | None = None

    sock: socket.socket | None
    timeout: Any
    host: str
    port: int
    default_port: ClassVar[int]
    _dns_host: str
    _tunnel_port: int | None
    _http_vsn_str: str

    def _claim(self, sock: socket.socket) -> None:
        attempt = deadline.current()
        self.attempt = attempt
        if attempt is not None:
            attempt.use(self, sock)

    def connect(self) -> None:
        # Until the connection is made (and TLS set up) there is no socket to shut down:
        # the attempt's time left bounds connecting, not the whole of -t.
        attempt = deadline.current()
        if attempt is not None:
            left = max(attempt.remaining(), 0.001)
            # None or urllib3's "default" marker when unset, a number of seconds when set.
            if not isinstance(self.timeout, (int, float)) or left < self.timeout:
                self.timeout = left
        self.carried = False
        self._host_bytes = None  # a tunnel, if any, is set by now
        super().connect()  # type: ignore[misc]

    def _new_conn(self) -> socket.socket:
        attempt = deadline.current()
        sock = self._connect_within(attempt) if attempt is not None else self._connect_to_host()
        self._claim(sock)
        return sock

    def _connect_to_host(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        return sock

    def _connect_within(self, attempt: deadline.Attempt) -> socket.socket:
        """Connect to one of the host's addresses in the attempt's time left, as a whole.

        urllib3 gives each address the whole timeout: a name with many addresses that
        never answer (a broken IPv6, a hostile DNS) took -t for every one of them.
        """
        name = self._dns_host
        try:
            found = _look_up(name.strip("[]"), self.port, max(attempt.remaining(), 0.001))
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"looking up {self.host} timed out") from exc
        failure: Exception = OSError("getaddrinfo returns an empty list")
        try:
            for *_, address in found:
                # An address, not a name: urllib3 resolves it again at no cost.
                self._dns_host = str(address[0])
                self.timeout = max(attempt.remaining(), 0.001)
                try:
                    return self._connect_to_host()
                except (ConnectTimeoutError, NewConnectionError) as exc:
                    failure = exc
                if attempt.remaining() <= 0:
                    break
        finally:
            self._dns_host = name
        raise failure

    def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        chunked: bool = False,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> None:
        """Send a request without a body, written out in one piece and sent with one call.

        urllib3 and http.client would write it through four layers, a call or more
        for each header; the bytes on the wire are the same. Raises ValueError for a
        body (a check sends none) and for what http.client refuses to write.
        """
        if body is not None or chunked:
            raise ValueError("a check sends no request body")
        sock = self.sock
        if sock is not None:  # a kept-alive connection, or TLS set up already
            self._claim(sock)
            sock.settimeout(self.timeout)
        attempt = deadline.current()
        if attempt is not None and self.carried:
            attempt.reused = True
        if sock is None:
            self.connect()  # which resets carried
            sock = self.sock
            assert sock is not None
        self._awaiting = _Awaiting(
            method, url, preload_content, decode_content, enforce_content_length
        )
        sock.sendall(self._request_head(method, url, headers or {}))
        self.carried = True

    def _request_head(self, method: str, url: str, headers: Mapping[str, str]) -> bytes:
        """The request line and headers as urllib3 and http.client write them."""
        if _BAD_METHOD(method):
            raise ValueError(f"Method cannot contain non-token characters {method!r}")
        if _BAD_IN_URL(url):
            raise http.client.InvalidURL(f"URL can't contain control characters. {url!r}")
        given: set[str] = set()
        fields: list[bytes] = []
        for name, value in headers.items():
            key = name.lower()
            given.add(key)
            if value == SKIP_HEADER:
                if key not in SKIPPABLE_HEADERS:
                    raise ValueError(f"urllib3.util.SKIP_HEADER cannot be used for {name!r}")
                continue
            fields.append(_field(name, value))
        lines = [f"{method} {url} {self._http_vsn_str}".encode("ascii")]
        if "host" not in given:
            lines.append(b"Host: " + self._host_field(url))
        if "accept-encoding" not in given:
            lines.append(b"Accept-Encoding: identity")
        if (
            method.upper() not in _BODILESS_METHODS
            and "content-length" not in given
            and "transfer-encoding" not in given
        ):
            lines.append(b"Content-Length: 0")
        if "user-agent" not in given:
            lines.append(b"User-Agent: " + _URLLIB3_AGENT)
        lines += fields
        lines.append(b"\r\n")
        return b"\r\n".join(lines)

    def _host_field(self, url: str) -> bytes:
        """The Host header's value, as http.client gives it: the URL's authority for a
        request to a forwarding proxy, else the host (kept for the connection's life)."""
        if url.startswith("http"):
            authority = urlsplit(url).netloc
            if authority:
                try:
                    encoded = authority.encode("ascii")
                except UnicodeEncodeError:
                    encoded = authority.encode("idna")
                return _without_zone(encoded)
        if self._host_bytes is None:
            tunnel: str | None = getattr(self, "_tunnel_host", None)
            host, port = (tunnel, self._tunnel_port or 0) if tunnel else (self.host, self.port)
            try:
                encoded = host.encode("ascii")
            except UnicodeEncodeError:
                encoded = host.encode("idna")
            if ":" in host:  # an IPv6 address
                encoded = _without_zone(b"[" + encoded + b"]")
            if port != self.default_port:
                encoded += b":%d" % port
            if _BAD_IN_URL(encoded.decode("ascii")):
                raise http.client.InvalidURL(f"URL can't contain control characters. {host!r}")
            self._host_bytes = encoded
        return self._host_bytes

    def getresponse(self) -> HTTPResponse:
        """The answer's head, read as _CheckedResponse reads it, in urllib3's response.

        What urllib3's own getresponse adds to http.client's is left out: a parse of the
        headers through the email package, a check of that parse, and a copy."""
        awaiting, self._awaiting = self._awaiting, None
        sock = self.sock
        if awaiting is None or sock is None:
            raise http.client.ResponseNotReady
        sock.settimeout(self.timeout)
        raw = _CheckedResponse(sock, method=awaiting.method)
        try:
            try:
                raw.begin()
            except ConnectionError:
                self.close()
                raise
            if raw.will_close:
                self.close()  # the response keeps the socket until it is read
        except BaseException:
            raw.close()
            raise
        return HTTPResponse(
            body=raw,
            headers=raw.headers,  # type: ignore[arg-type]
            status=raw.status,
            version=raw.version,
            version_string=self._http_vsn_str,
            reason=raw.reason,
            preload_content=awaiting.preload_content,
            decode_content=awaiting.decode_content,
            original_response=raw,
            enforce_content_length=awaiting.enforce_content_length,
            request_method=awaiting.method,
            request_url=awaiting.url,
            sock_shutdown=sock.shutdown,
        )

    def leave_budget(self) -> None:
        budget, self.budget = self.budget, None
        if budget is not None:
            budget.give_back()

    def close(self) -> None:
        self.leave_budget()
        self._awaiting = None
        super().close()  # type: ignore[misc]


_Address = tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]


# Threads looking names up at once, at most: a resolver that never answers holds each one
# until it gives up, and lookups past these wait (within their deadline) rather than pile
# up threads.
LOOKUP_THREADS = 8


class _Lookup:
    """One name being looked up, for everyone who asks for it meanwhile."""

    __slots__ = ("done", "outcome", "waiting")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.outcome: Sequence[_Address] | BaseException | None = None
        self.waiting = 0


class _Resolver:
    """Looks names up on a few threads of its own (daemon threads: a lookup the system
    resolver never ends must not hold up the process's exit), each name once at a time."""

    def __init__(self, threads: int, getaddrinfo: Any = None) -> None:
        # None: socket.getaddrinfo as it is when a name is looked up.
        self._getaddrinfo = getaddrinfo
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int, int], _Lookup] = {}
        self._queue: list[tuple[tuple[str, int, int], _Lookup]] = []
        self._threads = 0
        self._idle = 0
        self._most = threads
        self._wake = threading.Condition(self._lock)

    def look_up(self, host: str, port: int, family: int, within: float) -> Sequence[_Address]:
        key = (host, port, family)
        with self._lock:
            lookup = self._pending.get(key)
            if lookup is None:
                lookup = self._pending[key] = _Lookup()
                self._queue.append((key, lookup))
                if self._idle:
                    self._wake.notify()
                elif self._threads < self._most:
                    self._threads += 1
                    serve = threading.Thread(target=self._serve, name="fetchpool-lookup")
                    serve.daemon = True
                    serve.start()
            lookup.waiting += 1
        answered = lookup.done.wait(within)
        with self._lock:
            lookup.waiting -= 1
            if not answered and not lookup.waiting and (key, lookup) in self._queue:
                # Nobody waits for it any more, and it has not started: it never will.
                self._queue.remove((key, lookup))
                del self._pending[key]
        if not answered:
            raise TimeoutError(f"looking up {host} took over {within:.3g} s")
        found = lookup.outcome
        if isinstance(found, BaseException):
            raise found
        assert found is not None
        return found

    def _serve(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._idle += 1
                    self._wake.wait()
                    self._idle -= 1
                key, lookup = self._queue.pop(0)
            host, port, family = key
            try:
                getaddrinfo = self._getaddrinfo or socket.getaddrinfo
                lookup.outcome = getaddrinfo(host, port, family, socket.SOCK_STREAM)
            except BaseException as exc:  # handed to the waiting threads
                lookup.outcome = exc
            with self._lock:
                self._pending.pop(key, None)
            lookup.done.set()


_RESOLVER = _Resolver(LOOKUP_THREADS)


def _look_up(host: str, port: int, within: float) -> Sequence[_Address]:
    """A host's addresses, given up on (TimeoutError) after ``within`` seconds.

    A name server that never answers (a hostile one, a redirect's made-up name) would
    hold a worker past -t and -m for as long as the system resolver keeps trying. A name
    is looked up on one of a few threads kept for it (see _Resolver), which the worker
    waits for within its deadline, and no longer.
    """
    family = allowed_gai_family()
    if _is_address(host):  # nothing to look up
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    return _RESOLVER.look_up(host, port, family, within)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.partition("%")[0])  # an IPv6 address may carry a zone
    except ValueError:
        return False
    return True


# request and getresponse differ from http.client's, as urllib3's own do.
class _WatchedHTTPConnection(_Watched, HTTPConnection):  # type: ignore[misc]
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):  # type: ignore[misc]
    pass


class _BudgetedPool:
    """A host's pool that keeps a finished connection only while the idle budget allows."""

    budget: _Budget

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        if isinstance(conn, _Watched):
            conn.leave_budget()
            attempt = deadline.current()
            if attempt is not None and attempt.fresh and conn.sock is not None:
                conn.close()  # kept alive, but this attempt asked for a new connection
        return conn

    def _put_conn(self, conn: Any) -> None:
        if isinstance(conn, _Watched) and conn.budget is None:
            if self.budget.take():
                conn.budget = self.budget
            else:
                conn.close()
                conn = None  # its place in the pool stays, empty
        super()._put_conn(conn)  # type: ignore[misc]


class _HTTPPool(_BudgetedPool, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(_BudgetedPool, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


# Origins whose pool parameters are kept at once; past that, all are dropped and found again.
ORIGINS_KEPT = 4096


def _path_start(url: str) -> int:
    """Where a prepared URL's path begins, after ``scheme://authority``; -1 when it has
    no such shape (requests gives every http(s) URL a path, ``/`` at least)."""
    scheme_end = url.find("://")
    return -1 if scheme_end < 0 else url.find("/", scheme_end + 3)


class SharedAdapter(HTTPAdapter):
    """An HTTPAdapter for all workers: pools for many hosts, a place per worker in each."""

    def __init__(self, workers: int, idle: int | None = None) -> None:
        """Pools with a place for each of ``workers``; at most ``idle`` idle connections
        kept open in all (default: ``idle_budget(workers)``)."""
        budget = _Budget(idle_budget(workers) if idle is None else idle)
        # Subclasses per adapter, so each adapter's pools share that adapter's budget.
        self._pool_classes = {
            "http": type("HTTPPool", (_HTTPPool,), {"budget": budget}),
            "https": type("HTTPSPool", (_HTTPSPool,), {"budget": budget}),
        }
        pools = max(64, min(MAX_IDLE, POOL_PLACES // workers))
        # The pool manager's key and context for an origin's pool, which requests works out
        # from the URL for each request, by origin and certificate setting.
        self._origins: dict[tuple[str, bool | str], tuple[Any, dict[str, Any]]] = {}
        super().__init__(pool_connections=pools, pool_maxsize=workers, max_retries=0)

    def get_connection_with_tls_context(
        self,
        request: PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: tuple[str, str] | str | None = None,
    ) -> ConnectionPool:
        """requests' pool for the request, the URL parsed once for each origin, not for
        every request: without a proxy, the pool depends on its scheme, host and port."""
        url = str(request.url)
        start = _path_start(url)
        if proxies or cert is not None or start < 0 or verify is None:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        key = (url[:start], verify)
        found = self._origins.get(key)
        if found is None:
            try:
                host_params, pool_kwargs = self.build_connection_pool_key_attributes(
                    request, verify
                )
            except ValueError as exc:
                raise InvalidURL(exc, request=request) from exc
            found = self._pool_key(
                host_params["scheme"], host_params["host"], host_params["port"], pool_kwargs
            )
            if len(self._origins) >= ORIGINS_KEPT:
                self._origins.clear()
            self._origins[key] = found
        pool_key, context = found
        # A copy: the context of a pool made anew is taken apart.
        pool: ConnectionPool = self.poolmanager.connection_from_pool_key(
            pool_key, request_context=dict(context)
        )
        return pool

    def _pool_key(
        self, scheme: str, host: str | None, port: int | None, pool_kwargs: Mapping[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """The pool manager's key and context for a pool, as its connection_from_host makes
        them for every request (the key's normalisation cost as much as the rest of the
        lookup)."""
        if not host:
            raise LocationValueError("No host specified.")
        manager = self.poolmanager
        context: dict[str, Any] = manager._merge_pool_kwargs(pool_kwargs)
        context["scheme"] = scheme or "http"
        context["port"] = (
            port_by_scheme.get(context["scheme"].lower(), 80) if port is None else port
        )
        context["host"] = host
        make_key = manager.key_fn_by_scheme.get(context["scheme"].lower())
        if make_key is None:
            raise URLSchemeUnknown(context["scheme"].lower())
        return make_key(context), context

    def request_url(self, request: PreparedRequest, proxies: Mapping[str, str] | None) -> str:
        """requests' path_url when no proxy is used: what follows the authority, without
        the fragment, cut from the URL rather than parsed out of it."""
        url = str(request.url)
        start = _path_start(url)
        if proxies or start < 0:
            return super().request_url(request, proxies)
        path = url[start:].partition("#")[0]
        return path.removesuffix("?")

    def build_response(self, req: PreparedRequest, resp: Any) -> Response:
        """requests' Response, without the cookies requests would parse into it: a check
        reads none, and a head may hold thousands of Set-Cookie lines (see fetch.py)."""
        response = Response()
        response.status_code = resp.status
        # Each header once, its values joined, as requests has them (without a lookup by name).
        response.headers = CaseInsensitiveDict(resp.headers.itermerged())
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        response.url = str(req.url)
        response.request = req
        response.connection = self
        return response

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # A SOCKS proxy manager has pool classes of its own; leave it with them.
        if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = self._pool_classes
        return manager
