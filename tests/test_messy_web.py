"""The messy web: a stalled URL holds up only itself, deadlines hold whatever a server does,
and connections are shared by the workers."""

from __future__ import annotations

import contextlib
import resource
import socket
import subprocess
import threading
from collections.abc import Iterator

import pytest

from fetchpool import Options, fetch_all
from fetchpool.core.fetch import Fetcher
from fetchpool.core.limits import NO_TURN
from fetchpool.core.transport import SharedAdapter

from .server import TestHTTPServer
from .waiting import wait_until


@pytest.fixture(scope="module")
def _servers() -> Iterator[list[TestHTTPServer]]:
    started = [TestHTTPServer().start() for _ in range(20)]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def servers(_servers: list[TestHTTPServer]) -> list[TestHTTPServer]:
    """Twenty servers on their own ports: twenty hosts to a client, with fresh logs."""
    for server in _servers:
        server.reset()
    return _servers


def test_a_silent_first_url_holds_up_no_other_request(server: TestHTTPServer) -> None:
    silent = server.url("/silent")
    others = [server.url(f"/delay/0.01/{n}") for n in range(60)]
    run = fetch_all([silent, *others], Options(max_workers=4, timeout=60, retries=0))
    results: list[object] = []
    consumer = threading.Thread(target=lambda: results.extend(run), daemon=True)
    consumer.start()
    # Every other URL is requested while the first still waits for its answer, though
    # four workers and a window of eight could never get there if the head held them.
    assert wait_until(lambda: len(server.log) == 61)
    assert wait_until(lambda: run.state().waiting == 60)
    assert results == []
    server.state.stop.set()  # the silent server hangs up
    consumer.join(20)
    assert [result.url for result in results] == [silent, *others]  # type: ignore[attr-defined]
    assert [result.status for result in results[1:]] == [200] * 60  # type: ignore[attr-defined]


@pytest.mark.parametrize("phase", ["status", "headers", "continue"])
def test_an_answer_that_trickles_before_its_status_times_out_at_the_deadline(
    server: TestHTTPServer, phase: str
) -> None:
    [result] = fetch_all([server.url(f"/trickle/{phase}")], Options(timeout=0.5, retries=0))
    assert (result.status, result.error) == (None, "timed out")
    # The server would trickle for a minute; the client hung up on it at its deadline.
    assert wait_until(lambda: server.state.hung_up == 1)
    assert result.elapsed < 30


def test_a_body_that_trickles_keeps_the_status_that_came_before_it(
    server: TestHTTPServer,
) -> None:
    [result] = fetch_all([server.url("/trickle/body")], Options(timeout=0.5, retries=0))
    assert (result.status, result.ok, result.error) == (200, True, None)
    assert wait_until(lambda: server.state.hung_up == 1)


def test_a_body_that_trickles_is_not_waited_for_to_the_deadline(server: TestHTTPServer) -> None:
    [result] = fetch_all([server.url("/trickle/body")], Options(timeout=60, retries=0))
    assert (result.status, result.error) == (200, None)
    # Dropped after a short wait, though the attempt had a minute.
    assert wait_until(lambda: server.state.hung_up == 1)
    assert result.elapsed < 30


def test_max_time_bounds_a_url_across_its_retries(server: TestHTTPServer) -> None:
    # Each attempt is cut at 0.5 s and retried; -m ends the URL after about 1.2 s.
    options = Options(timeout=0.5, max_time=1.2, retries=50, backoff=0.01)
    [result] = fetch_all([server.url("/silent")], options)
    assert result.error == "timed out"
    assert 2 <= result.attempts < 50
    assert result.elapsed < 30


def test_a_retry_wait_that_would_pass_max_time_is_not_waited(server: TestHTTPServer) -> None:
    options = Options(max_time=5, retries=3, max_retry_wait=60)
    [result] = fetch_all([server.url("/status/503?retry_after=50")], options)
    # The last answer stands, rather than a wait of 50 s that the deadline cannot fit.
    assert (result.status, result.attempts) == (503, 1)
    assert len(server.log) == 1


