"""--include, --exclude and --dedupe, through the command against the local server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fetchpool.core.urls import url_key

from .ci_support import parse_jsonl, write_lines

PATHS = ["/status/200", "/docs/a", "/docs/b", "/blog/c", "/status/404"]


@pytest.mark.parametrize(
    ("args", "kept"),
    [
        ([], PATHS),
        (["--include", "/docs/"], ["/docs/a", "/docs/b"]),
        (["--include", "/docs/", "--include", "blog"], ["/docs/a", "/docs/b", "/blog/c"]),
        (["--exclude", "status"], ["/docs/a", "/docs/b", "/blog/c"]),
        (["--include", "/docs/", "--exclude", "b$"], ["/docs/a"]),
        (["--include", "(?i)/DOCS/A"], ["/docs/a"]),
    ],
)
def test_include_and_exclude_choose_the_urls_checked(server, run_fetchpool, tmp_path, args, kept):
    urls = write_lines(tmp_path / "urls.txt", [server.url(path) for path in PATHS])
    done = run_fetchpool("-q", "-f", "jsonl", *args, str(urls))
    rows = parse_jsonl(done.stdout)
    assert [row["url"] for row in rows] == [server.url(path) for path in kept]
    assert [row["line"] for row in rows] == [PATHS.index(path) + 1 for path in kept]
    assert sorted(seen.path for seen in server.log) == sorted(kept)


def test_the_summary_counts_the_lines_left_out(server, run_fetchpool, tmp_path):
    urls = write_lines(tmp_path / "urls.txt", [server.url(path) for path in PATHS])
    done = run_fetchpool("--exclude", "docs", str(urls))
    assert done.stderr.decode().rstrip().endswith("; 2 lines not selected")


@pytest.mark.parametrize("option", ["--include", "--exclude"])
def test_a_bad_regular_expression_is_a_usage_error(server, run_fetchpool, tmp_path, option):
    urls = write_lines(tmp_path / "urls.txt", [server.url("/")])
    done = run_fetchpool(option, "docs(", str(urls))
    assert done.returncode == 2
    [line] = done.stderr.decode().splitlines()
    assert line.startswith(f"fetchpool: error: Invalid value for '{option}': 'docs(' is not a")
    assert server.log == []


def test_dedupe_fetches_each_url_once_and_answers_every_line(server, run_fetchpool, tmp_path):
    slow = server.url("/delay/0.3")
    lines = [slow, server.url("/status/404"), slow, f"{slow}#part", server.url("/status/404")]
    urls = write_lines(tmp_path / "urls.txt", lines)
    done = run_fetchpool("-q", "-f", "jsonl", "--dedupe", str(urls))
    rows = parse_jsonl(done.stdout)
    assert [(row["url"], row["line"], row["status"]) for row in rows] == [
        (lines[0], 1, 200),
        (lines[1], 2, 404),
        (lines[2], 3, 200),
        (lines[3], 4, 200),
        (lines[4], 5, 404),
    ]
    assert sorted(seen.path for seen in server.log) == ["/delay/0.3", "/status/404"]
    assert done.returncode == 1


def test_without_dedupe_every_line_is_fetched(server, run_fetchpool, tmp_path):
    urls = write_lines(tmp_path / "urls.txt", [server.url("/status/200")] * 3)
    done = run_fetchpool("-q", str(urls))
    assert done.returncode == 0
    assert len(server.log) == 3


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("https://Example.COM/a#x", "https://example.com/a", True),
        ("HTTPS://example.com/a", "https://example.com/a", True),
        ("https://example.com/A", "https://example.com/a", False),
        ("https://example.com/a?x=1", "https://example.com/a?x=2", False),
        ("https://User@example.com/", "https://user@example.com/", False),
        ("not a url", "not a url", True),
    ],
)
def test_urls_are_the_same_fetch_when_only_case_of_host_or_fragment_differ(first, second, same):
    assert (url_key(first) == url_key(second)) is same


def _split_and_joined(url: str, keep_fragment: bool) -> str:
    """url_key as it was before the usual URL was matched instead of split and joined."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    userinfo, at, hostport = parts.netloc.rpartition("@")
    fragment = parts.fragment if keep_fragment else ""
    netloc = f"{userinfo}{at}{hostport.lower()}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, fragment))


_PIECES = st.lists(
    st.sampled_from(
        ["a", "Z", "0", "-", ".", "/", "?", "#", "@", ":", "%41", " ", "\t", "\n", "é", "[", "]"]
    ),
    max_size=8,
).map("".join)


@settings(max_examples=500)
@example("http://", "a.test", "", "/x?", False)  # joining drops an empty query
@example("https://", "a.test", ":80", "?", True)
@example("http://", "a.test", "", "/#", True)  # and an empty fragment
@example("http://", "a.test", "", "/a#b", False)
@example("http://", "a.test", "", "/a\tb", False)  # splitting drops a tab
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTP://", "hTtps://", "ftp://", "http:/", ""]),
    host=st.sampled_from(["a.test", "A.test", "a.test.", "u:p@a.test", "[::1]", "é.test", ""]),
    port=st.sampled_from(["", ":80", ":", ":99999", ":x"]),
    rest=_PIECES,
    keep_fragment=st.booleans(),
)
def test_a_url_s_key_is_what_splitting_and_joining_give(scheme, host, port, rest, keep_fragment):
    url = f"{scheme}{host}{port}{rest}"
    assert url_key(url, keep_fragment) == _split_and_joined(url, keep_fragment)


def test_the_library_applies_selection_and_dedupe_without_the_command(server):
    from fetchpool import Checks, InputLine, Options, Selection

    texts = [server.url("/status/200"), server.url("/skip/me"), server.url("/status/200#again")]
    lines = [InputLine(text, "list", number) for number, text in enumerate(texts, 1)]
    selection = Selection(exclude=(re.compile("skip"),))
    with_checks = Checks(lines, Options(max_workers=2), selection, dedupe=True)
    results = list(with_checks)
    assert [(r.url, r.line, r.status) for r in results] == [(texts[0], 1, 200), (texts[2], 3, 200)]
    assert selection.skipped == 1
    assert [seen.path for seen in server.log] == ["/status/200"]
