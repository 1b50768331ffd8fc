"""Checks spread over worker processes: every line its one result in input order, a host's
limits kept across processes, a worker that dies costs its URLs and not the run, and no
worker outlives the run, whatever ends it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from fetchpool.core import engine
from fetchpool.core.inputs import InputLine
from fetchpool.core.options import Options
from fetchpool.core.results import Result
from fetchpool.core.run import Run

from .processes import children, gone, read_line, start
from .waiting import wait_until

# A stopped process is out at once; this only bounds a hang.
HANG = 20


class Counting(ThreadingHTTPServer):
    """Answers /ok/N with 200 and /missing/N with 404 at once, redirects /away/N to
    localhost's /ok/N, and holds /hold/N until ``release`` is set; counts requests in
    flight by Host, and the most at once."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.held = 0
        self.release = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: Counting
    protocol_version = "HTTP/1.1"
    # Head and body go in two writes: without this, each answer waits out a delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        server = self.server
        host = self.headers.get("Host", "").rpartition(":")[0]
        with server.lock:
            server.in_flight[host] += 1
            server.most[host] = max(server.most[host], server.in_flight[host])
            if self.path.startswith("/hold"):
                server.held += 1
        try:
            if self.path.startswith("/hold"):
                server.release.wait(HANG)
            status = 404 if self.path.startswith("/missing") else 200
            if self.path.startswith("/away/"):
                self.send_response(302)
                port = server.server_address[1]
                self.send_header("Location", f"http://localhost:{port}/ok/{self.path[6:]}")
            else:
                self.send_response(status)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")
        finally:
            with server.lock:
                server.in_flight[host] -= 1


