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


@settings(max_examples=1000, deadline=None)
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
