"""Politeness per host: requests in flight capped (--per-host), spaced by a rate
(--rate), and held while a host has asked everyone to wait (Retry-After)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .failures import TIMED_OUT, Failed, FailureKind

# Why a URL was not requested: its deadline (-m) came before its host's turn.
NO_SLOT = f"{TIMED_OUT} waiting for a --per-host slot (not requested)"
NO_TURN = (
    f"{TIMED_OUT} before its host's turn (not requested: --rate, a Crawl-delay or a"
    " Retry-After spaces the host's requests past -m)"
)


class Stopped(BaseException):
    """A request that was waiting for its host's turn when the fetcher stopped: it is never
    sent and has no Result. Not an Exception, so that nothing turns it into one: a run
    drops it as it drops a URL that never started (see Fetcher.stop)."""


class HostLimiter:
    """Caps requests in flight per host, spaces each host's requests by a rate, and holds
    a host's requests while it has asked everyone to wait (Retry-After)."""

    def __init__(
        self,
        per_host: int | None,
        rate: float | None,
        intervals: tuple[tuple[str, float], ...] = (),
    ) -> None:
        """``intervals``: (host, seconds) pairs, for hosts whose requests start at least
        that far apart (more than ``rate`` asks)."""
        self._per_host = per_host
        self._interval = 1.0 / rate if rate else 0.0
        self._intervals = {host_key(host): seconds for host, seconds in intervals}
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
        return bool(self._per_host or self._interval or self._intervals or self._held)

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

        Raises Failed(TIMEOUT) when the turn would come after ``deadline``
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
                raise Failed(FailureKind.TIMEOUT, NO_SLOT, transient=False)
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
            interval = max(self._interval, self._intervals.get(host, 0.0))
            if interval:
                start = max(start, self._next_start.get(host, now))
            if deadline is not None and start > deadline:
                # A retry would wait for a turn later still.
                raise Failed(FailureKind.TIMEOUT, NO_TURN, transient=False)
            if interval:
                self._next_start[host] = start + interval
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


def host_key(hostname: str | None) -> str:
    """The key a host's limits are kept under: its name, lower-cased."""
    return (hostname or "").lower()
