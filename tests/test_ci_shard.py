"""--shard K/N splits the input by host; `fetchpool merge` puts the shards back together."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fetchpool.ci.selection import Shard, shard_of

from .ci_support import parse_jsonl, write_lines


@pytest.mark.parametrize(
    ("url", "count", "expected"),
    [
        ("https://example.com/a", 4, zlib.crc32(b"example.com") % 4 + 1),
        ("https://EXAMPLE.com./b", 4, zlib.crc32(b"example.com") % 4 + 1),
        ("https://python.org/", 3, zlib.crc32(b"python.org") % 3 + 1),
        ("not a url", 5, zlib.crc32(b"") % 5 + 1),
    ],
)
def test_a_url_belongs_to_the_shard_its_host_hashes_to(url, count, expected):
    assert shard_of(url, count) == expected


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "x", "1/", "-1/3"])
def test_a_shard_that_is_not_k_of_n_is_refused(text):
    with pytest.raises(ValueError):
        Shard.parse(text)


def _hosts_input(server, tmp_path: Path, name: str, count: int) -> tuple[Path, list[str]]:
    # Loopback addresses other than the server's own refuse at once: many hosts, no DNS.
    port = urlsplit(server.base).port
    lines = [
        server.url(f"/status/{200 if n % 3 else 404}?n={n}")
        if n % 4 == 0
        else f"http://127.0.0.{2 + n % 7}:{port}/{name}/{n}"
        for n in range(count)
    ]
    return write_lines(tmp_path / name, lines), lines


def test_shards_cover_the_input_once_with_each_host_in_one_shard(server, run_fetchpool, tmp_path):
    urls, lines = _hosts_input(server, tmp_path, "urls.txt", 24)
    shards = []
    for index in (1, 2, 3):
        done = run_fetchpool("-q", "-r", "0", "-f", "jsonl", "--shard", f"{index}/3", str(urls))
        shards.append(parse_jsonl(done.stdout))
    every = sorted(row["line"] for shard in shards for row in shard)
    assert every == list(range(1, len(lines) + 1))
    hosts = [{urlsplit(row["url"]).hostname for row in shard} for shard in shards]
    assert sum(len(h) for h in hosts) == len(set().union(*hosts)) == 8
    assert sum(1 for shard in shards if shard) >= 2  # the split is not all in one shard


def test_merged_shards_equal_the_whole_run_in_input_order(server, run_fetchpool, tmp_path):
    first, _ = _hosts_input(server, tmp_path, "b-first.txt", 10)
    second, _ = _hosts_input(server, tmp_path, "a-second.txt", 10)
    sources = [str(first), "-", str(second)]
    piped = f"{server.url('/status/200?stdin')}\n{server.url('/status/404?stdin')}\n"
    whole = run_fetchpool("-q", "-r", "0", "-f", "jsonl", *sources, input=piped)
    reports = []
    for index in (1, 2, 3):
        report = tmp_path / f"shard-{index}.jsonl"
        run_fetchpool(
            "-q", "-r", "0", "-o", str(report), "--shard", f"{index}/3", *sources, input=piped
        )
        reports.append(str(report))
    merged = run_fetchpool("merge", "-f", "jsonl", *reversed(reports))
    assert merged.returncode == whole.returncode == 1

    def key(row):
        return row["source"], row["line"], row["url"], row["status"], row["category"]

    assert [key(row) for row in parse_jsonl(merged.stdout)] == [
        key(row) for row in parse_jsonl(whole.stdout)
    ]
    assert "merged 3 reports, 22 URLs:" in merged.stderr.decode()


def test_merge_writes_any_format_and_obeys_fail_on(server, run_fetchpool, tmp_path):
    urls = write_lines(
        tmp_path / "urls.txt", [server.url("/status/200"), server.url("/status/503")]
    )
    report = tmp_path / "one.jsonl"
    run_fetchpool("-q", "-r", "0", "-o", str(report), str(urls))
    done = run_fetchpool("merge", "-q", "-f", "junit", "--fail-on", "broken", str(report))
    assert done.returncode == 0
    suite = ET.fromstring(done.stdout).find("testsuite")
    assert (suite.get("tests"), suite.get("errors")) == ("2", "1")


_ROW1 = '{"url": "u", "source": "s", "line": 1}\n'
_ROW2 = '{"url": "u", "source": "s", "line": 2}\n'


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        ({"a.jsonl": "hello\n"}, "a.jsonl:1: not a fetchpool jsonl result"),
        ({"a.jsonl": _ROW2 + _ROW1}, "comes after line 2"),
        ({"a.jsonl": _ROW1, "b.jsonl": _ROW1}, "s:1 is in both a.jsonl and b.jsonl"),
        ({"a.jsonl": _ROW1, "a.jsonl ": None}, "is the same report as"),
        ({"missing.jsonl": None}, "cannot read"),
    ],
)
def test_merging_reports_that_do_not_fit_together_is_an_error(
    run_fetchpool, tmp_path, reports, message
):
    names = []
    for name, content in reports.items():
        if content is not None:
            (tmp_path / name).write_text(content)
        names.append(name.strip())
    done = run_fetchpool("merge", *names, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr.decode().splitlines()[-1]


def test_an_error_line_shows_control_characters_from_a_report_as_escapes(run_fetchpool, tmp_path):
    row = '{"url": "u", "source": "s\\u001b]0;x\\u0007", "line": 1}\n'
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text(row)
    done = run_fetchpool("merge", "a.jsonl", "b.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    assert b"\x1b" not in done.stderr and b"\x07" not in done.stderr
    assert "s\\x1b]0;x\\x07:1 is in both" in done.stderr.decode()


@pytest.mark.parametrize("args", [["./merge"], ["--", "merge"], ["-q", "merge"]])
def test_a_file_named_merge_is_still_a_source(server, run_fetchpool, tmp_path, args):
    write_lines(tmp_path / "merge", [server.url("/status/200")])
    done = run_fetchpool(*args, cwd=tmp_path, env={"FETCHPOOL_FORMAT": "plain"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == f"{server.url('/status/200')}\t200\n"
