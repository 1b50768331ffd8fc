"""robots.txt read as RFC 9309 says: rules, groups, delays, sitemaps, the answers that
stand for "allow all" or "disallow all", and bodies made to break the reader."""

from __future__ import annotations

import pickle
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fetchpool.crawl.robots import MAX_ROBOTS, Robots, robots_url

AGENT = "fetchpool/1.2.3"
SITE = "https://site.example"


def robots(text: str, user_agent: str = AGENT) -> Robots:
    return Robots.parse(text.encode(), user_agent)


# robots_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://site.example/a/b?q=1#f", "https://site.example/robots.txt"),
        ("https://site.example", "https://site.example/robots.txt"),
        ("HTTPS://Site.EXAMPLE/Path", "https://site.example/robots.txt"),
        ("http://site.example:80/x", "http://site.example/robots.txt"),
        ("https://site.example:443/x", "https://site.example/robots.txt"),
        ("http://site.example:443/x", "http://site.example:443/robots.txt"),
        ("https://site.example:8443/x", "https://site.example:8443/robots.txt"),
        ("http://site.example:/x", "http://site.example/robots.txt"),
        ("https://user:secret@site.example/x", "https://site.example/robots.txt"),
        ("https://user@Site.Example:8080/", "https://site.example:8080/robots.txt"),
        ("http://[::1]:8080/x", "http://[::1]:8080/robots.txt"),
        ("http://[::1]/x", "http://[::1]/robots.txt"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/robots.txt"),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/robots.txt"),
    ],
)
def test_robots_url_is_the_origin_with_robots_txt(url: str, expected: str) -> None:
    assert robots_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "site.example/page",
        "mailto:someone@site.example",
        "http://site.example:99999/",
        "http://site.example:port/",
        "http://[::1/",
        "https:///path",
    ],
)
def test_robots_url_refuses_a_url_without_a_host_or_with_a_bad_port(url: str) -> None:
    with pytest.raises(ValueError):
        robots_url(url)


# Rules

RULES = """\
User-agent: *
Disallow: /private/
Allow: /private/public/
Disallow: /*.pdf$
Disallow: /search?
Disallow: /tmp*/cache
Disallow: /*?sessionid=
"""


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/", True),
        ("/about", True),
        ("/private/", False),
        ("/private/notes.html", False),
        ("/private/public/", True),
        ("/private/public/page.html", True),
        ("/report.pdf", False),
        ("/docs/report.pdf", False),
        ("/report.pdf?download=1", True),
        ("/report.pdf.html", True),
        ("/search?q=robots", False),
        ("/search", True),
        ("/searching", True),
        ("/tmp/cache", False),
        ("/tmp-2024/x/cache/y", False),
        ("/tmp/other", True),
        ("/page?sessionid=42", False),
        ("/page?lang=en&sessionid=42", True),
        ("/page?lang=en", True),
        ("/private/#top", False),
    ],
)
def test_rules_with_wildcards_and_end_anchors_decide_each_path(path: str, allowed: bool) -> None:
    assert robots(RULES).allowed(SITE + path) is allowed


@pytest.mark.parametrize(
    ("rules", "path", "allowed"),
    [
        ("Allow: /a\nDisallow: /a/b\nAllow: /a/b/c", "/a/x", True),
        ("Allow: /a\nDisallow: /a/b\nAllow: /a/b/c", "/a/b/x", False),
        ("Allow: /a\nDisallow: /a/b\nAllow: /a/b/c", "/a/b/c/x", True),
        ("Allow: /a/b/c\nDisallow: /a/b\nAllow: /a", "/a/b/x", False),
        ("Disallow: /a/b\nAllow: /a/b/c", "/a/b/c", True),
        ("Disallow: /folder/page\nAllow: /folder/", "/folder/page", False),
        ("Disallow: /page\nAllow: /page", "/page", True),
        ("Disallow: /\nAllow: /$", "/", True),
        ("Disallow: /\nAllow: /$", "/x", False),
    ],
)
def test_the_longest_matching_rule_decides_and_allow_wins_a_tie(
    rules: str, path: str, allowed: bool
) -> None:
    assert robots(f"User-agent: *\n{rules}\n").allowed(SITE + path) is allowed


GROUPS = """\
User-agent: *
Disallow: /

User-agent: FetchPool
Disallow: /private
"""


@pytest.mark.parametrize(
    ("user_agent", "path", "allowed"),
    [
        (AGENT, "/public", True),
        (AGENT, "/private", False),
        ("fetchpool", "/public", True),
        ("fetchpool/2.0 (+https://fetchpool.example/bot)", "/public", True),
        ("otherbot/1.0", "/public", False),
        ("", "/public", False),
    ],
)
def test_a_group_naming_fetchpool_overrides_the_star_group(
    user_agent: str, path: str, allowed: bool
) -> None:
    assert robots(GROUPS, user_agent).allowed(SITE + path) is allowed


