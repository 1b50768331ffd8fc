"""The README's examples, checked as a reader would use them.

Every ``fetchpool`` command in the README's shell and YAML code blocks is found here (none
is listed by hand, so a new example is checked as soon as it is written) and parsed by the
command's own Click parser: an option that does not exist, or a value it refuses, fails.
Each one that needs no network then runs as written, in this process, in a temporary folder
where the files it names are made for it (URL lists of a local server, a small docs tree,
reports), and must end as a run does (0 or 1), not with a usage error. The output blocks
the README shows are compared with what a run writes.
"""

from __future__ import annotations

import glob
import gzip
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from fetchpool.cli.main import cli
from fetchpool.status import ExitStatus

from .inprocess import run_in_process
from .server import TestHTTPServer

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SHELL = {"sh", "bash", "shell", "console", "zsh"}
SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")"}
REDIRECTIONS = {">", ">>", "<", ">&", "<&", "&>", ">|"}
SHELL_KEYS = {"run", "script", "before_script", "after_script", "entry", "command"}
# A placeholder a CI system fills in (${{ matrix.shard }}, "$CI_NODE_INDEX", $?).
PLACEHOLDER = re.compile(r"\$\{\{[^}]*\}\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\?")
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# Options that read a file which must be there: Click does not say so for these.
READ_OPTIONS = {"baseline", "config"}


@dataclass(frozen=True)
class CodeBlock:
    language: str
    line: int  # of the README, where the block's text starts
    text: str


@dataclass(frozen=True)
class Example:
    """A ``fetchpool`` command of the README: its words after ``fetchpool``, and the
    environment variables set before it."""

    written: str
    line: int
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def needs_network(self) -> bool:
        return any(_remote(arg) for arg in self.args)

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.written}"


def _remote(arg: str) -> bool:
    """Whether ``arg`` is a web URL on a host other than this machine."""
    if not re.match(r"https?://", arg):
        return False
    return urlsplit(arg).hostname not in LOCAL_HOSTS


