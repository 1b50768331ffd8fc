"""The response head is read whole, with http.client's rules: the same status, headers and
framing as http.client gives, and no answer from a head cut short; where http.client is
lenient (interim answers, framing, size) the rules are HTTP's."""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import threading
from typing import Any

import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util import SKIP_HEADER

from fetchpool.core import transport
from fetchpool.core.transport import (
    HeadTooLarge,
    InvalidResponse,
    SharedAdapter,
    _CheckedResponse,
    _WatchedHTTPConnection,
)

from .waiting import wait_until

HEADS = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n",
    b"HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody",
    b"HTTP/1.1 301\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 204 No\r\n\r\n",
    b"HTTP/1.1 200 OK\nX-Folded: one\n  two\nConnection: close\n\n",
    b"HTTP/1.1 200 OK\r\nX-Empty:\r\n\r\n",
]


def read_head(response_class: type[http.client.HTTPResponse], data: bytes, method: str = "GET"):
    ours, theirs = socket.socketpair()

    def send() -> None:
        # From a thread: a head larger than the socket's buffer is read while it is sent.
        with contextlib.suppress(OSError):  # the reader may stop reading and close
            theirs.sendall(data)
            theirs.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send, daemon=True)
    with ours, theirs:
        sender.start()
        response = response_class(ours, method=method)
        response.begin()
        return (
            response.status,
            response.reason,
            response.version,
            response.headers.items(),
            response.chunked,
            response.length,
            response.will_close,
        )


@pytest.mark.parametrize("data", HEADS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_head_reads_as_http_client_reads_it(data: bytes, method: str) -> None:
    ours = read_head(_CheckedResponse, data, method)
    theirs = read_head(http.client.HTTPResponse, data, method)
    assert ours[:3] == theirs[:3]
    # Folded lines are joined with a space rather than kept with their line break.
    assert [(k, " ".join(v.split())) for k, v in ours[3]] == [
        (k, " ".join(v.split())) for k, v in theirs[3]
    ]
    # An answer without a body (to HEAD, a 204 or 304) is not chunked, whatever it says:
    # http.client would wait for chunks that never come.
    no_body = method == "HEAD" or theirs[0] in (204, 304)
    assert ours[4:] == (theirs[4] and not no_body, *theirs[5:])


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200",
        b"HTTP/1.1 200 OK\r\nContent-Le",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n",
        b"HTTP/1.1 100 Continue\r\n",
    ],
)
def test_a_head_cut_short_is_no_answer(data: bytes) -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        read_head(_CheckedResponse, data)


@pytest.mark.parametrize(
    "data", [b"garbage\r\n\r\n", b"HTTP/1.1 2OO OK\r\n\r\n", b"HTTP/1.1 1000 Big\r\n\r\n"]
)
def test_a_bad_status_line_is_refused_as_http_client_refuses_it(data: bytes) -> None:
    with pytest.raises(http.client.BadStatusLine):
        read_head(http.client.HTTPResponse, data)
    with pytest.raises(http.client.BadStatusLine):
        read_head(_CheckedResponse, data)


@pytest.mark.parametrize(
    "interim",
    [b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", b"HTTP/1.1 102 Processing\r\n\r\n"],
)
def test_interim_answers_come_before_the_answer(interim: bytes) -> None:
    final = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    status, *_, length, will_close = read_head(_CheckedResponse, interim * 3 + final)
    assert (status, length, will_close) == (404, 0, False)


def test_a_protocol_switch_is_the_answer_and_ends_the_connection() -> None:
    data = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    status, *_, length, will_close = read_head(_CheckedResponse, data)
    assert (status, length, will_close) == (101, 0, True)


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        (b"Content-Length: 3\r\nContent-Length: 3\r\n", 3),
        (b"Content-Length: 3, 3\r\n", 3),
        (b"Content-Length: 3\r\nContent-Length: 4\r\n", "conflicting Content-Length"),
        (b"Content-Length: 3, 4\r\n", "conflicting Content-Length"),
        (b"Content-Length: -5\r\n", "bad Content-Length"),
        (b"Content-Length: 0x10\r\n", "bad Content-Length"),
    ],
)
def test_the_body_length_must_be_one_number(lengths: bytes, expected: int | str) -> None:
    data = b"HTTP/1.1 200 OK\r\n" + lengths + b"\r\nok\n"
    if isinstance(expected, int):
        assert read_head(_CheckedResponse, data)[5] == expected
    else:
        with pytest.raises(InvalidResponse, match=expected):
            read_head(_CheckedResponse, data)


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + (b"X-Part: " + b"b" * 1000 + b"\r\n") * 400 + b"\r\n",
        b"HTTP/1.1 103 Early Hints\r\n\r\n" * 20_000,
    ],
)
def test_a_head_over_the_limits_is_too_large(data: bytes) -> None:
    with pytest.raises(HeadTooLarge):
        read_head(_CheckedResponse, data)