def test_a_group_naming_only_the_start_of_the_product_token_does_not_apply() -> None:
    text = "User-agent: fetch\nDisallow: /\n\nUser-agent: *\nDisallow: /private\n"

    rules = robots(text)

    assert rules.allowed(SITE + "/public")
    assert not rules.allowed(SITE + "/private")


def test_without_a_group_for_fetchpool_or_star_everything_is_allowed() -> None:
    assert robots("User-agent: otherbot\nDisallow: /\n").allowed(SITE + "/page")


# Crawl-delay, Request-rate, Sitemap


@pytest.mark.parametrize(
    ("lines", "delay"),
    [
        ("Disallow: /x", None),
        ("Crawl-delay: 5", 5.0),
        ("Crawl-delay: 0.5", 0.5),
        ("Crawl-delay: soon", None),
        ("Request-rate: 1/10s", 10.0),
        ("Request-rate: 6/1m", 10.0),
        ("Crawl-delay: 5\nRequest-rate: 1/10s", 10.0),
        ("Crawl-delay: 20\nRequest-rate: 1/10s", 20.0),
        ("Crawl-delay: 5\nRequest-rate: 10/1s", 5.0),
    ],
)
def test_the_crawl_delay_is_the_larger_of_crawl_delay_and_request_rate(
    lines: str, delay: float | None
) -> None:
    assert robots(f"User-agent: *\n{lines}\n").crawl_delay == delay


def test_the_crawl_delay_is_that_of_the_group_that_applies() -> None:
    text = "User-agent: *\nCrawl-delay: 30\n\nUser-agent: fetchpool\nCrawl-delay: 2\n"

    assert robots(text).crawl_delay == 2.0
    assert robots(text, "otherbot/1.0").crawl_delay == 30.0


def test_sitemaps_are_listed_in_order_each_once_whatever_the_group() -> None:
    text = (
        "Sitemap: https://site.example/b.xml\n"
        "User-agent: otherbot\nDisallow: /\n"
        "Sitemap: https://site.example/a.xml.gz\n"
        "Sitemap: https://site.example/b.xml\n"
    )

    assert robots(text).sitemaps == (
        "https://site.example/b.xml",
        "https://site.example/a.xml.gz",
    )


# Answers


DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def test_a_robots_txt_that_came_is_read() -> None:
    rules = Robots.from_answer(200, DISALLOW_ALL, AGENT)

    assert not rules.allowed(SITE + "/page")
    assert rules.reason is None


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 410, 451])
def test_an_unavailable_robots_txt_allows_everything_whatever_its_body(status: int) -> None:
    rules = Robots.from_answer(status, DISALLOW_ALL, AGENT)

    assert rules.allowed(SITE + "/page")
    assert rules.reason is None
    assert rules.crawl_delay is None


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (500, "robots.txt could not be read (HTTP 500)"),
        (503, "robots.txt could not be read (HTTP 503)"),
        (429, "robots.txt could not be read (HTTP 429)"),
        (None, "robots.txt could not be read (no answer)"),
    ],
)
def test_an_unreachable_robots_txt_disallows_everything_and_says_why(
    status: int | None, reason: str
) -> None:
    rules = Robots.from_answer(status, b"User-agent: *\nAllow: /\n", AGENT)

    assert not rules.allowed(SITE + "/")
    assert not rules.allowed(SITE + "/page")
    assert rules.reason == reason


def test_allow_all_allows_every_url_and_lists_no_sitemap() -> None:
    rules = Robots.allow_all()

    assert rules.allowed(SITE + "/anything?at=all")
    assert rules.sitemaps == ()
    assert rules.crawl_delay is None


# Bodies made to break the reader


def test_a_byte_order_mark_does_not_hide_the_first_line() -> None:
    rules = Robots.parse(b"\xef\xbb\xbf" + DISALLOW_ALL, AGENT)

    assert not rules.allowed(SITE + "/page")


def test_bytes_that_are_not_utf8_spoil_only_their_own_line() -> None:
    body = b"User-agent: *\nDisallow: /\xff\xfe\nDisallow: /private\n"

    rules = Robots.parse(body, AGENT)

    assert not rules.allowed(SITE + "/private")
    assert rules.allowed(SITE + "/public")


