"""Broken vs inconclusive: the class of each failure, --fail-on and the summary."""

from __future__ import annotations

import csv
import io
import json

import pytest

from fetchpool.core.results import Result, Tally

from .ci_support import parse_jsonl, refused_url, write_lines


@pytest.mark.parametrize(
    ("ok", "status", "error", "expected"),
    [
        (True, 200, None, "ok"),
        (True, 401, None, "ok"),  # accepted with --accept 401: ok is ok
        (False, 404, None, "broken"),
        (False, 410, None, "broken"),
        (False, 400, None, "broken"),
        (False, 301, None, "broken"),  # a redirect --accept does not take
        (False, 403, None, "inconclusive"),
        (False, 429, None, "inconclusive"),
        (False, 401, None, "inconclusive"),
        (False, 451, None, "inconclusive"),
        (False, 500, None, "inconclusive"),
        (False, 503, None, "inconclusive"),
        (False, 999, None, "inconclusive"),
        (False, None, "DNS lookup failed", "broken"),
        (False, None, "connection refused", "broken"),
        (False, None, "invalid URL: contains whitespace", "broken"),
        (False, None, "missing scheme, did you mean https://x.org?", "broken"),
        (False, None, "not a URL", "broken"),
        (False, None, "unsupported scheme 'ftp'", "broken"),
        (False, None, "too many redirects", "broken"),
        (False, None, "not valid UTF-8 (byte 3)", "broken"),
        (False, None, "binary data (a NUL byte in a line over 65,536 bytes); the rest", "broken"),
        (False, None, "timed out", "inconclusive"),
        (False, None, "TLS certificate verify failed", "inconclusive"),
        (False, None, "TLS error", "inconclusive"),
        (False, None, "connection reset", "inconclusive"),
        (False, None, "connection closed by server", "inconclusive"),
        (False, None, "request failed (WeirdError)", "inconclusive"),
    ],
)
def test_a_report_line_without_a_kind_is_classed_by_its_reason_as_before(
    ok, status, error, expected
):
    line = {"url": "https://example.com/", "status": status, "ok": ok, "error": error}
    assert Result.from_dict(line).category == expected


def test_the_tally_counts_broken_and_inconclusive_results_apart():
    tally = Tally()
    for result in (
        Result("a", 200, True),
        Result("b", 404, False),
        Result("c", None, False, "timed out"),
        Result("d", None, False, "DNS lookup failed"),
    ):
        tally.add(result)
    assert (tally.ok, tally.broken, tally.inconclusive) == (1, 2, 1)


def test_every_result_of_a_real_run_carries_its_class(server, run_fetchpool, tmp_path):
    cases = {
        server.url("/status/200"): "ok",
        server.url("/status/404"): "broken",
        server.url("/status/410"): "broken",
        server.url("/status/403"): "inconclusive",
        server.url("/status/429"): "inconclusive",
        server.url("/status/503"): "inconclusive",
        server.url("/delay/10"): "inconclusive",
        refused_url(): "broken",
        "http://exa mple.com/": "broken",
    }
    urls = write_lines(tmp_path / "urls.txt", list(cases))
    # -t 1: long enough for every answer that comes at once, on a busy machine too.
    done = run_fetchpool("-r", "0", "-t", "1", "-f", "jsonl", "-q", str(urls))
    rows = parse_jsonl(done.stdout)
    assert [(row["url"], row["category"]) for row in rows] == list(cases.items())
    assert done.returncode == 1


@pytest.mark.parametrize(
    ("paths", "fail_on", "expected_exit"),
    [
        (["/status/200"], "any", 0),
        (["/status/200"], "broken", 0),
        (["/status/200", "/status/503"], "any", 1),
        (["/status/200", "/status/503", "/status/429"], "broken", 0),
        (["/status/200", "/status/503", "/status/404"], "broken", 1),
    ],
)
def test_fail_on_decides_which_failures_fail_the_run(
    server, run_fetchpool, tmp_path, paths, fail_on, expected_exit
):
    urls = write_lines(tmp_path / "urls.txt", [server.url(path) for path in paths])
    done = run_fetchpool("-r", "0", "--fail-on", fail_on, "-q", str(urls))
    assert done.returncode == expected_exit, done.stderr


def test_the_summary_line_counts_broken_and_inconclusive_urls(server, run_fetchpool, tmp_path):
    paths = ["/status/200", "/status/404", "/status/410", "/status/503"]
    urls = write_lines(tmp_path / "urls.txt", [server.url(path) for path in paths])
    done = run_fetchpool("-r", "0", "-f", "plain", str(urls))
    summary = done.stderr.decode().strip().splitlines()[-1]
    assert summary.startswith("4 URLs: 1 ok, 2 broken, 1 inconclusive in ")


@pytest.mark.parametrize("format_name", ["jsonl", "json", "csv"])
def test_machine_formats_show_the_class_kind_source_and_line(
    server, run_fetchpool, tmp_path, format_name
):
    urls = write_lines(tmp_path / "urls.txt", ["# a comment", server.url("/status/404")])
    done = run_fetchpool("-r", "0", "-q", "-f", format_name, str(urls))
    text = done.stdout.decode()
    if format_name == "jsonl":
        rows = parse_jsonl(text)
    elif format_name == "json":
        rows = json.loads(text)
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["category"] == "broken"
    assert rows[0]["kind"] == "http_status"
    assert str(rows[0]["line"]) == "2"
    assert rows[0]["source"] == str(urls)
