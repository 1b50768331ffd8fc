"""What the table shows: the problems alone when SOURCEs are read for their links, every
row for URL lists, as --show says otherwise; and a local link's path only with -v."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from rich.console import Console

from fetchpool.app import Report, table_view
from fetchpool.core.failures import FailureKind
from fetchpool.core.results import Result
from fetchpool.render import make_writer
from fetchpool.render.base import Show, View
from fetchpool.render.output import write_report
from fetchpool.render.table import TableWriter

from .inprocess import FakeEnvironment, run_in_process

FINE = Result("http://a.test/", 200, True, None, 0.1, "http://a.test/", 1, "urls.txt", 1)
GONE = Result("http://b.test/gone", 404, False, None, 0.1, "http://b.test/gone", 1, "urls.txt", 2)
MOVED = Result("http://c.test/old", 200, True, None, 0.1, "http://c.test/new", 1, "urls.txt", 3)
BUSY = Result("http://d.test/", 503, False, None, 0.1, "http://d.test/", 1, "urls.txt", 4)
DISALLOWED = Result(
    "http://e.test/private",
    None,
    False,
    "disallowed by robots.txt",
    source="urls.txt",
    line=5,
    kind=FailureKind.ROBOTS_DISALLOWED,
)
# A link to a file that is there: looked up on disk, its path the final URL.
LOCAL = Result("guide.md", None, True, None, 0.0, "docs/guide.md", 0, "README.md", 3, column=9)


def table(results: list[Result], view: View) -> list[str]:
    """The table's lines for ``results``, 120 columns wide, trailing spaces gone."""
    stream = io.StringIO()
    console = Console(file=stream, width=120, color_system=None)
    writer = TableWriter(stream, console, view)
    for result in results:
        writer.write(result)
    writer.finish()
    return [line.rstrip() for line in stream.getvalue().splitlines()]


def urls_of(lines: list[str]) -> list[str]:
    return [line.split()[0] for line in lines[1:]]


# -- the table writer ----------------------------------------------------------


def test_the_problems_table_has_a_row_for_each_broken_and_inconclusive_result_in_order() -> None:
    lines = table([FINE, GONE, MOVED, DISALLOWED, BUSY], View(problems_only=True))
    assert lines[0].split() == ["URL", "Status", "Time", "Detail"]
    assert urls_of(lines) == [GONE.url, BUSY.url]


def test_the_full_table_has_a_row_for_every_result() -> None:
    lines = table([FINE, GONE, MOVED, DISALLOWED, BUSY], View())
    assert urls_of(lines) == [FINE.url, GONE.url, MOVED.url, DISALLOWED.url, BUSY.url]


def test_with_no_problem_the_table_prints_no_header_but_says_how_many_were_fine() -> None:
    lines = table([FINE, MOVED, DISALLOWED], View(problems_only=True))
    assert lines == ["Nothing broken or inconclusive among 3 URLs."]


def test_with_no_result_the_table_says_the_input_held_no_url() -> None:
    assert table([], View(problems_only=True)) == ["No URLs in the input."]


def test_a_fine_local_link_shows_where_it_is_written_not_the_path_it_resolved_to() -> None:
    (row,) = table([LOCAL], View())[1:]
    assert row.split()[-1] == "README.md:3:9"
    assert "docs/guide.md" not in row


def test_verbose_shows_the_path_a_fine_local_link_resolved_to() -> None:
    (row,) = table([LOCAL], View(verbose=True))[1:]
    assert row.split()[-3:] == ["README.md:3:9", "->", "docs/guide.md"]


def test_a_redirect_target_shows_without_verbose() -> None:
    (row,) = table([MOVED], View())[1:]
    assert row.split()[-2:] == ["->", MOVED.final_url]


@pytest.mark.parametrize("name", ["plain", "jsonl", "csv", "markdown"])
def test_formats_other_than_the_table_write_every_result_whatever_the_view(name: str) -> None:
    stream = io.StringIO()
    writer = make_writer(name, stream, View(problems_only=True))
    for result in (FINE, MOVED, GONE):
        writer.write(result)
    writer.finish()
    assert all(result.url in stream.getvalue() for result in (FINE, MOVED, GONE))


def test_the_tally_the_progress_line_reads_counts_the_rows_the_table_leaves_out() -> None:
    stream = io.StringIO()
    written = write_report(
        iter([FINE, GONE, MOVED]), "table", stream, view=View(problems_only=True)
    )
    assert (written.tally.total, written.tally.ok, written.tally.broken) == (3, 2, 1)
    assert FINE.url not in stream.getvalue()


@pytest.mark.parametrize(
    ("show", "documents", "problems_only"),
    [
        (None, True, True),
        (None, False, False),
        ("all", True, False),
        ("problems", False, True),
    ],
)
def test_the_table_shows_the_problems_for_documents_and_every_row_for_url_lists_unless_told(
    show: Show | None, documents: bool, problems_only: bool
) -> None:
    view = table_view(Report(show=show), documents)
    assert view.problems_only is problems_only


