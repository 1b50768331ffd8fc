"""Checks spread over worker processes, behind the ordered map's one door.

A run with ``processes`` above 1 hands its items to an ``Engine`` (a pool.Dispatcher)
instead of to its threads. The engine owns everything about processes: starting
them, which one gets an item, the wire format (wire.py) and watching that each
lives. Nothing outside this module knows how many there are.

- **Lanes.** The run's own threads are a lane; each worker process is another,
  with its own ThreadPoolExecutor, its own share of --max-workers and its own
  connection pool. A short list never pays for processes: its first
  ``LOCAL_FIRST`` items go to the run's own threads; processes start past half of
  that, and take work once they say they are ready.
- **Routing.** A host goes to the lane least busy when it is first seen, and its URLs
  follow, so its connections are reused. With --per-host or --rate that is a rule
  (a host's limits hold exactly only if one process sends all of its requests).
  Without them, a URL whose host's lane is much busier than another (all its threads
  busy, and half as many again as the least busy) goes to the least busy instead, so a
  list on one host uses every core.
- **Batches.** Items and results travel in batches: whatever waits when a lane's
  sender is free goes in one message, so a busy run sends few, and a quiet one
  sends each item at once (no timer).
- **No URL lost, no process left.** A worker that dies costs no hang: each URL it
  held is reported as ``worker_lost`` (inconclusive) with how it ended, and the
  next item for that lane starts a fresh one. A worker says something at least
  every ``HEARTBEAT`` seconds (an empty batch when it has nothing else); one that
  holds URLs and says nothing for ``SILENCE`` seconds (stopped, or stuck) is killed,
  and its URLs are reported so. A worker ends when its input pipe
  closes: when the run is closed, and when the run's process dies, even by
  SIGKILL. Workers ignore SIGINT, SIGTERM and SIGHUP: the run decides.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from . import wire
from .failures import FailureKind
from .fetch import Fetcher, HandOff
from .inputs import InputLine
from .limits import host_key
from .options import Options
from .pages import Page, PageLine, settle
from .pool import _Raised
from .results import Result
from .wire import Fault

if TYPE_CHECKING:
    from concurrent.futures import Executor

# Items a run checks on its own threads before it starts worker processes.
LOCAL_FIRST = 256
# Items (or results) sent in one message at most.
BATCH = 512
# Hosts given a lane by name; past this, a host's lane is its hash (still one lane a host).
MAX_HOSTS_NAMED = 65_536
# Fresh workers started for a lane whose worker died, before its items stay on this process.
MAX_RESTARTS = 3
# Seconds a closed worker is given to exit before it is killed.
EXIT_WAIT = 1.0
# Seconds between a worker's signs of life: an empty batch when it has nothing else to say.
HEARTBEAT = 1.0
# Seconds a worker holding URLs may say nothing before it is taken for stopped and killed.
SILENCE = 30.0

_STOP = None


def _url_host(url: str) -> str:
    """The key a URL's host limits are kept by (limits.host_key of its host name)."""
    return host_key(urlsplit(url).hostname)


