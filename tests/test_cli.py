"""The command: option parsing, usage errors as one line, output choice and exit status."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import responses
from click.testing import CliRunner

import fetchpool.ci.checks
import fetchpool.core.run
from fetchpool import __version__
from fetchpool.cli.main import cli, run
from fetchpool.core.options import DEFAULT_USER_AGENT, Accept, Options, available_cpus

from .inprocess import FakeEnvironment

A = "http://a.test/"
B = "http://b.test/missing"


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


def run_main(*args: str, input: str | bytes | None = None, **isatty: bool) -> Outcome:
    """Run the command in-process with a fake environment (``stdin_isatty=True`` ...)."""
    env = FakeEnvironment(input, **isatty)
    status = run(list(args), env)
    return Outcome(int(status), env.output(), env.errors())


@pytest.fixture
def web() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, A, status=200)
        mock.add(responses.HEAD, A, status=200)
        mock.add(responses.GET, B, status=404)
        yield mock


@pytest.fixture
def urls(tmp_path: Path) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text(f"# two URLs\n{A}\n\n{B}\n")
    return path


@pytest.fixture
def good_urls(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text(f"{A}\n{A}\n")
    return path


@pytest.fixture
def seen_options(monkeypatch: pytest.MonkeyPatch) -> list[Options]:
    """The Options each run was given."""
    seen: list[Options] = []
    real = fetchpool.core.run.Run

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, items, options=None, *args):
            seen.append(options)
            super().__init__(items, options, *args)

    monkeypatch.setattr(fetchpool.ci.checks, "Run", Spy)
    return seen


# -- option values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {}),
        (["-w", "1"], {"max_workers": 1}),
        (["--max-workers", "1024"], {"max_workers": 1024}),
        (["-j", "1"], {"processes": 1}),
        (["--processes", "3"], {"processes": 3}),
        (["-t", "0.5"], {"timeout": 0.5}),
        (["--timeout", "3"], {"timeout": 3.0}),
        (["-m", "7.5"], {"max_time": 7.5}),
        (["--max-time", "60"], {"max_time": 60.0}),
        (["-r", "0"], {"retries": 0}),
        (["--retries", "5"], {"retries": 5}),
        (["--max-retry-wait", "2.5"], {"max_retry_wait": 2.5}),
        (["-X", "HEAD"], {"method": "HEAD"}),
        (["--method", "head"], {"method": "HEAD"}),
        (["-H", "X-A: 1", "--header", "X-B:two"], {"headers": (("X-A", "1"), ("X-B", "two"))}),
        (["-A", "probe/1"], {"user_agent": "probe/1"}),
        (["--user-agent", "a b c"], {"user_agent": "a b c"}),
        (["--no-follow"], {"follow": False}),
        (["--follow"], {"follow": True}),
        (["-a", "200-299,401"], {"accept": Accept(((200, 299), (401, 401)))}),
        (["--accept", "200,404"], {"accept": Accept(((200, 200), (404, 404)))}),
        (["--per-host", "2"], {"per_host": 2}),
        (["--rate", "50.5"], {"rate": 50.5}),
        (["-k"], {"verify": False}),
        (["--insecure"], {"verify": False}),
    ],
)
def test_options_reach_the_run(
    web: responses.RequestsMock,
    good_urls: Path,
    seen_options: list[Options],
    args: list[str],
    expected: dict[str, object],
) -> None:
    outcome = run_main("-q", *args, str(good_urls))
    assert outcome.exit_code == 0, outcome.stderr
    [options] = seen_options
    defaults = {
        "max_workers": 32,
        "processes": available_cpus(),
        "timeout": 10.0,
        "max_time": None,
        "retries": 2,
        "max_retry_wait": 30.0,
        "method": "GET",
        "headers": (),
        "user_agent": DEFAULT_USER_AGENT,
        "follow": True,
        "accept": Accept(((200, 399),)),
        "per_host": None,
        "rate": None,
        "verify": True,
    }
    for name, value in {**defaults, **expected}.items():
        assert getattr(options, name) == value, name


def test_ca_bundle_names_the_file_to_verify_against(
    web: responses.RequestsMock, good_urls: Path, seen_options: list[Options], tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not checked until used\n")
    assert run_main("-q", "--ca-bundle", str(bundle), str(good_urls)).exit_code == 0
    assert seen_options[0].verify == str(bundle)


def test_headers_and_user_agent_are_sent(web: responses.RequestsMock, good_urls: Path) -> None:
    run_main("-q", "-H", "X-Token: t0k", "-A", "probe/3", str(good_urls))
    sent = web.calls[0].request.headers
    assert (sent["X-Token"], sent["User-Agent"]) == ("t0k", "probe/3")


def test_method_head_sends_head(web: responses.RequestsMock, good_urls: Path) -> None:
    assert run_main("-q", "-X", "HEAD", str(good_urls)).exit_code == 0
    assert {call.request.method for call in web.calls} == {"HEAD"}


# -- usage errors: exit 2 and one line naming the problem ------------------------


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["-w", "0"], ["--max-workers", "0"]),
        (["-w", "1025"], ["--max-workers", "1025"]),
        (["-w", "many"], ["--max-workers", "many"]),
        (["-j", "0"], ["--processes", "0"]),
        (["-j", "257"], ["--processes", "257"]),
        (["-t", "0"], ["--timeout", "0"]),
        (["-t", "-1"], ["--timeout"]),
        (["-t", "nan"], ["--timeout", "'nan' is not a number"]),
        (["-t", "inf"], ["--timeout", "'inf' is not a finite number"]),
        (["-m", "nan"], ["--max-time", "'nan' is not a number"]),
        (["--max-retry-wait", "nan"], ["--max-retry-wait", "'nan' is not a number"]),
        (["--rate", "nan"], ["--rate", "'nan' is not a number"]),
        (["-r", "-1"], ["--retries"]),
        (["-X", "POST"], ["--method", "POST"]),
        (["-a", "2xx"], ["--accept", "'2xx'"]),
        (["-a", "299-200"], ["--accept", "'299-200'"]),
        (["-a", ""], ["--accept"]),
        (["-H", "NoColon"], ["--header", "not a header like 'Name: value'"]),
        (["-H", "Bad Name: v"], ["--header", "not a header like 'Name: value'"]),
        (["--host-header", "a b", "X-K: v"], ["--host-header", "'a b' is not a host name"]),
        (["--host-header", "h.test", "NoColon"], ["--host-header", "not a header"]),
        (["--remap", "(x y"], ["--remap", "'(x' is not a regular expression"]),
        (["--remap", "x"], ["--remap", "is not 'REGEX REPLACEMENT'"]),
        (["-f", "xml"], ["--format", "'xml'"]),
        (["--per-host", "0"], ["--per-host"]),
        (["--rate", "0"], ["--rate"]),
        (["--bogus"], ["--bogus"]),
        (["-Z"], ["-Z"]),
        (["-w"], ["-w"]),
        (["--ca-bundle", "/no/such/ca.pem"], ["--ca-bundle", "/no/such/ca.pem"]),
        (["--base-url", "http://[::1"], ["--base-url", "'http://[::1'", "Invalid IPv6 URL"]),
        (["--base-url", "ftp://x"], ["--base-url", "'ftp://x'", "unsupported scheme"]),
        (["--base-url", "foo"], ["--base-url", "'foo'", "not a URL"]),
        (["--base-url", "/docs/"], ["--base-url", "'/docs/'"]),
        (["--base-url", "http://u:pw@h:99999/"], ["--base-url", "u:***@h", "bad port"]),
        (["--root-dir", "/no/such/dir"], ["--root-dir", "/no/such/dir", "does not exist"]),
        (["-A", "probe\r\nX-Evil: 1"], ["-A", "line break"]),
        (["-A", "probe\n"], ["-A", "line break"]),
        (["--user-agent", "probe\x00"], ["-A", "NUL"]),
        (["-H", "X-Token: a\rb"], ["--header", "line break"]),
        (["-H", "X-Token: ü€"], ["--header", "not Latin-1"]),
        (["--host-header", "h.test", "X-Token: ü€"], ["--host-header", "not Latin-1"]),
    ],
)
def test_a_bad_option_is_one_line_on_stderr_and_exit_2(
    web: responses.RequestsMock, good_urls: Path, args: list[str], names: list[str]
) -> None:
    outcome = run_main(*args, str(good_urls))
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith("fetchpool: error: ")
    for name in names:
        assert name in lines[0]
    assert "Traceback" not in outcome.stderr
    assert len(web.calls) == 0


def test_a_root_dir_that_is_a_file_is_a_usage_error(
    web: responses.RequestsMock, good_urls: Path
) -> None:
    outcome = run_main("--root-dir", str(good_urls), str(good_urls))
    assert outcome.exit_code == 2
    [line] = outcome.stderr.splitlines()
    assert "--root-dir" in line and "is a file" in line
    assert len(web.calls) == 0


@pytest.mark.parametrize(
    "url", ["https://example.com/docs/", "http://127.0.0.1:8000", "HTTPS://Example.com/a?b#c"]
)
def test_an_absolute_http_base_url_is_taken(tmp_path: Path, url: str) -> None:
    page = tmp_path / "a.md"
    page.write_text("[here](a.md)\n")
    outcome = run_main("--base-url", url, "--root-dir", str(tmp_path), "--dump", str(page))
    assert outcome.exit_code == 0, outcome.stderr


def test_a_missing_file_is_named_in_one_line_and_exit_2(
    web: responses.RequestsMock, good_urls: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.txt"
    outcome = run_main(str(good_urls), str(missing))
    assert outcome.exit_code == 2
    assert outcome.stderr.splitlines() == [
        f"fetchpool: error: cannot read '{missing}': No such file or directory"
        " (see 'fetchpool --help')"
    ]
    # Checked before anything is fetched, so no result for the good file either.
    assert outcome.stdout == ""
    assert len(web.calls) == 0


def test_a_directory_as_source_is_walked_for_documents(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("[here](a.md) and [gone](b.md)\n")
    outcome = run_main("--offline", "-f", "plain", str(tmp_path))
    assert outcome.exit_code == 1
    assert outcome.stdout.splitlines() == [
        f"a.md\tOK\t\t{tmp_path / 'a.md'}:1:8",
        f"b.md\tERR\tfile not found\t{tmp_path / 'a.md'}:1:25",
    ]


def test_an_unwritable_output_file_is_a_usage_error(
    web: responses.RequestsMock, good_urls: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no-such-dir" / "out.txt"
    outcome = run_main("-o", str(target), str(good_urls))
    assert outcome.exit_code == 2
    assert len(outcome.stderr.splitlines()) == 1
    assert str(target) in outcome.stderr


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_version(flag: str) -> None:
    outcome = run_main(flag)
    assert outcome.exit_code == 0
    assert outcome.stdout == f"fetchpool, version {__version__}\n"


# Every option, as --help shows its names and (where it names its values) their form.
EVERY_OPTION = [
    "--config FILE",
    "-w, --max-workers",
    "-j, --processes",
    "-t, --timeout",
    "-m, --max-time",
    "-r, --retries",
    "--max-retry-wait",
    "-X, --method GET|HEAD",
    "-H, --header 'NAME: VALUE'",
    "--host-header HOST 'NAME: VALUE'",
    "--github-token TOKEN",
    "--remap 'REGEX REPLACEMENT'",
    "-A, --user-agent",
    "--follow / --no-follow",
    "-a, --accept CODES",
    "--per-host",
    "--rate",
    "-k, --insecure",
    "--ca-bundle",
    "--include REGEX",
    "--exclude REGEX",
    "--dedupe",
    "--shard K/N",
    "--cache FILE",
    "--max-age DURATION",
    "--files-from FILE",
    "--input-format [urls|markdown|html|rst]",
    "--offline",
    "--root-dir DIR",
    "--index-files NAMES",
    "--fallback-extensions EXTS",
    "--base-url URL",
    "--check-fragments",
    "--follow-symlinks",
    "--allow-outside",
    "--dump",
    "--crawl",
    "--scope URLPREFIX",
    "--depth N",
    "--max-pages N",
    "--ignore-robots",
    "--fail-on [any|broken|new]",
    "--baseline FILE",
    "-f, --format [table|plain|jsonl|json|csv|junit|markdown|github|sarif]",
    "-o, --output FILE",
    "-q, --quiet",
    "--show [problems|all]",
    "-v, --verbose",
    "-V, --version",
    "-h, --help",
]


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_option(flag: str) -> None:
    outcome = run_main(flag)
    assert outcome.exit_code == 0
    for option in EVERY_OPTION:
        assert f"  {option}" in outcome.stdout, option


def test_every_option_is_in_the_list_help_is_checked_against() -> None:
    context = click.Context(cli, info_name="fetchpool", **cli.context_settings)
    declared = {
        opt for param in cli.get_params(context) for opt in [*param.opts, *param.secondary_opts]
    }
    listed = {word.rstrip(",") for option in EVERY_OPTION for word in option.split()}
    assert {opt for opt in declared if opt.startswith("-")} <= listed


def test_the_click_command_alone_reports_usage_errors_the_click_way() -> None:
    result = CliRunner().invoke(cli, ["-w", "0", "x"])
    assert result.exit_code == 2
    assert "Invalid value for '-w' / '--max-workers'" in result.stderr


# -- exit status -----------------------------------------------------------------


def test_exit_0_when_every_url_is_ok(web: responses.RequestsMock, good_urls: Path) -> None:
    outcome = run_main(str(good_urls))
    assert outcome.exit_code == 0
    assert outcome.stdout == f"{A}\t200\n{A}\t200\n"


def test_exit_1_when_any_url_is_not_ok(web: responses.RequestsMock, urls: Path) -> None:
    outcome = run_main(str(urls))
    assert outcome.exit_code == 1
    assert outcome.stdout == f"{A}\t200\n{B}\t404\n"


def test_exit_1_for_an_invalid_line_which_still_gets_its_result(
    web: responses.RequestsMock, tmp_path: Path
) -> None:
    source = tmp_path / "mixed.txt"
    source.write_bytes(b"example.com\n" + A.encode() + b"\n\xff\n")
    outcome = run_main(str(source))
    assert outcome.exit_code == 1
    assert outcome.stdout.splitlines() == [
        "example.com\tERR\tmissing scheme, did you mean https://example.com?",
        f"{A}\t200",
        "\\xff\tERR\tnot valid UTF-8 (byte 1)",
    ]


def test_accept_changes_the_exit_status(web: responses.RequestsMock, urls: Path) -> None:
    assert run_main("-q", "-a", "200,404", str(urls)).exit_code == 0


def test_an_empty_input_is_all_ok(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n\n")
    outcome = run_main(str(empty))
    assert (outcome.exit_code, outcome.stdout) == (0, "")
    assert outcome.stderr.startswith("0 URLs: 0 ok")


# -- sources -----------------------------------------------------------------------


def test_dash_reads_standard_input(web: responses.RequestsMock) -> None:
    outcome = run_main("-q", "-", input=f"{B}\n{A}\n")
    assert outcome.stdout == f"{B}\t404\n{A}\t200\n"


def test_no_source_reads_standard_input_when_it_is_not_a_terminal(
    web: responses.RequestsMock,
) -> None:
    outcome = run_main("-q", input=f"{A}\n")
    assert (outcome.exit_code, outcome.stdout) == (0, f"{A}\t200\n")


def test_several_sources_are_read_in_order(
    web: responses.RequestsMock, urls: Path, good_urls: Path
) -> None:
    outcome = run_main("-q", "-f", "jsonl", str(good_urls), "-", str(urls), input=f"{B}\n")
    records = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [(r["url"], r["source"], r["line"]) for r in records] == [
        (A, str(good_urls), 1),
        (A, str(good_urls), 2),
        (B, "-", 1),
        (A, str(urls), 2),
        (B, str(urls), 4),
    ]


def test_no_source_on_a_terminal_prints_usage_and_exits_2() -> None:
    outcome = run_main(stdin_isatty=True)
    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("Usage: fetchpool [OPTIONS] [SOURCE]...\n")
    assert "fetchpool: error: no SOURCE given and standard input is a terminal" in outcome.stderr


# -- output ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["plain", "jsonl", "json", "csv", "table"])
def test_format_chooses_the_writer(web: responses.RequestsMock, urls: Path, name: str) -> None:
    outcome = run_main("-q", "-f", name, str(urls))
    assert outcome.exit_code == 1
    text = outcome.stdout
    if name == "plain":
        assert text == f"{A}\t200\n{B}\t404\n"
    elif name == "jsonl":
        assert [json.loads(line)["status"] for line in text.splitlines()] == [200, 404]
    elif name == "json":
        assert [record["url"] for record in json.loads(text)] == [A, B]
    elif name == "csv":
        assert [row["status"] for row in csv.DictReader(io.StringIO(text))] == ["200", "404"]
    else:
        assert "Status" in text
        assert A in text
        assert "404" in text
        assert "\x1b" not in text  # not a terminal: no colour, even in a table


def test_the_default_format_in_a_pipe_is_plain(web: responses.RequestsMock, urls: Path) -> None:
    assert run_main("-q", str(urls)).stdout == f"{A}\t200\n{B}\t404\n"


def test_the_default_format_on_a_terminal_is_a_table(
    web: responses.RequestsMock, urls: Path
) -> None:
    outcome = run_main("-q", str(urls), stdout_isatty=True)
    assert outcome.stdout.splitlines()[0].split() == ["URL", "Status", "Time", "Detail"]


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".json", lambda text: [r["status"] for r in json.loads(text)] == [200, 404]),
        (".jsonl", lambda text: json.loads(text.splitlines()[1])["status"] == 404),
        (".ndjson", lambda text: json.loads(text.splitlines()[0])["status"] == 200),
        (".csv", lambda text: text.startswith("url,status,ok,")),
        (".CSV", lambda text: text.startswith("url,status,ok,")),
        (".txt", lambda text: text == f"{A}\t200\n{B}\t404\n"),
        (".out", lambda text: text == f"{A}\t200\n{B}\t404\n"),
        ("", lambda text: text == f"{A}\t200\n{B}\t404\n"),
    ],
)
def test_output_file_gets_the_results_in_the_format_of_its_suffix(
    web: responses.RequestsMock, urls: Path, tmp_path: Path, suffix: str, check
) -> None:
    target = tmp_path / f"results{suffix}"
    outcome = run_main("-q", "-o", str(target), str(urls))
    assert outcome.exit_code == 1
    assert outcome.stdout == ""
    assert check(target.read_text(encoding="utf-8"))


def test_format_wins_over_the_output_suffix(
    web: responses.RequestsMock, urls: Path, tmp_path: Path
) -> None:
    target = tmp_path / "results.json"
    run_main("-q", "-f", "csv", "-o", str(target), str(urls))
    assert target.read_text().startswith("url,status,ok,")


def test_an_output_file_of_an_empty_run_is_still_valid_json(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    target = tmp_path / "out.json"
    assert run_main("-q", "-o", str(target), str(empty)).exit_code == 0
    assert json.loads(target.read_text()) == []


def test_quiet_writes_nothing_to_stderr(web: responses.RequestsMock, urls: Path) -> None:
    outcome = run_main("-q", str(urls))
    assert outcome.stderr == ""


def test_without_quiet_a_summary_line_ends_stderr(web: responses.RequestsMock, urls: Path) -> None:
    outcome = run_main(str(urls))
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("2 URLs: 1 ok, 1 broken, 0 inconclusive in ")
    assert lines[0].endswith(" URLs/s)")


def test_the_summary_goes_to_stderr_even_with_an_output_file(
    web: responses.RequestsMock, urls: Path, tmp_path: Path
) -> None:
    outcome = run_main("-o", str(tmp_path / "out.txt"), str(urls))
    assert outcome.stderr.startswith("2 URLs:")
