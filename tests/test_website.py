"""The test website itself (tests/website.py): what the crawl tests count on it for."""

from __future__ import annotations

import gzip
import threading
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from .website import OTHER_HOST, Page, Website, html, redirect, sitemap, urlset

Site = Callable[..., Website]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_request_is_counted_before_its_answer_is_written(website: Site) -> None:
    site = website({"/a.html": html("A")})
    status, _ = get(site.url("/a.html"))
    # Read at once, with nothing to wait for: the count was there before the answer.
    assert (status, site.count("/a.html"), site.count("/a.html", method="HEAD")) == (200, 1, 0)


def test_a_path_with_no_page_is_a_404_and_counted_with_its_query(website: Site) -> None:
    site = website({})
    assert get(site.url("/gone.html?x=1"))[0] == 404
    assert (site.count("/gone.html?x=1"), site.count("/gone.html")) == (1, 0)


def test_localhost_is_the_same_site_logged_as_another_host(website: Site) -> None:
    site = website({"/old.html": redirect("/new.html"), "/new.html": html("new")})
    assert get(site.url("/old.html", host=OTHER_HOST)) == (200, b"new")
    assert [(seen.host, seen.target) for seen in site.log] == [
        (OTHER_HOST, "/old.html"),
        (OTHER_HOST, "/new.html"),
    ]
    assert site.count("/new.html", host="127.0.0.1") == 0


def test_a_held_answer_waits_for_the_answer_it_is_held_for(website: Site) -> None:
    site = website({"/first.html": html("1"), "/second.html": html("2")})
    site.hold("/first.html", until="/second.html")
    first = threading.Thread(target=get, args=(site.url("/first.html"),))
    first.start()
    assert site.wait_for("/first.html")
    get(site.url("/second.html"))
    first.join(10)
    assert site.answered == ["/second.html", "/first.html"]


def test_the_endless_section_always_links_a_next_page_and_a_new_session(website: Site) -> None:
    site = website({}, endless=True)
    _, one = get(site.url("/cal/7"))
    _, again = get(site.url("/cal/7"))
    assert b'href="/cal/8"' in one
    assert b"/cal/7?session=" in one
    assert one != again


def test_a_gzipped_sitemap_unpacks_to_its_urlset(website: Site) -> None:
    xml = urlset("http://example.com/a", "http://example.com/b?x=1&y=2")
    site = website({"/sitemap.xml.gz": sitemap(xml, gzipped=True)})
    _, body = get(site.url("/sitemap.xml.gz"))
    assert gzip.decompress(body).decode() == xml
    assert "<loc>http://example.com/b?x=1&amp;y=2</loc>" in xml


def test_a_silent_page_never_answers_until_the_site_stops(website: Site) -> None:
    site = website({"/silent.html": Page(silent=True)})
    with pytest.raises(TimeoutError):
        urllib.request.urlopen(site.url("/silent.html"), timeout=0.3)
    assert site.count("/silent.html") == 1
