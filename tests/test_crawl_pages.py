"""A page's links made absolute as urljoin makes them, the page's URL parsed once."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fetchpool.crawl.pages import Resolver

PAGES = [
    "http://site.example/docs/index.html",
    "https://site.example",
    "https://site.example/",
    "HTTPS://Site.Example:8443/a/b/",
    "http://user:pw@site.example/a/page",
    "http://site.example/a/./b/page.html",
    "http://site.example/a/../b/page.html",
    "http://site.example//a/page.html",
    "http://site.example/a/page.html?x=1",
    "http://site.example/a//b/./c/../page.html",
    "http://site.example/a;p/b;q",
    "http://site.example/?#",
    "http://site.example/a/page.html#top",
    "http://[::1]:8080/x/y.html",
    "http://[::1/x",
    "ftp://site.example/a/b",
    "not a url",
]

# The characters that decide how a link resolves, and some that do not.
LINK_TEXT = st.text(alphabet="ab./?#:;\\ %@-_~=&\t\né[]", max_size=16)
STARTS = ["", "http://", "https://", "HTTP://", "http:", "//", "/", "../", "./", "..", "?", "#"]
LINKS = st.one_of(LINK_TEXT, st.builds(str.__add__, st.sampled_from(STARTS), LINK_TEXT))


@settings(max_examples=300, deadline=None)
@given(page=st.sampled_from(PAGES), link=LINKS)
@example(page=PAGES[0], link="guide.html")
@example(page=PAGES[0], link="/other/a.html")
@example(page=PAGES[0], link="../up.html")
@example(page=PAGES[0], link="a//b")
@example(page=PAGES[0], link="page?")
@example(page=PAGES[0], link="page#")
@example(page=PAGES[0], link="?q=1")
@example(page=PAGES[0], link="#top")
@example(page=PAGES[0], link="//cdn.example/x.js")
@example(page=PAGES[0], link="../../../../a/./b/../c.html?x#y")
@example(page=PAGES[0], link="https://other.example/a b")
@example(page=PAGES[0], link="http://[::1/x")
def test_a_link_resolves_as_urljoin_resolves_it(page: str, link: str) -> None:
    try:
        expected = urljoin(page, link)
    except ValueError:
        expected = link
    assert Resolver(page).join(link) == expected


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("guide.html", "http://site.example/docs/guide.html"),
        ("/blog/", "http://site.example/blog/"),
        ("sub/page.html#part", "http://site.example/docs/sub/page.html#part"),
        ("https://other.example/x", "https://other.example/x"),
        ("http://[::1/x", "http://[::1/x"),
    ],
)
def test_the_usual_links(link: str, url: str) -> None:
    assert Resolver("http://site.example/docs/index.html").join(link) == url


def test_a_page_past_the_links_limit_has_its_first_links_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fetchpool.crawl.pages as pages

    monkeypatch.setattr(pages, "MAX_PAGE_LINKS", 3)
    body = "".join(f'<a href="{n}.html">{n}</a>\n' for n in range(5)).encode()
    page = pages.PageReading().read(body, "text/html", "http://site.example/", False)
    assert [link[0] for link in page.links] == [f"http://site.example/{n}.html" for n in range(3)]
    assert page.problem == "page has over 3 links: the rest not read"


def test_a_large_page_is_read_alone_and_small_ones_two_at_once() -> None:
    import threading

    from fetchpool.core.fetch import BIG_PAGE, Fetcher
    from fetchpool.core.options import Options

    fetcher = Fetcher(Options())
    try:
        with fetcher._reading_slots(10), fetcher._reading_slots(10):
            # Two small pages are being read: a third waits, as does a large one.
            assert not fetcher._reading.acquire(blocking=False)
        inside = threading.Event()
        leave = threading.Event()

        def read_large() -> None:
            with fetcher._reading_slots(BIG_PAGE):
                inside.set()
                leave.wait(10)

        reader = threading.Thread(target=read_large)
        reader.start()
        assert inside.wait(10)
        assert not fetcher._reading.acquire(blocking=False)  # no slot left for a small page
        leave.set()
        reader.join(10)
        with fetcher._reading_slots(10), fetcher._reading_slots(10):
            pass  # both slots back
    finally:
        fetcher.close()


def test_a_page_whose_turn_to_be_read_does_not_come_by_its_deadline_is_not_read() -> None:
    import time

    from fetchpool.core.fetch import BIG_PAGE, Fetcher, _NoTurn
    from fetchpool.core.options import Options

    fetcher = Fetcher(Options())
    try:
        with fetcher._reading_slots(BIG_PAGE):
            for size in (10, BIG_PAGE):
                with pytest.raises(_NoTurn), fetcher._reading_slots(size, time.monotonic()):
                    pass
        with fetcher._reading_slots(BIG_PAGE, time.monotonic() + 10):
            pass  # free again: had at once
    finally:
        fetcher.close()