def code_blocks(text: str) -> Iterator[CodeBlock]:
    for found in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```", text, re.DOTALL | re.MULTILINE):
        line = text.count("\n", 0, found.start(2)) + 1
        yield CodeBlock(found.group(1).lower(), line, found.group(2))


def without_comment(line: str) -> str:
    """``line`` up to a shell comment: a ``#`` that starts a word outside quotes."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def commands(line: str) -> Iterator[list[str]]:
    """The simple commands of a shell line, redirections left out."""
    lexer = shlex.shlex(
        PLACEHOLDER.sub("1", without_comment(line)), posix=True, punctuation_chars=";&|<>()"
    )
    lexer.whitespace_split = True
    lexer.commenters = ""
    words: list[str] = []
    redirected = False
    for token in lexer:
        if token in SEPARATORS:
            yield words
            words = []
        elif token in REDIRECTIONS:
            redirected = True
        elif redirected:
            redirected = False  # the file redirected to or from
        else:
            words.append(token)
    yield words


def examples_in(text: str, line: int) -> Iterator[Example]:
    """The ``fetchpool`` commands in shell ``text`` (lines joined where a ``\\`` ends one)."""
    for offset, written in enumerate(text.replace("\\\n", " ").splitlines()):
        for words in commands(written.removeprefix("$ ")):
            env: dict[str, str] = {}
            while words and ASSIGNMENT.match(words[0]):
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            if words and re.fullmatch(r"([\w.~-]*/)*fetchpool", words[0]):
                yield Example(written.strip(), line + offset, tuple(words[1:]), env)


def shell_in_yaml(node: object, shell: bool = False) -> Iterator[str]:
    """The strings a CI system runs as shell: under `run:`, `script:` and their like, and
    the command a step that uses fetchpool's GitHub Action runs."""
    if isinstance(node, str) and shell:
        yield node
    elif isinstance(node, dict):
        if str(node.get("uses", "")).startswith("fetchpool/fetchpool"):
            # The GitHub Action: its inputs are the command's options and paths.
            inputs = node.get("with") or {}
            yield f"fetchpool {inputs.get('args', '')} {inputs.get('paths', '')}"
        for key, value in node.items():
            yield from shell_in_yaml(value, shell or key in SHELL_KEYS)
    elif isinstance(node, list):
        for item in node:
            yield from shell_in_yaml(item, shell)


def readme_examples(text: str = README) -> Iterator[Example]:
    for block in code_blocks(text):
        if block.language in SHELL:
            yield from examples_in(block.text, block.line)
        elif block.language in ("yaml", "yml"):
            lines = block.text.splitlines()
            for string in shell_in_yaml(yaml.safe_load(block.text)):
                # However YAML folded it, the string starts on the line that holds its start.
                start = string.strip().splitlines()[0][:40]
                at = next((n for n, line in enumerate(lines) if start in line), 0)
                yield from examples_in(string, block.line + at)


EXAMPLES = list(readme_examples())


# --- the files an example names --------------------------------------------------------------


def local_urls(server: TestHTTPServer) -> str:
    return f"{server.url('/status/200')}\n{server.url('/status/200?again')}\n"


def write_docs(folder: Path, server: TestHTTPServer) -> None:
    """A small docs tree: a README linking to a guide's heading, and both to the local
    server."""
    (folder / "docs").mkdir(parents=True, exist_ok=True)
    if not (folder / "README.md").exists():
        (folder / "README.md").write_text(
            "# Project\n\nSee [the guide](docs/guide.md#usage) and "
            f"[the site]({server.url('/status/200')}).\n"
        )
    (folder / "docs" / "guide.md").write_text(
        f"# Guide\n\n## Usage\n\nSee [usage](#usage) and <{server.url('/')}>.\n"
    )


def make_input(path: Path, server: TestHTTPServer) -> None:
    """Make the missing input ``path`` as an example would have it, by its name."""
    name = path.name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".jsonl"):  # a report, as a run writes it
        done = run_in_process(
            "-q", "-r", "0", "-f", "jsonl", "-o", str(path), "-", input=local_urls(server)
        )
        assert done.returncode == 0, done.stderr
    elif name.endswith((".xml", ".xml.gz")):
        entries = "".join(f"<url><loc>{url}</loc></url>" for url in local_urls(server).split())
        sitemap = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n'
        ).encode()
        path.write_bytes(gzip.compress(sitemap) if name.endswith(".gz") else sitemap)
    elif name.endswith((".md", ".markdown")):
        path.write_text(f"# Page\n\nA [link]({server.url('/status/200')}).\n")
    elif name.endswith((".html", ".htm")):
        path.write_text(f'<h1 id="top">Page</h1><a href="{server.url("/status/200")}">x</a>\n')
    elif name.endswith(".rst"):
        path.write_text(f"Page\n====\n\nA link: {server.url('/status/200')}\n")
    elif name.endswith(".toml"):
        path.write_text("")
    elif "." not in name:  # a folder
        path.mkdir()
        (path / "index.md").write_text(f"# Index\n\n<{server.url('/status/200')}>\n")
    else:
        path.write_text(local_urls(server))


def globbed(args: tuple[str, ...], folder: Path, server: TestHTTPServer) -> list[str]:
    """``args`` as the shell hands them over: a pattern becomes the names it matches (one
    made to match it first, when nothing does)."""
    out: list[str] = []
    for arg in args:
        if not arg.startswith("-") and re.search(r"[*?[]", arg):
            if not glob.glob(arg, root_dir=folder):
                make_input(folder / re.sub(r"[*?]|\[[^]]*\]", "1", arg), server)
            out += sorted(glob.glob(arg, root_dir=folder))
        else:
            out.append(arg)
    return out


def command_of(args: list[str]) -> tuple[click.Command, list[str]]:
    if args[:1] == ["merge"]:
        return cli.commands["merge"], args[1:]
    return cli, args


def inputs_named(args: list[str]) -> list[str]:
    """The files and folders ``args`` give the command to read, as its own parser sees it."""
    command, rest = command_of(args)
    ctx = command.make_context("fetchpool", list(rest), resilient_parsing=True)
    named: list[str] = []
    for param in command.get_params(ctx):
        value = ctx.params.get(param.name or "")
        values = value if isinstance(value, tuple) else (value,)
        kind = param.type
        reads = (
            isinstance(param, click.Argument)
            or param.name in READ_OPTIONS
            or (isinstance(kind, click.Path) and kind.exists)
            or (isinstance(kind, click.File) and "r" in kind.mode)
        )
        if reads:
            named += [v for v in values if isinstance(v, str) and v != "-"]
    return [name for name in named if not re.match(r"\w+://", name)]


def prepared(example: Example, folder: Path, server: TestHTTPServer) -> list[str]:
    """The example's arguments, in ``folder`` (the working directory) where every file
    they name to be read is there."""
    write_docs(folder, server)
    args = globbed(example.args, folder, server)
    for name in inputs_named(args):
        if not (folder / name).exists():
            make_input(folder / name, server)
    return args


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_examples_with_and_without_the_network() -> None:
    # Were the blocks no longer found, every test below would pass on nothing.
    assert len(EXAMPLES) >= 20
    assert sum(1 for example in EXAMPLES if not example.needs_network) >= 15
    assert any(example.needs_network for example in EXAMPLES)
    assert any(example.args[:1] == ("merge",) for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_option_an_example_names_exists_and_takes_its_value(
    example: Example, workdir: Path, server: TestHTTPServer
) -> None:
    args = prepared(example, workdir, server)
    command, rest = command_of(args)
    try:
        command.make_context("fetchpool", list(rest))
    except click.UsageError as error:
        pytest.fail(f"{example}: {error.format_message()}")


@pytest.mark.parametrize(
    "example", [example for example in EXAMPLES if not example.needs_network], ids=str
)
def test_each_example_that_needs_no_network_runs_as_written(
    example: Example, workdir: Path, server: TestHTTPServer, run_fetchpool
) -> None:
    args = prepared(example, workdir, server)
    if example.env:
        # Variables for the process (Click's completion among them): the installed command.
        done = run_fetchpool(*args, input=local_urls(server), env=example.env, cwd=workdir)
    else:
        done = run_in_process(*args, input=local_urls(server))
    errors = done.stderr.decode()
    assert "Traceback" not in errors, f"{example}\n{errors}"
    assert done.returncode in (ExitStatus.OK, ExitStatus.NOT_OK), f"{example}\n{errors}"


def test_an_example_with_a_misspelled_option_fails(workdir: Path, server: TestHTTPServer) -> None:
    # What the test above would see of a README that named an option fetchpool lacks.
    [example] = readme_examples("```sh\nfetchpool --max-worker 8 urls.txt  # a typo\n```\n")
    args = prepared(example, workdir, server)
    command, rest = command_of(args)
    with pytest.raises(click.NoSuchOption, match="--max-worker"):
        command.make_context("fetchpool", list(rest))
    assert run_in_process(*args).returncode == ExitStatus.USAGE


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("fetchpool -q urls.txt || echo 'some links are broken'", ["-q", "urls.txt"]),
        ("grep -o 'https://[^ )\"]*' README.md | fetchpool -    # a pipe", ["-"]),
        ("fetchpool urls.txt > results.tsv  # it's a file", ["urls.txt"]),
        (
            'fetchpool merge -q x.jsonl >> "$GITHUB_STEP_SUMMARY" || true',
            ["merge", "-q", "x.jsonl"],
        ),
        ("FETCHPOOL_FORMAT=github fetchpool a.md#top", ["a.md#top"]),
        (
            "fetchpool --shard ${{ matrix.shard }}/4 -o shard-$I.jsonl",
            ["--shard", "1/4", "-o", "shard-1.jsonl"],
        ),
    ],
)
def test_a_command_is_found_in_a_shell_line_as_the_shell_reads_it(
    line: str, words: list[str]
) -> None:
    [example] = examples_in(line, 1)
    assert list(example.args) == words