@pytest.fixture
def counting() -> Iterator[Counting]:
    server = Counting()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes from the first item on, not after LOCAL_FIRST of them."""
    monkeypatch.setattr(engine, "LOCAL_FIRST", 0)


def _workers(run: Run) -> list[engine._Worker]:
    assert run._engine is not None
    return [worker for worker in run._engine._workers if worker is not None]


def test_every_line_gets_its_one_result_in_input_order_across_processes(
    counting: Counting, start_soon: None
) -> None:
    urls = [
        counting.url(f"/missing/{n}") if n % 7 == 0 else counting.url(f"/ok/{n}")
        for n in range(600)
    ]
    urls[100] = "example.com/no-scheme"
    urls[200] = urls[201]  # a repeat is checked again, and reported again
    with Run(urls, Options(max_workers=8, processes=2, retries=0)) as run:
        results = list(run)
        assert len(_workers(run)) == 2
    assert [result.url for result in results] == urls
    assert [result.line for result in results] == list(range(1, 601))
    for n, result in enumerate(results):
        if n == 100:
            assert result.kind is not None and result.kind.value == "missing_scheme"
        else:
            assert result.status == (404 if urls[n].split("/")[-2] == "missing" else 200)
            assert result.final_url == urls[n]


def test_a_short_list_starts_no_process(counting: Counting) -> None:
    urls = [counting.url(f"/ok/{n}") for n in range(20)]
    with Run(urls, Options(max_workers=4, processes=2)) as run:
        assert all(result.ok for result in run)
        assert _workers(run) == []


def test_a_hosts_per_host_limit_holds_across_processes(
    counting: Counting, start_soon: None
) -> None:
    hosts = ("127.0.0.1", "localhost")
    urls = [counting.url(f"/ok/{n}", hosts[n % 2]) for n in range(400)]
    with Run(urls, Options(max_workers=16, processes=2, per_host=1)) as run:
        results = list(run)
        workers = _workers(run)
    assert all(result.ok for result in results), [r.error for r in results if not r.ok][:3]
    # Each host had one lane, and each lane a process of its own.
    assert len(workers) == 2
    assert counting.most == Counter({host: 1 for host in hosts})


def test_a_redirect_to_a_host_of_another_process_is_checked_under_that_hosts_limit(
    counting: Counting, start_soon: None
) -> None:
    # The first URL gives 127.0.0.1 a lane and the second gives localhost the other one;
    # then every 127.0.0.1 URL redirects to localhost, whose limit its own lane keeps.
    urls = [counting.url("/ok/first"), counting.url("/ok/first", "localhost")]
    urls += [counting.url(f"/away/{n}") if n % 2 else counting.url(f"/ok/{n}", "localhost")
             for n in range(300)]  # fmt: skip
    with Run(urls, Options(max_workers=16, processes=2, per_host=1, max_time=60)) as run:
        results = list(run)
        assert len(_workers(run)) == 2
    assert all(result.ok for result in results), [r.error for r in results if not r.ok][:3]
    for url, result in zip(urls, results, strict=True):
        if "/away/" in url:
            url = url.replace("127.0.0.1", "localhost").replace("/away/", "/ok/")
        assert result.final_url == url
        assert result.attempts == 1
    assert counting.most == Counter({"127.0.0.1": 1, "localhost": 1})


def test_a_worker_killed_mid_run_costs_its_urls_and_the_run_goes_on(
    counting: Counting, start_soon: None
) -> None:
    # A host's URLs go to one worker: two hosts, a worker each, four held requests each.
    urls = [counting.url(f"/hold/{n}", ("127.0.0.1", "localhost")[n % 2]) for n in range(8)]
    urls += [counting.url(f"/ok/{n}") for n in range(300)]
    run = Run(urls, Options(max_workers=8, processes=2, retries=0, timeout=HANG))
    with run:
        # Every worker has a held request, so each holds URLs when one is killed.
        assert wait_until(lambda: counting.held == 8)
        workers = _workers(run)
        assert len(workers) == 2
        victim = workers[0]
        victim.process.kill()
        assert wait_until(lambda: not victim.alive)
        counting.release.set()
        results = list(run)
    assert [result.url for result in results] == urls
    lost = [result for result in results if result.kind is not None]
    assert lost, "the killed worker held URLs"
    for result in lost:
        assert result.kind.value == "worker_lost"
        assert result.category == "inconclusive"
        assert result.error == "the worker process checking it ended (killed by SIGKILL)"
    assert all(result.ok for result in results if result.kind is None)


def test_a_stopped_worker_costs_its_urls_and_the_run_goes_on(
    counting: Counting, start_soon: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "HEARTBEAT", 0.05)
    # A host's URLs go to one worker: two hosts, a worker each, four held requests each.
    urls = [counting.url(f"/hold/{n}", ("127.0.0.1", "localhost")[n % 2]) for n in range(8)]
    urls += [counting.url(f"/ok/{n}") for n in range(300)]
    results: list[Result] = []
    with Run(urls, Options(max_workers=8, processes=2, retries=0, timeout=HANG)) as run:
        assert wait_until(lambda: counting.held == 8)
        workers = _workers(run)
        now = time.monotonic()
        assert wait_until(lambda: all(worker.heard > now for worker in workers))
        # Both workers are up and speak: from now on, 1.5 s without a word is a stopped one
        # (a busy machine's healthy worker taken for one would only add lost URLs).
        monkeypatch.setattr(engine, "SILENCE", 1.5)
        victim = workers[0]
        victim.process.send_signal(signal.SIGSTOP)
        counting.release.set()
        reading = threading.Thread(target=lambda: results.extend(run), daemon=True)
        reading.start()
        reading.join(HANG)
        hung = reading.is_alive()
        victim.process.kill()  # lets a hung run end
        assert not hung, "the run waited for a stopped worker"
    assert [result.url for result in results] == urls
    lost = [result for result in results if result.kind is not None]
    assert lost, "the stopped worker held URLs"
    for result in lost:
        assert result.error == (
            "the worker process checking it stopped answering (nothing from it in 1.5 s)"
        )
    assert all(result.ok for result in results if result.kind is None)


def test_a_check_handed_back_while_the_run_closes_is_dropped_not_raised(
    counting: Counting, start_soon: None
) -> None:
    # A worker's check reached a redirect to a host of this process just as the run closed
    # (its threads shut down first): the reader thread that gets it must not die of it.
    run = Run([], Options(max_workers=2, processes=2, per_host=1))
    run._executor.shutdown()
    assert run._engine is not None
    run._engine._lanes_of_hosts["localhost"] = -1  # this process's own lane

    reader = SimpleNamespace(held={7: InputLine(counting.url("/away/7"))})
    state = ("GET", counting.url("/ok/7", "localhost"), (), 1, (), None, "", 0, 0, None, 0.0)
    run._engine.finish_outcomes(reader, ((7, "handed off", state),))  # type: ignore[arg-type]
    assert run._engine._local.held == {}
    run.close()


# --- the command, with workers, ended in every way ------------------------------------------


@pytest.fixture
def held_run(counting: Counting, fetchpool_exe: str, tmp_path: Path) -> Iterator:
    """fetchpool -j 2 on 300 answered URLs then 4 held ones, once each worker is running,
    the held requests reached the server and (with the output on a pipe) the answered
    URLs' results are written; returns the process, its workers and what it wrote."""
    processes: list[subprocess.Popen[bytes]] = []

    def run(*args: str, stdout: int = subprocess.PIPE):
        answered = [counting.url(f"/ok/{n}") for n in range(300)]
        urls = [*answered, *(counting.url(f"/hold/{n}") for n in range(4))]
        source = tmp_path / "urls.txt"
        source.write_text("".join(url + "\n" for url in urls))
        process = start(
            fetchpool_exe, "-j", "2", "-w", "8", "-t", "60", "-r", "0", *args, str(source),
            stdin=subprocess.DEVNULL, stdout=stdout,
        )  # fmt: skip
        processes.append(process)
        assert wait_until(lambda: counting.held == 4), "the held requests never came"
        workers = children(process.pid)
        assert len(workers) == 2
        written = []
        if process.stdout is not None:
            pending = bytearray()
            for _ in answered:
                line = read_line(process.stdout.fileno(), HANG, pending)
                assert line is not None, "an answered URL's result was never written"
                written.append(json.loads(line)["url"])
            assert written == answered and not pending
        return process, workers, written

    yield run
    for process in processes:
        process.kill()
        process.communicate()


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
)
def test_a_signal_ends_every_worker_and_writes_the_whole_ordered_report(
    held_run, signum: int, status: int
) -> None:
    process, workers, written = held_run("-f", "jsonl")
    process.send_signal(signum)
    out, err = process.communicate(timeout=HANG)
    assert process.returncode == status, err
    # Every finished result was written in order; the held ones are not reported.
    assert len(written) == 300 and out == b""
    assert b"4 in flight" in err
    assert wait_until(lambda: all(gone(pid) for pid in workers))


