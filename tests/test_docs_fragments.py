"""#fragments of web pages, checked when asked: the page read as HTML to a bound, the
anchor looked for; a page that cannot tell is inconclusive, never broken."""

from __future__ import annotations

import pytest
import responses

from fetchpool import Options, fetch_all
from fetchpool.ci.checks import Checks
from fetchpool.core.inputs import InputLine
from fetchpool.docs.html import html_anchors

from .server import TestHTTPServer


def check(urls: list[str], **options: object) -> list[tuple[int | None, str | None, str]]:
    lines = [InputLine(url) for url in urls]
    run = Checks(lines, Options(retries=0, **options), anchors_of=html_anchors)  # type: ignore[arg-type]
    return [(result.status, result.error, result.category) for result in run]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/html/page#intro", (200, None, "ok")),
        ("/html/page#legacy", (200, None, "ok")),  # <a name>
        ("/html/page#install", (200, None, "ok")),  # GitHub's user-content- ids
        ("/html/page#top", (200, None, "ok")),  # every page has a top
        ("/html/page#:~:text=text", (200, None, "ok")),  # a text fragment names no anchor
        ("/html/page#nowhere", (200, "no anchor #nowhere", "broken")),
        ("/html/gzip-page#intro", (200, None, "ok")),
        ("/html/gzip-page#nowhere", (200, "no anchor #nowhere", "broken")),
        (
            "/html/gzip-bomb#intro",
            (200, "fragment not checked: page over 4 MiB or cut short", "inconclusive"),
        ),
        (
            "/html/big#intro",
            (200, "fragment not checked: page over 4 MiB or cut short", "inconclusive"),
        ),
        ("/html/text#intro", (200, "fragment not checked: not an HTML page", "inconclusive")),
        ("/html/page", (200, None, "ok")),
    ],
)
def test_a_fragment_is_looked_for_in_its_page(
    server: TestHTTPServer, path: str, expected: tuple[int, str | None, str]
) -> None:
    assert check([server.url(path)]) == [expected]


def test_a_fragment_is_checked_with_get_whatever_the_method(server: TestHTTPServer) -> None:
    assert check([server.url("/html/page#nowhere")], method="HEAD")[0][1] == "no anchor #nowhere"
    assert [seen.method for seen in server.log] == ["GET"]


def test_a_fragment_after_a_redirect_is_looked_for_in_the_last_page(server: TestHTTPServer) -> None:
    url = server.url("/redirect-to?url=/html/page") + "#nowhere"
    assert check([url]) == [(200, "no anchor #nowhere", "broken")]


def test_each_fragment_of_one_page_is_its_own_check(server: TestHTTPServer) -> None:
    lines = [InputLine(server.url("/html/page#intro")), InputLine(server.url("/html/page#gone"))]
    run = Checks(lines, Options(retries=0), dedupe=True, anchors_of=html_anchors)
    assert [result.error for result in run] == [None, "no anchor #gone"]


def test_without_the_check_a_fragment_is_not_looked_for(server: TestHTTPServer) -> None:
    [result] = fetch_all([server.url("/html/page#nowhere")], Options(retries=0))
    assert (result.status, result.ok) == (200, True)


BLOB = "https://github.com/owner/repo/blob/main/src/app.py"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{BLOB}#L20", (200, None, "ok")),
        (f"{BLOB}#L20-L30", (200, None, "ok")),
        (f"{BLOB}#L20C5-L30C2", (200, None, "ok")),
        (f"{BLOB}#Lx", (200, "no anchor #Lx", "broken")),
        (f"{BLOB}#missing", (200, "no anchor #missing", "broken")),
        # Not a file shown on GitHub: a line anchor is an anchor like any other.
        ("https://example.com/blob/main/app.py#L20", (200, "no anchor #L20", "broken")),
        ("https://github.com/owner/repo#L20", (200, "no anchor #L20", "broken")),
    ],
)
def test_github_line_anchors_on_a_file_are_taken_as_they_are(
    url: str, expected: tuple[int, str | None, str]
) -> None:
    with responses.RequestsMock() as web:
        page = "<!doctype html><h1 id='readme'>app.py</h1>"
        web.get(url.split("#")[0], body=page, content_type="text/html")
        assert check([url]) == [expected]
