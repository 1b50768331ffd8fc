"""Links found in documents, each with the line and column it is written at (written out
by hand from the fixture documents in tests/documents), and the anchors documents offer."""

from __future__ import annotations

from pathlib import Path

import pytest

from fetchpool.docs.anchors import Slugger
from fetchpool.docs.extract import anchors_of, links_of
from fetchpool.docs.found import Found
from fetchpool.docs.markers import enabled
from fetchpool.docs.options import DocumentKind, kind_of
from fetchpool.docs.walk import documents

DOCUMENTS = Path(__file__).parent / "documents"

EXPECTED = {
    "links.md": [
        ("https://inline.example/a", 3, 18),
        ("https://autolink.example/", 3, 57),
        ("https://bare.example/path?q=1", 4, 12),
        ("images/logo.png", 4, 59),
        ("https://reference.example/", 5, 14),  # reference style: where it is used
        ("https://reference.example/", 5, 32),
        ("https://wrapped.example/", 7, 15),
        ("guide/setup.md#install", 7, 60),
        ("https://raw-html.example/", 8, 10),
        ("https://badge.example/b.svg", 8, 64),  # an image inside a link comes first
        ("https://target.example/", 8, 94),
        ("images/missing.png", 19, 13),
        ("https://skipped.example/", 25, 11),
        ("https://skipped.example/next", 27, 10),
        ("https://skipped.example/block", 29, 16),
        ("#links-in-markdown", 31, 8),
        ("#no-such-heading", 31, 41),
        ("mailto:a@b.example", 31, 71),
    ],
    "guide/setup.md": [
        ("../links.md#links-in-markdown", 7, 21),
        ("../site/index.html#main", 7, 67),
        ("missing.md", 8, 23),
        ("#install-3", 8, 58),
        ("#install-1", 8, 87),
    ],
    "site/index.html": [
        ("style.css", 3, 36),
        ("https://html.example/", 6, 12),
        ("other.html", 7, 12),  # an attribute on the tag's second line
        ("small.png", 8, 16),
        ("large.png", 8, 30),
        ("small.png", 8, 49),
        ("#legacy", 9, 33),
        ("#nowhere", 9, 58),
    ],
    "site/base.html": [
        ("https://base.example/docs/page.html", 2, 16),  # <base href> applies
        ("https://base.example/root", 2, 45),
    ],
    "notes.rst": [
        ("https://rst.example/docs", 4, 16),
        ("https://bare-rst.example/page", 4, 48),
        ("https://anon.example/", 5, 21),
        ("https://target-rst.example/", 7, 13),
        ("images/diagram.png", 9, 12),
        ("https://after.example/", 19, 9),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_link_is_found_where_it_is_written(name: str) -> None:
    text = (DOCUMENTS / name).read_text()
    kind = kind_of(name)
    assert kind is not None
    links = [tuple(found) for found in links_of(text, kind) if isinstance(found, Found)]
    assert links == EXPECTED[name]


def test_code_holds_no_links() -> None:
    text = (DOCUMENTS / "links.md").read_text()
    urls = [found.url for found in enabled(links_of(text, DocumentKind.MARKDOWN))]
    assert not any("code.example" in url for url in urls)
    assert "https://unused.example/" not in urls  # a definition never used is no link


def test_markers_leave_lines_out() -> None:
    text = (DOCUMENTS / "links.md").read_text()
    lines = {found.line for found in enabled(links_of(text, DocumentKind.MARKDOWN))}
    assert lines == {3, 4, 5, 7, 8, 19, 31}


@pytest.mark.parametrize(
    ("name", "anchors"),
    [
        ("guide/setup.md", {"setup", "install", "install-1"}),
        ("site/index.html", {"main", "legacy"}),
        ("notes.rst", {"notes", "target"}),
    ],
)
def test_anchors_are_headings_ids_and_names(name: str, anchors: set[str]) -> None:
    kind = kind_of(name)
    assert kind is not None
    assert anchors_of((DOCUMENTS / name).read_text(), kind) == anchors


@pytest.mark.parametrize(
    ("headings", "slugs"),
    [
        (["Set-up: two commands"], ["set-up-two-commands"]),
        (["What's new?"] * 3, ["whats-new", "whats-new-1", "whats-new-2"]),
        (["Über_Größe 2.0"], ["über_größe-20"]),
        (["  Spaces  around "], ["spaces--around"]),
    ],
)
def test_headings_become_anchors_by_githubs_rule(headings: list[str], slugs: list[str]) -> None:
    slugger = Slugger()
    assert [slugger.slug(heading) for heading in headings] == slugs


def test_a_folder_is_walked_for_documents_honouring_gitignore(tmp_path: Path) -> None:
    for name in [
        "README.md",
        "docs/a.md",
        "docs/b.html",
        "docs/c.rst",
        "docs/notes.txt",
        "docs/build/out.html",
        "docs/draft.md",
        ".hidden/x.md",
        "node_modules/pkg/readme.md",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# x\n")
    (tmp_path / ".gitignore").write_text("node_modules/\n")
    (tmp_path / "docs" / ".gitignore").write_text("build/\ndraft.md\n")
    found = [Path(str(path)).relative_to(tmp_path).as_posix() for path in documents(str(tmp_path))]
    assert found == ["README.md", "docs/a.md", "docs/b.html", "docs/c.rst"]
