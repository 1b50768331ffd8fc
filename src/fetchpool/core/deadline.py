"""Deadlines that hold whatever a server does.

A socket timeout bounds each read, so a server that trickles a byte a second
never trips it. Here each attempt registers a deadline, and the connection it
uses registers its socket (see transport.py); a watchdog thread shuts the
socket down once the deadline passes, which ends any read or write under way
at once: status line, headers or body. (A TLS handshake is bounded as a whole
by the socket's timeout, which Python applies to the handshake, not to each read.)
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

# How often the watchdog looks, at most: a deadline holds to within this.
TICK = 0.05


class Attempt:
    """One attempt's deadline and the socket it is using now."""

    __slots__ = ("_lock", "deadline", "expired", "fresh", "owner", "reused", "sock")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        # Whether a request of the attempt went on a kept-alive connection, and whether
        # the attempt wants new connections only (it is resending after such a failure).
        self.reused = False
        self.fresh = False
        # The connection object the socket belongs to, and the socket: the attempt
        # may shut the socket only while that connection is still its own.
        self.owner: object | None = None
        self.sock: socket.socket | None = None
        self._lock = threading.Lock()

    def use(self, owner: object, sock: socket.socket) -> None:
        """From now on the attempt is on ``sock``: shut it down if the deadline has passed."""
        with self._lock:
            self.owner, self.sock = owner, sock
            if self.expired:
                _shut(sock)

    def let_go(self) -> None:
        """The socket goes back to a pool for other attempts: never shut it down from here."""
        with self._lock:
            self.owner = self.sock = None

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            if self.sock is not None and getattr(self.owner, "attempt", None) is self:
                _shut(self.sock)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for an SSLSocket: SSLSocket.shutdown drops its
    # TLS state, which the thread still reading from it may be using.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_local = threading.local()


class _Watching:
    """The context of one attempt: watched, and the calling thread's current attempt.

    A class rather than a generator: it is entered on every request.
    """

    __slots__ = ("_attempt", "_attempts", "_previous")

    def __init__(self, attempts: dict[int, Attempt], attempt: Attempt) -> None:
        self._attempts = attempts
        self._attempt = attempt
        self._previous: Attempt | None = None

    def __enter__(self) -> Attempt:
        attempt = self._attempt
        self._attempts[id(attempt)] = attempt
        self._previous = getattr(_local, "attempt", None)
        _local.attempt = attempt
        return attempt

    def __exit__(self, *exc: object) -> None:
        _local.attempt = self._previous
        del self._attempts[id(self._attempt)]
        self._attempt.let_go()


def current() -> Attempt | None:
    """The attempt the calling thread is making, if any."""
    attempt: Attempt | None = getattr(_local, "attempt", None)
    return attempt


class Watchdog:
    """Expires attempts whose deadline has passed, from one thread of its own.

    The thread scans the attempts under way (at most one per worker) every TICK:
    cheaper than a timer per attempt, and it starts with the first attempt.
    """

    def __init__(self, tick: float = TICK) -> None:
        self._tick = tick
        self._attempts: dict[int, Attempt] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attempt(self, deadline: float) -> _Watching:
        """A context: an attempt on this thread that ends at ``deadline`` (time.monotonic())."""
        if self._thread is None:
            self._start()
        return _Watching(self._attempts, Attempt(deadline))

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="fetchpool-watchdog", daemon=True
                )
                self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            # dict.copy() is one C call, safe while workers add and remove attempts.
            attempts = self._attempts.copy().values()
            if self._stop.is_set() and not attempts:
                return
            for attempt in attempts:
                if attempt.deadline <= now and not attempt.expired:
                    attempt.expire()

    def expire_all(self) -> None:
        """Expire every attempt under way now, as if its deadline had passed."""
        for attempt in self._attempts.copy().values():
            attempt.expire()

    def close(self) -> None:
        """Stop the watchdog once the attempts under way are over (their deadlines hold)."""
        self._stop.set()