# -- the command -----------------------------------------------------------------


@pytest.fixture
def docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A document with a link to a file that is there and one to a file that is not, under
    the working directory, on a terminal 120 columns wide: each row on one line."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n")
    (tmp_path / "docs" / "index.md").write_text("[guide](guide.md)\n[gone](gone.md)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    return Path("docs", "index.md")


@pytest.fixture
def url_list(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "urls.txt"
    path.write_text(f"{FINE.url}\n{GONE.url}\n")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as web:
        web.add(responses.GET, FINE.url, status=200)
        web.add(responses.GET, GONE.url, status=404)
        yield path


def on_terminal(*args: str) -> tuple[int, str, str]:
    """The command in-process with standard output a terminal: a table."""
    env = FakeEnvironment(stdout_isatty=True)
    done = run_in_process("-r", "0", *args, env=env)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def rows(output: str) -> list[str]:
    """The URL of each row (a row's wrapped lines start with spaces)."""
    return [line.split()[0] for line in output.splitlines()[1:] if not line.startswith(" ")]


def test_documents_on_a_terminal_show_the_problems_and_the_summary_counts_all(
    docs: Path,
) -> None:
    status, output, errors = on_terminal(str(docs))
    assert (status, rows(output)) == (1, ["gone.md"])
    assert errors.startswith("2 URLs: 1 ok, 1 broken, 0 inconclusive in ")


def test_a_url_list_on_a_terminal_shows_every_row(url_list: Path) -> None:
    assert rows(on_terminal(str(url_list))[1]) == [FINE.url, GONE.url]


def test_a_url_list_among_documents_shows_the_problems(url_list: Path, docs: Path) -> None:
    assert rows(on_terminal(str(url_list), str(docs))[1]) == [GONE.url, "gone.md"]


@pytest.mark.parametrize(
    ("show", "expected"),
    [("all", ["guide.md", "gone.md"]), ("problems", ["gone.md"])],
)
def test_show_says_which_rows_documents_get(docs: Path, show: str, expected: list[str]) -> None:
    assert rows(on_terminal("--show", show, str(docs))[1]) == expected


def test_show_problems_leaves_a_url_list_with_its_problems_alone(url_list: Path) -> None:
    assert rows(on_terminal("--show", "problems", str(url_list))[1]) == [GONE.url]


def test_a_config_file_may_set_show_and_verbose(docs: Path, tmp_path: Path) -> None:
    config = tmp_path / "fetchpool.toml"
    config.write_text('show = "all"\nverbose = true\n')
    lines = on_terminal("--config", str(config), str(docs))[1].splitlines()
    assert rows("\n".join(lines)) == ["guide.md", "gone.md"]
    assert lines[1].split()[-2:] == ["->", "docs/guide.md"]


def test_verbose_shows_where_a_local_link_resolved_on_the_command_line(docs: Path) -> None:
    quiet = on_terminal("--show", "all", str(docs))[1].splitlines()[1]
    verbose = on_terminal("--show", "all", "-v", str(docs))[1].splitlines()[1]
    assert quiet.split()[-1] == "docs/index.md:1:9"
    assert verbose.split()[-3:] == ["docs/index.md:1:9", "->", "docs/guide.md"]


def test_plain_output_of_documents_keeps_every_result(docs: Path) -> None:
    done = run_in_process("--show", "problems", str(docs))
    assert [line.split("\t")[0] for line in done.stdout.decode().splitlines()] == [
        "guide.md",
        "gone.md",
    ]


def test_an_unknown_show_value_is_a_usage_error_on_one_line(docs: Path) -> None:
    done = run_in_process("--show", "some", str(docs))
    errors = done.stderr.decode().splitlines()
    assert done.returncode == 2
    assert len(errors) == 1
    assert "--show" in errors[0]


def test_a_missing_anchor_row_does_not_name_its_own_document_twice() -> None:
    missing = Result(
        "#nowhere", None, False, "no anchor #nowhere", 0.0, "docs/a.md", 0, "docs/a.md", 9,
        kind=FailureKind.MISSING_ANCHOR, column=4,
    )  # fmt: skip
    gone = Result(
        "b.md", None, False, "file not found", 0.0, "docs/b.md", 0, "docs/a.md", 10,
        kind=FailureKind.FILE_NOT_FOUND, column=2,
    )  # fmt: skip
    text = "\n".join(table([missing, gone], View(problems_only=True)))
    assert text.count("docs/a.md") == 2  # where each link is written, and no more
    assert "file not found at docs/b.md" in text


def test_links_in_documents_give_the_detail_column_half_the_width() -> None:
    gone = Result(
        "b.md", None, False, "file not found", 0.0, "docs/b.md", 0, "docs/a.md", 10,
        kind=FailureKind.FILE_NOT_FOUND, column=2,
    )  # fmt: skip
    header = table([gone], View())[0]
    assert header.index("Detail") == pytest.approx(60, abs=2)
    assert table([GONE], View())[0].index("Detail") == pytest.approx(80, abs=2)
