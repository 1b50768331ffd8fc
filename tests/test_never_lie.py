"""Every status is the URL's own, and every reason says what happened: answers that
break, bend or stretch HTTP's rules, from a real server."""

from __future__ import annotations

import pytest

from fetchpool import Options, fetch_all

from .server import TestHTTPServer


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