def test_a_huge_body_is_read_up_to_max_robots_only() -> None:
    junk = b"zzz junk line that is no directive at all\n" * (10 * 1024 * 1024 // 42)
    body = b"User-agent: *\nDisallow: /early\n" + junk + b"Disallow: /late\n"

    rules = Robots.parse(body, AGENT)

    assert len(rules.text.encode()) <= MAX_ROBOTS
    assert not rules.allowed(SITE + "/early")
    assert rules.allowed(SITE + "/late")


def test_a_line_cut_at_the_limit_is_dropped_rather_than_read_short() -> None:
    head = b"User-agent: *\nDisallow: /\n"
    filler = b"#" * (MAX_ROBOTS - len(head) - 10) + b"\n"
    # Cut after "Allow: /p", the line would allow /public-not and all of /p.
    body = head + filler + b"Allow: /public-area-only\n"
    assert len(head + filler) < MAX_ROBOTS < len(body)

    rules = Robots.parse(body, AGENT)

    assert not rules.allowed(SITE + "/public-not")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_parse_without_raising(body: bytes) -> None:
    rules = Robots.parse(body, AGENT)

    assert isinstance(rules.allowed(SITE + "/a/b?c=d"), bool)


_LINE = st.one_of(
    st.sampled_from(
        ["User-agent: *", "User-agent: fetchpool", "Allow:", "Disallow:", "Crawl-delay:"]
    ),
    st.builds(
        "{}: {}".format,
        st.sampled_from(["Allow", "Disallow", "Crawl-delay", "Request-rate", "Sitemap"]),
        st.text(alphabet="/*$?%=&:.#0123456789afé ツ\t", max_size=12),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=12), st.text(alphabet="/*$?%=&.#0af2Fé", max_size=12))
def test_any_robots_like_text_answers_any_path_without_raising(lines: list[str], path: str) -> None:
    rules = Robots.parse("\n".join(lines).encode(), AGENT)

    assert isinstance(rules.allowed(SITE + "/" + path), bool)
    assert rules.crawl_delay is None or rules.crawl_delay >= 0


@pytest.mark.parametrize("url", ["http://[::1/private", "http://[::1/privé?x=1", "/\ud800"])
def test_a_url_that_cannot_be_split_is_answered_without_raising(url: str) -> None:
    assert isinstance(robots("User-agent: *\nDisallow: /private\n").allowed(url), bool)


# Percent-encoding


@pytest.mark.parametrize(
    ("rule", "path", "allowed"),
    [
        ("/a%2Fb", "/a/b", True),
        ("/a%2Fb", "/a%2fb", False),
        ("/a/b", "/a%2Fb", True),
        ("/a/b", "/a/b", False),
        ("/%7Ejoe", "/~joe", False),
        ("/~joe", "/%7ejoe", False),
        ("/caf%C3%A9", "/café", False),
        ("/café", "/caf%C3%A9", False),
        ("/ツ", "/%E3%83%84", False),
        ("/ツ", "/ツ/page", False),
        ("/ツ", "/ア", True),
        ("/a b", "/a%20b", False),
    ],
)
def test_percent_encoding_is_compared_decoded_except_for_slashes(
    rule: str, path: str, allowed: bool
) -> None:
    assert robots(f"User-agent: *\nDisallow: {rule}\n").allowed(SITE + path) is allowed


# Sharing


def test_rules_survive_pickling_as_their_text() -> None:
    rules = robots(RULES + "Crawl-delay: 3\nSitemap: https://site.example/s.xml\n")

    copy = pickle.loads(pickle.dumps(rules))

    assert copy == rules
    assert copy.crawl_delay == 3.0
    assert copy.sitemaps == ("https://site.example/s.xml",)
    assert not copy.allowed(SITE + "/private/x")
    assert copy.allowed(SITE + "/private/public/x")
    assert len(pickle.dumps(rules)) < 2 * len(rules.text) + 200


def test_disallow_all_survives_pickling_with_its_reason() -> None:
    rules = Robots.from_answer(503, b"", AGENT)

    copy = pickle.loads(pickle.dumps(rules))

    assert copy.reason == "robots.txt could not be read (HTTP 503)"
    assert not copy.allowed(SITE + "/")


def test_threads_sharing_rules_get_the_answers_one_thread_gets() -> None:
    paths = [f"/private/{i}" if i % 3 else f"/page/{i}.pdf?x={i}" for i in range(600)]
    expected = [robots(RULES).allowed(SITE + path) for path in paths]
    shared = robots(RULES)
    threads = 8
    barrier = threading.Barrier(threads)
    answers: list[list[bool]] = [[] for _ in range(threads)]

    def ask(into: list[bool]) -> None:
        barrier.wait()
        into.extend(shared.allowed(SITE + path) for path in paths)

    workers = [threading.Thread(target=ask, args=(answers[i],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert answers == [expected] * threads