def test_many_headers_within_the_limits_are_read() -> None:
    cookies = b"".join(b"Set-Cookie: c%d=1\r\n" % n for n in range(500))
    headers = read_head(_CheckedResponse, b"HTTP/1.1 200 OK\r\n" + cookies + b"\r\n")[3]
    assert len(headers) == 500


# --- name lookups: a few threads, each name once, a resolver that never answers ---------------


class _SilentResolver:
    """A getaddrinfo that answers nothing until ``answer`` is set, counting its calls."""

    def __init__(self) -> None:
        self.answer = threading.Event()
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, host: str, port: int, family: int, kind: int) -> list[object]:
        with self.lock:
            self.calls.append(host)
        self.answer.wait(30)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


def test_a_resolver_that_never_answers_costs_a_few_threads_not_one_a_name() -> None:
    silent = _SilentResolver()
    resolver = transport._Resolver(4, silent)
    try:
        for n in range(40):
            with pytest.raises(TimeoutError, match=f"looking up host{n}.test took over"):
                resolver.look_up(f"host{n}.test", 80, socket.AF_INET, 0.01)
        assert resolver._threads == 4
        # Only the names a thread took were asked for; the rest were given up unasked.
        assert len(silent.calls) == 4
        assert resolver._queue == []
    finally:
        silent.answer.set()


def test_a_name_asked_for_by_many_at_once_is_looked_up_once() -> None:
    silent = _SilentResolver()
    resolver = transport._Resolver(4, silent)
    found: list[object] = []

    def ask() -> None:
        found.append(resolver.look_up("same.test", 443, socket.AF_INET, 30))

    askers = [threading.Thread(target=ask) for _ in range(10)]
    for asker in askers:
        asker.start()
    key = ("same.test", 443, socket.AF_INET)
    assert wait_until(lambda: key in resolver._pending and resolver._pending[key].waiting == 10)
    silent.answer.set()
    for asker in askers:
        asker.join()
    assert silent.calls == ["same.test"]
    assert len(found) == 10 and all(addresses == found[0] for addresses in found)


class _Received:
    """A socket whose bytes have all arrived: its reader buffers ``size`` bytes at a time."""

    def __init__(self, data: bytes, size: int) -> None:
        self.reader = _CountingReader(io.BytesIO(data), buffer_size=size)

    def makefile(self, mode: str) -> io.BufferedReader:
        return self.reader


class _CountingReader(io.BufferedReader):
    lines_read = 0

    def readline(self, size: int | None = -1) -> bytes:
        self.lines_read += 1
        return super().readline(size)


def read_received(data: bytes, size: int, method: str = "GET") -> object:
    """What reading ``data``'s head gives (its outcome, or the error and its reason), and
    what is left to read after it."""
    received = _Received(data, size)
    response = _CheckedResponse(received, method=method)  # type: ignore[arg-type]
    try:
        response.begin()
    except Exception as exc:
        return type(exc), str(exc)
    return (
        response.status,
        response.reason,
        response.version,
        list(response.headers.items()),
        response.chunked,
        response.length,
        response.will_close,
        received.reader.read(),
    )


HOSTILE_HEADS = [
    b"HTTP/1.1 200",
    b"HTTP/1.1 200 OK\r\nContent-Le",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n",
    b"HTTP/1.1 100 Continue\r\n",
    b"garbage\r\n\r\n",
    b"\r\nHTTP/1.1 200 OK\r\n\r\n",
    b"HTTP/1.1 2OO OK\r\n\r\n",
    b"HTTP/1.1 1000 Big\r\n\r\n",
    b"HTTP/1.1 103 Early\r\nLink: </a.css>\r\n\r\nHTTP/1.1 404 No\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nA: b\n\r\nX-Body: y\r\n\r\n",  # the head ends at the first empty line
    b"HTTP/1.1 200 OK\r\nA: b\n\nX-Body: y\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nA: b\r\r\nB: c\r\n \r\n\r\nbody",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc",
    b"HTTP/2 200 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
    b"HTTP/1.1 103 Early Hints\r\n\r\n" * 20_000,
]


