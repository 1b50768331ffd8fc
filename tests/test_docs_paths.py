"""Document paths are printed one way in every output: as given, relative to the working
directory, with no ``./`` (``fetchpool .`` shows ``README.md`` and ``sub/guide.md``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fetchpool.ci.baseline import Baseline
from fetchpool.core.failures import FailureKind
from fetchpool.core.results import Result
from fetchpool.docs.walk import clean_path
from fetchpool.render import FORMATS

from .inprocess import run_in_process


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tree with a broken link in each of two documents, as the working directory."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "README.md").write_text("# Top\n\nSee [gone](gone.md).\n")
    (tmp_path / "sub" / "guide.md").write_text("# Guide\n\nSee [gone](gone.md).\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return tmp_path


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_every_format_names_the_documents_of_dot_without_a_leading_dot_slash(
    tree: Path, format_name: str
) -> None:
    done = run_in_process("-j", "1", "--offline", "-f", format_name, ".")
    out = done.stdout.decode()
    assert done.returncode == 1
    assert "README.md" in out and os.path.join("sub", "guide.md") in out
    assert "./" not in out and ".\\" not in out


def test_a_folder_named_with_dot_slash_is_shown_as_its_plain_name(tree: Path) -> None:
    done = run_in_process("-j", "1", "--offline", "-f", "jsonl", "./sub/", "./README.md")
    sources = [json.loads(line)["source"] for line in done.stdout.decode().splitlines()]
    assert sources == [os.path.join("sub", "guide.md"), "README.md"]


def test_an_absolute_path_given_stays_absolute(tree: Path) -> None:
    done = run_in_process("-j", "1", "--offline", "-f", "jsonl", str(tree / "sub"))
    [result] = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert result["source"] == str(tree / "sub" / "guide.md")


def test_dump_and_its_complaints_name_documents_as_reports_do(tree: Path) -> None:
    (tree / "sub" / "binary.md").write_bytes(b"\x00\x01")
    done = run_in_process("-j", "1", "--dump", ".")
    assert done.stdout.decode().splitlines() == [
        "README.md:3:12\tgone.md",
        f"{os.path.join('sub', 'guide.md')}:3:12\tgone.md",
    ]
    assert f"skipped {os.path.join('sub', 'binary.md')}:" in done.stderr.decode()
    assert "./" not in done.stderr.decode()


def test_the_summary_lists_newly_broken_links_under_their_plain_source(tree: Path) -> None:
    (tree / "old.jsonl").write_text("")
    done = run_in_process("-j", "1", "--offline", "-f", "jsonl", "--baseline", "old.jsonl", ".")
    assert "README.md:3" in done.stderr.decode()
    assert "./" not in done.stderr.decode()


def test_a_baseline_written_with_dot_slash_sources_still_matches(tree: Path) -> None:
    gone = FailureKind.FILE_NOT_FOUND
    old = Result("gone.md", None, False, "file not found", source="./README.md", line=3, kind=gone)
    (tree / "old.jsonl").write_text(json.dumps(old.to_dict()) + "\n")
    baseline = Baseline.load(str(tree / "old.jsonl"))
    now = Result("gone.md", None, False, "file not found", source="README.md", line=3, kind=gone)
    assert baseline.compare(now) == "still broken"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (".", "."),
        ("./", "."),
        ("./README.md", "README.md"),
        ("docs//a.md", os.path.join("docs", "a.md")),
        ("docs/./a.md", os.path.join("docs", "a.md")),
        ("../other/a.md", os.path.join("..", "other", "a.md")),
        ("/abs/./a.md", os.path.join(os.sep, "abs", "a.md")),
        ("-", "-"),
        ("./-", os.path.join(".", "-")),
        ("https://a.example//x/./y", "https://a.example//x/./y"),
    ],
)
def test_a_path_is_cleaned_of_dot_components_only(given: str, shown: str) -> None:
    assert clean_path(given) == shown
