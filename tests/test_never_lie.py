"""Every status is the URL's own, and every reason says what happened: answers that
break, bend or stretch HTTP's rules, from a real server."""

from __future__ import annotations

import http.cookiejar
import itertools
import socket
import subprocess
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fetchpool import Options, Result, fetch_all
from fetchpool.core.fetch import Fetcher
from fetchpool.core.limits import NO_TURN, HostLimiter, Stopped

from .server import TestHTTPServer
from .waiting import wait_until


def test_interim_answers_are_skipped_and_never_shift_statuses_between_urls(
    server: TestHTTPServer,
) -> None:
    # One worker and kept-alive connections: an interim 103 taken for the answer would
    # leave the real one to be read as the next URL's.
    names = ["keep-hints-404", "keep-hints-200"] * 50
    urls = [server.url(f"/raw/{name}?n={n}") for n, name in enumerate(names)]
    results = list(fetch_all(urls, Options(max_workers=1, retries=0)))
    assert [result.status for result in results] == [404, 200] * 50
    assert all(result.error is None for result in results)
    assert server.state.connections < 10  # the connection was kept, and stayed in step


def test_a_request_a_kept_alive_connection_drops_unanswered_is_sent_again_at_once(
    server: TestHTTPServer,
) -> None:
    # Each connection answers one request and drops the next without a word: as a server
    # that closed an idle connection would. No retries allowed, none needed.
    urls = [server.url(f"/drop-next?n={n}") for n in range(20)]
    results = list(fetch_all(urls, Options(max_workers=1, retries=0)))
    assert [(result.status, result.attempts) for result in results] == [(200, 1)] * 20
    assert len(server.log) == 20  # a dropped request is not logged: it was never answered


def test_an_endless_run_of_interim_answers_costs_a_bounded_head(server: TestHTTPServer) -> None:
    [result] = fetch_all([server.url("/raw/interim-flood")], Options(retries=0))
    assert (result.status, result.error) == (None, "response headers too large")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("garbage", "invalid HTTP response: bad status line"),
        ("http-0.9", "invalid HTTP response: bad status line"),
        ("status-0", "invalid HTTP response: bad status line"),
        ("status-1000", "invalid HTTP response: bad status line"),
        ("status-words", "invalid HTTP response: bad status line"),
        ("version-2", "invalid HTTP response: unsupported version 'HTTP/2.0'"),
        ("long-header", "response headers too large"),
        ("many-big-headers", "response headers too large"),
        ("conflicting-length", "invalid HTTP response: conflicting Content-Length"),
        ("bad-length", "invalid HTTP response: bad Content-Length"),
    ],
)
def test_an_answer_that_breaks_the_rules_says_how_and_is_broken(
    server: TestHTTPServer, name: str, reason: str
) -> None:
    [result] = fetch_all([server.url(f"/raw/{name}")], Options(retries=2, backoff=0))
    assert (result.status, result.error) == (None, reason)
    assert result.category == "broken"
    assert result.attempts == 1  # not retried: the same server gives the same answer


def test_a_page_with_150_set_cookie_headers_is_fine(server: TestHTTPServer) -> None:
    [result] = fetch_all([server.url("/raw/150-cookies")], Options(retries=0))
    assert (result.status, result.ok, result.error) == (200, True, None)


def test_a_long_location_is_followed_as_curl_would(server: TestHTTPServer) -> None:
    [result] = fetch_all([server.url("/raw/long-location")], Options(retries=0))
    # The server itself turns the 70 KB request line away.
    assert (result.status, result.error) == (414, None)
    assert result.final_url is not None and len(result.final_url) > 70_000


def test_a_body_cut_short_keeps_the_status_that_came_before_it(server: TestHTTPServer) -> None:
    [result] = fetch_all([server.url("/raw/short-body")], Options(retries=0))
    assert (result.status, result.ok, result.error) == (200, True, None)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        # Not UTF-8: each byte is sent percent-encoded, as curl sends it.
        ("latin-1-location", "/caf%E9%20au%20lait"),
        ("utf-8-location", "/caf%C3%A9"),
    ],
)
def test_a_location_is_followed_as_its_bytes_say(
    server: TestHTTPServer, name: str, path: str
) -> None:
    [result] = fetch_all([server.url(f"/raw/{name}")], Options(retries=0))
    assert (result.status, result.error, result.final_url) == (200, None, server.url(path))
    assert server.log[-1].path == path


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bad-ipv6-location", "invalid redirect: bad Location"),
        ("ftp-location", "invalid redirect: unsupported scheme 'ftp'"),
        ("bad-port-location", "invalid redirect: bad port '99999'"),
        # Which one? A browser will not say either, and joined they are no URL at all.
        ("two-locations", "invalid redirect: more than one Location"),
    ],
)
def test_a_location_that_is_no_url_says_so_and_is_broken(
    server: TestHTTPServer, name: str, reason: str
) -> None:
    [result] = fetch_all([server.url(f"/raw/{name}")], Options(retries=2, backoff=0))
    assert (result.status, result.error, result.attempts) == (None, reason, 1)
    assert result.category == "broken"


