"""Wider inputs: --files-from lists of paths (a file, standard input, git's list of changed
files) and quoted glob patterns as SOURCE (``**``, .gitignore honoured, none matching)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fetchpool.docs.globs import Glob, is_glob
from fetchpool.docs.sources import git_unquoted

from .inprocess import run_in_process


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git work tree as the working directory: README.md, docs/a.md, docs/sub/b.rst,
    docs/tool.py, docs/ignored/c.md (ignored by docs/.gitignore) and .hidden/d.md, each
    document with one broken link named after it."""
    (tmp_path / ".git").mkdir()
    for path in ("README.md", "docs/a.md", "docs/ignored/c.md", ".hidden/d.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(f"[x](gone-{Path(path).name})\n")
    (tmp_path / "docs" / "sub").mkdir()
    (tmp_path / "docs" / "sub" / "b.rst").write_text("`x <gone-b.rst>`_\n")
    (tmp_path / "docs" / "tool.py").write_text("import os  # https://not.a.link.example/\n")
    (tmp_path / "docs" / ".gitignore").write_text("ignored/\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def results(*args: str, input: str | None = None) -> tuple[int, list[tuple[str, str]], str]:
    """The exit status, (source, url or error) of each result, and standard error."""
    done = run_in_process("-j", "1", "--offline", "-f", "jsonl", *args, input=input)
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    shown = [
        (row["source"], row["url"] if row["kind"] != "unreadable" else row["error"]) for row in rows
    ]
    return done.returncode, shown, done.stderr.decode()


A = (os.path.join("docs", "a.md"), "gone-a.md")
B = (os.path.join("docs", "sub", "b.rst"), "gone-b.rst")
TOP = ("README.md", "gone-README.md")
MISSING = "cannot read: No such file or directory"


def test_a_list_file_names_documents_after_the_sources(repo: Path) -> None:
    (repo / "list.txt").write_text("# changed docs\n\ndocs/a.md\n  docs/sub  \n")
    status, shown, _ = results("README.md", "--files-from", "list.txt")
    assert (status, shown) == (1, [TOP, A, B])


def test_a_list_on_standard_input_skips_blank_lines_and_comments(repo: Path) -> None:
    status, shown, _ = results("--files-from", "-", input="\n# a comment\nREADME.md\r\n\n")
    assert (status, shown) == (1, [TOP])


def test_a_missing_path_in_a_list_is_one_document_not_read(repo: Path) -> None:
    status, shown, errors = results("--files-from", "-", input="gone.md\nREADME.md\n")
    assert (status, shown) == (1, [("gone.md", MISSING), TOP])
    assert "1 document not read" in errors


def test_a_file_that_is_no_document_is_left_out_as_a_folder_walk_leaves_it(repo: Path) -> None:
    status, shown, _ = results("--files-from", "-", input="docs/tool.py\ndocs/a.md\n")
    assert (status, shown) == (1, [A])


def test_the_list_git_diff_gives_works_with_deleted_and_non_document_files(
    repo: Path,
) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("no git")
    shutil.rmtree(repo / ".git")

    def run_git(*args: str) -> str:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        command = [git, "-c", "user.name=t", "-c", "user.email=t@t", *args]
        return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout

    run_git("init", "-q")
    run_git("add", "-A")
    run_git("commit", "-q", "-m", "docs")
    (repo / "docs" / "a.md").unlink()
    (repo / "README.md").write_text("[x](docs/sub/b.rst)\n")
    (repo / "docs" / "tool.py").write_text("print()\n")
    changed = run_git("diff", "--name-only")
    assert changed.splitlines() == ["README.md", "docs/a.md", "docs/tool.py"]
    status, shown, _ = results("--files-from", "-", input=changed)
    assert shown == [("README.md", "docs/sub/b.rst"), (os.path.join("docs", "a.md"), MISSING)]
    assert status == 1  # the deleted file is not read: inconclusive
    status, _, _ = results("--fail-on", "broken", "--files-from", "-", input=changed)
    assert status == 0


def test_a_name_git_quotes_is_the_file_it_names(repo: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("no git")
    (repo / "café.md").write_text("[x](gone-café.md)\n")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    shutil.rmtree(repo / ".git")
    subprocess.run([git, "init", "-q"], check=True, env=env)
    subprocess.run([git, "add", "-N", "café.md"], check=True, env=env)
    changed = subprocess.run(
        [git, "diff", "--name-only"], check=True, capture_output=True, text=True, env=env
    ).stdout
    assert changed == '"caf\\303\\251.md"\n'  # as git writes a name that is not ASCII
    status, shown, _ = results("--files-from", "-", input=changed)
    assert (status, shown) == (1, [("café.md", "gone-café.md")])


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('"caf\\303\\251.md"', "café.md"),
        ('"tab\\there.md"', "tab\there.md"),
        ('"quote\\"d.md"', 'quote"d.md'),
        ('"back\\\\slash.md"', "back\\slash.md"),
        ('"not\\q.md"', None),
        ("plain.md", None),
        ('"', None),
    ],
)
def test_git_quoted_names_are_unquoted_as_git_quoted_them(text: str, path: str | None) -> None:
    assert git_unquoted(text) == path


def test_standard_input_cannot_be_both_the_list_and_a_source(repo: Path) -> None:
    done = run_in_process("--files-from", "-", "-", input="README.md\n")
    assert done.returncode == 2
    assert "standard input can be read once" in done.stderr.decode()


def test_a_list_that_cannot_be_read_is_a_usage_error_naming_it(repo: Path) -> None:
    done = run_in_process("--files-from", "nolist.txt")
    assert done.returncode == 2
    [line] = done.stderr.decode().splitlines()
    assert "--files-from: cannot read 'nolist.txt'" in line


def test_a_list_in_the_config_file_is_relative_to_it(repo: Path) -> None:
    (repo / "docs" / "list.txt").write_text("README.md\n")
    (repo / "docs" / "fetchpool.toml").write_text('files-from = "list.txt"\n')
    status, shown, _ = results("--config", "docs/fetchpool.toml")
    assert (status, shown) == (1, [TOP])


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("docs/**/*.md", [A]),
        ("docs/**", [A, B]),
        ("**/*.md", [TOP, A]),
        ("*.md", [TOP]),
        ("./docs/*/*.rst", [B]),
        ("docs/s?b/*", [B]),
        ("[RX]EADME.md", [TOP]),
    ],
)
def test_a_glob_reads_the_documents_it_matches_as_git_leaves_them(
    repo: Path, pattern: str, expected: list[tuple[str, str]]
) -> None:
    status, shown, _ = results(pattern)
    assert (status, shown) == (1, expected)


