"""The HTML reader on libxml2 finds the links the reader on ``html.parser`` found (kept in
tests/html_reference.py), at the same lines and columns, in the same order; where the
two differ, libxml2 reads as a browser does and the test says so."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fetchpool.docs.found import Found, Marker
from fetchpool.docs.html import DocumentTooDeep, html_anchors, html_links

from . import html_reference

Item = tuple[str, int, int] | tuple[str, int]


def _items(found: list[Found | Marker]) -> list[Item]:
    return [tuple(item) for item in found]


def new(text: str) -> list[Item]:
    return _items(list(html_links(text)))


def old(text: str) -> list[Item]:
    return _items(list(html_reference.html_links(text)))


SAME = {
    "entities in a URL": '<a href="/a?x=1&amp;y=2">x</a> <a href="&#x68;ttp://e.example/">e</a>',
    "upper-case tags and attributes": '<A HREF="/Up">x</A><IMG SRC=/i.png>',
    "unquoted values": "<a href=/plain>x</a> <img src=i.png alt=x>",
    "a tag over lines": '<a\n  class="c"\n  href="/next"\n>x</a>',
    "CRLF": '<p>x</p>\r\n<a href="/crlf">x</a>\r\n<img\r\n src="/i.png">',
    "tabs": '\t<a\thref="/tab"\t>x</a>',
    "a tag in a script": '<script>var s = "<a href=\'/fake\'>";</script><a href="/fake">x</a>',
    "a tag in a script on a line before": '<script>\n\'<a href="/x">\'\n</script>\n<a href="/x">',
    "a tag in a style": '<style>a[href="/no"] {}</style><a href="/yes">',
    "a tag in a comment": '<!-- <a href="/live"> --><a href="/live">',
    "a tag in an attribute": '<img alt="<a href=/x>" src="/i"><a href=/x>',
    "srcset of several": '<img srcset="a.png 1x, b.png 2x,c.png 3x" src="a.png">',
    "an attribute twice": '<a href="/first" href="/second">x</a>',
    "non-ASCII text before": '<p>Grüße — 日本語 😀</p><a href="/after">x</a>',
    "a marker": '<!-- fetchpool-disable-next-line -->\n<a href="/m">x</a>',
    "a marker over lines": '<a href="/a"><!--\nfetchpool-disable-line\n--><a href="/b">',
    "a base": '<base href="https://b.example/d/"><a href="p">x</a>',
    "a base that is no URL": '<base href="http://[::1"><a href="p">x</a>',
    "self-closing": "<img src=y/><a href=x/>",
    "empty values": '<a href="">x</a><a href="  ">y</a>',
    "the same value twice in a tag": '<a title="/x" href="/x">',
    "a longer name ending the same": '<a data-href="/d" href="/d">',
    "an XML declaration": '<?xml version="1.0" encoding="utf-8"?>\n<html><a href="/x">',
    "bogus comments": '<!x y><?pi z></ 3 ><a href="/q">',
    "spaces around a value": '<a href="  /pad  ">',
    "noscript": '<noscript><a href="/ns"></noscript>',
    "link, script, iframe": (
        "<link rel=stylesheet href=s.css><script src=j.js></script><iframe src=f.html></iframe>"
    ),
    "a tag left open at the end": '<a href="/x">ok</a><a href="/y"',
    "a comment left open at the end": '<a href="/x"><!-- <a href="/y">',
    "quotes in a value": "<a href='/it\"s'>x</a>",
    "svg": '<svg><a xlink:href="/xl" href="/h"/></svg>',
    "< in an attribute's name": '<a <b href="/x">',
    "a doctype and comments before the root": (
        '<!DOCTYPE html>\n<!-- fetchpool-disable --><html><a href="/x"><!-- fetchpool-enable -->'
    ),
    "the same tag before, bare": '<a><a href="/x"><a/><a href=/y>',
    "misnested": '<a href="/1"><p>x</a><a href="/2"><table><a href="/3"></table>',
}


@pytest.mark.parametrize("text", SAME.values(), ids=SAME.keys())
def test_the_readers_agree_on_links_lines_and_columns(text: str) -> None:
    assert new(text) == old(text)


# Where libxml2 reads as a browser does and html.parser did not.
DIFFERENT = {
    # The text of <title> and <textarea> holds no tags.
    "title and textarea": (
        '<title><a href="/t"></title><textarea><a href="/ta"></textarea><a href="/x">',
        [("/x", 1, 73)],
    ),
    # A NUL in a value is U+FFFD; a CR LF in it is LF, and the URL is placed after "=".
    "NUL": ('<a href="/a\x00b">', [("/a\ufffdb", 1, 9)]),
    "CR LF in a value": ('<a href="/x\r\ny">', [("/x\ny", 1, 9)]),
}


@pytest.mark.parametrize(("text", "links"), DIFFERENT.values(), ids=DIFFERENT.keys())
def test_libxml2_reads_as_a_browser_where_html_parser_did_not(text: str, links: list[Item]) -> None:
    assert new(text) != old(text)
    assert new(text) == links


def test_a_link_past_line_65535_is_placed_though_libxml2_stops_counting() -> None:
    text = "<p>x</p>\n" * 70_000 + '<p>y</p> <a href="/far">x</a>\n'
    assert new(text) == old(text) == [("/far", 70_001, 19)]


def test_elements_nested_past_libxml2s_limit_say_so_after_the_links_before() -> None:
    text = '<a href="/before">x</a>' + "<div>" * 3_000 + '<a href="/after">'
    found = html_links(text)
    assert next(found) == Found("/before", 1, 10)
    with pytest.raises(DocumentTooDeep):
        next(found)


def test_anchors_past_libxml2s_limit_still_count_so_no_link_is_called_broken() -> None:
    text = '<h1 id="top">' + "<div>" * 3_000 + "<p id='deep'>x</p><a name=far>y</a>"
    assert html_anchors(text) == {"top", "deep", "far"}


def test_anchors_are_ids_and_names_on_a() -> None:
    text = '<p id="one"><a name="two"></a><img name="not"><a id=three href="#one">'
    assert html_anchors(text) == html_reference.html_anchors(text) == {"one", "two", "three"}


# Any document: pieces of HTML of every kind, joined by every kind of space, read alike.

_URL = st.from_regex(r"(https://h\.example/|\.\./|#)[a-z0-9./-]{0,8}", fullmatch=True)
_SPACE = st.sampled_from([" ", "  ", "\n", "\r\n", "\t", "\n  "])
_TEXT = st.lists(
    st.sampled_from([*"ab x.,;:!?()[]{}'\"=/-", "é", "日", "😀", "\u2028", "&amp;"]), max_size=10
).map("".join)


@st.composite
def _attribute(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(["href", "src", "HREF", "Src", "id", "title", "data-src", "alt"]))
    value = draw(_URL)
    if draw(st.booleans()):
        value = value.replace("/", "&#47;", 1) if draw(st.booleans()) else value + "?a=1&amp;b"
    quote = draw(st.sampled_from(['"', "'", ""]))
    around = draw(st.sampled_from(["", " ", "\n"]))
    return f"{name}{around}={around}{quote}{value}{quote}"


@st.composite
def _srcset(draw: st.DrawFn) -> str:
    urls = draw(st.lists(_URL, min_size=1, max_size=4))
    spaces = draw(st.sampled_from([",", ", ", " ,\n"]))
    return 'srcset="' + spaces.join(f"{url} {n + 1}x" for n, url in enumerate(urls)) + '"'


@st.composite
def _element(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(["a", "A", "img", "link", "script", "iframe", "div", "p", "source"]))
    attributes = draw(st.lists(st.one_of(_attribute(), _srcset()), max_size=4))
    spaces = [draw(_SPACE) for _ in attributes]
    inside = "".join(space + attribute for space, attribute in zip(spaces, attributes, strict=True))
    end = draw(st.sampled_from([">", " >", "/>", "\n>"]))
    body = draw(_TEXT)
    if tag.lower() in ("script", "iframe"):
        return f"<{tag}{inside}{end}{body}</{tag}>"
    return f"<{tag}{inside}{end}{body}"


@st.composite
def _piece(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            _element(),
            _TEXT,
            st.sampled_from(
                [
                    "<!-- fetchpool-disable-line -->",
                    "<!--\nfetchpool-disable-next-line\n-->",
                    "<!-- fetchpool-disable -->",
                    "<!-- fetchpool-enable -->",
                    '<!-- <a href="/commented"> -->',
                    "<script>document.write('<a href=\"/written\">')</script>",
                    "<style>a { background: url(x.png) }</style>",
                    "</a>",
                    "</div>",
                    "<br>",
                ]
            ),
        )
    )


@st.composite
def _document(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(_piece(), min_size=1, max_size=12))
    return "".join(piece + draw(st.sampled_from(["", "", "\n", "\r\n", " "])) for piece in pieces)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document())
def test_any_document_is_read_alike(text: str) -> None:
    assert new(text) == old(text), text
    assert html_anchors(text) == html_reference.html_anchors(text), text
