"""Sitemaps read safely: entries with line and column, sitemap indexes, gzip, and bytes made
to break the reader (XML bombs, gzip bombs, a million entries, deep nesting)."""

from __future__ import annotations

import gzip

import pytest

from fetchpool.crawl import sitemaps
from fetchpool.crawl.sitemaps import MAX_ENTRIES, read_sitemap, sitemap_like

URLSET = b"""\
<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://site.example/</loc><lastmod>2026-01-01</lastmod></url>
  <url>
    <loc>
      https://site.example/b
    </loc>
    <image:image><image:loc>https://site.example/i.png</image:loc></image:image>
  </url>
  <url><loc>  https://site.example/c?x=1&amp;y=2</loc></url>
  <url><loc> </loc></url>
</urlset>
"""


def test_a_urlset_gives_each_loc_with_where_the_url_begins() -> None:
    sitemap = read_sitemap(URLSET)
    assert sitemap.kind == "urlset"
    assert sitemap.problem is None
    assert sitemap.entries == (
        ("https://site.example/", 4, 13),
        ("https://site.example/b", 7, 7),
        ("https://site.example/c?x=1&y=2", 11, 15),
    )


def test_a_gzipped_sitemap_reads_as_the_plain_one() -> None:
    assert read_sitemap(gzip.compress(URLSET)) == read_sitemap(URLSET)


def test_a_sitemap_index_names_sitemaps_and_a_prefixed_namespace_is_read() -> None:
    index = b"""<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
<sm:sitemap><sm:loc>https://site.example/a.xml</sm:loc></sm:sitemap>
<sm:sitemap><sm:loc>https://site.example/b.xml.gz</sm:loc></sm:sitemap>
<sm:sitemap><other:loc xmlns:other="x">https://elsewhere.example/</other:loc></sm:sitemap>
</sm:sitemapindex>"""
    sitemap = read_sitemap(index)
    assert sitemap.kind == "sitemapindex"
    assert [loc for loc, _, _ in sitemap.entries] == [
        "https://site.example/a.xml",
        "https://site.example/b.xml.gz",
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<rss><channel/></rss>", "not a sitemap: its root element is <rss>"),
        (b"", "not a sitemap: no XML in it"),
        (b"just text", "malformed sitemap XML"),
        (b"\x1f\x8bnot gzip", "gzipped sitemap cannot be inflated"),
    ],
)
def test_bytes_that_are_no_sitemap_say_so(data: bytes, problem: str) -> None:
    sitemap = read_sitemap(data)
    assert (sitemap.kind, sitemap.entries) == ("", ())
    assert sitemap.problem is not None and sitemap.problem.startswith(problem)


def test_malformed_xml_keeps_the_entries_before_the_fault_and_says_where() -> None:
    sitemap = read_sitemap(b"<urlset><url><loc>http://a.example/</loc></url>\n<url><loc>http")
    assert sitemap.entries == (("http://a.example/", 1, 19),)
    assert sitemap.problem is not None
    assert "malformed sitemap XML" in sitemap.problem and "line 2" in sitemap.problem


def test_an_xml_bomb_is_refused_before_it_expands() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10 if n else b"&lol;" * 10)
        for n in range(1, 10)
    )
    bomb += b"]><urlset><url><loc>&lol9;</loc></url></urlset>"
    sitemap = read_sitemap(bomb)
    assert sitemap.entries == ()
    assert sitemap.problem == "sitemap declares a DTD or entities, which are not read"


def test_an_external_entity_is_never_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret"
    secret.write_text("http://leaked.example/")
    data = (
        f'<!DOCTYPE urlset [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<urlset><url><loc>&x;</loc></url></urlset>"
    ).encode()
    sitemap = read_sitemap(data)
    assert sitemap.entries == ()
    assert sitemap.problem is not None


def test_a_gzip_bomb_stops_at_the_inflated_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitemaps, "MAX_INFLATED", 2 * 2**20)  # 50 MiB, made quick
    bomb = gzip.compress(b"<urlset>" + b" " * (3 * 2**20) + b"</urlset>", compresslevel=1)
    assert len(bomb) < 2**16
    sitemap = read_sitemap(bomb)
    assert sitemap.problem == "sitemap over 2 MiB uncompressed: the rest not read"


def test_entries_past_the_protocols_limit_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_ENTRIES == 50_000
    monkeypatch.setattr(sitemaps, "MAX_ENTRIES", 100)  # made quick
    data = (
        b"<urlset>"
        + b"".join(b"<url><loc>http://x.example/%d</loc></url>" % n for n in range(105))
        + b"</urlset>"
    )
    sitemap = read_sitemap(data)
    assert len(sitemap.entries) == 100
    assert sitemap.entries[-1][0] == "http://x.example/99"
    assert (
        sitemap.problem == "sitemap lists over 100 URLs (the protocol's limit): the rest not read"
    )


def test_deep_nesting_is_counted_not_held() -> None:
    depth = 50_000
    data = b"<urlset><url><loc>http://a.example/</loc></url>" + b"<a>" * depth + b"</a>" * depth
    sitemap = read_sitemap(data + b"</urlset>")
    assert sitemap.entries == (("http://a.example/", 1, 19),)
    assert sitemap.problem is None


@pytest.mark.parametrize(
    ("name", "like"),
    [
        ("sitemap.xml", True),
        ("docs/Sitemap.XML", True),
        ("sitemap.xml.gz", True),
        ("https://site.example/sitemap.xml?page=2#x", True),
        ("https://site.example/feed.xml.gz", True),
        ("https://site.example/page.html?x=.xml", False),
        ("README.md", False),
        ("https://site.example/", False),
        ("http://[::1/sitemap.xml", False),
    ],
)
def test_sitemap_like_goes_by_the_name(name: str, like: bool) -> None:
    assert sitemap_like(name) is like
