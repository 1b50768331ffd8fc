"""A real HTTP server on 127.0.0.1 for tests that need sockets.

Paths choose the behaviour:

- ``/status/CODE`` answers CODE (``?retry_after=V`` adds a Retry-After header)
- ``/delay/SECONDS`` answers 200 after SECONDS (``/delay/S/anything`` too)
- ``/after/N/KEY`` answers 200 once requests for N other paths holding KEY have been
  answered (at most 20 s)
- ``/barrier/KEY/N`` answers 200 once N requests for KEY are there at once (``/barrier/K/N/
  anything`` too), as a threading.Barrier lets them through, N at a time; 500 to each of them
  when the N are not all there within 20 seconds
- ``/redirect/N`` redirects N times, then 200; ``/redirect-loop`` never stops
- ``/redirect-to?url=U`` redirects to U
- ``/set-cookie/NAME`` answers 200 with a cookie NAME (``?next=PATH`` redirects there instead)
- ``/cookie/NAME`` answers 200 when the request brings a cookie NAME, else 403
- ``/flaky/KEY/N/CODE`` answers CODE to the first N requests for KEY, then 200
  (``?retry_after=V`` adds Retry-After to the failures)
- ``/head-not-allowed`` answers HEAD with 405 and GET with 200
- ``/big/MIB`` answers 200 with a body of MIB mebibytes, written as fast as it is read; the
  request's ``body_sent`` says how many bytes of it got out before the client hung up
- ``/silent`` reads the request and never answers
- ``/trickle/PHASE`` sends its answer a byte at a time, 20 bytes a second, for a minute,
  stalling in PHASE: ``status`` (an endless status line), ``headers`` (an endless header
  line), ``body`` (a 200 whose body crawls) or ``continue`` (an endless run of
  ``100 Continue`` answers); ``hung_up`` counts the clients that hung up on one
- ``/close`` closes the connection without answering
- ``/hang-up/PHASE`` hangs up partway through its answer: after ``status`` (a status
  line with no line end) or in ``headers`` (half a header line)
- ``/drop-next`` answers 200 on a connection it keeps open, then reads the next request
  on that connection and hangs up without a word
- ``/late-head-body`` answers HEAD with a Content-Length and, against the rules, sends
  that many body bytes late: just before its answer to the next request on the connection
- ``/raw/NAME`` sends the bytes ``RAW[NAME]`` as its whole answer (a list of parts is sent
  part by part) and keeps the connection open only for names starting ``keep-``
- ``/redirect-body/KIND`` redirects to ``/status/200`` with a body: ``gzip-bomb`` (20 KB
  of gzip that unpacks to 20 MB) or ``endless`` (chunks until the client hangs up, counted
  in ``hung_up``)
- ``/html/NAME`` answers 200 with the page ``PAGES[NAME]``: (content type, encoding, body)
- anything else answers 200 with a short body

Every request is logged with its method, path, headers, client port and the
times it started and ended. ``in_flight`` counts a request from when it is read until its
answer starts to go out (not until the answer is written, or a client that sends its next
request as soon as it has an answer would be counted twice); ``max_in_flight`` is the most
counted at once.
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _answer_bytes(status: str, headers: list[str], body: bytes = b"") -> bytes:
    head = "".join(f"{line}\r\n" for line in [status, *headers])
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body


# Answers that break, bend or stretch the rules, for ``/raw/NAME``.
RAW: dict[str, bytes | list[bytes]] = {
    "keep-hints-200": [
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
        _answer_bytes("HTTP/1.1 200 OK", [], b"ok\n"),
    ],
    "keep-hints-404": [
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
        b"HTTP/1.1 102 Processing\r\n\r\n",
        _answer_bytes("HTTP/1.1 404 Not Found", [], b"gone\n"),
    ],
    "interim-flood": b"HTTP/1.1 103 Early Hints\r\n\r\n" * 100_000,
    "garbage": b"\x16\x03\x01 this is not HTTP at all\r\n\r\n",
    "http-0.9": b"<html><body>an HTTP/0.9 answer has no status line</body></html>\n",
    "status-0": _answer_bytes("HTTP/1.1 0 Zero", []),
    "status-1000": _answer_bytes("HTTP/1.1 1000 Thousand", []),
    "status-words": _answer_bytes("HTTP/1.1 OK 200", []),
    "version-2": _answer_bytes("HTTP/2.0 200 OK", []),
    "long-header": _answer_bytes("HTTP/1.1 200 OK", ["X-Big: " + "a" * 1024 * 1024]),
    "many-big-headers": _answer_bytes(
        "HTTP/1.1 200 OK", [f"X-Part-{n}: {'b' * 1000}" for n in range(1000)]
    ),
    "150-cookies": _answer_bytes(
        "HTTP/1.1 200 OK", [f"Set-Cookie: c{n}=v{n}; Path=/" for n in range(150)], b"ok\n"
    ),
    "cookie-flood-redirect": _answer_bytes(
        "HTTP/1.1 302 Found",
        ["Location: /cookie/c0", *(f"Set-Cookie: c{n}=1; Path=/" for n in range(10_000))],
    ),
    "two-locations": _answer_bytes(
        "HTTP/1.1 302 Found", ["Location: /status/200", "Location: /status/404"]
    ),
    "same-location-twice": _answer_bytes(
        "HTTP/1.1 302 Found", ["Location: /status/200", "Location: /status/200"]
    ),
    "keep-304-chunked": b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
    "keep-204-chunked": b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
    "retry-after-twice": _answer_bytes(
        "HTTP/1.1 503 Service Unavailable", ["Retry-After: 1", "Retry-After: 1"]
    ),
    "long-location": _answer_bytes("HTTP/1.1 302 Found", ["Location: /" + "l" * 70_000]),
    "conflicting-length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello",
    "bad-length": b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\nhello",
    "latin-1-location": (
        b"HTTP/1.1 302 Found\r\nLocation: /caf\xe9 au lait\r\nContent-Length: 0\r\n\r\n"
    ),
    "utf-8-location": _answer_bytes("HTTP/1.1 302 Found", ["Location: /caf\xc3\xa9"]),
    "bad-ipv6-location": _answer_bytes("HTTP/1.1 302 Found", ["Location: http://[::1"]),
    "ftp-location": _answer_bytes("HTTP/1.1 302 Found", ["Location: ftp://example.com/file"]),
    "bad-port-location": _answer_bytes("HTTP/1.1 302 Found", ["Location: http://127.0.0.1:99999/"]),
    "short-body": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this much",
}


GZIP_BOMB = gzip.compress(b"\0" * 20 * 1024 * 1024)


_PAGE = (
    b"<!doctype html><html><body><h1 id='intro'>Intro</h1><a name='legacy'></a>"
    b"<h2 id='user-content-install'>Install</h2><p>text</p></body></html>"
)

# Pages for ``/html/NAME``: content type, Content-Encoding (or None) and body.
PAGES: dict[str, tuple[str, str | None, bytes]] = {
    "page": ("text/html; charset=utf-8", None, _PAGE),
    "gzip-page": ("text/html", "gzip", gzip.compress(_PAGE)),
    "gzip-bomb": ("text/html", "gzip", GZIP_BOMB),
    "big": ("text/html", None, _PAGE + b"<p>" + b"x" * (5 * 1024 * 1024) + b"</p>"),
    "text": ("text/plain", None, b"id='intro'\n"),
}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    client_port: int
    started: float
    ended: float = 0.0
    body_sent: int = 0


@dataclass
class ServerState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    log: list[Seen] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    connections: int = 0
    hung_up: int = 0
    barriers: dict[str, threading.Barrier] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TestHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and
        # the client's delayed ACK hold every kept-alive answer back by about 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.state.lock:
            self.server.state.connections += 1

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    # Bytes owed on this connection by a /late-head-body answer, sent before the next answer.
    owed = b""
    # Whether the next request on this connection goes unanswered (after /drop-next).
    drop_next = False
    # The request being handled, and whether it still counts as in flight.
    seen: Seen | None = None
    counted = False

    def _handle(self) -> None:
        state = self.server.state
        if self.drop_next:
            self.close_connection = True
            return
        if self.owed:
            self.wfile.write(self.owed)
            self.owed = b""
        seen = Seen(
            self.command,
            self.path,
            {key.lower(): value for key, value in self.headers.items()},
            self.client_address[1],
            time.monotonic(),
        )
        self.seen = seen
        with state.lock:
            state.log.append(seen)
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        self.counted = True
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self._answering()
            seen.ended = time.monotonic()

    def _answering(self) -> None:
        """The request is no longer in flight: its answer is about to go out."""
        if self.counted:
            self.counted = False
            with self.server.state.lock:
                self.server.state.in_flight -= 1

    def _route(self) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        segments = [segment for segment in parts.path.split("/") if segment]
        head = segments[0] if segments else ""
        extra = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
        if "reset" in query:  # a spent rate limit, as GitHub says so, reset N seconds on
            extra["X-RateLimit-Remaining"] = "0"
            extra["X-RateLimit-Reset"] = str(int(time.time()) + int(query["reset"]))
        if head == "status":
            self._answer(int(segments[1]), extra)
        elif head == "delay":
            state.stop.wait(float(segments[1]))
            self._answer(200)
        elif head == "after":
            # Answer once N other paths naming KEY have been answered (at most 20 s): paths,
            # not requests, since a HEAD answered 404 is sent again as a GET.
            count, key, deadline = int(segments[1]), segments[2], time.monotonic() + 20
            while time.monotonic() < deadline:
                with state.lock:
                    done = {seen.path for seen in state.log if seen.ended > 0 and key in seen.path}
                if len(done) >= count:
                    break
                if state.stop.wait(0.005):
                    break
            self._answer(200)
        elif head == "barrier":
            key, parties = segments[1], int(segments[2])
            with state.lock:
                barrier = state.barriers.setdefault(key, threading.Barrier(parties))
            try:
                barrier.wait(20)
            except threading.BrokenBarrierError:
                self._answer(500)
            else:
                self._answer(200)
        elif head == "redirect":
            hops = int(segments[1])
            if hops <= 0:
                self._answer(200)
            else:
                self._answer(302, {"Location": f"/redirect/{hops - 1}"})
        elif head == "redirect-to":
            self._answer(302, {"Location": query["url"]})
        elif head == "set-cookie":
            cookie = {"Set-Cookie": f"{segments[1]}=1; Path=/"}
            if "next" in query:
                self._answer(302, {**cookie, "Location": query["next"]})
            else:
                self._answer(200, cookie)
        elif head == "cookie":
            sent = self.headers.get("Cookie", "")
            names = {part.split("=", 1)[0].strip() for part in sent.split(";")}
            self._answer(200 if segments[1] in names else 403)
        elif head == "redirect-loop":
            self._answer(302, {"Location": "/redirect-loop"})
        elif head == "flaky":
            key, failures, code = segments[1], int(segments[2]), int(segments[3])
            with state.lock:
                state.hits[key] += 1
                count = state.hits[key]
            self._answer(code if count <= failures else 200, extra if count <= failures else {})
        elif head == "head-not-allowed":
            self._answer(405 if self.command == "HEAD" else 200)
        elif head == "big":
            self._big(int(segments[1]) * 1024 * 1024)
        elif head == "trickle":
            self._trickle(segments[1])
        elif head == "silent":
            state.stop.wait(60)
            self.close_connection = True
        elif head == "close":
            self.close_connection = True
        elif head == "hang-up":
            partial = {"status": b"HTTP/1.1 200", "headers": b"HTTP/1.1 200 OK\r\nContent-Le"}
            self.wfile.write(partial[segments[1]])
            self.close_connection = True
        elif head == "raw":
            name = segments[1]
            answer = RAW[name]
            for part in answer if isinstance(answer, list) else [answer]:
                self.wfile.write(part)
                self.wfile.flush()
            self.close_connection = not name.startswith("keep-")
        elif head == "html":
            content_type, encoding, body = PAGES[segments[1]]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        elif head == "redirect-body":
            self._redirect_body(segments[1])
        elif head == "drop-next":
            self._answer(200)
            self.drop_next = True
        elif head == "late-head-body":
            self._answer(200)
            if self.command == "HEAD":
                self.owed = b"200\n"
        else:
            self._answer(200)

    def _answer(self, code: int, headers: dict[str, str] | None = None) -> None:
        # 1xx, 204 and 304 answers have no body; sending one would corrupt the next answer.
        body = b"" if code < 200 or code in (204, 304) else f"{code}\n".encode()
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self._answering()  # the headers so far are buffered: end_headers sends them
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _trickle(self, phase: str) -> None:
        self.close_connection = True
        start, crawl = {
            "status": (b"", b"HTTP/1.1 200 O" + b"K" * 2000),
            "headers": (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 2000),
            "body": (b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", b"a" * 2000),
            "continue": (b"", b"HTTP/1.1 100 Continue\r\n\r\n" * 100),
        }[phase]
        state = self.server.state
        try:
            self.wfile.write(start)
            for index in range(min(len(crawl), 1200)):  # a minute at most
                if state.stop.wait(0.05):
                    return
                self.wfile.write(crawl[index : index + 1])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            with state.lock:
                state.hung_up += 1

    def _redirect_body(self, kind: str) -> None:
        self.close_connection = True
        self.send_response(302)
        self.send_header("Location", "/status/200")
        if kind == "gzip-bomb":
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(GZIP_BOMB)))
            self.end_headers()
            self.wfile.write(GZIP_BOMB)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
        try:
            for _ in range(100_000):  # 1.6 GB at most
                if self.server.state.stop.is_set():
                    return
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            with self.server.state.lock:
                self.server.state.hung_up += 1

    def _big(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        chunk = b"\0" * (1024 * 1024)
        assert self.seen is not None
        while self.seen.body_sent < size and not self.server.state.stop.is_set():
            part = chunk[: size - self.seen.body_sent]
            self.wfile.write(part)
            self.seen.body_sent += len(part)


class TestHTTPServer(ThreadingHTTPServer):
    __test__ = False  # not a test class, whatever pytest makes of its name

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, host: str = "127.0.0.1") -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, 0), Handler)
        self.state = ServerState()
        # A short poll, so that stop() returns at once.
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up (a timed-out or interrupted fetchpool) is expected here.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    @property
    def log(self) -> list[Seen]:
        with self.state.lock:
            return list(self.state.log)

    def reset(self) -> None:
        self.state.stop.set()
        self.state = ServerState()

    def start(self) -> TestHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.state.stop.set()
        self.shutdown()
        self.server_close()


class TrickleRelay:
    """Relays each connection to ``target`` (host, port), sending the answer back a byte
    at a time, 20 a second: a server whose TLS handshake, or anything else, crawls.

    ``hung_up`` is set when a client hangs up on it before the answer is through.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.hung_up = threading.Event()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)
        forward = threading.Thread(target=self._forward, args=(client, upstream), daemon=True)
        forward.start()
        try:
            for _ in range(1200):  # a minute at most
                byte = upstream.recv(1)
                if not byte or self._stop.wait(0.05):
                    return
                client.sendall(byte)
        except OSError:
            self.hung_up.set()
        finally:
            client.close()
            upstream.close()

    @staticmethod
    def _forward(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()
