"""The library entry point: fetch_all(items, options) -> Results in input order."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import fetchpool
from fetchpool import InputLine, Options, Result, fetch_all

from .server import TestHTTPServer
from .waiting import wait_until


def test_fetch_all_gives_one_result_per_item_in_input_order(server: TestHTTPServer) -> None:
    items = [server.url("/delay/0.2"), "example.com", server.url("/status/404"), server.url()]
    results = list(fetch_all(items, Options(max_workers=4, retries=0)))
    assert [(r.url, r.status, r.ok) for r in results] == [
        (items[0], 200, True),
        ("example.com", None, False),
        (items[2], 404, False),
        (items[3], 200, True),
    ]
    assert [r.line for r in results] == [1, 2, 3, 4]
    assert all(isinstance(r, Result) for r in results)


def test_input_lines_keep_their_source_and_number(server: TestHTTPServer) -> None:
    [result] = fetch_all([InputLine(server.url(), "list.txt", 12)])
    assert (result.source, result.line, result.status) == ("list.txt", 12, 200)


def test_fetch_all_reads_a_generator_lazily(server: TestHTTPServer) -> None:
    more, gave_up = threading.Event(), threading.Event()

    def producer() -> Iterator[str]:
        yield server.url("/status/200")
        # The next line comes only once the first result is out.
        if not more.wait(10):
            gave_up.set()
        yield server.url("/status/201")

    run = fetch_all(producer(), Options(max_workers=2))
    assert next(run).status == 200
    assert not gave_up.is_set(), "the first result waited for the next input"
    more.set()
    assert [r.status for r in run] == [201]


def test_the_window_bounds_requests_in_flight(server: TestHTTPServer) -> None:
    items = [server.url(f"/delay/0.1/{i}") for i in range(12)]
    results = list(fetch_all(items, Options(max_workers=8, window=3)))
    assert len(results) == 12
    assert server.state.max_in_flight <= 3


def test_leaving_a_with_block_stops_the_run(server: TestHTTPServer) -> None:
    items = [server.url(f"/delay/0.2/{i}") for i in range(50)]
    before = set(threading.enumerate())
    with fetch_all(items, Options(max_workers=2)) as run:
        first = next(run)
    assert first.status == 200
    # The run's threads finish what they had started and leave: then nothing more is sent.
    assert wait_until(
        lambda: (
            not [
                t
                for t in threading.enumerate()
                if t not in before and t.name.startswith("fetchpool")
            ]
        )
    )
    # Cancelled: only what had started when the block ended reached the server.
    assert len(server.log) <= 4


def test_an_interrupted_run_ends_without_waiting_for_a_silent_url(server: TestHTTPServer) -> None:
    items = [server.url("/status/200"), server.url("/silent"), server.url("/status/201")]
    run = fetch_all(items, Options(max_workers=4, timeout=30, retries=0))
    assert next(run).status == 200
    assert wait_until(lambda: run.state().waiting == 1)  # the third is done behind the silent one
    run.interrupt()
    started = time.monotonic()
    assert list(run) == []
    assert time.monotonic() - started < 5, "it waited for the silent URL"
    assert run.interrupted
    assert [result.status for result in run.finished()] == [201]


def test_the_public_api_is_importable_from_the_package() -> None:
    for name in fetchpool.__all__:
        assert getattr(fetchpool, name) is not None
