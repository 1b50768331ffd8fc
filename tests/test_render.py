"""Output formats: the same results as plain lines, JSON Lines, JSON, CSV and a Rich table."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from typing import Any

import pytest
from rich.console import Console

from fetchpool.ci.baseline import Baseline
from fetchpool.core.failures import FailureKind
from fetchpool.core.inputs import InputLine
from fetchpool.core.pool import PoolState
from fetchpool.core.results import FIELDS, Result, Tally
from fetchpool.render import FORMAT_BY_SUFFIX, FORMATS, make_writer
from fetchpool.render.progress import StatusDisplay, describe_flight, describe_wait
from fetchpool.render.summary import baseline_lines, print_summary, summary_line
from fetchpool.render.table import TableWriter, format_elapsed
from fetchpool.render.text import printable

OK = Result("http://a.test/", 200, True, None, 0.123456789, "http://a.test/", 1, "urls.txt", 1)
REDIRECTED = Result(
    "http://b.test/old", 200, True, None, 1.5, "http://b.test/new", 1, "urls.txt", 2
)
FAILED = Result("http://c.test/gone", 404, False, None, 0.02, "http://c.test/gone", 1, "-", 3)
ERROR = Result("http://d.test/", None, False, "connection refused", 0.01, None, 3, "-", 4)
INVALID = Result("example.com", None, False, "missing scheme, did you mean https://example.com?")
ALL = [OK, REDIRECTED, FAILED, ERROR, INVALID]
ESCAPE = "\x1b"


def render(name: str, results: list[Result]) -> str:
    stream = io.StringIO()
    writer = make_writer(name, stream)
    for result in results:
        writer.write(result)
    writer.finish()
    return stream.getvalue()


def test_plain_is_url_tab_status_with_the_reason_on_errors() -> None:
    assert render("plain", ALL).splitlines() == [
        "http://a.test/\t200",
        "http://b.test/old\t200",
        "http://c.test/gone\t404",
        "http://d.test/\tERR\tconnection refused",
        "example.com\tERR\tmissing scheme, did you mean https://example.com?",
    ]


def test_plain_has_no_escape_codes() -> None:
    assert ESCAPE not in render("plain", ALL)


def test_plain_keeps_one_line_per_result_whatever_the_url_holds() -> None:
    odd = Result("http://a/\tb\nc\rd", None, False, "invalid URL: contains whitespace")
    assert render("plain", [odd]) == (
        "http://a/\\tb\\nc\\rd\tERR\tinvalid URL: contains whitespace\n"
    )


def test_plain_with_no_results_is_empty() -> None:
    assert render("plain", []) == ""


def test_jsonl_is_one_object_per_result_with_every_field() -> None:
    lines = render("jsonl", ALL).splitlines()
    assert len(lines) == len(ALL)
    records = [json.loads(line) for line in lines]
    assert [list(record) for record in records] == [list(FIELDS)] * len(ALL)
    assert records[0] == {
        "url": "http://a.test/",
        "status": 200,
        "ok": True,
        "error": None,
        "elapsed": 0.123457,
        "final_url": "http://a.test/",
        "attempts": 1,
        "source": "urls.txt",
        "line": 1,
        "column": 0,
        "category": "ok",
        "kind": None,
        "cached": False,
        "remapped": None,
    }
    assert [record["kind"] for record in records] == [
        None,
        None,
        "http_status",
        "refused",
        "missing_scheme",
    ]
    assert records[2]["ok"] is False
    assert records[2]["status"] == 404
    assert (records[3]["status"], records[3]["error"], records[3]["final_url"]) == (
        None,
        "connection refused",
        None,
    )


def _as_asdict_gave(result: Result) -> dict[str, Any]:
    """What ``to_dict`` gave when it was built on ``dataclasses.asdict``."""
    data = dataclasses.asdict(result)
    data["elapsed"] = round(result.elapsed, 6)
    data["category"] = result.category
    data["kind"] = None if result.kind is None else result.kind.value
    return {key: data[key] for key in FIELDS}


@pytest.mark.parametrize(
    "result",
    [
        *ALL,
        Result("http://a.test/", 200, True, None, 0.25, "http://a.test/", 1, cached=True),
        Result("http://a.test/", 503, False, None, 1.0000004, "http://a.test/", 3, "-", 9),
        Result("http://a.test/#x", 200, True, source="docs/a.md", line=3, column=17),
        Result("docs/b.md", None, False, "file not found", source="docs/a.md", line=4, column=2),
        Result("http://a.test/", None, False, "DNS lookup failed", kind=FailureKind.DNS_TRY_AGAIN),
        Result("http://a.test/", 200, True, kind=FailureKind.TIMEOUT),  # ok drops the kind
        Result("http://a.test/", None, False, "timed out", 7, kind=FailureKind.TIMEOUT),
    ],
    ids=repr,
)
def test_to_dict_gives_what_asdict_gave_key_for_key_in_order(result: Result) -> None:
    data = result.to_dict()
    expected = _as_asdict_gave(result)
    assert list(data.items()) == list(expected.items())
    assert [type(value) for value in data.values()] == [type(v) for v in expected.values()]


def test_json_is_one_array_of_the_same_objects() -> None:
    data = json.loads(render("json", ALL))
    assert data == [result.to_dict() for result in ALL]


@pytest.mark.parametrize("name", ["json", "jsonl"])
def test_json_keeps_non_ascii_readable(name: str) -> None:
    text = render(name, [Result("https://bücher.example/", 200, True)])
    assert "bücher" in text


def test_json_with_no_results_is_an_empty_array() -> None:
    assert json.loads(render("json", [])) == []


def test_jsonl_with_no_results_is_empty() -> None:
    assert render("jsonl", []) == ""


def test_csv_has_a_header_then_one_row_per_result() -> None:
    rows = list(csv.DictReader(io.StringIO(render("csv", ALL))))
    assert len(rows) == len(ALL)
    assert rows[0] == {
        "url": "http://a.test/",
        "status": "200",
        "ok": "true",
        "error": "",
        "elapsed": "0.123457",
        "final_url": "http://a.test/",
        "attempts": "1",
        "source": "urls.txt",
        "line": "1",
        "column": "0",
        "category": "ok",
        "kind": "",
        "cached": "false",
        "remapped": "",
    }
    assert [row["kind"] for row in rows] == ["", "", "http_status", "refused", "missing_scheme"]
    assert (rows[3]["status"], rows[3]["error"], rows[3]["final_url"]) == (
        "",
        "connection refused",
        "",
    )


def test_csv_quotes_awkward_values() -> None:
    odd = Result('http://a/?q="x",y', None, False, "invalid URL: a, b")
    [row] = list(csv.DictReader(io.StringIO(render("csv", [odd]))))
    assert (row["url"], row["error"]) == ('http://a/?q="x",y', "invalid URL: a, b")


def test_csv_with_no_results_is_just_the_header() -> None:
    text = render("csv", [])
    assert list(csv.reader(io.StringIO(text))) == [list(FIELDS)]


@pytest.mark.parametrize("name", ["plain", "jsonl", "json", "csv"])
def test_flush_pushes_every_written_result_to_the_stream(name: str) -> None:
    class Recording(io.StringIO):
        flushed: list[str]

        def flush(self) -> None:
            self.flushed.append(self.getvalue())

    stream = Recording()
    stream.flushed = []
    writer = make_writer(name, stream)
    writer.write(OK)
    writer.flush()
    assert stream.flushed, "nothing flushed"
    assert "http://a.test/" in stream.flushed[-1]


def test_every_format_has_a_writer_and_unknown_names_are_refused() -> None:
    assert set(FORMATS) == {
        *("table", "plain", "jsonl", "json", "csv"),
        *("junit", "markdown", "github", "sarif"),
    }
    assert set(FORMAT_BY_SUFFIX.values()) <= set(FORMATS)
    with pytest.raises(KeyError):
        make_writer("xml", io.StringIO())


# -- the table -----------------------------------------------------------------


def render_table(results: list[Result], color: bool = True) -> str:
    stream = io.StringIO()
    console = Console(
        file=stream,
        force_terminal=color,
        color_system="truecolor" if color else None,
        width=100,
        highlight=False,
    )
    writer = TableWriter(stream, console)
    for result in results:
        writer.write(result)
    writer.finish()
    return stream.getvalue()


def test_the_table_has_a_header_once_and_a_row_per_result() -> None:
    text = render_table(ALL, color=False)
    # Continuation lines of a folded cell start blank; each row starts with its URL.
    lines = [line for line in text.splitlines() if line[:1].strip()]
    assert lines[0].split() == ["URL", "Status", "Time", "Detail"]
    assert sum("Status" in line for line in lines) == 1
    assert len(lines) == 1 + len(ALL)
    assert lines[1].split()[:3] == ["http://a.test/", "200", "123"]
    assert "-> http://b.test/new" in lines[2]
    assert lines[3].split()[:2] == ["http://c.test/gone", "404"]
    assert "ERR" in lines[4]
    assert "connection refused" in lines[4]


def test_the_table_colours_statuses_by_class() -> None:
    text = render_table([OK, FAILED, ERROR])
    assert ESCAPE in text
    # green for 2xx, bold yellow for a failing 4xx, bold red for no response
    assert re.search(r"\x1b\[32m *200\x1b\[0m", text)
    assert re.search(r"\x1b\[1;33m *404\x1b\[0m", text)
    assert re.search(r"\x1b\[1;31m *ERR\x1b\[0m", text)


def test_the_table_columns_line_up_across_rows() -> None:
    lines = [line for line in render_table(ALL, color=False).splitlines() if line[:1].strip()]
    status_column = lines[0].index("Status") + len("Status")
    for line, result in zip(lines[1:], ALL, strict=True):
        status = "ERR" if result.status is None else str(result.status)
        assert line[status_column - len(status) : status_column] == status


def test_the_table_says_so_when_there_are_no_urls() -> None:
    assert "No URLs in the input." in render_table([], color=False)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0 ms"), (0.1234, "123 ms"), (0.9994, "999 ms"), (1.0, "1.00 s"), (12.345, "12.35 s")],
)
def test_elapsed_time_is_shown_in_ms_below_a_second(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


# -- the summary ---------------------------------------------------------------


def tally_of(results: list[Result]) -> Tally:
    tally = Tally()
    for result in results:
        tally.add(result)
    return tally


def test_the_summary_counts_each_class_with_time_and_rate() -> None:
    line = summary_line(tally_of(ALL), 2.0)
    assert line == "5 URLs: 2 ok, 3 broken, 0 inconclusive in 2.00 s (2.5 URLs/s)"


BUSY = Result("http://e.test/", 503, False, None, 0.1, None, 1, "-", 5)
DISALLOWED = Result(
    "http://f.test/private",
    None,
    False,
    "disallowed by robots.txt",
    kind=FailureKind.ROBOTS_DISALLOWED,
)


@pytest.mark.parametrize(
    ("result", "counts"),
    [
        (OK, "1 URL: 1 ok, 0 broken, 0 inconclusive in "),
        (FAILED, "1 URL: 0 ok, 1 broken, 0 inconclusive in "),
        (ERROR, "1 URL: 0 ok, 1 broken, 0 inconclusive in "),
        (BUSY, "1 URL: 0 ok, 0 broken, 1 inconclusive in "),
        (DISALLOWED, "1 URL: 0 ok, 0 broken, 0 inconclusive, 1 skipped in "),
    ],
)
def test_the_summary_counts_a_result_under_its_class_in_the_class_s_own_word(
    result: Result, counts: str
) -> None:
    assert summary_line(tally_of([result]), 1.0).startswith(counts)


def test_the_summary_says_skipped_only_when_a_link_was_skipped() -> None:
    assert "skipped" not in summary_line(tally_of(ALL), 1.0)


def test_the_summary_says_url_for_one() -> None:
    assert summary_line(tally_of([OK]), 0.5).startswith("1 URL: 1 ok,")


def test_the_summary_of_an_interrupted_run_says_so() -> None:
    line = summary_line(tally_of([OK]), 1.0, unreported=3)
    assert line.startswith("interrupted after 1 URL: 1 ok")
    assert line.endswith("; 3 in flight not reported")


def test_the_summary_counts_lines_not_selected_apart_from_skipped_links() -> None:
    line = summary_line(tally_of([OK]), 1.0, not_selected=1)
    assert line.endswith("; 1 line not selected")
    assert "skipped" not in line


def test_the_summary_of_nothing_in_no_time_does_not_divide_by_zero() -> None:
    assert summary_line(Tally(), 0.0) == (
        "0 URLs: 0 ok, 0 broken, 0 inconclusive in 0.00 s (0.0 URLs/s)"
    )


def test_the_summary_is_plain_text_when_not_a_terminal() -> None:
    stream = io.StringIO()
    print_summary("3 URLs: 3 ok", stream, all_ok=True)
    assert stream.getvalue() == "3 URLs: 3 ok\n"


@pytest.mark.parametrize(
    ("results", "counts", "all_ok"),
    [
        ([], (0, 0, 0, 0), True),
        ([OK, REDIRECTED], (2, 0, 0, 0), True),
        ([OK, FAILED], (1, 1, 0, 0), False),
        ([ERROR, INVALID], (0, 2, 0, 0), False),
        ([BUSY, OK], (1, 0, 1, 0), False),
        ([DISALLOWED, OK], (1, 0, 0, 1), True),
    ],
)
def test_the_tally_sorts_results_into_ok_broken_inconclusive_and_skipped(
    results: list[Result], counts: tuple[int, int, int, int], all_ok: bool
) -> None:
    tally = tally_of(results)
    assert (tally.ok, tally.broken, tally.inconclusive, tally.skipped) == counts
    assert tally.total == len(results)
    assert tally.all_ok is all_ok


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (PoolState(running=3, waiting=0, spilled=0), "3 in flight"),
        (PoolState(running=2, waiting=120, spilled=7), "2 in flight · 120 done behind"),
    ],
)
def test_the_progress_shows_requests_in_flight_and_results_done_behind(
    state: PoolState, text: str
) -> None:
    assert describe_flight(state) == text


@pytest.mark.parametrize(
    ("head", "started", "text"),
    [
        ("https://slow.example/", 92.0, "waiting for https://slow.example/ (8 s)"),
        ("https://slow.example/", 99.5, None),
        (None, None, None),
    ],
)
def test_the_progress_names_the_url_the_output_waits_for_once_it_has_waited(
    head: str | None, started: float | None, text: str | None
) -> None:
    line = InputLine(head) if head else None
    assert describe_wait(PoolState(1, 5, 0, line, started), now=100.0) == text


def test_the_progress_display_shows_the_tally_as_it_stands_at_each_refresh() -> None:
    tally = Tally()
    display = StatusDisplay(io.StringIO(), enabled=True, redirect_stdout=False, tally=tally)
    shown = Console(file=io.StringIO(), width=200, record=True)
    with display:
        assert display._progress is not None
        for result in [OK, REDIRECTED, FAILED, ERROR]:
            tally.add(result)
        shown.print(display._progress.get_renderable())
    assert "checked 4 · 2 ok 2 broken 0 inconclusive ·" in shown.export_text()


def test_the_progress_display_counts_skipped_links_once_there_are_any() -> None:
    tally = tally_of([OK, DISALLOWED])
    display = StatusDisplay(io.StringIO(), enabled=True, redirect_stdout=False, tally=tally)
    shown = Console(file=io.StringIO(), width=200, record=True)
    with display:
        assert display._progress is not None
        shown.print(display._progress.get_renderable())
    assert "checked 2 · 1 ok 0 broken 0 inconclusive 1 skipped ·" in shown.export_text()


# -- control characters --------------------------------------------------------

# A URL line that retitles an xterm (OSC 0 ... BEL), DEL and a C1 CSI in a reason, a file
# name with a bell in it, and a redirect target that would turn the text red.
HOSTILE = Result(
    "http://e.test/\x1b]0;pwned\x07",
    None,
    False,
    "invalid URL: \x7f\x9b2J",
    0.0,
    None,
    1,
    "links\x07.txt",
    5,
)
HOSTILE_OK = Result("http://f.test/\x1b[31m", 200, True, None, 0.0, "http://f.test/\x9b1m", 1)
# Any control character but the tabs and line feeds the formats lay out their lines with.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://a/", "http://a/"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
        ("\x00\x1f\x7f\x80\x9f", "\\x00\\x1f\\x7f\\x80\\x9f"),
        ("bücher\u00a0café ☃", "bücher\u00a0café ☃"),
    ],
)
def test_printable_escapes_control_characters_and_nothing_else(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize("name", ["plain", "table", "markdown", "github"])
def test_formats_for_people_show_control_characters_as_escapes(name: str) -> None:
    text = render(name, [HOSTILE, HOSTILE_OK])
    assert CONTROL.search(text) is None, repr(text)
    assert "\\x1b]0;pwned\\x07" in text


def test_the_table_shows_an_escaped_redirect_target() -> None:
    assert "-> http://f.test/\\x9b1m" in render("table", [HOSTILE_OK])


@pytest.mark.parametrize("name", ["jsonl", "json"])
def test_json_keeps_control_characters_exactly_but_never_raw(name: str) -> None:
    text = render(name, [HOSTILE, HOSTILE_OK])
    assert CONTROL.search(text) is None, repr(text)
    records = (
        [json.loads(line) for line in text.splitlines()] if name == "jsonl" else json.loads(text)
    )
    assert [record["url"] for record in records] == [HOSTILE.url, HOSTILE_OK.url]
    assert records[0]["error"] == HOSTILE.error
    assert records[1]["final_url"] == HOSTILE_OK.final_url


def test_jsonl_lines_read_back_as_the_results_written() -> None:
    results = [*ALL, HOSTILE, HOSTILE_OK, Result("http://a.test/#x", 200, True, column=3)]
    lines = render("jsonl", results).split("\n")
    assert lines.pop() == ""
    assert [Result.from_dict(json.loads(line)) for line in lines] == [
        dataclasses.replace(result, elapsed=round(result.elapsed, 6)) for result in results
    ]


def test_json_objects_are_written_compact() -> None:
    assert render("jsonl", [INVALID]) == (
        '{"url":"example.com","status":null,"ok":false,'
        '"error":"missing scheme, did you mean https://example.com?","elapsed":0.0,'
        '"final_url":null,"attempts":0,"source":"-","line":0,"column":0,'
        '"category":"broken","kind":"missing_scheme","cached":false,"remapped":null}\n'
    )


# What orjson would write raw or refuses, each with its escape in the JSON text.
AWKWARD = [
    pytest.param("http://a.test/caf\udce9", "caf\\udce9", id="lone-surrogate"),
    pytest.param("http://a.test/\ud800x", "\\ud800x", id="lone-high-surrogate"),
    pytest.param("http://a.test/\x7f", "/\\u007f", id="del-in-ascii"),
    pytest.param("http://a.test/\x85\x9b\x7f", "\\u0085\\u009b\\u007f", id="del-and-c1"),
    pytest.param("http://a.test/a\u2028b\u2029", "a\\u2028b\\u2029", id="line-separators"),
    pytest.param("http://a.test/\udce9\x9b\u2028", "\\udce9\\u009b\\u2028", id="all-three"),
]


@pytest.mark.parametrize(("url", "escaped"), AWKWARD)
@pytest.mark.parametrize("name", ["jsonl", "json"])
def test_json_escapes_what_a_line_or_utf_8_cannot_hold_and_reads_back_exactly(
    name: str, url: str, escaped: str
) -> None:
    result = Result(url, None, False, f"invalid URL: {url}", source=url[7:], line=2)
    text = render(name, [result])
    text.encode("utf-8")  # no lone surrogate is left to refuse
    assert escaped in text
    assert CONTROL.search(text) is None
    records = [json.loads(line) for line in text.splitlines()] if name == "jsonl" else None
    [record] = records if records is not None else json.loads(text)
    assert (record["url"], record["error"], record["source"]) == (url, result.error, url[7:])
    assert Result.from_dict(record) == result


def test_json_writes_an_integer_past_64_bits_from_a_report_read_back() -> None:
    result = Result("http://a.test/", 200, True, line=2**64)
    assert json.loads(render("jsonl", [result]))["line"] == 2**64


def test_csv_keeps_control_characters_exactly() -> None:
    rows = list(csv.DictReader(io.StringIO(render("csv", [HOSTILE]))))
    assert (rows[0]["url"], rows[0]["error"], rows[0]["source"]) == (
        HOSTILE.url,
        HOSTILE.error,
        HOSTILE.source,
    )


def test_the_progress_display_shows_the_url_it_waits_for_escaped() -> None:
    state = PoolState(1, 0, 0, InputLine("http://e.test/\x1b]0;pwned\x07"), 90.0)
    assert describe_wait(state, now=100.0) == "waiting for http://e.test/\\x1b]0;pwned\\x07 (10 s)"


def test_the_baseline_comparison_lists_urls_escaped() -> None:
    baseline = Baseline("old\x1b.jsonl", {})
    baseline.compare(HOSTILE)
    assert baseline_lines(baseline) == [
        "compared with old\\x1b.jsonl: 1 newly broken, 0 fixed, 0 still broken",
        "newly broken:",
        "  links\\x07.txt:5  http://e.test/\\x1b]0;pwned\\x07 -> invalid URL: \\x7f\\x9b2J",
    ]
