"""Web pages as sources, and --crawl: a page's links checked in document order, a site read
breadth first within its scope, each page fetched once, robots.txt and sitemaps obeyed,
through the command against a small local website (tests/website.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from fetchpool.core.options import Options
from fetchpool.crawl.crawler import MAX_CRAWL_DELAY, Crawler
from fetchpool.crawl.options import CrawlOptions

from .ci_support import parse_jsonl, write_lines
from .inprocess import Done, run_in_process
from .processes import children, gone, read_line, start
from .waiting import wait_until
from .website import (
    OTHER_HOST,
    Page,
    Website,
    html,
    line_of,
    markdown,
    png,
    redirect,
    robots,
    sitemap,
    sitemapindex,
    urlset,
)

Site = Callable[..., Website]
Row = dict[str, Any]

# Every run: no retries, a short timeout, one JSON object a line.
ARGS = ("-r", "0", "-t", "5", "-f", "jsonl")
# A stopped process is out at once; this only bounds a hang.
HANG = 10


def check(*args: str) -> tuple[Done, list[Row]]:
    """``fetchpool -r 0 -t 5 -f jsonl ARGS`` in this process, and its results."""
    done = run_in_process(*ARGS, *args)
    return done, parse_jsonl(done.stdout)


def urls(rows: list[Row]) -> list[str]:
    return [row["url"] for row in rows]


def where(text: str, written: str) -> tuple[int, int]:
    """The line and column (from 1) at which ``written``, found once in ``text``, starts."""
    assert text.count(written) == 1, f"{written!r} is not written once in the page"
    index = text.index(written)
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def place(row: Row) -> tuple[str, str, int, int]:
    return row["url"], row["source"], row["line"], row["column"]


def page(*links: str) -> Page:
    """An HTML page with an <a> for each of ``links``, one a line."""
    return html(
        "<!doctype html><title>A page</title>\n"
        + "".join(f'<p><a href="{link}">link {n}</a></p>\n' for n, link in enumerate(links))
    )


def link_place(site: Website, path: str, link: str) -> tuple[str, str, int, int]:
    """Where ``link``, written once on the page at ``path``, is reported: its URL, the page's
    URL, and the line and column at which it is written."""
    text = site.pages[path].data.decode()
    return urljoin(site.url(path), link), site.url(path), *where(text, link)


# --- one page as a source ----------------------------------------------------------------------

EVERY_KIND = (
    "<!doctype html>\n"
    "<html><head>\n"
    '<link rel="stylesheet" href="style.css">\n'
    '<script src="app.js"></script>\n'
    "</head><body>\n"
    '<p><a href="guide.html">Guide</a></p>\n'
    '<img src="pic.png" srcset="pic-2x.png 2x, pic-3x.png 3x">\n'
    '<iframe src="frame.html"></iframe>\n'
    "</body></html>\n"
)


def test_a_page_url_is_checked_first_then_each_of_its_links_where_it_is_written(
    website: Site,
) -> None:
    site = website(
        {
            "/docs/index.html": html(EVERY_KIND),
            "/docs/style.css": Page("p {}", content_type="text/css"),
            "/docs/app.js": Page("", content_type="text/javascript"),
            "/docs/guide.html": page(),
            "/docs/pic.png": png(),
            "/docs/pic-2x.png": png(),
            "/docs/pic-3x.png": png(),
            "/docs/frame.html": page(),
        }
    )
    start_url = site.url("/docs/index.html")
    done, rows = check(start_url)
    assert done.returncode == 0, done.stderr
    assert (rows[0]["url"], rows[0]["source"], rows[0]["line"], rows[0]["ok"]) == (
        start_url,
        start_url,
        0,
        True,
    )
    written = ["style.css", "app.js", "guide.html", "pic.png", "pic-2x.png", "pic-3x.png"]
    written.append("frame.html")
    assert [place(row) for row in rows[1:]] == [
        (site.url(f"/docs/{link}"), start_url, *where(EVERY_KIND, link)) for link in written
    ]
    assert [site.requested(f"/docs/{link}") for link in written] == [1] * len(written)


def test_links_to_mailto_tel_and_javascript_are_not_reported(website: Site) -> None:
    site = website(
        {
            "/index.html": page(
                "mailto:someone@example.com", "tel:+15555550100", "javascript:void(0)", "next.html"
            ),
            "/next.html": page(),
        }
    )
    _, rows = check(site.url("/index.html"))
    assert urls(rows) == [site.url("/index.html"), site.url("/next.html")]


def test_a_links_fragment_is_kept_in_the_url_reported(website: Site) -> None:
    site = website({"/index.html": page("guide.html#usage"), "/guide.html": page()})
    _, rows = check(site.url("/index.html"))
    assert urls(rows)[1:] == [site.url("/guide.html#usage")]
    assert site.requested("/guide.html") == 1


def test_relative_links_are_resolved_against_the_pages_url_after_redirects(
    website: Site,
) -> None:
    site = website(
        {
            "/start.html": redirect("/docs/index.html"),
            "/docs/index.html": page("page.html"),
            "/docs/page.html": page(),
        }
    )
    done, rows = check(site.url("/start.html"))
    assert done.returncode == 0, done.stderr
    assert [(row["url"], row["source"]) for row in rows] == [
        (site.url("/start.html"), site.url("/start.html")),
        (site.url("/docs/page.html"), site.url("/docs/index.html")),
    ]


def test_a_base_href_is_what_relative_links_are_resolved_against(website: Site) -> None:
    body = '<!doctype html><base href="/other/">\n<a href="target.html">t</a>\n'
    site = website({"/docs/index.html": html(body), "/other/target.html": page()})
    _, rows = check(site.url("/docs/index.html"))
    assert urls(rows)[1:] == [site.url("/other/target.html")]
    assert site.requested("/docs/target.html") == 0


def test_a_link_used_twice_on_a_page_is_requested_and_reported_once_at_its_first_place(
    website: Site,
) -> None:
    site = website({"/index.html": page("a.html", "b.html", "a.html"), "/a.html": page()})
    _, rows = check(site.url("/index.html"))
    assert [(row["url"], row["line"]) for row in rows[1:]] == [
        (site.url("/a.html"), 2),
        (site.url("/b.html"), 3),
    ]
    assert site.requested("/a.html") == 1


def test_a_page_that_is_not_html_is_checked_as_one_link_and_not_read(website: Site) -> None:
    site = website({"/pic.png": png()})
    done, rows = check(site.url("/pic.png"))
    assert done.returncode == 0, done.stderr
    assert [(row["url"], row["status"]) for row in rows] == [(site.url("/pic.png"), 200)]
    assert site.requested("/trap/png") == 0


def test_a_page_that_answers_404_is_broken_and_not_read(website: Site) -> None:
    site = website({"/gone.html": html('<a href="/trap/404">x</a>', status=404)})
    done, rows = check(site.url("/gone.html"))
    assert done.returncode == 1
    assert [(row["url"], row["status"], row["category"]) for row in rows] == [
        (site.url("/gone.html"), 404, "broken")
    ]
    assert site.requested("/trap/404") == 0


def test_a_markdown_page_is_read_as_markdown(website: Site) -> None:
    text = "# Notes\n\nSee [the guide](guide.html) first.\n"
    site = website({"/docs/notes.md": markdown(text), "/docs/guide.html": page()})
    _, rows = check(site.url("/docs/notes.md"))
    assert [place(row) for row in rows[1:]] == [
        (site.url("/docs/guide.html"), site.url("/docs/notes.md"), *where(text, "guide.html"))
    ]


def test_without_crawl_linked_pages_are_checked_but_not_read(website: Site) -> None:
    site = website(
        {
            "/index.html": page("a.html", "b.html"),
            "/a.html": page("a-child.html"),
            "/b.html": page(),
        }
    )
    _, rows = check(site.url("/index.html"))
    assert urls(rows) == [site.url(path) for path in ("/index.html", "/a.html", "/b.html")]
    assert site.requested("/a.html") == 1
    assert site.requested("/a-child.html") == 0


# --- a site crawled ------------------------------------------------------------------------------

# index -> a, b, logo.png; a -> c, b; b -> d, c; c -> e: read breadth first, the links come
# in this order.
SITE = {
    "/docs/index.html": page("a.html", "b.html", "logo.png"),
    "/docs/a.html": page("c.html", "b.html"),
    "/docs/b.html": page("d.html", "c.html"),
    "/docs/c.html": page("e.html"),
    "/docs/d.html": page(),
    "/docs/e.html": page(),
    "/docs/logo.png": png(),
}
DISCOVERED = ["index.html", "a.html", "b.html", "logo.png", "c.html", "d.html", "e.html"]
PAGES = [name for name in DISCOVERED if name.endswith(".html")]


def test_crawl_reads_every_page_in_scope_with_one_get_each_and_no_head(website: Site) -> None:
    # Pages link back to the start page, to pages read before them and to themselves.
    site = website(
        {
            "/docs/index.html": page("a.html", "b.html", "logo.png"),
            "/docs/a.html": page("index.html", "c.html", "b.html", "a.html"),
            "/docs/b.html": page("a.html", "d.html", "index.html"),
            "/docs/c.html": page("e.html", "b.html"),
            "/docs/d.html": page("index.html"),
            "/docs/e.html": page("c.html", "a.html"),
            "/docs/logo.png": png(),
        }
    )
    done, _ = check("--crawl", site.url("/docs/index.html"))
    assert done.returncode == 0, done.stderr
    for name in PAGES:
        assert (site.count(f"/docs/{name}"), site.count(f"/docs/{name}", "HEAD")) == (1, 0), name
    assert site.count("/docs/logo.png") + site.count("/docs/logo.png", "HEAD") == 1


def test_crawl_reports_links_breadth_first_in_the_order_found(website: Site) -> None:
    site = website(SITE)
    _, rows = check("--crawl", site.url("/docs/index.html"))
    assert urls(rows) == [site.url(f"/docs/{name}") for name in DISCOVERED]
    assert [row["source"] for row in rows[1:]] == [
        site.url(f"/docs/{name}") for name in ["index.html"] * 3 + ["a.html", "b.html", "c.html"]
    ]


def test_two_crawls_of_a_site_answering_out_of_order_write_the_same_report(
    website: Site,
) -> None:
    site = website(SITE)
    start_url = site.url("/docs/index.html")
    _, first = check("--crawl", start_url)
    site.reset()
    # Each page's answer waits for a page found after it.
    site.hold("/docs/a.html", until="/docs/logo.png")
    site.hold("/docs/b.html", until="/docs/a.html")
    site.hold("/docs/c.html", until="/docs/d.html")
    _, second = check("--crawl", start_url)
    answered = site.answered
    assert answered.index("/docs/a.html") > answered.index("/docs/logo.png"), (
        "the site answered in order: this run proves nothing"
    )
    for row in (*first, *second):
        del row["elapsed"]
    assert second == first
    assert urls(first) == [site.url(f"/docs/{name}") for name in DISCOVERED]


def test_a_link_on_several_pages_is_requested_once_and_reported_at_its_first_place(
    website: Site,
) -> None:
    site = website(
        {
            "/index.html": page("a.html", "b.html"),
            "/a.html": page("shared.png"),
            "/b.html": page("b-only.html", "shared.png"),
            "/shared.png": png(),
        }
    )
    done, rows = check("--crawl", site.url("/index.html"))
    shared = [row for row in rows if row["url"] == site.url("/shared.png")]
    assert [(row["source"], row["line"]) for row in shared] == [(site.url("/a.html"), 2)]
    assert site.requested("/shared.png") == 1
    assert "1 link found again, checked once" in done.stderr.decode()


def test_a_page_reached_by_a_redirect_is_read_at_its_final_url(website: Site) -> None:
    site = website(
        {
            "/docs/index.html": page("old.html"),
            "/docs/old.html": redirect("/docs/new/page.html"),
            "/docs/new/page.html": page("child.html"),
            "/docs/new/child.html": page(),
        }
    )
    _, rows = check("--crawl", site.url("/docs/index.html"))
    [child] = [row for row in rows if row["url"] == site.url("/docs/new/child.html")]
    assert child["source"] == site.url("/docs/new/page.html")
    assert site.requested("/docs/new/child.html") == 1


def test_crawl_does_not_read_a_link_that_is_not_an_html_page(website: Site) -> None:
    site = website(
        {
            "/index.html": page("pic.png", "gone.html"),
            "/pic.png": png(),
            "/gone.html": html('<a href="/trap/404">x</a>', status=404),
        }
    )
    done, _ = check("--crawl", site.url("/index.html"))
    assert done.returncode == 1
    assert (site.requested("/pic.png"), site.requested("/gone.html")) == (1, 1)
    assert (site.requested("/trap/png"), site.requested("/trap/404")) == (0, 0)


# --- scope ---------------------------------------------------------------------------------------


def test_the_scope_is_the_start_pages_folder_and_links_out_of_it_are_checked_not_read(
    website: Site,
) -> None:
    site = website(
        {
            "/docs/index.html": page("a.html", "/blog/post.html", "/docs-old/page.html"),
            "/docs/a.html": page("a-child.html"),
            "/blog/post.html": page("/blog/trap.html"),
            "/docs-old/page.html": page("/docs-old/trap.html"),
        }
    )
    _, rows = check("--crawl", site.url("/docs/index.html"))
    assert site.requested("/docs/a-child.html") == 1
    assert (site.requested("/blog/post.html"), site.requested("/docs-old/page.html")) == (1, 1)
    assert (site.requested("/blog/trap.html"), site.requested("/docs-old/trap.html")) == (0, 0)
    assert site.url("/blog/trap.html") not in urls(rows)


def test_a_page_on_another_host_is_checked_not_read(website: Site) -> None:
    site = website({"/docs/index.html": page(), "/docs/a.html": page("trap.html")})
    elsewhere = site.url("/docs/a.html", host=OTHER_HOST)
    site.pages["/docs/index.html"] = page(elsewhere)
    _, rows = check("--crawl", site.url("/docs/index.html"))
    assert urls(rows) == [site.url("/docs/index.html"), elsewhere]
    assert site.count("/docs/a.html", host=OTHER_HOST) == 1
    assert site.requested("/docs/trap.html") == 0


def test_scope_replaces_the_start_pages_folder(website: Site) -> None:
    site = website(
        {
            "/docs/index.html": page("a.html", "/blog/post.html"),
            "/docs/a.html": page("a-child.html"),
            "/blog/post.html": page("post-child.html"),
        }
    )
    check("--crawl", "--scope", site.url("/blog/"), site.url("/docs/index.html"))
    assert site.requested("/blog/post-child.html") == 1
    assert site.requested("/docs/a.html") == 1
    assert site.requested("/docs/a-child.html") == 0


def test_each_scope_given_is_read_and_nothing_else(website: Site) -> None:
    site = website(
        {
            "/docs/index.html": page("a.html", "/blog/post.html", "/other/page.html"),
            "/docs/a.html": page("a-child.html"),
            "/blog/post.html": page("post-child.html"),
            "/other/page.html": page("page-child.html"),
        }
    )
    start_url = site.url("/docs/index.html")
    check("--crawl", "--scope", site.url("/docs/"), "--scope", site.url("/blog/"), start_url)
    assert site.requested("/docs/a-child.html") == 1
    assert site.requested("/blog/post-child.html") == 1
    assert site.requested("/other/page.html") == 1
    assert site.requested("/other/page-child.html") == 0


@pytest.mark.parametrize(
    ("depth", "requested", "not_requested"),
    [("0", "/one.html", "/two.html"), ("1", "/two.html", "/three.html")],
)
def test_depth_limits_how_many_links_away_from_the_start_pages_are_read(
    website: Site, depth: str, requested: str, not_requested: str
) -> None:
    site = website(
        {
            "/index.html": page("one.html"),
            "/one.html": page("two.html"),
            "/two.html": page("three.html"),
            "/three.html": page(),
        }
    )
    check("--crawl", "--depth", depth, site.url("/index.html"))
    assert site.requested(requested) == 1
    assert site.requested(not_requested) == 0


def test_max_pages_stops_reading_and_still_checks_the_links_found(website: Site) -> None:
    site = website(
        {
            "/index.html": page("a.html", "b.html", "c.html"),
            "/a.html": page("a-child.html"),
            "/b.html": page("b-child.html"),
            "/c.html": page("c-child.html"),
        }
    )
    done, rows = check("--crawl", "--max-pages", "2", site.url("/index.html"))
    assert "--max-pages" in done.stderr.decode()
    assert "2 pages read" in done.stderr.decode()
    assert urls(rows) == [
        site.url(path) for path in ("/index.html", "/a.html", "/b.html", "/c.html", "/a-child.html")
    ]
    assert (site.requested("/b-child.html"), site.requested("/c-child.html")) == (0, 0)


def test_max_pages_ends_the_crawl_of_an_endless_site(website: Site) -> None:
    site = website({}, endless=True)
    done, rows = check("--crawl", "--max-pages", "5", site.url("/cal/0"))
    assert "--max-pages" in done.stderr.decode()
    assert "5 pages read" in done.stderr.decode()
    # Links are reported from exactly the five pages read, each requested once.
    assert len({row["source"] for row in rows[1:]}) == 5
    targets = site.targets()
    assert len(targets) == len(set(targets))


# --- robots.txt ----------------------------------------------------------------------------------

DISALLOW_PRIVATE = "User-agent: *\nDisallow: /docs/private/\n"


def test_robots_txt_is_requested_once_before_any_page(website: Site) -> None:
    site = website(
        {
            "/robots.txt": robots(DISALLOW_PRIVATE),
            "/docs/index.html": page("a.html"),
            "/docs/a.html": page("index.html"),
        }
    )
    check("--crawl", site.url("/docs/index.html"))
    assert site.targets()[0] == "/robots.txt"
    assert site.requested("/robots.txt") == 1


def test_robots_txt_is_requested_once_on_each_host_in_scope(website: Site) -> None:
    site = website({"/robots.txt": robots(DISALLOW_PRIVATE), "/docs/a.html": page()})
    elsewhere = site.url("/docs/a.html", host=OTHER_HOST)
    site.pages["/docs/index.html"] = page(elsewhere)
    scopes = [site.url("/docs/"), site.url("/docs/", host=OTHER_HOST)]
    check("--crawl", "--scope", scopes[0], "--scope", scopes[1], site.url("/docs/index.html"))
    for host in ("127.0.0.1", OTHER_HOST):
        asked = [seen.target for seen in site.log if seen.host == host]
        assert asked[0] == "/robots.txt", host
        assert asked.count("/robots.txt") == 1, host


def test_a_page_robots_txt_disallows_is_never_requested_and_reported_skipped(
    website: Site,
) -> None:
    site = website(
        {
            "/robots.txt": robots(DISALLOW_PRIVATE),
            "/docs/index.html": page("private/secret.html", "public.html"),
            "/docs/private/secret.html": page(),
            "/docs/public.html": page(),
        }
    )
    done, rows = check("--crawl", site.url("/docs/index.html"))
    assert done.returncode == 0, done.stderr
    [skipped] = [row for row in rows if row["url"] == site.url("/docs/private/secret.html")]
    assert (skipped["category"], skipped["kind"]) == ("skipped", "robots_disallowed")
    assert "robots.txt" in skipped["error"]
    assert site.requested("/docs/private/secret.html") == 0


def test_ignore_robots_requests_and_reads_a_disallowed_page(website: Site) -> None:
    site = website(
        {
            "/robots.txt": robots(DISALLOW_PRIVATE),
            "/docs/index.html": page("private/secret.html"),
            "/docs/private/secret.html": page("deeper.html"),
            "/docs/private/deeper.html": page(),
        }
    )
    done, rows = check("--crawl", "--ignore-robots", site.url("/docs/index.html"))
    assert done.returncode == 0, done.stderr
    [secret] = [row for row in rows if row["url"] == site.url("/docs/private/secret.html")]
    assert secret["category"] == "ok"
    assert site.requested("/docs/private/deeper.html") == 1


def test_a_crawl_delay_spaces_the_hosts_requests_and_the_crawl_completes(
    website: Site, turns: list[float]
) -> None:
    site = website(
        {
            "/robots.txt": robots("User-agent: *\nCrawl-delay: 0.3\n"),
            "/docs/index.html": page("a.html", "c.html"),
            "/docs/a.html": page("b.html"),
            "/docs/b.html": page(),
            "/docs/c.html": page(),
        }
    )
    done, rows = check("--crawl", "-w", "8", site.url("/docs/index.html"))
    assert done.returncode == 0, done.stderr
    assert urls(rows) == [
        site.url(f"/docs/{name}") for name in ("index.html", "a.html", "c.html", "b.html")
    ]
    # Each page's turn comes at least the delay after the one before, however many workers.
    assert len(turns) == 4
    assert all(later - earlier >= 0.3 - 1e-3 for earlier, later in pairwise(turns))


def test_a_nofollow_link_is_checked_but_its_page_not_read(website: Site) -> None:
    body = '<!doctype html>\n<a rel="nofollow" href="login.html">log in</a>\n'
    site = website({"/index.html": html(body), "/login.html": page("after-login.html")})
    _, rows = check("--crawl", site.url("/index.html"))
    assert urls(rows) == [site.url("/index.html"), site.url("/login.html")]
    assert site.requested("/login.html") == 1
    assert site.requested("/after-login.html") == 0


# --- sitemaps ------------------------------------------------------------------------------------


@pytest.mark.parametrize("gzipped", [False, True], ids=["xml", "gzip"])
@pytest.mark.parametrize("given", ["url", "file"])
def test_a_sitemaps_urls_are_checked_where_they_are_listed_and_not_read(
    website: Site, tmp_path: Path, given: str, gzipped: bool
) -> None:
    site = website({"/a.html": page("a-child.html"), "/b.html": page()})
    locs = [site.url("/a.html"), site.url("/b.html"), site.url("/gone.html")]
    xml = urlset(*locs)
    name = "sitemap.xml.gz" if gzipped else "sitemap.xml"
    site.pages[f"/{name}"] = sitemap(xml, gzipped=gzipped)
    if given == "url":
        source = site.url(f"/{name}")
    else:
        source = str(tmp_path / name)
        Path(source).write_bytes(site.pages[f"/{name}"].data)
    done, rows = check(source)
    assert done.returncode == 1  # gone.html
    listed = [row for row in rows if row["source"] == source and row["line"] > 0]
    assert [(row["url"], row["line"], row["status"]) for row in listed] == [
        (loc, line_of(xml, loc), status) for loc, status in zip(locs, [200, 200, 404], strict=True)
    ]
    assert site.requested("/a-child.html") == 0


def test_a_sitemap_index_has_its_sitemaps_read(website: Site) -> None:
    site = website({f"/{name}": page() for name in ("a.html", "b.html", "c.html", "d.html")})
    one = urlset(site.url("/a.html"), site.url("/b.html"))
    two = urlset(site.url("/c.html"), site.url("/d.html"))
    site.pages["/sitemaps/one.xml"] = sitemap(one)
    site.pages["/sitemaps/two.xml.gz"] = sitemap(two, gzipped=True)
    site.pages["/sitemap_index.xml"] = sitemap(
        sitemapindex(site.url("/sitemaps/one.xml"), site.url("/sitemaps/two.xml.gz"))
    )
    done, rows = check(site.url("/sitemap_index.xml"))
    assert done.returncode == 0, done.stderr
    found = {row["url"]: (row["source"], row["line"]) for row in rows}
    for xml, sitemap_path, names in [
        (one, "/sitemaps/one.xml", ("a.html", "b.html")),
        (two, "/sitemaps/two.xml.gz", ("c.html", "d.html")),
    ]:
        for name in names:
            url = site.url(f"/{name}")
            assert found[url] == (site.url(sitemap_path), line_of(xml, url))
            assert site.requested(f"/{name}") == 1
        assert site.requested(sitemap_path) == 1


def test_with_crawl_a_sitemaps_urls_are_read_as_start_pages(website: Site) -> None:
    site = website(
        {
            "/docs/a.html": page("a-child.html"),
            "/blog/b.html": page("b-child.html"),
            "/docs/a-child.html": page(),
            "/blog/b-child.html": page(),
        }
    )
    site.pages["/sitemap.xml"] = sitemap(urlset(site.url("/docs/a.html"), site.url("/blog/b.html")))
    done, _ = check("--crawl", site.url("/sitemap.xml"))
    assert done.returncode == 0, done.stderr
    assert site.requested("/docs/a-child.html") == 1
    assert site.requested("/blog/b-child.html") == 1


# --- options that bear on a crawl ----------------------------------------------------------------


def test_check_fragments_finds_a_missing_anchor_on_a_crawled_page(website: Site) -> None:
    site = website(
        {
            "/index.html": page("page.html#present", "page.html#missing"),
            "/page.html": html('<!doctype html><h2 id="present">Here</h2>\n'),
        }
    )
    done, rows = check("--crawl", "--check-fragments", site.url("/index.html"))
    assert done.returncode == 1
    outcomes = {row["url"]: (row["category"], row["kind"]) for row in rows}
    assert outcomes[site.url("/page.html#present")] == ("ok", None)
    assert outcomes[site.url("/page.html#missing")] == ("broken", "missing_anchor")


def test_an_excluded_link_is_neither_requested_nor_read(website: Site) -> None:
    site = website(
        {
            "/index.html": page("a.html", "private/p.html"),
            "/a.html": page("a-child.html", "private/q.html"),
            "/private/p.html": page("p-child.html"),
        }
    )
    check("--crawl", "--exclude", "private", site.url("/index.html"))
    assert site.requested("/a-child.html") == 1
    assert (site.requested("/private/p.html"), site.requested("/private/q.html")) == (0, 0)
    assert site.requested("/private/p-child.html") == 0


def test_the_summary_says_how_many_pages_were_read(website: Site) -> None:
    site = website(
        {
            "/docs/index.html": page("a.html", "b.html", "pic.png", "/elsewhere/c.html"),
            "/docs/a.html": page(),
            "/docs/b.html": page(),
            "/docs/pic.png": png(),
            "/elsewhere/c.html": page(),
        }
    )
    done, _ = check("--crawl", site.url("/docs/index.html"))
    assert "3 pages read" in done.stderr.decode()


def test_broken_links_exit_1_and_each_is_reported_with_its_page_line_and_column(
    website: Site,
) -> None:
    site = website(
        {
            "/index.html": page("a.html", "gone.html"),
            "/a.html": html('<!doctype html>\n<p>A picture: <img src="missing.png"></p>\n'),
        }
    )
    done, rows = check("--crawl", site.url("/index.html"))
    assert done.returncode == 1
    broken = [place(row) for row in rows if row["category"] == "broken"]
    assert broken == [
        link_place(site, "/index.html", "gone.html"),
        link_place(site, "/a.html", "missing.png"),
    ]


def test_a_url_list_and_a_page_url_in_one_run_are_checked_in_the_order_given(
    website: Site, tmp_path: Path
) -> None:
    site = website({"/index.html": page("a.html"), "/a.html": page(), "/listed.html": page()})
    listed = write_lines(tmp_path / "urls.txt", [site.url("/listed.html")])
    page_rows = [site.url("/index.html"), site.url("/a.html")]
    done, rows = check(str(listed), site.url("/index.html"))
    assert done.returncode == 0, done.stderr
    assert urls(rows) == [site.url("/listed.html"), *page_rows]
    _, rows = check(site.url("/index.html"), str(listed))
    assert urls(rows) == [*page_rows, site.url("/listed.html")]
    assert rows[-1]["source"] == str(listed)


# --- interrupted ---------------------------------------------------------------------------------


def test_sigint_mid_crawl_writes_what_finished_in_order_exits_130_and_leaves_no_process(
    website: Site,
) -> None:
    # The silent page never finishes: what is found after it is written only once the
    # signal comes, every finished result in the order found, the silent one counted.
    site = website(
        {
            "/index.html": page("a.html", "b.html", "silent.html", "c.html"),
            "/a.html": page("a-child.html"),
            "/b.html": page(),
            "/silent.html": Page(silent=True),
            "/c.html": page(),
            "/a-child.html": page(),
        }
    )
    order = [
        site.url(path)
        for path in (
            "/index.html",
            "/a.html",
            "/b.html",
            "/silent.html",
            "/c.html",
            "/a-child.html",
        )
    ]
    process = start(
        sys.executable, "-m", "fetchpool", "--crawl", "-j", "2", "-r", "0", "-t", "60",
        "-f", "jsonl", site.url("/index.html"), stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        pending = bytearray()
        ahead = [read_line(process.stdout.fileno(), HANG, pending) for _ in range(3)]
        assert None not in ahead, "the results ahead of the silent page were not written"
        assert site.wait_for("/silent.html") and site.wait_for("/c.html")
        workers = children(process.pid)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=HANG)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    written = urls(parse_jsonl(b"".join([*ahead, bytes(pending), stdout])))  # type: ignore[list-item]
    assert written[:3] == order[:3]
    assert site.url("/silent.html") not in written
    assert written == [url for url in order if url in written]  # in the order found, once each
    assert b"in flight not reported" in stderr
    assert b"Traceback" not in stderr
    assert wait_until(lambda: all(gone(pid) for pid in workers))


# --- selections, --dump, credentials ----------------------------------------------------------


def test_an_excluded_start_page_is_not_requested_and_the_run_ends(website: Site) -> None:
    site = website({"/index.html": page("a.html"), "/a.html": page()})
    done, rows = check("--exclude", "index", site.url("/index.html"))
    assert (done.returncode, rows) == (0, [])
    assert "1 line not selected" in done.stderr.decode()
    assert site.log == []


def test_shard_with_a_website_is_a_usage_error(website: Site) -> None:
    site = website({"/index.html": page()})
    done, _ = check("--shard", "1/2", site.url("/index.html"))
    assert done.returncode == 2
    assert "--shard splits URL lists and documents, not websites" in done.stderr.decode()
    assert site.log == []


def test_dump_reads_the_pages_of_a_crawl_and_lists_their_links(website: Site) -> None:
    site = website(
        {
            "/robots.txt": robots("User-agent: *\nDisallow: /private/\n"),
            "/index.html": page("a.html", "private/p.html"),
            "/a.html": page("gone.html"),
        }
    )
    done = run_in_process("--dump", "--crawl", site.url("/index.html"))
    assert done.returncode == 0, done.stderr
    listed = [line.split("\t") for line in done.stdout.decode().splitlines()]
    assert listed == [
        [site.url("/index.html"), site.url("/index.html")],
        [f"{site.url('/index.html')}:2:13", site.url("/a.html")],
        [f"{site.url('/index.html')}:3:13", site.url("/private/p.html")],
        [f"{site.url('/a.html')}:2:13", site.url("/gone.html")],
    ]
    # Every link in scope may be a page to read, so it is fetched (once); what robots.txt
    # disallows is not requested.
    assert sorted(site.targets()) == ["/a.html", "/gone.html", "/index.html", "/robots.txt"]


def test_a_password_in_a_page_url_is_masked_in_the_source_too(website: Site) -> None:
    site = website({"/index.html": page("a.html"), "/a.html": page()})
    secret_url = site.url("/index.html").replace("http://", "http://user:s3cr3t@")
    for format_name in ("jsonl", "junit", "csv", "plain", "markdown"):
        done = run_in_process("-f", format_name, secret_url)
        assert done.returncode == 0, done.stderr
        assert b"s3cr3t" not in done.stdout + done.stderr, format_name


@pytest.mark.parametrize("sized", [True, False], ids=["content-length", "no-length"])
def test_a_page_whose_body_stalls_is_checked_and_said_not_read(website: Site, sized: bool) -> None:
    body = "<!doctype html><p>" + "x" * 200 + '<a href="/a.html">a</a>\n'
    site = website({"/index.html": Page(body, trickle=True, sized=sized), "/a.html": page()})
    done = run_in_process("-r", "0", "-t", "1", "-f", "jsonl", "--crawl", site.url("/index.html"))
    rows = parse_jsonl(done.stdout)
    assert [(row["url"], row["category"]) for row in rows] == [
        (site.url("/index.html"), "ok"),
        (site.url("/index.html"), "inconclusive"),
    ]
    assert rows[1]["error"].startswith("page not read: its body did not come whole")
    assert "0 pages read" in done.stderr.decode()
    assert site.requested("/a.html") == 0


def test_a_page_url_that_does_not_parse_is_one_invalid_result(website: Site) -> None:
    done, rows = check("--crawl", "http://[::1/x")
    assert done.returncode == 1
    assert [(row["url"], row["category"]) for row in rows] == [("http://[::1/x", "broken")]
    assert b"Traceback" not in done.stderr


def test_a_link_redirected_out_of_scope_is_checked_and_its_page_not_read(website: Site) -> None:
    site = website({"/docs/index.html": page("go.html"), "/other/page.html": page("trap.html")})
    site.pages["/docs/go.html"] = redirect(site.url("/other/page.html", host=OTHER_HOST))
    done, rows = check("--crawl", site.url("/docs/index.html"))
    assert done.returncode == 0, done.stderr
    assert urls(rows) == [site.url("/docs/index.html"), site.url("/docs/go.html")]
    assert site.requested("/other/trap.html") == 0


def test_a_start_page_that_redirects_to_another_host_is_crawled_there(website: Site) -> None:
    site = website({"/docs/a.html": page("b.html"), "/docs/b.html": page()})
    site.pages["/start.html"] = redirect(site.url("/docs/a.html", host=OTHER_HOST))
    done, rows = check("--crawl", site.url("/start.html"))
    assert done.returncode == 0, done.stderr
    assert urls(rows) == [site.url("/start.html"), site.url("/docs/b.html", host=OTHER_HOST)]
    assert site.count("/docs/b.html", host=OTHER_HOST) == 1


def test_a_github_annotation_for_a_page_link_names_the_page_in_its_message(
    website: Site,
) -> None:
    site = website({"/index.html": page("gone.html")})
    done = run_in_process("-f", "github", site.url("/index.html"))
    assert done.stdout.decode().splitlines() == [
        f"::error title=broken::{site.url('/gone.html')} -> 404 (on {site.url('/index.html')}:2:13)"
    ]


def test_a_page_in_a_declared_charset_is_decoded_by_it(website: Site) -> None:
    body = '<!doctype html>\n<p>Voil\xe0: <a href="caf\xe9.html">caf\xe9</a></p>\n'
    site = website(
        {
            "/index.html": Page(body.encode("latin-1"), content_type="text/html; charset=latin-1"),
            "/café.html": page(),
        }
    )
    _, rows = check(site.url("/index.html"))
    assert [(row["url"], row["line"], row["column"]) for row in rows[1:]] == [
        (site.url("/café.html"), 2, 20)
    ]


def test_malformed_html_is_read_as_a_browser_reads_it(website: Site) -> None:
    body = "<p><a href=one.html>one<p><a href='two.html'<b>two</b>\n<table><a href=three.html>"
    site = website({"/index.html": html(body)})
    _, rows = check(site.url("/index.html"))
    assert urls(rows)[1:] == [site.url(f"/{name}.html") for name in ("one", "two", "three")]


def test_max_pages_counts_pages_read_not_links_that_were_no_page(website: Site) -> None:
    site = website(
        {
            "/index.html": page("gone-1.html", "gone-2.html", "pic.png", "a.html"),
            "/pic.png": png(),
            "/a.html": page("a-child.html"),
            "/a-child.html": page("a-grandchild.html"),
        }
    )
    done, _ = check("--crawl", "--max-pages", "2", site.url("/index.html"))
    assert "2 pages read" in done.stderr.decode()
    assert site.requested("/a-child.html") == 1  # checked: the third page, not read
    assert site.requested("/a-grandchild.html") == 0


def test_a_page_over_the_read_limit_has_the_links_of_its_first_10_mib(website: Site) -> None:
    body = '<!doctype html><a href="first.html">1</a><p>' + "x" * (11 * 2**20)
    body += '<a href="last.html">2</a>\n'
    site = website({"/index.html": html(body), "/first.html": page()})
    _, rows = check(site.url("/index.html"))
    assert [(row["url"], row["category"]) for row in rows] == [
        (site.url("/index.html"), "ok"),
        (site.url("/first.html"), "ok"),
        (site.url("/index.html"), "inconclusive"),
    ]
    assert rows[2]["error"] == "page over 10 MiB: its links past that not read"
    assert site.requested("/last.html") == 0


def test_a_long_crawl_delay_is_said_and_held_to_a_minute(website: Site) -> None:
    site = website({"/robots.txt": robots("User-agent: *\nCrawl-delay: 100000\n")})
    crawler = Crawler(CrawlOptions(crawl=True), Options())
    try:
        assert crawler.crawl_delays([site.url("/docs/index.html")]) == {
            "127.0.0.1": MAX_CRAWL_DELAY
        }
    finally:
        crawler.close()
    site.pages["/robots.txt"] = robots("User-agent: *\nCrawl-delay: 1\n")
    site.pages["/index.html"] = page()
    done, _ = check("--crawl", site.url("/index.html"))
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1's robots.txt asks for 1 s between requests" in done.stderr.decode()


def test_a_sitemap_index_that_lists_indexes_is_read_one_level_deep(website: Site) -> None:
    site = website({"/a.html": page()})
    # An index listing itself with a new query each time, and an index that lists an index.
    site.pages["/loop.xml"] = sitemap(
        sitemapindex(site.url("/loop.xml?n=1"), site.url("/inner.xml"))
    )
    site.pages["/inner.xml"] = sitemap(sitemapindex(site.url("/innermost.xml")))
    site.pages["/innermost.xml"] = sitemap(urlset(site.url("/a.html")))
    done, rows = check("--crawl", site.url("/loop.xml"))
    assert done.returncode == 0, done.stderr
    assert site.requested("/loop.xml?n=1") == 1  # read: an index the first one names
    assert site.requested("/inner.xml") == 1
    assert site.requested("/innermost.xml") == 1  # checked, not read
    assert site.requested("/a.html") == 0
    assert len(rows) == 4


def test_a_sitemap_with_a_dtd_is_said_not_read_and_a_feed_is_not(website: Site) -> None:
    laughs = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><urlset><url><loc>&a;</loc>'
    site = website(
        {
            "/laughs.xml": Page(laughs + "</url></urlset>", content_type="application/xml"),
            "/feed.xml": Page("<rss><channel/></rss>", content_type="application/xml"),
        }
    )
    _, rows = check(site.url("/laughs.xml"))
    assert [(row["url"], row["category"]) for row in rows] == [
        (site.url("/laughs.xml"), "ok"),
        (site.url("/laughs.xml"), "inconclusive"),
    ]
    assert rows[1]["error"] == "sitemap declares a DTD or entities, which are not read"
    _, rows = check(site.url("/feed.xml"))
    assert [(row["url"], row["category"]) for row in rows] == [(site.url("/feed.xml"), "ok")]


def test_links_kept_from_by_a_robots_txt_that_fails_are_inconclusive(website: Site) -> None:
    site = website(
        {
            "/robots.txt": html("busy", status=503),
            "/docs/index.html": page("a.html"),
            "/docs/a.html": page(),
        }
    )
    done, rows = check("--crawl", site.url("/docs/index.html"))
    assert done.returncode == 1
    [link] = rows[1:]
    assert (link["url"], link["category"], link["kind"]) == (
        site.url("/docs/a.html"),
        "inconclusive",
        "not_checked",
    )
    assert "robots.txt could not be read (HTTP 503)" in link["error"]
    assert site.requested("/docs/a.html") == 0


def test_a_robots_txt_redirected_in_a_loop_allows_everything(website: Site) -> None:
    site = website({"/docs/index.html": page("a.html"), "/docs/a.html": page()})
    site.pages["/robots.txt"] = redirect("/robots.txt")
    done, rows = check("--crawl", site.url("/docs/index.html"))
    assert done.returncode == 0, done.stderr
    assert [row["category"] for row in rows] == ["ok", "ok"]


def test_sigint_while_robots_txt_is_read_ends_the_run_at_once(website: Site) -> None:
    site = website({"/robots.txt": Page(silent=True), "/docs/index.html": page()})
    process = start(
        sys.executable, "-m", "fetchpool", "--crawl", "-r", "0", "-t", "60", "-f", "jsonl",
        site.url("/docs/index.html"), stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert site.wait_for("/robots.txt")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=HANG)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert b"Traceback" not in stderr


def test_a_fragment_on_a_crawled_page_whose_body_stalls_is_not_checked(website: Site) -> None:
    body = '<!doctype html><h2 id="here">Here</h2>' + "x" * 200
    site = website({"/index.html": page("slow.html#here"), "/slow.html": Page(body, trickle=True)})
    args = ("-r", "0", "-t", "1", "-f", "jsonl", "--crawl", "--check-fragments")
    done = run_in_process(*args, site.url("/index.html"))
    rows = [row for row in parse_jsonl(done.stdout) if row["url"] == site.url("/slow.html#here")]
    # Its check, then the page's own line: not read.
    assert [(row["category"], row["kind"]) for row in rows] == [
        ("inconclusive", "not_checked"),
        ("inconclusive", "unreadable"),
    ]


def test_a_remapped_site_is_crawled_as_written_and_fetched_where_remapped(website: Site) -> None:
    # The docs as published at docs.old.test, checked against a local build of them.
    site = website(
        {
            "/docs/index.html": page("a.html", "b.html"),
            "/docs/a.html": page("c.html"),
            "/docs/b.html": page(),
            "/docs/c.html": page(),
        }
    )
    remap = rf"^http://docs\.old\.test/ {site.url('/')}"
    done, rows = check("--crawl", "--remap", remap, "http://docs.old.test/docs/index.html")
    assert done.returncode == 0, done.stderr
    assert urls(rows) == [
        "http://docs.old.test/docs/index.html",
        "http://docs.old.test/docs/a.html",
        "http://docs.old.test/docs/b.html",
        "http://docs.old.test/docs/c.html",
    ]
    assert rows[3]["source"] == "http://docs.old.test/docs/a.html"
    assert rows[3]["remapped"] == site.url("/docs/c.html")
    assert all(site.count(f"/docs/{name}") == 1 for name in ("index.html", "a.html", "c.html"))
