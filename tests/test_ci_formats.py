"""The CI report formats, each read back the way its consumer reads it."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest

from fetchpool.core.results import Result
from fetchpool.render.github import GitHubWriter, annotation_path
from fetchpool.render.junit import JUnitWriter
from fetchpool.render.markdown import MarkdownWriter, code_span

from .ci_support import refused_url, write_lines

# GitHub's workflow-command grammar: ::name key=value,key=value::message, on one line,
# with %, CR and LF escaped in the message and also : and , in property values.
_COMMAND = re.compile(r"::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<message>.*)")
_PROPERTY = re.compile(r"(?P<key>[a-z]+)=(?P<value>[^,:\r\n]*)")
_UNESCAPES = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}


def _unescape(text: str) -> str:
    return re.sub("%25|%0D|%0A|%3A|%2C", lambda match: _UNESCAPES[match.group()], text)


def parse_workflow_commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Each line as (command, properties, message); fails on a line outside the grammar."""
    commands = []
    for line in text.splitlines():
        match = _COMMAND.fullmatch(line)
        assert match, f"not a workflow command: {line!r}"
        assert "%" not in re.sub("%(25|0D|0A)", "", match["message"]), line
        properties = {}
        for part in (match["props"] or "").split(",") if match["props"] else []:
            prop = _PROPERTY.fullmatch(part)
            assert prop, f"bad property {part!r} in {line!r}"
            properties[prop["key"]] = _unescape(prop["value"])
        commands.append((match["name"], properties, _unescape(match["message"])))
    return commands


def parse_junit(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


def test_junit_output_is_one_testcase_per_url_with_failures_and_errors(
    server, run_fetchpool, tmp_path
):
    lines = [server.url("/status/200"), server.url("/status/404"), refused_url()]
    lines += [server.url("/status/503"), "http://exa mple.com/<&>"]
    urls = write_lines(tmp_path / "urls.txt", lines)
    done = run_fetchpool("-r", "0", "-q", "-f", "junit", str(urls))
    root = parse_junit(done.stdout.decode())
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [case.get("name") for case in cases] == lines
    assert [case.get("line") for case in cases] == ["1", "2", "3", "4", "5"]
    assert {case.get("file") for case in cases} == {str(urls)}
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "3", "1")
    assert root.get("tests") == "5"
    assert cases[0].find("failure") is None and cases[0].find("error") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert (failure.get("type"), failure.get("message")) == ("broken", "404 Not Found")
    assert cases[2].find("failure").get("message") == "connection refused"
    error = cases[3].find("error")
    assert (error.get("type"), error.get("message")) == ("inconclusive", "503 Service Unavailable")
    assert cases[4].find("failure").get("message").startswith("invalid URL")


def test_junit_output_stays_well_formed_for_characters_xml_cannot_hold():
    stream = io.StringIO()
    writer = JUnitWriter(stream)
    writer.write(Result("http://x/\x01\x1b]]>", None, False, "invalid URL: \x0b", source="a&b"))
    writer.finish()
    case = parse_junit(stream.getvalue()).find("testsuite/testcase")
    assert case.get("name") == "http://x/\\x01\\x1b]]>"
    assert case.get("classname") == "a&b"


@pytest.mark.parametrize(("seconds", "suite_time"), [(1.25, "1.250"), (None, "6.000")])
def test_junit_suite_time_is_the_wall_time_and_each_testcase_its_own(seconds, suite_time):
    stream = io.StringIO()
    writer = JUnitWriter(stream)
    for number, elapsed in enumerate((1.0, 2.0, 3.0), 1):
        writer.write(Result(f"http://x/{number}", 200, True, elapsed=elapsed))
    writer.finish(seconds)  # None: merged reports, which have no wall time of their own
    root = parse_junit(stream.getvalue())
    assert root.get("time") == root.find("testsuite").get("time") == suite_time
    assert [case.get("time") for case in root.iter("testcase")] == ["1.000", "2.000", "3.000"]


def test_junit_suite_time_of_a_run_is_its_wall_time_not_the_sum(server, run_fetchpool, tmp_path):
    urls = write_lines(tmp_path / "urls.txt", [server.url(f"/delay/0.5/{n}") for n in range(4)])
    done = run_fetchpool("-w", "4", "-f", "junit", str(urls))
    root = parse_junit(done.stdout.decode())
    suite_time = float(root.find("testsuite").get("time"))
    case_times = [float(case.get("time")) for case in root.iter("testcase")]
    # The four URLs were checked at once: the run took about as long as the slowest one.
    assert max(case_times) <= suite_time < sum(case_times)
    assert float(root.get("time")) == suite_time
    # The same wall time as the summary line's.
    summary = re.search(r" in ([0-9.]+) s ", done.stderr.decode())
    assert summary is not None
    assert abs(float(summary.group(1)) - suite_time) <= 0.01


def test_junit_output_for_no_urls_is_an_empty_suite(run_fetchpool, tmp_path):
    urls = write_lines(tmp_path / "urls.txt", ["# nothing to check"])
    done = run_fetchpool("-q", "-f", "junit", str(urls))
    assert done.returncode == 0
    assert parse_junit(done.stdout.decode()).find("testsuite").get("tests") == "0"


