"""A crawl's scope: the prefix a start page gives, --scope prefixes, and URLs compared in
one spelling (scheme and host in any case, a default port written or not)."""

from __future__ import annotations

import pytest

from fetchpool.crawl.options import (
    CrawlOptions,
    check_prefix,
    default_scope,
    in_scope,
    normal_prefix,
)


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("https://example.com/docs/index.html", "https://example.com/docs/"),
        ("https://example.com/docs/", "https://example.com/docs/"),
        ("https://example.com/docs", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("HTTPS://Example.COM:443/a/b?q=1#f", "https://example.com/a/"),
        ("http://user:pw@example.com:8080/a/b", "http://example.com:8080/a/"),
        ("http://[::1]:8080/x/y", "http://[::1]:8080/x/"),
        ("http://[::1/x", None),
        ("http://example.com:99999/", None),
        ("mailto:someone@example.com", None),
        ("https:///path", None),
    ],
)
def test_a_start_page_gives_its_folder_as_scope(url: str, scope: str | None) -> None:
    assert default_scope(url) == scope


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("https://example.com/docs/a.html", True),
        ("https://EXAMPLE.com:443/docs/sub/b.html?x=1", True),
        ("https://example.com/docs/", True),
        ("https://example.com/docs", False),
        ("https://example.com/docs-old/a.html", False),
        ("http://example.com/docs/a.html", False),
        ("https://other.example/docs/a.html", False),
        ("https://example.com:8443/docs/a.html", False),
        ("ftp://example.com/docs/a.html", False),
        ("not a url", False),
    ],
)
def test_in_scope_compares_one_spelling(url: str, inside: bool) -> None:
    assert in_scope(url, ("https://example.com/docs/",)) is inside


def test_a_scope_prefix_given_is_compared_in_the_same_spelling() -> None:
    prefix = normal_prefix(check_prefix("HTTPS://Example.com:443/blog"))
    assert prefix == "https://example.com/blog"
    assert in_scope("https://example.com/blog/post.html", (prefix,))
    assert normal_prefix("https://example.com") == "https://example.com/"


@pytest.mark.parametrize("prefix", ["example.com/docs/", "ftp://example.com/", "https://", "x"])
def test_a_scope_that_is_no_web_url_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="is not"):
        check_prefix(prefix)
    with pytest.raises(ValueError):
        CrawlOptions(crawl=True, scope=(prefix,))
