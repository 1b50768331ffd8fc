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
import socket
import threading
from collections.abc import Sequence
from typing import Any

import urllib3
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family

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
            version, status, reason = self._read_status()
            headers = self._read_head()
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
        self.headers = self.msg = headers
        encoding = headers.get("transfer-encoding")
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
        version, status, reason = [*line.split(None, 2), "", ""][:3]
        valid = status.isascii() and status.isdigit() and 100 <= int(status) <= 999
        if not version.startswith("HTTP/") or not valid:
            self._close_conn()  # type: ignore[attr-defined]
            raise BadStatusLine(line)
        return version, int(status), reason

    def _read_head(self) -> http.client.HTTPMessage:
        fields: list[list[str]] = []
        while True:
            raw = self._read_line()
            if raw in (b"\r\n", b"\n"):
                break
            if not raw.endswith(b"\n"):
                self._cut()
            line = raw.decode("iso-8859-1")
            if line[:1] in (" ", "\t") and fields:
                # An obsolete folded line goes on with the header before it.
                fields[-1][1] += " " + line.strip()
                continue
            name, _, value = line.partition(":")
            fields.append([name, value.strip()])
        message = http.client.HTTPMessage()
        for name, value in fields:
            message[name] = value
        return message

    def _cut(self) -> None:
        self._close_conn()  # type: ignore[attr-defined]
        raise http.client.RemoteDisconnected("the answer ended before its headers did")


def _content_length(headers: http.client.HTTPMessage) -> int | None:
    """The body's length the headers give, None when they give none.

    Raises InvalidResponse for lengths that disagree or are not numbers: where
    the body ends is then unknown, and so is what follows it on the connection.
    """
    values = headers.get_all("content-length")
    if not values:
        return None
    lengths = {part.strip() for value in values for part in value.split(",")}
    if len(lengths) > 1:
        raise InvalidResponse("conflicting Content-Length")
    [length] = lengths
    if not (length.isascii() and length.isdigit()):
        raise InvalidResponse("bad Content-Length")
    return int(length)


class _Watched:
    """A connection that tells the attempt on its thread which socket it uses."""

    response_class: type[http.client.HTTPResponse] = _CheckedResponse

    # The attempt that last used this connection: only it may shut the socket down.
    attempt: deadline.Attempt | None = None
    # Whether this connection, idle in a pool, holds a place in the idle budget.
    budget: _Budget | None = None
    # Whether the connection carried a request before this one (it was kept alive).
    carried = False

    sock: socket.socket | None
    timeout: Any
    host: str
    port: int
    _dns_host: str

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

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:  # a kept-alive connection, or TLS set up already
            self._claim(self.sock)
        attempt = deadline.current()
        if attempt is not None and self.carried:
            attempt.reused = True
        super().request(*args, **kwargs)  # type: ignore[misc]
        self.carried = True  # after: a plain connection connects in there, which resets it

    def leave_budget(self) -> None:
        budget, self.budget = self.budget, None
        if budget is not None:
            budget.give_back()

    def close(self) -> None:
        self.leave_budget()
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


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
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
        super().__init__(pool_connections=pools, pool_maxsize=workers, max_retries=0)

    def build_response(self, req: PreparedRequest, resp: Any) -> Response:
        """requests' Response, without the cookies requests would parse into it: a check
        reads none, and a head may hold thousands of Set-Cookie lines (see fetch.py)."""
        response = Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict(resp.headers)
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