def test_a_closed_output_ends_every_worker(held_run) -> None:
    read, write = os.pipe()
    process, workers, _ = held_run("-f", "jsonl", stdout=write)
    os.close(write)
    assert read_line(read, HANG, bytearray()) is not None
    os.close(read)
    # Nothing reads the output: the next result written ends the run.
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=HANG)
    assert process.returncode in (130, 141)
    assert wait_until(lambda: all(gone(pid) for pid in workers))


def test_a_run_killed_by_sigkill_leaves_no_worker(held_run) -> None:
    process, workers, _ = held_run("-f", "jsonl")
    process.kill()
    process.communicate(timeout=HANG)
    # Each worker's input closed with the run: it leaves at once.
    assert wait_until(lambda: all(gone(pid) for pid in workers))


# --- documents read on worker processes ---------------------------------------------------------


def square_or_die(number: int) -> int:
    """For map_in_order's tests: run on a worker, which it kills for -1."""
    if number == -1:
        os.kill(os.getpid(), signal.SIGKILL)
    if number == -2:
        raise ValueError("no square for -2")
    return number * number


def test_map_in_order_gives_every_result_in_order_on_worker_processes() -> None:
    items = [(n,) for n in range(200)]
    results = list(engine.map_in_order(f"{__name__}:square_or_die", items, 2, local_first=4))
    assert results == [((n,), n * n) for n in range(200)]


def test_map_in_order_reports_a_fault_and_a_dead_workers_items_and_goes_on() -> None:
    items = [(n,) for n in range(60)]
    items[10] = (-2,)
    items[30] = (-1,)
    results = list(engine.map_in_order(f"{__name__}:square_or_die", items, 2, local_first=0))
    assert [item for item, _ in results] == items
    assert str(results[10][1]) == "ValueError: no square for -2"
    lost = [n for n, (_, value) in enumerate(results) if isinstance(value, engine.Fault)]
    assert 10 in lost and 30 in lost
    for n in lost:
        if n != 10:
            assert str(results[n][1]).endswith("ended (killed by SIGKILL)")
    # Whatever its worker, every other item has its result.
    for n, (item, value) in enumerate(results):
        if n not in lost:
            assert value == item[0] ** 2


def square_or_stop(number: int) -> int:
    """For map_in_order's tests: run on a worker, which it stops (SIGSTOP) for -3."""
    if number == -3:
        os.kill(os.getpid(), signal.SIGSTOP)
    return number * number


def test_map_in_order_reports_a_stopped_workers_items_and_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "HEARTBEAT", 0.05)
    # A healthy worker slow to start on a busy machine, taken for a stopped one, would only
    # add lost items, which the test allows: the wait need not cover a start-up.
    monkeypatch.setattr(engine, "SILENCE", 2.0)
    items = [(n,) for n in range(60)]
    items[30] = (-3,)
    results: list[tuple[tuple[object, ...], object]] = []
    mapping = engine.map_in_order(f"{__name__}:square_or_stop", items, 2, local_first=0)
    reading = threading.Thread(target=lambda: results.extend(mapping), daemon=True)
    reading.start()
    reading.join(HANG)
    assert not reading.is_alive(), "map_in_order waited for a stopped worker"
    assert [item for item, _ in results] == items
    lost = [n for n, (_, value) in enumerate(results) if isinstance(value, engine.Fault)]
    assert 30 in lost
    for n in lost:
        assert str(results[n][1]) == (
            "the worker process reading it stopped answering (nothing from it in 2 s)"
        )
    for n, (item, value) in enumerate(results):
        if n not in lost:
            assert value == item[0] ** 2


