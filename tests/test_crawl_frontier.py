"""What a crawl keeps as it goes: pages waiting for their turn and the URLs seen, spilled to
a temporary file past a memory budget, and a wait for a page that close() ends."""

from __future__ import annotations

import threading

from fetchpool.core.pages import Page
from fetchpool.crawl.frontier import PageStore, Seen


def make_page(number: int, links: int = 3) -> Page:
    url = f"http://site.example/{number}.html"
    return Page(url, tuple((f"{url}#{n}", n + 1, 5, 0) for n in range(links)), None)


def test_pages_past_the_budget_spill_and_come_back_whole_in_any_order() -> None:
    store = PageStore(budget=2_000)
    pages = {number: make_page(number) for number in range(20)}
    for number in reversed(range(20)):
        store.deliver(number, pages[number] if number % 5 else None)
    assert store.spilled > 0
    assert store.delivered == 20
    assert [store.take(number) for number in range(20)] == [
        pages[number] if number % 5 else None for number in range(20)
    ]
    assert store.spilled == 0
    store.close()


def test_a_page_delivered_twice_is_kept_once() -> None:
    store = PageStore()
    store.deliver(0, make_page(0))
    store.deliver(0, make_page(99))
    assert store.take(0) == make_page(0)
    assert store.delivered == 1


def test_take_waits_for_its_page_and_close_ends_the_wait() -> None:
    store = PageStore()
    taken: list[Page | None] = []
    waiting = threading.Thread(target=lambda: taken.append(store.take(0)))
    waiting.start()
    store.deliver(0, make_page(0))
    waiting.join(10)
    assert taken == [make_page(0)]

    waiting = threading.Thread(target=lambda: taken.append(store.take(1)))
    waiting.start()
    store.close()
    waiting.join(10)
    assert not waiting.is_alive()
    assert taken == [make_page(0), None]
    assert store.take(2) is None  # closed: at once


def test_seen_says_new_once_for_each_key_in_memory_and_past_it() -> None:
    seen = Seen(in_memory=100)
    keys = [f"http://site.example/{n}" for n in range(1_000)]
    assert all(seen.add(key) for key in keys)
    assert not any(seen.add(key) for key in keys)
    assert seen.add("http://site.example/new")
    assert seen.count == 1_001
    seen.close()
