"""SIGINT, SIGTERM and SIGHUP during a run: caught, and acted on where nothing is lost.

Left to Python, SIGINT raises KeyboardInterrupt wherever the main thread happens
to be (between taking a result and writing it, or in the middle of a write),
and SIGTERM and SIGHUP end the process with nothing more written. Inside a
``SignalStop``, the first of them only wakes the run, which stops before its
next result; what finished is then written and the output closed. A later
signal raises nothing: it gives that shutdown one more second (``GRACE``) and
then leaves at once, for a shutdown that cannot finish (an output nobody reads).

The signals are read from a wake-up socket on a thread of their own, not from
Python-level handlers: the kernel may hand a signal to any thread, and Python
then runs its handler only when the main thread next runs Python code, which
it does not while it sleeps waiting for the next result.

The command's ``main`` holds its SignalStop until the process has left, and the run
calls ``catch()`` on it when it starts: a signal that comes after the run has ended
but before the process has left then changes nothing either.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .status import ExitStatus, leave_now

if TYPE_CHECKING:
    import socket

T = TypeVar("T")

# The signals that stop a run; SIGHUP is not on Windows.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)

# Seconds an orderly shutdown still has after a later signal.
GRACE = 1.0


class SignalStop:
    """While entered (or from ``catch()`` to ``release()``), SIGINT, SIGTERM and SIGHUP stop
    the work instead of ending the process.

    The first signal sets ``signum`` and calls every function given to
    ``on_signal``, on the thread that watches for signals. A later one starts
    the ``GRACE`` countdown, after which the process leaves with ``status``,
    whatever the main thread is doing. Nothing is installed off the main thread
    (where Python allows no handler), nor over a signal the process ignores
    (``nohup``); the previous handlers come back on leaving. It catches once: after
    ``release()``, ``catch()`` does nothing.
    """

    def __init__(self, signals: Iterable[int] = STOP_SIGNALS, grace: float = GRACE) -> None:
        self.signum: int | None = None
        self._signals = tuple(signals)
        self._grace = grace
        self._wakes: list[Callable[[], None]] = []
        self._previous: dict[int, Any] = {}
        self._caught: frozenset[int] = frozenset()
        self._previous_wakeup = -1
        self._writer: socket.socket | None = None
        self._finished = threading.Event()

    @property
    def caught(self) -> bool:
        return self.signum is not None

    @property
    def status(self) -> ExitStatus:
        """The exit status for the signal caught (128 + its number)."""
        if self.signum is None:
            raise ValueError("no signal was caught")
        return ExitStatus.from_signal(self.signum)

    def on_signal(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` at the first signal (on another thread), or now if it has come."""
        self._wakes.append(wake)
        if self.signum is not None:
            wake()  # it may be called twice, if the signal came just now: harmless

    def until_caught(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, ending before the next one once a signal has been caught."""
        for item in items:
            if self.signum is not None:
                return
            yield item

    def __enter__(self) -> SignalStop:
        self.catch()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def catch(self) -> None:
        """Catch the signals from now until ``release()``; nothing if they already are."""
        if (
            self._writer is not None
            or self._finished.is_set()
            or threading.current_thread() is not threading.main_thread()
        ):
            return
        caught = [
            signum for signum in self._signals if signal.getsignal(signum) is not signal.SIG_IGN
        ]
        if not caught:
            return
        import socket  # here, not at start-up: --help and --version catch nothing

        self._caught = frozenset(caught)
        reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)  # the C-level handler must never block on it
        watcher = threading.Thread(
            target=self._watch, args=(reader,), name="fetchpool-signals", daemon=True
        )
        watcher.start()
        self._previous_wakeup = signal.set_wakeup_fd(
            self._writer.fileno(), warn_on_full_buffer=False
        )
        for signum in caught:
            # Python's handler has nothing to do: it is there so that the signal neither
            # ends the process nor raises; the signal reaches the watcher through the socket.
            self._previous[signum] = signal.signal(signum, _ignore)

    def release(self) -> None:
        """Put back the handlers that were there before ``catch()``."""
        if self._writer is None:
            return
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
        signal.set_wakeup_fd(self._previous_wakeup)
        self._finished.set()
        self._writer.close()  # the watcher reads the end of the stream, and ends
        self._writer = None

    def _watch(self, reader: socket.socket) -> None:
        with reader:
            while data := reader.recv(64):
                for signum in data:
                    if signum not in self._caught:  # another handler's signal
                        continue
                    if self.signum is None:
                        self.signum = signum
                        for wake in list(self._wakes):
                            wake()
                    elif not self._finished.wait(self._grace):
                        # The shutdown is stuck, most likely writing to an output nobody reads:
                        # flushing anything would block as well.
                        leave_now(self.status)
                    else:
                        return


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Python's handler for a caught signal: the watcher thread acts on it."""