@pytest.mark.parametrize("data", HEADS + HOSTILE_HEADS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_head_received_whole_reads_as_one_read_line_by_line(data: bytes, method: str) -> None:
    assert read_received(data, 1 << 20, method) == read_received(data, 1, method)


def test_a_head_received_whole_is_taken_in_one_piece_and_leaves_the_body() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\nok"
    received = _Received(data, 8192)
    response = _CheckedResponse(received, method="GET")  # type: ignore[arg-type]
    response.begin()
    assert (response.status, response.length, received.reader.lines_read) == (200, 2, 0)
    assert received.reader.read() == b"ok"


def _sent(connection: http.client.HTTPConnection, *request: Any) -> bytes:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        connection.sock = ours
        connection.request(*request)
        ours.shutdown(socket.SHUT_WR)
        return theirs.makefile("rb").read()


@pytest.mark.parametrize(
    ("host", "port", "method", "url", "headers"),
    [
        ("example.com", 80, "GET", "/", {"User-Agent": "fetchpool", "Accept": "*/*"}),
        ("example.com", 8080, "HEAD", "/a?b=c", {"Accept-Encoding": "identity"}),
        ("127.0.0.1", 80, "GET", "/", {}),
        ("::1", 8080, "GET", "/x", {"Cookie": "a=1; b=2"}),
        ("bücher.example", 80, "GET", "/", {"Authorization": "Basic eDp5"}),
        ("example.com", 80, "GET", "http://other.example:81/p", {"Proxy-Authorization": "x"}),
        ("example.com", 80, "GET", "/", {"Host": "elsewhere.example", "X-Folded": "a\r\n b"}),
        ("example.com", 80, "GET", "/", {"User-Agent": SKIP_HEADER, "X-N": 3}),
        ("example.com", 80, "DELETE", "/", {}),
    ],
)
def test_a_request_is_written_as_urllib3_writes_it(
    host: str, port: int, method: str, url: str, headers: dict[str, Any]
) -> None:
    ours = _WatchedHTTPConnection(host, port)
    theirs = urllib3.connection.HTTPConnection(host, port)
    assert _sent(ours, method, url, None, headers) == _sent(theirs, method, url, None, headers)


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "/a b", {}),
        ("GET", "/a\x7f", {}),
        ("GE T", "/", {}),
        ("GET", "/", {"Bad Name:": "x"}),
        ("GET", "/", {"X": "a\r\nInjected: yes"}),
        ("GET", "/", {"X": "\u20ac"}),
        ("GET", "/", {"Accept": SKIP_HEADER}),
    ],
)
def test_a_request_urllib3_refuses_to_write_is_refused_as_it_refuses_it(
    method: str, url: str, headers: dict[str, str]
) -> None:
    def refusal(connection: http.client.HTTPConnection) -> type[BaseException]:
        with pytest.raises((ValueError, http.client.HTTPException)) as refused:
            _sent(connection, method, url, None, headers)
        return refused.type

    theirs = refusal(urllib3.connection.HTTPConnection("example.com"))
    assert refusal(_WatchedHTTPConnection("example.com")) is theirs


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "HTTPS://Example.COM:8443/a/b?c=d#e",
        "http://user:pw@example.com:81/p?",
        "http://[::1]:8080/x#f",
        "http://example.com/?q#f",
        "http://example.com/a?b#c?d/e",
        "https://bücher.example/ä?x=ü",
        "http://example.com:80/%7e;p?q=%20",
    ],
)
@pytest.mark.parametrize("verify", [True, False, "/no/such/bundle.pem"])
def test_a_request_goes_to_the_pool_and_path_requests_would_choose(
    url: str, verify: bool | str
) -> None:
    adapter = SharedAdapter(2)
    request = requests.Request("GET", url).prepare()
    for _ in range(2):  # worked out, then remembered
        path = adapter.request_url(request, {})
        pool = adapter.get_connection_with_tls_context(request, verify, {})
        assert path == HTTPAdapter.request_url(adapter, request, {})
        assert pool is HTTPAdapter.get_connection_with_tls_context(adapter, request, verify, {})


def test_an_origin_checked_with_other_certificate_settings_has_a_pool_of_its_own() -> None:
    adapter = SharedAdapter(2)
    request = requests.Request("GET", "https://example.com/").prepare()
    checked = adapter.get_connection_with_tls_context(request, True, {})
    unchecked = adapter.get_connection_with_tls_context(request, False, {})
    assert checked is not unchecked
    assert (checked.cert_reqs, unchecked.cert_reqs) == ("CERT_REQUIRED", "CERT_NONE")


def test_an_origin_whose_pool_was_dropped_gets_a_new_one() -> None:
    adapter = SharedAdapter(2)
    request = requests.Request("GET", "http://example.com/").prepare()
    first = adapter.get_connection_with_tls_context(request, True, {})
    adapter.poolmanager.clear()  # as when a pool is the least recently used of too many
    second = adapter.get_connection_with_tls_context(request, True, {})
    assert second is not first
    assert adapter.get_connection_with_tls_context(request, True, {}) is second
