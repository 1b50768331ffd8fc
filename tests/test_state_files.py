"""Files fetchpool reads back (--cache, --baseline, merge's reports) never end a run with a
traceback: too deep or non-finite JSON is a one-line error naming the file, and two runs
sharing a --cache keep each other's entries."""

from __future__ import annotations

import json

import pytest

from fetchpool.ci.jsonfile import MAX_DEPTH, BadJson, loads

from .inprocess import run_in_process

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
