"""A password in a URL is sent, never shown or stored: every format, the progress display,
--dump, reasons, the summary and the --cache file write ``user:***@``."""

from __future__ import annotations

import base64
import io
import json
import time
from urllib.parse import quote

import pytest

from fetchpool.ci.baseline import Baseline
from fetchpool.ci.cache import Cache
from fetchpool.core.inputs import InputLine
from fetchpool.core.pool import PoolState
from fetchpool.core.results import Result
from fetchpool.core.urls import mask_credentials, mask_credentials_in
from fetchpool.render import FORMATS
from fetchpool.render.output import write_report
from fetchpool.render.progress import describe_wait
from fetchpool.render.summary import baseline_lines

from .ci_support import parse_jsonl, write_lines
from .inprocess import run_in_process


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:secret@host/x", "http://user:***@host/x"),
        ("https://user:secret@host:8443/x?q=1#f", "https://user:***@host:8443/x?q=1#f"),
        ("HTTP://User:Secret@Host/", "HTTP://User:***@Host/"),
        ("http://:secret@host/", "http://:***@host/"),
        # The last @ of the authority ends the user info; an @ in the path is the path's.
        ("http://user:p@ss@host/a@b", "http://user:***@host/a@b"),
        ("http://user:secret@[::1]:80/", "http://user:***@[::1]:80/"),
        ("ftp://user:secret@host/", "ftp://user:***@host/"),
        ("//user:secret@host/", "//user:***@host/"),
        # Nothing to hide: no password, an empty one, no user info, not a URL.
        ("http://user@host/", "http://user@host/"),
        ("http://user:@host/", "http://user:@host/"),
        ("http://host/x", "http://host/x"),
        ("http://host/?mail=a@b", "http://host/?mail=a@b"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("user@host", "user@host"),
        ("", ""),
        # Already masked: masking again changes nothing.
        ("http://user:***@host/x", "http://user:***@host/x"),
    ],
)
def test_the_password_of_a_url_is_masked_and_nothing_else_is(url: str, shown: str) -> None:
    assert mask_credentials(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://u:p@[::1",
        "http://u:p@[",
        "http://@",
        "http://:@",
        "@@@",
        "http://u:p@host:99999999/",
        "http://\x00:\udce9@host/",
        "://u:p@h",
        "http://u:p@host\n/x",
    ],
)
def test_masking_never_raises_on_a_malformed_url(url: str) -> None:
    masked = mask_credentials(url)
    assert isinstance(masked, str)
    assert mask_credentials(masked) == masked


def test_every_url_quoted_in_a_reason_is_masked() -> None:
    reason = "redirect to http://a:one@x.test/ then 'https://b:two@y.test/p' failed"
    assert mask_credentials_in(reason) == (
        "redirect to http://a:***@x.test/ then 'https://b:***@y.test/p' failed"
    )


SECRET = "s3cr3t"
LEAKY = Result(
    f"http://user:{SECRET}@a.test/old",
    404,
    False,
    f"too many redirects, last http://user:{SECRET}@a.test/loop",
    0.1,
    f"http://user:{SECRET}@a.test/new",
    1,
    "urls.txt",
    1,
)
LEAKY_OK = Result(
    f"http://user:{SECRET}@b.test/", 200, True, None, 0.1, f"https://user:{SECRET}@b.test/", 1
)


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_no_format_shows_a_password(format_name: str) -> None:
    stream = io.StringIO()
    write_report(iter([LEAKY, LEAKY_OK]), format_name, stream)
    text = stream.getvalue()
    assert SECRET not in text
    assert "user:***@" in text


def test_the_comparison_with_a_baseline_shows_no_password(tmp_path) -> None:
    report = tmp_path / "before.jsonl"
    report.write_text(json.dumps({"url": LEAKY_OK.url, "status": 500, "ok": False}) + "\n")
    baseline = Baseline.load(str(report))
    write_report(iter([LEAKY, LEAKY_OK]), "plain", io.StringIO(), baseline=baseline)
    lines = "\n".join(baseline_lines(baseline))
    assert "1 newly broken, 1 fixed" in lines
    assert SECRET not in lines


