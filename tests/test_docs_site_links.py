"""Links to local files read as static sites serve them: a folder's index file
(--index-files) and an extensionless link's file (--fallback-extensions), for relative
and /-rooted links, with #fragments checked in the file the link resolved to."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fetchpool.docs.options import DocumentOptions
from fetchpool.docs.sources import DocumentReader, LocalLine

from .inprocess import run_in_process

NO_INDEX = "no index file (index.html, index.md, README.md) in the folder"
SITE = DocumentOptions(
    index_files=("index.html", "index.md", "README.md"), fallback_extensions=("html", "md")
)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """guide.md, dir/index.md, dir/README.md, readme-only/README.md, empty/ and page.html,
    with README.md linking from the top."""
    (tmp_path / "guide.md").write_text("# Guide\n\n## Usage\n")
    (tmp_path / "page.html").write_text('<h1 id="top">Page</h1>')
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "index.md").write_text("# Dir\n\n## Part\n")
    (tmp_path / "dir" / "README.md").write_text("# Readme\n")
    (tmp_path / "readme-only").mkdir()
    (tmp_path / "readme-only" / "README.md").write_text("# Readme\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "README.md").write_text("# Top\n")
    return tmp_path


def result_of(site: Path, link: str, options: DocumentOptions) -> tuple[bool, str | None, str]:
    """(ok, error, the file the result shows) of ``link`` in ``site``'s README.md."""
    reader = DocumentReader(options)
    result = reader.known_result(LocalLine(link, str(site / "README.md"), 1, tree=str(site)))
    assert result is not None
    shown = os.path.relpath(result.final_url, site) if result.final_url else ""
    return result.ok, result.error, shown


@pytest.mark.parametrize(
    ("link", "today", "as_sites_serve"),
    [
        ("guide", (False, "file not found", "guide"), (True, None, "guide.md")),
        ("guide#usage", (False, "file not found", "guide"), (True, None, "guide.md")),
        ("guide#nope", (False, "file not found", "guide"), (False, "no anchor #nope", "guide.md")),
        ("page", (False, "file not found", "page"), (True, None, "page.html")),
        ("page#top", (False, "file not found", "page"), (True, None, "page.html")),
        ("dir/", (True, None, "dir"), (True, None, "dir/index.md")),
        ("dir", (True, None, "dir"), (True, None, "dir/index.md")),
        ("dir/#part", (True, None, "dir"), (True, None, "dir/index.md")),
        ("dir#nope", (True, None, "dir"), (False, "no anchor #nope", "dir/index.md")),
        ("readme-only/", (True, None, "readme-only"), (True, None, "readme-only/README.md")),
        (
            "empty/",
            (True, None, "empty"),
            (False, NO_INDEX, "empty"),
        ),
        ("guide.md#usage", (True, None, "guide.md"), (True, None, "guide.md")),
        ("gone", (False, "file not found", "gone"), (False, "file not found", "gone")),
    ],
)
def test_a_relative_link_is_read_as_sites_serve_it_only_when_asked(
    site: Path,
    link: str,
    today: tuple[bool, str | None, str],
    as_sites_serve: tuple[bool, str | None, str],
) -> None:
    assert result_of(site, link, DocumentOptions()) == today
    assert result_of(site, link, SITE) == as_sites_serve


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/guide#usage", (True, None, "guide.md")),
        ("/dir/#part", (True, None, "dir/index.md")),
        ("/empty", (False, NO_INDEX, "empty")),
    ],
)
def test_a_rooted_link_under_the_root_dir_is_read_as_sites_serve_it(
    site: Path, link: str, expected: tuple[bool, str | None, str]
) -> None:
    options = DocumentOptions(
        root_dir=str(site),
        index_files=SITE.index_files,
        fallback_extensions=SITE.fallback_extensions,
    )
    assert result_of(site, link, options) == expected


def test_index_files_are_tried_in_the_order_given(site: Path) -> None:
    readme_first = DocumentOptions(index_files=("README.md", "index.md"))
    assert result_of(site, "dir/", readme_first) == (True, None, "dir/README.md")


def test_a_dot_among_the_index_files_lets_the_folder_itself_do(site: Path) -> None:
    options = DocumentOptions(index_files=("index.md", "."))
    assert result_of(site, "empty/", options) == (True, None, "empty")
    assert result_of(site, "dir/", options) == (True, None, "dir/index.md")


def test_a_file_that_exists_wins_over_a_fallback_extension(site: Path) -> None:
    (site / "notes").write_text("plain\n")
    (site / "notes.md").write_text("# Notes\n")
    assert result_of(site, "notes", SITE) == (True, None, "notes")


def test_an_index_file_that_leads_out_of_the_tree_is_not_looked_up(
    site: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text("# Secret\n")
    (site / "empty" / "index.md").symlink_to(outside)
    (site / "linked.md").symlink_to(outside)
    ok, error, shown = result_of(site, "empty/#secret", SITE)
    assert (ok, shown) == (False, "")
    assert error is not None and error.startswith("outside the tree checked")
    assert result_of(site, "linked#secret", SITE)[1] == error


def test_the_command_line_and_the_config_file_set_both(site: Path) -> None:
    (site / "fetchpool.toml").write_text(
        'index-files = ["index.html", "index.md"]\nfallback-extensions = "html,.md"\n'
    )
    (site / "README.md").write_text("[g](guide#usage) [d](dir/#part) [e](empty/)\n")
    readme = str(site / "README.md")
    config = str(site / "fetchpool.toml")
    from_config = run_in_process("-j", "1", "--config", config, "-f", "jsonl", readme)
    rows = [json.loads(line) for line in from_config.stdout.decode().splitlines()]
    assert [(row["ok"], Path(row["final_url"]).name) for row in rows] == [
        (True, "guide.md"),
        (True, "index.md"),
        (False, "empty"),
    ]
    # An empty value on the command line gives today's reading back.
    today = run_in_process(
        "-j", "1", "--config", config, "--index-files", "", "--fallback-extensions", "",
        "-f", "jsonl", readme,
    )  # fmt: skip
    rows = [json.loads(line) for line in today.stdout.decode().splitlines()]
    assert [row["ok"] for row in rows] == [False, True, True]


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--index-files", "docs/index.md", "not a path: 'docs/index.md'"),
        ("--index-files", "..", "not a path: '..'"),
        ("--fallback-extensions", ".", "not a file name extension: '.'"),
        ("--fallback-extensions", "md/x", "not a file name extension: 'md/x'"),
    ],
)
def test_a_bad_name_is_a_usage_error_naming_it(
    site: Path, option: str, value: str, problem: str
) -> None:
    done = run_in_process(option, value, str(site / "README.md"))
    assert done.returncode == 2
    [line] = done.stderr.decode().splitlines()
    assert option in line and problem in line