class _Lane:
    """Where items go: the run's own threads, or one worker process."""

    def __init__(self) -> None:
        # Items sent here and not yet complete, by index.
        self.held: dict[int, InputLine] = {}

    def send(self, index: int, item: InputLine, state: tuple[object, ...] | None = None) -> None:
        """Check ``item``; with ``state``, go on from the redirect another lane handed off."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Local(_Lane):
    def __init__(self, executor: Executor, fetcher: Fetcher, engine: Engine):
        super().__init__()
        self._executor = executor
        self._fetcher = fetcher
        self._engine = engine

    def send(self, index: int, item: InputLine, state: tuple[object, ...] | None = None) -> None:
        self.held[index] = item
        try:
            self._executor.submit(self._work, index, item, state)
        except RuntimeError:  # the run is closing (its threads first): nothing waits for it
            del self.held[index]

    def _work(self, index: int, item: InputLine, state: tuple[object, ...] | None) -> None:
        value: object
        try:
            if state is None:
                value = self._fetcher.fetch_accepted(item)
            else:
                value = self._fetcher.resume(item, state)
        except HandOff as handed:
            self._engine.hand_off(self, index, handed.state)
            return
        except BaseException as exc:  # raised at its place in the order, as with threads
            value = _Raised(exc)
        self._engine.finish(self, [(index, value)])


class _Worker(_Lane):
    """A worker process, with a thread that sends it batches and one that reads its results.

    A plain child process running this module (not multiprocessing's: it would run the
    parent's ``__main__`` again in each child), talking over its standard input and output.
    """

    def __init__(self, engine: Engine, number: int) -> None:
        super().__init__()
        self._engine = engine
        self.number = number
        self.alive = True
        # When it last said something (time.monotonic()), and whether it was killed for
        # saying nothing for too long.
        self.heard = time.monotonic()
        # Set once the worker has said anything: it has started and can take work.
        self.ready = False
        self.silent = False
        self._outbox: queue.SimpleQueue[tuple[object, ...] | None] = queue.SimpleQueue()
        self.process = _start_worker()
        assert self.process.stdin is not None and self.process.stdout is not None
        self._work_in: IO[bytes] = self.process.stdin
        self._results: IO[bytes] = self.process.stdout
        # What to check and how: sent once, before any work.
        self._settings = pickle.dumps(
            (_CHECK, engine.worker_options, engine.anchors_of, engine.page_reader, HEARTBEAT)
        )
        for target, name in ((self._send_batches, "sender"), (self._read_results, "reader")):
            thread = threading.Thread(target=target, name=f"fetchpool-{name}-{number}", daemon=True)
            thread.start()

    def send(self, index: int, item: InputLine, state: tuple[object, ...] | None = None) -> None:
        self.held[index] = item
        self._outbox.put(wire.work_of(index, item, state))

    def _send_batches(self) -> None:
        outbox = self._outbox
        try:
            wire.write_message(self._work_in, self._settings)
            while True:
                first = outbox.get()
                if first is _STOP:
                    break
                batch = [first]
                while len(batch) < BATCH:
                    try:
                        more = outbox.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP:
                        outbox.put(_STOP)
                        break
                    batch.append(more)
                wire.write_message(self._work_in, wire.encode_work(batch))
        except (OSError, ValueError):  # the worker is gone: its reader reports its items
            pass
        with contextlib.suppress(OSError, ValueError):
            self._work_in.close()

    def _read_results(self) -> None:
        while True:
            try:
                data = wire.read_message(self._results)
                if data is None:
                    break
                outcomes = wire.decode(data)
            except (OSError, ValueError):
                break
            self.heard = time.monotonic()
            self.ready = True
            self._engine.finish_outcomes(self, outcomes)
        with contextlib.suppress(OSError, ValueError):
            self._results.close()
        self._engine.lost(self)

    def close(self) -> None:
        self.alive = False
        self._outbox.put(_STOP)

    def end(self) -> None:
        _end(self.process)

    def gone(self) -> str:
        """Why its URLs are lost, once its results have ended; a process that has not ended
        with them (its answers made no sense, say) is ended here, as is its sender."""
        self.close()
        if self.silent:
            reason = f"stopped answering (nothing from it in {SILENCE:g} s)"
        else:
            reason = f"ended ({_how_it_ended(self.process)})"
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        return f"the worker process checking it {reason}"


_WORKER_START = "from fetchpool.core.engine import worker_main; worker_main()"
# What a worker is started for (the first item of its settings).
_CHECK = "check"
_MAP = "map"


def _start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER_START],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        # A worker's own trouble is reported as its items' results, never as a traceback.
        stderr=subprocess.DEVNULL,
        env=_worker_environment(),
        close_fds=True,
    )


def _how_it_ended(process: subprocess.Popen[bytes]) -> str:
    try:
        code = process.wait(EXIT_WAIT)
    except subprocess.TimeoutExpired:
        return "stopped answering"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def _end(process: subprocess.Popen[bytes]) -> None:
    """Wait a little for a worker to exit once its input has closed; then kill it."""
    try:
        process.wait(EXIT_WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _worker_environment() -> dict[str, str]:
    """The environment a worker starts in: this one, with fetchpool's own folder first on
    the import path, so a worker imports the very fetchpool that started it."""
    import fetchpool

    home = os.path.dirname(os.path.dirname(os.path.abspath(fetchpool.__file__)))
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": home if not path else home + os.pathsep + path}


class Engine:
    """Sends a run's items to its lanes and hands their results back to the ordered map."""

    def __init__(
        self,
        options: Options,
        local: tuple[Executor, Fetcher],
        anchors_of: Callable[[str], set[str]] | None = None,
        local_first: int | None = None,
    ) -> None:
        self.options = options
        self.anchors_of = anchors_of
        # The local lane's, for the workers too.
        self.page_reader = local[1].page_reader
        processes = self._processes = options.processes
        self._local_first = LOCAL_FIRST if local_first is None else local_first
        # Each worker's share of --max-workers; with host limits a host has one lane, and may
        # use all of them (the run's window still bounds what is in flight).
        # With host limits, each host belongs to one process (its limits then hold
        # exactly), and a redirect to another host is handed to that host's process.
        sticky = options.limits_hosts
        share = -(-options.max_workers // processes)
        self.worker_options = replace(options, max_workers=options.max_workers if sticky else share)
        self._sticky = sticky
        self._local = _Local(*local, engine=self)
        self._workers: list[_Worker | None] = [None] * processes
        self._restarts = [0] * processes
        self._lanes_of_hosts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._complete: Callable[[list[tuple[int, object]]], None] | None = None
        self._dispatched = 0
        self._closed = False
        self._closing = threading.Event()
        self._watcher: threading.Thread | None = None
        self.held: dict[str, float] = {}

    @property
    def started(self) -> int:
        """Worker processes running now."""
        return sum(1 for worker in self._workers if worker is not None and worker.alive)

    def bind(self, complete: Callable[[list[tuple[int, object]]], None]) -> None:
        self._complete = complete

    def dispatch(self, index: int, item: InputLine) -> None:
        self._dispatched += 1
        with self._lock:
            lane = self._lane_for(item.text)
            lane.send(index, item)

    def _lane_for(self, url: str) -> _Lane:
        """The lane an item goes to (under the lock)."""
        ready = [] if self._sticky else self._ready_lanes()
        if not self._sticky and (self._dispatched <= self._local_first or not ready):
            return self._local
        host = _url_host(url)
        number = self._lanes_of_hosts.get(host)
        if number is None:
            number = self._new_host_lane(host)
        if number < 0:
            return self._local
        if ready:
            # A host stays with the lane that first took it, so its connections are reused;
            # when that lane has all its threads busy and half as many again more than the
            # least busy lane, the URL goes there instead: a list on one host uses every core.
            threads = self.worker_options.max_workers
            load = self._load(number)
            least = min(ready, key=self._load)
            if load >= threads and load - self._load(least) > threads // 2:
                number = least
        return self._worker(number)

    def _ready_lanes(self) -> list[int]:
        """The lanes whose worker has said it is ready for work, once the input is long
        enough to start them (all of them, with no LOCAL_FIRST). Workers start while this
        process checks the first half of LOCAL_FIRST, and this process goes on checking
        until one is ready, so the output never waits for a worker to start."""
        if self._dispatched <= self._local_first // 2:
            return []
        for number in range(self._processes):
            self._worker(number)
        lanes = range(self._processes)
        if not self._local_first:
            return list(lanes)
        return [number for number in lanes if getattr(self._workers[number], "ready", False)]

    def _new_host_lane(self, host: str) -> int:
        """A lane for a host not yet given one: the least busy ready worker (by hash past
        MAX_HOSTS_NAMED hosts); -1, the run's own threads, while the input is short or no
        worker is ready yet, which a host keeps only under host limits."""
        ready = self._ready_lanes()
        if self._dispatched <= self._local_first or not ready:
            if self._sticky:
                self._lanes_of_hosts[host] = -1
            return -1
        if len(self._lanes_of_hosts) >= MAX_HOSTS_NAMED:
            return hash(host) % self._processes
        number = self._lanes_of_hosts[host] = min(ready, key=self._load)
        return number

    def _load(self, number: int) -> float:
        """What lane ``number`` holds; a lane given up (out of restarts) is never the least
        busy, so its share goes to the live workers rather than to this process."""
        worker = self._workers[number]
        if worker is not None and worker.alive:
            return len(worker.held)
        return 0 if self._restarts[number] < MAX_RESTARTS or worker is None else float("inf")

    def _worker(self, number: int) -> _Lane:
        worker = self._workers[number]
        if worker is not None and worker.alive:
            return worker
        if self._closed or self._restarts[number] >= MAX_RESTARTS:
            return self._local
        if worker is not None:
            self._restarts[number] += 1
        worker = self._workers[number] = _Worker(self, number)
        if self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch, name="fetchpool-watch", daemon=True
            )
            self._watcher.start()
        return worker

    def _watch(self) -> None:
        """Kill each worker that holds URLs and has said nothing for SILENCE seconds (stopped,
        or stuck): its reader then reports its URLs, and the run goes on without it."""
        while not self._closing.wait(HEARTBEAT):
            now = time.monotonic()
            with self._lock:
                silent = [
                    worker
                    for worker in self._workers
                    if worker is not None
                    and worker.alive
                    and worker.held
                    and now - worker.heard > SILENCE
                ]
            for worker in silent:
                worker.silent = True
                with contextlib.suppress(OSError):
                    worker.process.kill()

    def hand_off(self, lane: _Lane, index: int, state: tuple[object, ...]) -> None:
        """Send a check that reached a redirect to another host on to that host's lane."""
        with self._lock:
            item = lane.held.pop(index, None)
            if item is not None:
                self._pass_on(index, item, state)

    def _pass_on(self, index: int, item: InputLine, state: tuple[object, ...]) -> None:
        """A handed-off check to the lane of the host its redirect goes to (under the lock);
        dropped once the run is closed, as what has not started is."""
        if not self._closed:
            self._lane_for(str(state[1])).send(index, item, state)

    def finish(self, lane: _Lane, done: list[tuple[int, object]]) -> None:
        with self._lock:
            for index, _ in done:
                lane.held.pop(index, None)
        assert self._complete is not None
        self._complete(done)

    def finish_outcomes(self, worker: _Worker, outcomes: tuple[tuple[object, ...], ...]) -> None:
        done: list[tuple[int, object]] = []
        with self._lock:
            held = worker.held
            for outcome in outcomes:
                index = outcome[0]
                if index == -1:  # the worker's hosts held by Retry-After, all told
                    self.held.update(outcome[1])  # type: ignore[call-overload]
                    continue
                item = held.pop(index, None)  # type: ignore[call-overload]
                if item is None:
                    continue
                if len(outcome) == wire.HANDED_OFF:
                    self._pass_on(index, item, outcome[2])  # type: ignore[arg-type]
                    continue
                done.append((index, wire.result_of(item, outcome)))  # type: ignore[arg-type]
        if done:
            assert self._complete is not None
            self._complete(done)

    def lost(self, worker: _Worker) -> None:
        """A worker's results have ended: each URL it still held gets a result saying so."""
        with self._lock:
            worker.alive = False
            held, worker.held = worker.held, {}
            report = bool(held) and not self._closed
        reason = worker.gone()
        if not report:
            return
        done: list[tuple[int, object]] = [
            (index, _lost(item, reason)) for index, item in sorted(held.items())
        ]
        assert self._complete is not None
        self._complete(done)

    def close(self) -> None:
        """Close every worker's input (each then exits), and wait a little for them."""
        self._closing.set()
        with self._lock:
            self._closed = True
            workers = [worker for worker in self._workers if worker is not None]
        for worker in workers:
            worker.close()
        for worker in workers:
            worker.end()


def _lost(item: InputLine, reason: str) -> Result:
    settle(item)
    return Result(
        item.text,
        None,
        False,
        reason,
        source=item.source,
        line=item.line,
        kind=FailureKind.WORKER_LOST,
        column=item.column,
    )


# --- the worker process ------------------------------------------------------------------------


def worker_main() -> None:
    """A worker process: check each URL the run sends on standard input, on this process's
    own threads, and send back results on standard output.

    Ends at once (without waiting for requests under way) when its input closes: the run
    is over, or has died."""
    for caught in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(caught, signal.SIG_IGN)
    work = sys.stdin.buffer
    results = sys.stdout.buffer
    # Nothing else may write to the results: a stray print would break a message.
    sys.stdout = sys.stderr
    settings = wire.read_message(work)
    if settings is None:
        os._exit(0)
    job, *given = pickle.loads(settings)
    if job == _MAP:
        _map_forever(work, results, *given)
    options, anchors_of, page_reader, heartbeat = given

    from .run import started_executor

    fetcher = Fetcher(options, anchors_of, hand_off=options.limits_hosts, page_reader=page_reader)
    pages = _Pages()
    executor = started_executor(options.max_workers)
    # Results wait here for the thread that writes them: whichever check finishes while no
    # other writes takes everything waiting, so a busy worker writes few, large messages
    # and no thread is woken just to write.
    lock = threading.Lock()
    waiting: list[Any] = []
    writing = False
    sent_held: dict[str, float] = {}

    def check(index: int, url: str, state: tuple[object, ...] | None = None, read: int = 0) -> None:
        nonlocal writing
        outcome: tuple[object, ...]
        try:
            item = PageLine(url, sink=pages, number=index) if read else InputLine(url)
            result = fetcher.fetch_accepted(item) if state is None else fetcher.resume(item, state)
            outcome = wire.outcome_of(index, result, pages.take(index) if read else None)
        except HandOff as handed:
            outcome = (index, "handed off", handed.state)
        except BaseException as exc:  # a bug must cost a result, not the worker
            outcome = (index, None, False, f"unexpected error: {exc!r}", 0.0, None, 1, "other")
        with lock:
            waiting.append(outcome)
            if writing:
                return
            writing = True
        write_waiting()

    def write_waiting(beat: bool = False) -> None:
        """Write what waits until nothing does (with ``beat``, at least one batch, empty
        if need be); the caller has set ``writing``."""
        nonlocal writing, waiting, sent_held
        while True:
            with lock:
                batch, waiting = waiting, []
                if not batch and not beat:
                    writing = False
                    return
            beat = False
            held = fetcher.held
            if held and held != sent_held:
                batch.append((-1, held))
                sent_held = held
            try:
                wire.write_message(results, wire.encode_results(batch))
            except (OSError, ValueError):  # the run is gone
                os._exit(0)

    def beat() -> None:
        """A sign of life every ``heartbeat`` seconds, so the run can tell a stopped worker."""
        nonlocal writing
        while True:
            with lock:
                busy = writing  # a batch on its way says as much
                writing = True
            if not busy:
                # The first says the worker is ready for work.
                write_waiting(beat=True)
            time.sleep(heartbeat)

    threading.Thread(target=beat, name="fetchpool-heartbeat", daemon=True).start()
    while True:
        for entry in _next_batch(work):
            executor.submit(check, *entry)  # type: ignore[arg-type]


class _Pages:
    """A worker's pages read, until each goes out with its check's result."""

    def __init__(self) -> None:
        self._pages: dict[int, Page | None] = {}

    def deliver(self, number: int, page: Page | None) -> None:
        self._pages[number] = page  # one thread per number: a dict's item set is atomic

    def take(self, number: int) -> Page | None:
        return self._pages.pop(number, None)


def _next_batch(work: IO[bytes]) -> tuple[tuple[object, ...], ...]:
    """The next batch the run sends a worker. When there is none, the run has closed the
    worker's input or has died: the worker leaves at once, without waiting for what is
    under way, whose results would have no reader."""
    try:
        data = wire.read_message(work)
        if data is not None:
            return wire.decode(data)
    except (OSError, ValueError):
        pass
    os._exit(0)


def _map_forever(work: IO[bytes], results: IO[bytes], function: str, heartbeat: float) -> NoReturn:
    """A worker of ``map_in_order``: ``function`` of each item sent, in batches, until the
    input ends; an empty batch every ``heartbeat`` seconds says it is still there."""
    module, _, name = function.partition(":")
    fn = getattr(importlib.import_module(module), name)
    lock = threading.Lock()

    def write(done: list[tuple[object, ...]]) -> None:
        try:
            with lock:
                wire.write_message(results, wire.encode_work(done))
        except (OSError, ValueError):
            os._exit(0)

    def beat() -> None:
        while True:
            time.sleep(heartbeat)
            write([])

    threading.Thread(target=beat, name="fetchpool-heartbeat", daemon=True).start()
    while True:
        done: list[tuple[object, ...]] = []
        for number, args in _next_batch(work):
            try:
                done.append((number, fn(*args)))  # type: ignore[misc]
            except Exception as exc:  # one item's fault, reported as its result
                done.append((number, (_FAULT, f"{type(exc).__name__}: {exc}")))
        write(done)


# The result of an item whose function raised, or whose worker died: (_FAULT, reason).
_FAULT = "fetchpool-fault"


def map_in_order(
    function: str,
    items: Iterable[tuple[object, ...]],
    processes: int,
    local_first: int = 8,
    batch: int = 8,
) -> Iterator[tuple[tuple[object, ...], object]]:
    """``(item, function(*item))`` for each item, in order; ``function`` ("module:name",
    plain values in and out) runs on worker processes once more than ``local_first``
    items have come, and here before that. A result that could not be had (the function
    raised, its worker died) is a Fault. Workers end with the iteration."""
    module, _, name = function.partition(":")
    fn = getattr(importlib.import_module(module), name)
    source = iter(items)
    for item in itertools.islice(source, local_first):
        try:
            yield item, fn(*item)
        except Exception as exc:
            yield item, Fault(f"{type(exc).__name__}: {exc}")
    mapper = _Mapper(function, fn, processes, batch)
    try:
        yield from mapper.run(source)
    finally:
        mapper.close()


class _Mapper:
    """The worker side of map_in_order: batches out, results back, put in order."""

    def __init__(
        self, function: str, fn: Callable[..., object], processes: int, batch: int
    ) -> None:
        self._settings = pickle.dumps((_MAP, function, HEARTBEAT))
        self._fn = fn
        self._processes = processes
        self._batch = batch
        self._workers: list[subprocess.Popen[bytes]] = []
        # The items each worker has and has not answered, by number; when each last said
        # something (time.monotonic()), and those killed for saying nothing for too long.
        self._held: list[set[int]] = []
        self._heard: list[float] = []
        self._silent: set[int] = set()
        self._back: queue.SimpleQueue[tuple[int, object]] = queue.SimpleQueue()

    def _start(self) -> None:
        for number in range(self._processes):
            process = _start_worker()
            assert process.stdin is not None
            wire.write_message(process.stdin, self._settings)
            self._workers.append(process)
            self._held.append(set())
            self._heard.append(time.monotonic())
            reader = threading.Thread(target=self._read, args=(number, process), daemon=True)
            reader.start()

    def _read(self, number: int, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        while True:
            try:
                data = wire.read_message(process.stdout)
                done = wire.decode(data) if data is not None else None
            except (OSError, ValueError):
                done = None
            if done is None:
                self._back.put((number, None))
                return
            self._heard[number] = time.monotonic()
            if done:
                self._back.put((number, done))

    def run(
        self, source: Iterator[tuple[object, ...]]
    ) -> Iterator[tuple[tuple[object, ...], object]]:
        self._start()
        items: dict[int, tuple[object, ...]] = {}
        results: dict[int, object] = {}
        sent = 0  # items numbered so far
        head = 0  # the next to yield
        ended = False
        # Batches out per worker at once: enough to keep it busy while its last comes back.
        window = self._processes * self._batch * 4
        while True:
            while not ended and sent - head < window:
                chunk = list(itertools.islice(source, self._batch))
                if not chunk:
                    ended = True
                    break
                numbered = list(enumerate(chunk, sent))
                sent += len(chunk)
                items.update(numbered)
                self._send(numbered, results)
            while head in results:
                yield items.pop(head), results.pop(head)
                head += 1
            if ended and head >= sent:
                return
            if head not in results:
                self._take(results)

    def _send(
        self, numbered: list[tuple[int, tuple[object, ...]]], results: dict[int, object]
    ) -> None:
        alive = [n for n, process in enumerate(self._workers) if process.stdin is not None]
        number = min(alive, key=lambda n: len(self._held[n]), default=None)
        if number is None:  # every worker has died: the rest is done here
            for index, item in numbered:
                try:
                    results[index] = self._fn(*item)
                except Exception as exc:
                    results[index] = Fault(f"{type(exc).__name__}: {exc}")
            return
        self._held[number].update(index for index, _ in numbered)
        stdin = self._workers[number].stdin
        assert stdin is not None
        with contextlib.suppress(OSError, ValueError):  # its reader reports the batch lost
            wire.write_message(stdin, wire.encode_work(numbered))

    def _take(self, results: dict[int, object]) -> None:
        self._kill_silent()
        try:
            number, done = self._back.get(timeout=HEARTBEAT)
        except queue.Empty:
            return
        if done is None:  # the worker died: what it held is lost
            process = self._workers[number]
            if number in self._silent:
                how = f"stopped answering (nothing from it in {SILENCE:g} s)"
            else:
                how = f"ended ({_how_it_ended(process)})"
            reason = f"the worker process reading it {how}"
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
                process.stdin = None
            for index in self._held[number]:
                results[index] = Fault(reason)
            self._held[number].clear()
            return
        for index, value in done:  # type: ignore[attr-defined]
            self._held[number].discard(index)
            if isinstance(value, tuple) and len(value) == 2 and value[0] == _FAULT:
                value = Fault(value[1])
            results[index] = value

    def _kill_silent(self) -> None:
        """Kill each worker that holds items and has said nothing for SILENCE seconds
        (stopped, or stuck): its reader then reports it ended, and its items are lost."""
        now = time.monotonic()
        for number, process in enumerate(self._workers):
            if self._held[number] and now - self._heard[number] > SILENCE:
                self._silent.add(number)
                with contextlib.suppress(OSError):
                    process.kill()

    def close(self) -> None:
        for process in self._workers:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
        for process in self._workers:
            _end(process)
