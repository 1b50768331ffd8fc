"""--cache and --max-age: recent ok URLs are not fetched again; failures are never kept."""

from __future__ import annotations

import json
import time

import pytest

from fetchpool.core.options import parse_duration

from .ci_support import parse_jsonl, write_lines


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45", 45),
        ("45s", 45),
        ("30m", 1800),
        ("12h", 43200),
        ("1d", 86400),
        ("2w", 1209600),
        ("1h30m", 5400),
        ("1.5h", 5400),
        (" 1D ", 86400),
        ("0", 0),
    ],
)
def test_durations_are_read_with_units(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1x", "h", "1d junk", "-5", "inf", "nan"])
def test_a_duration_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def _entries(path):
    data = json.loads(path.read_text())
    assert data["fetchpool-cache"] == 1
    return data["entries"]


def test_a_second_run_takes_recent_ok_urls_from_the_cache(server, run_fetchpool, tmp_path):
    ok, broken = server.url("/status/200"), server.url("/status/404")
    urls = write_lines(tmp_path / "urls.txt", [ok, broken])
    cache = tmp_path / "cache.json"
    first = run_fetchpool("-q", "-f", "jsonl", "--cache", str(cache), str(urls))
    assert [row["cached"] for row in parse_jsonl(first.stdout)] == [False, False]
    assert list(_entries(cache)) == [ok]  # the failure is not cached
    server.reset()
    second = run_fetchpool("-f", "jsonl", "--cache", str(cache), "--max-age", "1h", str(urls))
    rows = parse_jsonl(second.stdout)
    assert [(row["url"], row["status"], row["cached"]) for row in rows] == [
        (ok, 200, True),
        (broken, 404, False),
    ]
    assert [seen.path for seen in server.log] == ["/status/404"]
    assert "; 1 ok from cache" in second.stderr.decode()
    assert second.returncode == 1


def test_entries_older_than_max_age_are_fetched_again_and_renewed(server, run_fetchpool, tmp_path):
    ok = server.url("/status/200")
    urls = write_lines(tmp_path / "urls.txt", [ok])
    cache = tmp_path / "cache.json"
    old = time.time() - 7200
    entry = {"checked": old, "status": 200, "final_url": ok}
    cache.write_text(json.dumps({"fetchpool-cache": 1, "entries": {ok: entry}}))
    done = run_fetchpool("-q", "-f", "jsonl", "--cache", str(cache), "--max-age", "1h", str(urls))
    assert [row["cached"] for row in parse_jsonl(done.stdout)] == [False]
    assert [seen.path for seen in server.log] == ["/status/200"]
    assert _entries(cache)[ok]["checked"] > old + 3600


def test_a_cached_url_that_now_fails_is_dropped_from_the_cache(server, run_fetchpool, tmp_path):
    gone = server.url("/status/410")
    urls = write_lines(tmp_path / "urls.txt", [gone])
    cache = tmp_path / "cache.json"
    stale = {"checked": time.time() - 7200, "status": 200, "final_url": gone}
    cache.write_text(json.dumps({"fetchpool-cache": 1, "entries": {gone: stale}}))
    done = run_fetchpool("-q", "--cache", str(cache), "--max-age", "1h", str(urls))
    assert done.returncode == 1
    assert _entries(cache) == {}


def test_a_narrower_accept_refetches_what_it_no_longer_counts_as_ok(
    server, run_fetchpool, tmp_path
):
    url = server.url("/status/204")
    urls = write_lines(tmp_path / "urls.txt", [url])
    cache = tmp_path / "cache.json"
    assert run_fetchpool("-q", "--cache", str(cache), str(urls)).returncode == 0
    done = run_fetchpool("-q", "--cache", str(cache), "--accept", "200", str(urls))
    assert done.returncode == 1
    assert len(server.log) == 2


def test_the_cache_is_replaced_whole_and_leaves_no_temporary_files(server, run_fetchpool, tmp_path):
    urls = write_lines(tmp_path / "urls.txt", [server.url(f"/ok/{n}") for n in range(5)])
    cache = tmp_path / "cache.json"
    assert run_fetchpool("-q", "--cache", str(cache), str(urls)).returncode == 0
    assert len(_entries(cache)) == 5
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["cache.json", "cache.json.lock", "urls.txt"]


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("http://example.com/\n", [], "is not a fetchpool cache"),
        ('{"entries": {}}', [], "is not a fetchpool cache"),
        (None, ["--max-age", "soon"], "'soon' is not a duration"),
    ],
)
def test_a_file_that_is_not_a_cache_is_refused_and_left_alone(
    server, run_fetchpool, tmp_path, content, args, message
):
    cache = tmp_path / "cache.json"
    if content is not None:
        cache.write_text(content)
    urls = write_lines(tmp_path / "urls.txt", [server.url("/status/200")])
    done = run_fetchpool("--cache", str(cache), *args, str(urls))
    assert done.returncode == 2
    assert message in done.stderr.decode()
    assert (cache.read_text() if content is not None else None) == content
    assert server.log == []


def test_max_age_without_a_cache_is_a_usage_error(server, run_fetchpool, tmp_path):
    urls = write_lines(tmp_path / "urls.txt", [server.url("/status/200")])
    done = run_fetchpool("--max-age", "1h", str(urls))
    assert done.returncode == 2
    assert "--max-age applies to --cache" in done.stderr.decode()