def test_a_folder_read_on_worker_processes_gives_what_one_process_gives(
    tmp_path: Path, run_fetchpool
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(40):
        (docs / f"page{n:02}.md").write_text(
            f"# Page {n}\n\n[next](page{n + 1:02}.md) and https://site{n}.test/a?b={n}.\n"
            f'<a href="https://raw{n}.test/">raw</a> [gone](missing-{n}.md)\n'
        )
        (docs / f"page{n:02}.html").write_text(
            f'<p>\n  <a href="https://html{n}.test/x#{n}">x</a><img src="img{n}.png"></p>\n'
        )
    (docs / "binary.md").write_bytes(b"\x00" * 10)
    os.mkfifo(docs / "pipe.md")
    one = run_fetchpool("--dump", "-j", "1", str(docs), cwd=tmp_path)
    several = run_fetchpool("--dump", "-j", "2", str(docs), cwd=tmp_path)
    assert one.returncode == several.returncode == 1  # the binary file and the pipe
    assert several.stdout == one.stdout
    assert several.stderr == one.stderr
    assert len(one.stdout.splitlines()) == 40 * 6


@pytest.fixture
def dying_lane(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lane 0's workers exit before reading anything (each item sent there is lost); the
    other lanes' are real. Returns the lane of each worker started, in order."""
    started: list[int] = []
    real = engine._start_worker

    class Numbered(engine._Worker):
        def __init__(self, owner: engine.Engine, number: int) -> None:
            started.append(number)
            super().__init__(owner, number)

    def start() -> subprocess.Popen[bytes]:
        if started[-1] != 0:
            return real()
        return subprocess.Popen(
            [sys.executable, "-c", ""], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    monkeypatch.setattr(engine, "_Worker", Numbered)
    monkeypatch.setattr(engine, "_start_worker", start)
    return started


def test_a_lane_out_of_restarts_leaves_its_share_to_the_other_workers(
    counting: Counting, start_soon: None, dying_lane: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_here: list[int] = []
    send = engine._Local.send
    monkeypatch.setattr(
        engine._Local,
        "send",
        lambda lane, index, *rest: (kept_here.append(index), send(lane, index, *rest)),
    )
    urls = [counting.url(f"/ok/{n}") for n in range(300)]
    with Run(urls, Options(max_workers=4, processes=2, retries=0)) as run:
        results = list(run)
    assert [result.url for result in results] == urls
    assert dying_lane.count(0) == 1 + engine.MAX_RESTARTS
    assert all(result.ok or result.kind.value == "worker_lost" for result in results)
    # Every URL went to a worker: the live one took lane 0's share once it was given up.
    assert kept_here == []
    assert all(result.ok for result in results[-100:])


class _FakeWorker(engine._Lane):
    """A worker that is ready at once and never finishes anything: routing alone is seen."""

    def __init__(self, owner: engine.Engine, number: int) -> None:
        super().__init__()
        self.alive = True
        self.ready = True
        self.heard = float("inf")  # never silent to the engine's watcher
        self.urls: list[str] = []

    def end(self) -> None:
        pass

    def send(self, index: int, item, state=None) -> None:
        self.held[index] = item
        self.urls.append(item.text)


def _routed(monkeypatch: pytest.MonkeyPatch, urls: list[str]) -> list[list[str]]:
    from concurrent.futures import ThreadPoolExecutor

    from fetchpool.core.fetch import Fetcher
    from fetchpool.core.inputs import InputLine

    monkeypatch.setattr(engine, "_Worker", _FakeWorker)
    options = Options(max_workers=8, processes=2)
    with ThreadPoolExecutor(1) as executor:
        routing = engine.Engine(options, (executor, Fetcher(options)), local_first=0)
        try:
            for index, url in enumerate(urls):
                routing.dispatch(index, InputLine(url))
        finally:
            routing.close()
    return [worker.urls for worker in routing._workers]  # type: ignore[union-attr]


def test_each_host_keeps_to_one_worker_while_the_workers_keep_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a, b, b, a, ...: the workers stay level, yet the least busy one for each URL alone
    # would often be the other host's.
    urls = [f"http://{'abba'[n % 4]}.test/{n}" for n in range(100)]
    first, second = _routed(monkeypatch, urls)
    assert {url.split("/")[2] for url in first} == {"a.test"}
    assert {url.split("/")[2] for url in second} == {"b.test"}


def test_a_one_host_list_spreads_over_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _routed(monkeypatch, [f"http://a.test/{n}" for n in range(100)])
    # Each worker has 4 threads: the host's own runs at most 2 ahead of the other.
    assert len(first) + len(second) == 100
    assert abs(len(first) - len(second)) <= 3