def test_a_redirect_body_is_never_unpacked(server: TestHTTPServer) -> None:
    tracemalloc.start()
    try:
        [result] = fetch_all([server.url("/redirect-body/gzip-bomb")], Options(retries=0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.status, result.final_url) == (200, server.url("/status/200"))
    assert peak < 5 * 1024 * 1024  # the body unpacks to 20 MB


def test_an_endless_redirect_body_is_dropped_not_read(server: TestHTTPServer) -> None:
    # With a minute for the request, only a bound on what is read lets the check end.
    [result] = fetch_all([server.url("/redirect-body/endless")], Options(timeout=60, retries=0))
    assert (result.status, result.final_url) == (200, server.url("/status/200"))
    assert wait_until(lambda: server.state.hung_up == 1)


def test_every_redirect_hop_waits_for_its_turn_under_a_rate(
    server: TestHTTPServer, turns: list[float]
) -> None:
    urls = [server.url(f"/redirect/1?n={n}") for n in range(4)]
    results = list(fetch_all(urls, Options(rate=20, max_workers=4, retries=0)))
    assert [result.status for result in results] == [200] * 4
    # Four requests and four hops, each given a turn 1/20 s after the last ...
    turns.sort()
    assert len(turns) == 8
    assert min(later - earlier for earlier, later in itertools.pairwise(turns)) >= 0.05 * 0.999
    # ... and none of them reaches the server before its turn.
    arrivals = sorted(seen.started for seen in server.log)
    assert all(at >= turn - 0.001 for at, turn in zip(arrivals, turns, strict=True))


def test_a_redirect_hop_to_another_host_takes_that_hosts_slot(
    server: TestHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same server under two host names: 127.0.0.1 redirects to a silent URL on
    # localhost, which holds localhost's one slot until the server lets it go.
    other = server.url("/silent").replace("127.0.0.1", "localhost")
    first = server.url(f"/redirect-to?url={other}")
    second = server.url("/status/200").replace("127.0.0.1", "localhost")

    def lines() -> Iterator[str]:
        yield first
        # The second URL comes once the first's hop is on localhost.
        assert wait_until(lambda: any(seen.path == "/silent" for seen in server.log))
        yield second

    asked: list[str] = []
    slot = HostLimiter.slot

    def counted_slot(self: HostLimiter, host: str, *args: Any) -> Any:
        asked.append(host)
        return slot(self, host, *args)

    monkeypatch.setattr(HostLimiter, "slot", counted_slot)
    run = fetch_all(lines(), Options(per_host=1, max_workers=2, retries=0, timeout=30))
    results: list[Result] = []
    consumer = threading.Thread(target=lambda: results.extend(run), daemon=True)
    consumer.start()
    # The hop and then the second URL ask for localhost's slot; the second must wait.
    assert wait_until(lambda: asked.count("localhost") == 2)
    server.state.stop.set()  # the silent URL hangs up; its slot is free
    consumer.join(30)
    assert results[1].status == 200
    seen = {seen.path: seen for seen in server.log}
    assert seen["/status/200"].started >= seen["/silent"].ended


def test_retry_after_holds_every_request_to_its_host(server: TestHTTPServer) -> None:
    asks = server.url("/status/503?retry_after=1")
    later = server.url("/status/200")
    # One worker and no retries: the second URL goes next, but only once the host's wait is over.
    results = list(fetch_all([asks, later], Options(max_workers=1, retries=0)))
    assert [result.status for result in results] == [503, 200]
    first, second = server.log
    assert second.started - first.ended >= 1.0 * 0.95  # a lower bound: it never starts sooner


def test_a_retry_after_sent_twice_holds_the_host_as_one_would(server: TestHTTPServer) -> None:
    asks = server.url("/raw/retry-after-twice")
    later = server.url("/status/200")
    results = list(fetch_all([asks, later], Options(max_workers=1, retries=0)))
    assert [result.status for result in results] == [503, 200]
    first, second = server.log
    # Joined ("1, 1"), the two were no number of seconds: the host was not held at all.
    assert second.started - first.ended >= 1.0 * 0.95


def test_a_hold_is_capped_by_max_retry_wait(server: TestHTTPServer) -> None:
    asks = server.url("/status/429?retry_after=3600")
    later = server.url("/status/200")
    options = Options(max_workers=1, retries=0, max_retry_wait=0.5)
    results = list(fetch_all([asks, later], options))
    assert [result.status for result in results] == [429, 200]
    first, second = server.log
    assert second.started - first.ended >= 0.5 * 0.95


def test_a_hold_past_max_time_is_not_waited(server: TestHTTPServer) -> None:
    asks = server.url("/status/503?retry_after=30")
    later = server.url("/status/200")
    options = Options(max_workers=1, retries=0, max_time=0.5)
    results = list(fetch_all([asks, later], options))
    assert [(result.status, result.error) for result in results] == [
        (503, None),
        (None, NO_TURN),
    ]
    assert len(server.log) == 1


def test_the_summary_says_which_hosts_were_held(
    server: TestHTTPServer, run_fetchpool: Callable[..., subprocess.CompletedProcess[bytes]]
) -> None:
    lines = [server.url("/status/429?retry_after=5"), server.url("/status/200")]
    done = run_fetchpool(
        "-w", "1", "-r", "0", "--max-retry-wait", "0.2", "-", input="\n".join(lines)
    )
    assert done.returncode == 1
    assert b"held by Retry-After: 127.0.0.1 0 s" in done.stderr


@pytest.mark.parametrize("retry_after", ["%C2%B2", "-5", "soon", "9" * 400])
def test_an_odd_retry_after_never_costs_the_status(
    server: TestHTTPServer, retry_after: str
) -> None:
    # %C2%B2 is sent as the Latin-1 byte \xb2, a superscript two: a digit to str.isdigit.
    [result] = fetch_all(
        [server.url(f"/status/503?retry_after={retry_after}")],
        Options(retries=1, backoff=0, max_retry_wait=0.01),
    )
    assert (result.status, result.error, result.attempts) == (503, None, 2)


def test_a_cookie_given_with_a_header_goes_along_a_redirect_on_the_same_host(
    server: TestHTTPServer,
) -> None:
    urls = [
        server.url("/redirect-to?url=/cookie/given"),
        # Its own cookies set along the way go with it.
        server.url("/set-cookie/set?next=/cookie/given"),
        server.url("/set-cookie/set?next=/cookie/set"),
    ]
    options = Options(max_workers=1, retries=0, headers=(("Cookie", "given=1"),))
    results = list(fetch_all(urls, options))
    assert [(result.status, result.error) for result in results] == [(200, None)] * 3
    sent = [seen.headers.get("cookie") for seen in server.log if seen.path.startswith("/cookie/")]
    assert sent == ["given=1", "given=1; set=1", "given=1; set=1"]


def test_a_cookie_given_with_a_header_is_not_sent_to_another_host(server: TestHTTPServer) -> None:
    other = server.url("/cookie/given").replace("127.0.0.1", "localhost")
    options = Options(retries=0, headers=(("Cookie", "given=1"),))
    [result] = fetch_all([server.url(f"/redirect-to?url={other}")], options)
    assert (result.status, result.final_url) == (403, other)
    assert "cookie" not in server.log[-1].headers


def test_a_failure_after_a_redirect_says_where_it_happened(
    server: TestHTTPServer, run_fetchpool: Callable[..., subprocess.CompletedProcess[bytes]]
) -> None:
    # The first URL answers; the one its redirect leads to refuses connections.
    with socket.create_server(("127.0.0.1", 0)) as closed:
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/gone"
    url = server.url(f"/redirect-to?url={nowhere}")
    [result] = fetch_all([url], Options(retries=0))
    assert (result.status, result.error, result.final_url) == (None, "connection refused", nowhere)
    done = run_fetchpool("-f", "table", "-r", "0", input=url, env={"COLUMNS": "300"})
    assert f"broken: connection refused at {nowhere}" in done.stdout.decode()


def test_a_failure_of_the_first_request_has_no_final_url(server: TestHTTPServer) -> None:
    [result] = fetch_all([server.url("/raw/garbage")], Options(retries=0))
    assert (result.error, result.final_url) == ("invalid HTTP response: bad status line", None)


def test_a_redirect_sets_at_most_50_cookies_for_the_next_hop(server: TestHTTPServer) -> None:
    # 10,000 Set-Cookie lines in a 302: parsed all, they cost seconds of CPU a hop.
    [result] = fetch_all([server.url("/raw/cookie-flood-redirect")], Options(retries=0))
    assert (result.status, result.error) == (200, None)
    sent = server.log[-1].headers["cookie"].split("; ")
    assert sorted(sent) == sorted(f"c{n}=1" for n in range(50))  # the first 50, as curl takes


def test_a_check_parses_cookies_only_along_a_redirect_chain(
    server: TestHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    extract = http.cookiejar.CookieJar.extract_cookies

    def counted(self: http.cookiejar.CookieJar, response: Any, request: Any) -> None:
        parsed.append(request.get_full_url())
        extract(self, response, request)

    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies", counted)
    first = server.url("/set-cookie/a?next=/cookie/a")
    results = list(fetch_all([first, server.url("/raw/150-cookies")], Options(retries=0)))
    assert [result.status for result in results] == [200, 200]
    assert parsed == [first]  # the hop's answer, for the next hop; never a last answer


def test_the_same_location_twice_is_followed(server: TestHTTPServer) -> None:
    [result] = fetch_all([server.url("/raw/same-location-twice")], Options(retries=0))
    assert (result.status, result.error, result.final_url) == (200, None, server.url("/status/200"))


def test_a_request_waiting_for_its_turn_when_the_run_stops_is_never_sent(
    server: TestHTTPServer,
) -> None:
    fetcher = Fetcher(Options(retries=0, rate=0.5))
    assert fetcher.fetch(server.url("/status/200?n=1")).status == 200
    outcome: list[object] = []

    def fetch_next() -> None:
        try:
            outcome.append(fetcher.fetch(server.url("/status/200?n=2")).status)
        except Stopped:
            outcome.append("stopped")

    thread = threading.Thread(target=fetch_next)
    thread.start()
    # Whether the thread waits for its turn (2 s away) yet or not, stopping ends the wait;
    # the request used to go at once then, breaking the rate for an answer nobody reads.
    fetcher.stop()
    thread.join(30)
    fetcher.close()
    assert outcome == ["stopped"]
    assert len(server.log) == 1


def test_a_run_closed_with_requests_waiting_for_their_turn_sends_none_of_them(
    server: TestHTTPServer,
) -> None:
    urls = [server.url(f"/status/200?n={n}") for n in range(4)]
    run = fetch_all(urls, Options(retries=0, rate=0.5, max_workers=4))
    assert next(run).status == 200  # the others wait for their turns, 2 s apart
    assert run.finished() == []  # closes the run
    run._executor.shutdown(wait=True)  # every worker is done waiting
    assert len(server.log) == 1


def test_a_host_whose_addresses_never_answer_gets_one_timeout_in_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two addresses for one name: the first never completes a connection (its accept
    # queue is full, so the kernel drops the SYNs), the second would.
    silent = socket.socket()
    silent.bind(("127.0.0.2", 0))
    silent.listen(0)
    port = silent.getsockname()[1]
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.2", port))
    live = socket.create_server(("127.0.0.1", port))
    real_getaddrinfo = socket.getaddrinfo

    def two_addresses(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "two.test":
            return real_getaddrinfo(host, *args, **kwargs)
        stream = (socket.AF_INET, socket.SOCK_STREAM, 6, "")
        return [(*stream, ("127.0.0.2", port)), (*stream, ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    try:
        [result] = fetch_all([f"http://two.test:{port}/"], Options(timeout=1, retries=0))
        assert (result.status, result.error) == (None, "timed out")
        # The first address took the attempt's whole second: the second was never tried
        # (it used to get a second of its own, and a connection the deadline then cut).
        live.setblocking(False)
        with pytest.raises(BlockingIOError):
            live.accept()
    finally:
        for sock in [silent, live, *fillers]:
            sock.close()


@pytest.mark.parametrize("name", ["keep-304-chunked", "keep-204-chunked"])
def test_an_answer_without_a_body_keeps_its_connection_whatever_its_transfer_encoding(
    server: TestHTTPServer, name: str
) -> None:
    urls = [server.url(f"/raw/{name}"), server.url("/status/200")]
    results = list(fetch_all(urls, Options(max_workers=1, retries=0)))
    assert [(result.status, result.error) for result in results] == [
        (int(name[5:8]), None),
        (200, None),
    ]
    # The connection was ready for the next URL at once: no wait for chunks that never come.
    assert server.state.connections == 1


def test_a_host_limiter_keeps_nothing_for_hosts_it_is_done_with() -> None:
    # A run over many hosts, or redirects to ever new subdomains: each host's slots and
    # turns are dropped once no request uses them (1.5 KB a host were kept for the run).
    limiter = HostLimiter(per_host=2, rate=1000.0)
    limiter.hold("held.test", 0.001)
    stop = threading.Event()
    tracemalloc.start()
    try:
        for n in range(20_000):
            with limiter.slot(f"host-{n}.test", stop):
                pass
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept < 1024 * 1024


def test_a_name_server_that_never_answers_costs_no_more_than_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release, gave_up = threading.Event(), threading.Event()
    real_getaddrinfo = socket.getaddrinfo

    def silent_name_server(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "slow-dns.test":
            return real_getaddrinfo(host, *args, **kwargs)
        # As a resolver whose name server never answers, giving up after its retries.
        release.wait(10)
        gave_up.set()
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", silent_name_server)
    try:
        [result] = fetch_all(["http://slow-dns.test/"], Options(timeout=1, retries=0))
        assert (result.status, result.error) == (None, "timed out")
        # The check ended at its deadline, with the lookup still under way; it used to
        # wait for the resolver to give up.
        assert not gave_up.is_set()
    finally:
        release.set()