def _markdown_tables(text: str) -> list[list[list[str]]]:
    """Each table as rows of cells, split at pipes that are not escaped."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
            if current is None:
                current = []
                tables.append(current)
            current.append(cells)
        else:
            current = None
    return tables


def test_markdown_output_is_a_summary_then_failures_first(server, run_fetchpool, tmp_path):
    lines = [server.url("/status/200"), server.url("/status/404?a|b"), server.url("/status/503")]
    lines.append(server.url("/status/204"))
    urls = write_lines(tmp_path / "urls.txt", lines)
    done = run_fetchpool("-r", "0", "-q", "-f", "markdown", str(urls))
    text = done.stdout.decode()
    assert text.startswith("## fetchpool: 1 broken, 1 inconclusive of 4 URLs\n")
    counts, failures, passes = _markdown_tables(text)
    assert counts[2:] == [
        ["ok", "2"],
        ["broken", "1"],
        ["inconclusive", "1"],
        ["**total**", "**4**"],
    ]
    assert failures[0] == ["URL", "Status", "Class", "Reason", "Where"]
    assert [row[1:4] for row in failures[2:]] == [
        ["404", "broken", "404 Not Found"],
        ["503", "inconclusive", "503 Service Unavailable"],
    ]
    assert failures[2][0] == f"`{server.url('/status/404?a')}\\|b`"
    assert [row[0] for row in passes[2:]] == [f"`{lines[0]}`", f"`{lines[3]}`"]
    assert all(len(row) == len(table[0]) for table in (counts, failures, passes) for row in table)
    assert text.index("### Failures") < text.index("<details>")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://x/", "`http://x/`"),
        ("http://x/a`b", "`` http://x/a`b ``"),
        ("http://x/a|b", "`http://x/a\\|b`"),
    ],
)
def test_markdown_code_spans_survive_backticks_and_pipes(text, expected):
    assert code_span(text) == expected


def test_markdown_output_when_everything_is_ok_has_no_failure_table():
    stream = io.StringIO()
    writer = MarkdownWriter(stream)
    writer.write(Result("http://x/", 200, True, source="u.txt", line=1))
    writer.finish()
    assert "### Failures" not in stream.getvalue()
    assert stream.getvalue().startswith("## fetchpool: the URL is ok\n")


def test_github_output_is_an_annotation_on_each_failing_line(server, run_fetchpool, tmp_path):
    lines = [server.url("/status/200"), server.url("/status/404"), server.url("/status/429")]
    urls = write_lines(tmp_path / "urls.txt", lines)
    # An absolute path inside the checkout is given relative to it, as GitHub wants.
    env = {"GITHUB_WORKSPACE": str(tmp_path)}
    done = run_fetchpool("-r", "0", "-q", "-f", "github", str(urls), env=env)
    assert parse_workflow_commands(done.stdout.decode()) == [
        ("error", {"file": "urls.txt", "line": "2", "title": "broken"}, f"{lines[1]} -> 404"),
        (
            "warning",
            {"file": "urls.txt", "line": "3", "title": "inconclusive"},
            f"{lines[2]} -> 429",
        ),
    ]


def test_github_output_escapes_file_names_and_messages(server, run_fetchpool, tmp_path):
    urls = write_lines(tmp_path / "links, 100%: a.txt", [server.url("/status/404?q=%41")])
    env = {"GITHUB_WORKSPACE": ""}
    done = run_fetchpool("-r", "0", "-q", "-f", "github", urls.name, cwd=tmp_path, env=env)
    text = done.stdout.decode()
    assert "file=links%2C 100%25%3A a.txt," in text
    [(_, properties, message)] = parse_workflow_commands(text)
    assert properties["file"] == "links, 100%: a.txt"
    assert message == f"{server.url('/status/404?q=%41')} -> 404"


def test_github_output_for_standard_input_has_no_file(server, run_fetchpool):
    done = run_fetchpool("-r", "0", "-q", "-f", "github", "-", input=server.url("/status/410"))
    [(name, properties, _)] = parse_workflow_commands(done.stdout.decode())
    assert (name, properties) == ("error", {"title": "broken"})


@pytest.mark.parametrize(
    ("source", "workspace", "expected"),
    [
        ("/repo/docs/links.txt", "/repo", "docs/links.txt"),
        ("/elsewhere/links.txt", "/repo", "/elsewhere/links.txt"),
        ("/repo/links.txt", None, "/repo/links.txt"),
    ],
)
def test_github_annotations_name_files_relative_to_the_workspace(source, workspace, expected):
    assert annotation_path(source, workspace) == expected


def test_github_writer_prints_nothing_for_ok_results():
    stream = io.StringIO()
    writer = GitHubWriter(stream, workspace="")
    writer.write(Result("http://x/", 200, True))
    writer.finish()
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".xml", lambda text: parse_junit(text).tag == "testsuites"),
        (".md", lambda text: text.startswith("## fetchpool:")),
    ],
)
def test_output_file_suffix_picks_a_ci_format(server, run_fetchpool, tmp_path, suffix, check):
    urls = write_lines(tmp_path / "urls.txt", [server.url("/status/200")])
    report = tmp_path / f"report{suffix}"
    done = run_fetchpool("-q", "-o", str(report), str(urls))
    assert done.returncode == 0
    assert check(report.read_text(encoding="utf-8"))