def test_a_glob_matching_nothing_is_a_usage_error_naming_it(repo: Path) -> None:
    for pattern in ("nowhere/**/*.md", "docs/ignored/*.md", "docs/*.py"):
        done = run_in_process(pattern)
        assert done.returncode == 2, pattern
        [line] = done.stderr.decode().splitlines()
        assert f"cannot read '{pattern}'" in line and "no document matches" in line


def test_a_file_whose_name_looks_like_a_glob_is_that_file(repo: Path) -> None:
    (repo / "a[1].md").write_text("[x](gone-a1.md)\n")
    assert not is_glob("a[1].md")
    assert results("a[1].md")[1] == [("a[1].md", "gone-a1.md")]


def test_a_glob_walks_only_the_folders_a_match_may_lie_in(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered: list[str] = []
    scandir = os.scandir

    def recording(path: str) -> object:
        entered.append(str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", recording)
    glob = Glob.parse("docs/*.md")
    assert glob.root == "docs"
    assert list(glob.documents()) == [os.path.join("docs", "a.md")]
    assert entered == ["docs"]


def test_a_glob_matches_at_any_depth_without_recursion(tmp_path: Path) -> None:
    deep = Glob.parse("/".join(["d"] * 3000) + "/**/x.md")
    path = os.sep.join(["d"] * 3000 + ["e"] * 3000 + ["x.md"])
    assert deep._wanted(path)