def test_max_time_bounds_the_wait_for_a_host_s_turn(server: TestHTTPServer) -> None:
    first, second = server.url("/status/200"), server.url("/status/201")

    def in_turn() -> Iterator[str]:
        yield first
        # The second URL comes once the first has had the host's turn.
        assert wait_until(lambda: len(server.log) == 1)
        yield second

    # One request to the host every 5 s: the second's turn comes after its -m of 1 s.
    options = Options(max_workers=2, rate=0.2, max_time=1, retries=0)
    results = list(fetch_all(in_turn(), options))
    assert (results[0].status, results[1].error, results[1].attempts) == (200, NO_TURN, 1)
    assert results[1].elapsed < 4
    assert [seen.path for seen in server.log] == ["/status/200"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_one_connection_per_worker_serves_many_urls(server: TestHTTPServer, method: str) -> None:
    urls = [server.url(f"/{n}") for n in range(300)]
    results = list(fetch_all(urls, Options(max_workers=4, method=method)))
    assert all(result.status == 200 for result in results)
    assert server.state.connections <= 4


def test_workers_share_connections_across_many_hosts(servers: list[TestHTTPServer]) -> None:
    # Hosts in turn: with a pool per thread, four threads that each keep fewer hosts than
    # this would open a connection for almost every URL.
    urls = [servers[n % 20].url(f"/{n}") for n in range(400)]
    results = list(fetch_all(urls, Options(max_workers=4)))
    assert all(result.status == 200 for result in results)
    assert sum(server.state.connections for server in servers) <= 4 * 20


def test_idle_connections_beyond_the_budget_are_closed(servers: list[TestHTTPServer]) -> None:
    fetcher = Fetcher(Options(max_workers=1))
    fetcher._adapter = SharedAdapter(1, idle=3)
    try:
        for server in servers[:6]:
            assert fetcher.fetch(server.url()).status == 200
        # Six connections were opened in turn; only three were kept open after use.
        assert wait_until(lambda: sum(s.state.connections for s in servers) == 6)
        for server in servers[:6]:
            assert fetcher.fetch(server.url("/again")).status == 200
        reopened = sum(server.state.connections for server in servers[:6]) - 6
        assert reopened == 3
    finally:
        fetcher.close()


def test_a_wide_run_is_not_held_to_a_low_soft_limit_on_open_files(
    fetchpool_exe: str, server: TestHTTPServer
) -> None:
    def low_soft_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 4096))

    # Answered 200 at a time, once all 200 are there: 200 connections open at once.
    urls = "".join(server.url(f"/barrier/fd/200/{n}") + "\n" for n in range(400))
    done = subprocess.run(
        [fetchpool_exe, "-q", "-w", "200", "-r", "0", "-"],
        input=urls.encode(),
        capture_output=True,
        timeout=60,
        preexec_fn=low_soft_limit,
    )
    assert done.returncode == 0, done.stdout.decode()[-500:]
    assert done.stdout.decode().count("\t200\n") == 400


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose connections the kernel completes and nobody ever reads or answers."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def unaccepted_port() -> Iterator[int]:
    """A port whose accept queue is full, so the kernel drops every new connection's SYN."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(4)]
    for filler in fillers:
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


def test_max_time_holds_while_a_tls_handshake_goes_unanswered(unanswered_port: int) -> None:
    # Each read is bounded by -t (30 s); the URL as a whole by -m (0.5 s).
    options = Options(timeout=30, max_time=0.5, retries=0, verify=False)
    [result] = fetch_all([f"https://127.0.0.1:{unanswered_port}/"], options)
    assert result.error == "timed out"
    assert result.elapsed < 15


def test_max_time_holds_while_a_connection_is_not_accepted(unaccepted_port: int) -> None:
    options = Options(timeout=30, max_time=0.5, retries=0)
    [result] = fetch_all([f"http://127.0.0.1:{unaccepted_port}/"], options)
    assert result.error == "timed out"
    assert result.elapsed < 15


@pytest.mark.parametrize("phase", ["status", "headers"])
def test_an_answer_cut_off_before_its_headers_end_has_no_status(
    server: TestHTTPServer, phase: str
) -> None:
    [result] = fetch_all([server.url(f"/hang-up/{phase}")], Options(retries=0))
    assert (result.status, result.ok, result.error) == (None, False, "connection closed by server")


def test_a_head_answer_whose_body_comes_late_does_not_spoil_the_next_url(
    server: TestHTTPServer,
) -> None:
    # One worker, one kept-alive connection: each URL is sent on the one the last used.
    urls = [server.url(f"/late-head-body/{n}") for n in range(4)]
    results = list(fetch_all(urls, Options(max_workers=1, method="HEAD", retries=0)))
    assert [(result.status, result.error) for result in results] == [(200, None)] * 4


def test_closing_a_run_early_leaves_no_thread_of_its_own_running(server: TestHTTPServer) -> None:
    def left_behind() -> list[str]:
        return [
            t.name
            for t in threading.enumerate()
            if t not in before and t.name.startswith("fetchpool")
        ]

    before = set(threading.enumerate())
    urls = [server.url(f"/{n}") for n in range(50)]
    for _ in range(3):
        with fetch_all(urls, Options(max_workers=2)) as run:
            assert next(run).status == 200
    # Workers finish what they started and leave; so should every other thread of the runs.
    assert wait_until(lambda: not left_behind()), left_behind()
