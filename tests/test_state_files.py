"""Files fetchpool reads back (--cache, --baseline, merge's reports) never end a run with a
traceback: too deep or non-finite JSON is a one-line error naming the file, and two runs
sharing a --cache keep each other's entries."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import uuid

import pytest

from fetchpool.ci import cache as cache_module
from fetchpool.ci.cache import Cache
from fetchpool.ci.jsonfile import MAX_DEPTH, BadJson, loads
from fetchpool.core.results import Result

from .ci_support import write_lines
from .inprocess import run_in_process
from .processes import default_signals

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (DEEP, "nested deeper than"),
        ('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), "nested deeper than"),
        ('{"checked": NaN}', "NaN is not a finite number"),
        ("[Infinity]", "Infinity is not a finite number"),
        ('{"elapsed": -Infinity}', "-Infinity is not a finite number"),
        ('{"elapsed": 1e999}', "1e999 is not a finite number"),
        ("1" * 5000, "not JSON"),
        ("[1,", "not JSON"),
    ],
)
def test_json_that_fetchpool_does_not_write_is_refused_with_a_reason(text, problem) -> None:
    with pytest.raises(BadJson, match=problem):
        loads(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": ' * MAX_DEPTH + "1" + "}" * MAX_DEPTH, None),
        ('["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"["]', None),
        ('{"elapsed": 1.5, "status": 200}', {"elapsed": 1.5, "status": 200}),
    ],
)
def test_json_within_the_bounds_is_read_as_json_reads_it(text, value) -> None:
    assert loads(text) == (json.loads(text) if value is None else value)


BAD_FILES = [
    pytest.param(DEEP, "nested deeper than", id="deep"),
    pytest.param('{"url": "http://a.test/", "elapsed": NaN}\n', "NaN", id="nan"),
    pytest.param('{"url": "http://a.test/", "elapsed": Infinity}\n', "Infinity", id="infinity"),
]


def _one_line_error(done, name: str, problem: str) -> None:
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("fetchpool: error: ")
    assert name in lines[0]
    assert problem in lines[0]
    assert "Traceback" not in done.stderr.decode()


@pytest.mark.parametrize(("content", "problem"), BAD_FILES)
def test_a_cache_file_that_is_bad_json_is_a_usage_error_naming_it(tmp_path, content, problem):
    cache = tmp_path / "cache.json"
    cache.write_text(content)
    done = run_in_process("--cache", str(cache), input="http://a.test/\n")
    _one_line_error(done, "cache.json", problem)
    assert cache.read_text() == content


@pytest.mark.parametrize(("content", "problem"), BAD_FILES)
def test_a_baseline_that_is_bad_json_is_a_usage_error_naming_it(tmp_path, content, problem):
    baseline = tmp_path / "before.jsonl"
    baseline.write_text(content)
    done = run_in_process("--baseline", str(baseline), input="http://a.test/\n")
    _one_line_error(done, "before.jsonl", problem)


@pytest.mark.parametrize(("content", "problem"), BAD_FILES)
def test_a_report_to_merge_that_is_bad_json_is_a_usage_error_naming_it(tmp_path, content, problem):
    report = tmp_path / "shard.jsonl"
    report.write_text(content)
    done = run_in_process("merge", str(report))
    _one_line_error(done, "shard.jsonl", problem)


# -- a --cache shared by runs ------------------------------------------------------------


def _cache_entries(path) -> dict:
    return json.loads(path.read_text())["entries"]


def _ok(url: str) -> Result:
    return Result(url, 200, True, final_url=url)


def test_two_runs_that_share_a_cache_keep_each_others_entries(tmp_path) -> None:
    path = str(tmp_path / "cache.json")
    first, second = Cache.load(path, 3600), Cache.load(path, 3600)
    first.record(_ok("http://a.test/1"))
    first.record(_ok("http://a.test/2"))
    second.record(_ok("http://b.test/1"))
    first.save()
    second.save()
    assert sorted(_cache_entries(tmp_path / "cache.json")) == [
        "http://a.test/1",
        "http://a.test/2",
        "http://b.test/1",
    ]


def test_a_url_one_run_found_failing_is_not_brought_back_by_another(tmp_path) -> None:
    cache_file = tmp_path / "cache.json"
    path = str(cache_file)
    earlier = Cache(path, 3600)
    earlier.record(_ok("http://gone.test/"))
    earlier.save()
    first, second = Cache.load(path, 3600), Cache.load(path, 3600)
    first.record(Result("http://gone.test/", 410, False))
    second.record(_ok("http://new.test/"))
    first.save()
    second.save()
    assert list(_cache_entries(cache_file)) == ["http://new.test/"]


@pytest.mark.parametrize("later_saves_first", [True, False])
def test_for_a_url_both_runs_checked_the_later_check_stands(
    tmp_path, monkeypatch, later_saves_first
) -> None:
    # The two checks, then every later reading (the saves).
    clock = itertools.chain([1000.0, 2000.0], itertools.repeat(3000.0))
    monkeypatch.setattr(cache_module.time, "time", lambda: next(clock))
    path = str(tmp_path / "cache.json")
    earlier, later = Cache(path, 1e9), Cache(path, 1e9)
    earlier.record(Result("http://a.test/", 200, True, final_url="http://a.test/old"))
    later.record(Result("http://a.test/", 204, True, final_url="http://a.test/new"))
    for cache in (later, earlier) if later_saves_first else (earlier, later):
        cache.save()
    entry = _cache_entries(tmp_path / "cache.json")["http://a.test/"]
    assert (entry["checked"], entry["status"], entry["final_url"]) == (
        2000.0,
        204,
        "http://a.test/new",
    )


def test_the_cache_is_written_under_the_lock_and_read_again_under_it(tmp_path, monkeypatch) -> None:
    fcntl = pytest.importorskip("fcntl")
    path = str(tmp_path / "cache.json")
    held: list[bool] = []

    def lock_is_held() -> bool:
        descriptor = os.open(f"{path}.lock", os.O_RDWR)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)
        return False

    def reading(path: str) -> dict:
        held.append(lock_is_held())
        return read_entries(path)

    def writing(path: str, entries: dict) -> None:
        held.append(lock_is_held())
        write_entries(path, entries)

    read_entries, write_entries = cache_module._read_entries, cache_module._write_entries
    monkeypatch.setattr(cache_module, "_read_entries", reading)
    monkeypatch.setattr(cache_module, "_write_entries", writing)
    cache = Cache(path, 3600)
    cache.record(_ok("http://a.test/"))
    cache.save()
    assert held == [True, True]
    assert not lock_is_held()


def test_two_fetchpool_processes_sharing_a_cache_keep_both_their_urls(
    server, fetchpool_exe, tmp_path
) -> None:
    # Each run's first URL is answered only once both runs have asked for theirs, so both
    # have read the (empty) cache before either saves: the two saves overlap for sure.
    key = uuid.uuid4().hex
    cache = tmp_path / "cache.json"
    runs = []
    for name in ("a", "b"):
        urls = [server.url(f"/barrier/{key}/2/{name}"), server.url(f"/ok/{name}")]
        source = write_lines(tmp_path / f"{name}.txt", urls)
        runs.append(
            subprocess.Popen(
                [fetchpool_exe, "-q", "--cache", str(cache), str(source)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "NO_COLOR": "1"},
                preexec_fn=default_signals,
            )
        )
    for run in runs:
        _, errors = run.communicate(timeout=60)
        assert (run.returncode, errors) == (0, b"")
    assert sorted(_cache_entries(cache)) == sorted(
        server.url(path)
        for path in (f"/barrier/{key}/2/a", f"/barrier/{key}/2/b", "/ok/a", "/ok/b")
    )