@pytest.mark.parametrize(
    "before",
    [
        pytest.param(f"http://user:{SECRET}@c.test/", id="written before masking"),
        pytest.param("http://user:***@c.test/", id="masked"),
    ],
)
def test_a_baseline_matches_the_same_url_with_its_password_masked(tmp_path, before) -> None:
    report = tmp_path / "before.jsonl"
    report.write_text(json.dumps({"url": before, "status": 404, "ok": False}) + "\n")
    baseline = Baseline.load(str(report))
    now = Result(f"http://user:{SECRET}@c.test/", 404, False)
    write_report(iter([now]), "plain", io.StringIO(), baseline=baseline)
    assert [r.url for r in baseline.comparison.still_broken] == ["http://user:***@c.test/"]
    assert baseline.comparison.newly_broken == []


def test_the_progress_display_masks_the_url_it_waits_for() -> None:
    state = PoolState(1, 1, 0, InputLine(f"http://user:{SECRET}@slow.test/"), 90.0)
    assert describe_wait(state, now=100.0) == "waiting for http://user:***@slow.test/ (10 s)"


def test_the_request_is_sent_with_the_password_the_report_hides(server, tmp_path) -> None:
    url = server.url("/status/200").replace("http://", f"http://user:{SECRET}@")
    done = run_in_process("-q", "-f", "jsonl", input=url + "\n")
    assert done.returncode == 0
    assert SECRET not in done.stdout.decode()
    [row] = parse_jsonl(done.stdout)
    assert row["url"] == url.replace(SECRET, "***")
    expected = "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    assert [seen.headers.get("authorization") for seen in server.log] == [expected]


def test_a_redirect_target_with_a_password_is_masked(server) -> None:
    target = server.url("/status/404").replace("http://", f"http://other:{SECRET}@")
    # Percent-encoded in the query, where it is not the URL's own user info.
    start = server.url(f"/redirect-to?url={quote(target, safe='')}")
    done = run_in_process("-f", "jsonl", input=start + "\n")
    [row] = parse_jsonl(done.stdout)
    assert row["final_url"] == target.replace(SECRET, "***")
    assert row["status"] == 404


def test_dump_masks_passwords(tmp_path) -> None:
    page = tmp_path / "page.md"
    page.write_text(f"[a](http://user:{SECRET}@a.test/x) [b](http://user@b.test/)\n")
    done = run_in_process("--dump", str(page))
    assert done.stdout.decode().splitlines() == [
        f"{page}:1:5\thttp://user:***@a.test/x",
        f"{page}:1:38\thttp://user@b.test/",
    ]


def test_the_cache_file_keys_urls_by_their_masked_form(server, tmp_path) -> None:
    url = server.url("/status/200").replace("http://", f"http://user:{SECRET}@")
    urls = write_lines(tmp_path / "urls.txt", [url])
    cache = tmp_path / "cache.json"
    first = run_in_process("-q", "-f", "jsonl", "--cache", str(cache), str(urls))
    assert first.returncode == 0
    assert SECRET not in cache.read_text()
    assert list(json.loads(cache.read_text())["entries"]) == [url.replace(SECRET, "***")]
    second = run_in_process("-q", "-f", "jsonl", "--cache", str(cache), str(urls))
    assert [row["cached"] for row in parse_jsonl(second.stdout)] == [True]
    assert len(server.log) == 1


def test_a_cached_final_url_holds_no_password(tmp_path) -> None:
    cache = Cache(str(tmp_path / "cache.json"), 3600)
    cache.record(Result("http://a.test/", 200, True, final_url=f"http://u:{SECRET}@b.test/"))
    cache.save()
    assert SECRET not in (tmp_path / "cache.json").read_text()


def test_an_error_line_quoting_a_url_masks_its_password() -> None:
    # An ftp:// SOURCE is no web page: it is read as a file's name.
    done = run_in_process(f"ftp://user:{SECRET}@host.test/list.txt")
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "fetchpool: error: cannot read 'ftp://user:***@host.test/list.txt':"
        " No such file or directory (see 'fetchpool --help')"
    ]


def test_a_cache_written_before_masking_loses_its_passwords_at_the_next_save(tmp_path) -> None:
    path = tmp_path / "cache.json"
    url = f"http://user:{SECRET}@a.test/"
    entry = {"checked": time.time(), "status": 200, "final_url": url}
    path.write_text(json.dumps({"fetchpool-cache": 1, "entries": {url: entry}}))
    cache = Cache.load(str(path), 3600)
    cache.record(Result("http://b.test/", 200, True))
    cache.save()
    assert SECRET not in path.read_text()
    assert Cache.load(str(path), 3600).lookup(InputLine(url), lambda status: True) is not None