# --- the output the README shows --------------------------------------------------------------


def output_blocks() -> list[str]:
    return [block.text for block in code_blocks(README) if block.language in ("", "json")]


def plain_example_lines() -> list[str]:
    """The lines of README blocks that show plain output: ``URL<TAB>STATUS[<TAB>reason]``."""
    return [
        line
        for block in output_blocks()
        for line in block.splitlines()
        if re.fullmatch(r"\S+\t(\d{3}|ERR)(\t.*)?", line)
    ]


def test_the_plain_lines_shown_come_out_as_shown() -> None:
    shown = [line for line in plain_example_lines() if not _remote(line.split("\t")[0])]
    assert shown, "the README shows no plain output that needs no network"
    urls = "".join(line.split("\t")[0] + "\n" for line in shown)
    done = run_in_process("-r", "0", "-f", "plain", "-q", input=urls)
    assert done.stdout.decode().splitlines() == shown


def test_the_json_lines_shown_have_the_keys_a_run_writes_in_its_order() -> None:
    shown = [
        json.loads(line)
        for block in output_blocks()
        for line in block.splitlines()
        if line.startswith('{"url":')
    ]
    assert shown
    local = [row for row in shown if not _remote(row["url"])]
    done = run_in_process(
        "-r", "0", "-f", "jsonl", "-q", input="".join(row["url"] + "\n" for row in local)
    )
    written = [json.loads(line) for line in done.stdout.decode().splitlines()]
    for row in shown:
        assert list(row) == list(written[0]), row["url"]
    # Where a run needs no network, it writes what the README shows, but for where the
    # line was and how long it took.
    where = {"elapsed", "source", "line"}
    for row, got in zip(local, written, strict=True):
        assert {k: v for k, v in row.items() if k not in where} == {
            k: v for k, v in got.items() if k not in where
        }


def test_the_csv_shown_has_the_header_a_run_writes() -> None:
    [header] = [
        line for block in output_blocks() for line in block.splitlines() if line.startswith("url,")
    ]
    done = run_in_process("-f", "csv", "-q", input="example.com\n")
    assert done.stdout.decode().splitlines()[0] == header


def test_each_config_file_shown_is_one_fetchpool_reads(workdir: Path) -> None:
    configs = [block.text for block in code_blocks(README) if block.language == "toml"]
    assert configs
    (workdir / "a.md").write_text("# A\n\n[top](#a)\n")
    for config in configs:
        (workdir / "pyproject.toml").write_text(config)
        done = run_in_process("--dump", "a.md")
        assert done.returncode == ExitStatus.OK, (config, done.stderr.decode())


def yaml_mapping(text: str) -> dict[str, Any]:
    loaded = yaml.safe_load(text)
    return loaded if isinstance(loaded, dict) else {}


def test_the_pre_commit_config_shown_names_hooks_this_repository_has() -> None:
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    shown = [
        hook["id"]
        for block in code_blocks(README)
        if block.language == "yaml"
        for repo in yaml_mapping(block.text).get("repos", [])
        if "fetchpool" in repo.get("repo", "")
        for hook in repo.get("hooks", [])
    ]
    assert shown and set(shown) <= hooks
