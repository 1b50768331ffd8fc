"""Documents as sources: links as input lines in document order, local links checked on
disk, web links left out offline or made from a base URL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fetchpool.docs.options import DocumentKind, DocumentOptions
from fetchpool.docs.sources import DocumentReader, LocalLine, has_documents

DOCUMENTS = Path(__file__).parent / "documents"


def lines_of(*sources: str, **options: object) -> list[tuple[str, str, int, int, bool]]:
    reader = DocumentReader(DocumentOptions(**options))  # type: ignore[arg-type]
    return [
        (Path(item.source).name, item.text, item.line, item.column, isinstance(item, LocalLine))
        for item in reader.read(sources)
    ]


def test_a_document_gives_its_links_less_disabled_lines_and_other_schemes() -> None:
    lines = lines_of(str(DOCUMENTS / "links.md"))
    texts = [text for _, text, *_ in lines]
    assert "mailto:a@b.example" not in texts
    assert not any("skipped.example" in text for text in texts)
    assert lines[0] == ("links.md", "https://inline.example/a", 3, 18, False)
    assert ("links.md", "images/logo.png", 4, 59, True) in lines


def test_a_folder_gives_every_documents_links_in_name_order() -> None:
    sources = [name for name, *_ in lines_of(str(DOCUMENTS))]
    assert sources.index("links.md") < sources.index("notes.rst") < sources.index("setup.md")
    assert "style.css" not in sources  # not a document


def test_offline_leaves_web_links_out_and_counts_them() -> None:
    reader = DocumentReader(DocumentOptions(offline=True))
    items = list(reader.read([str(DOCUMENTS / "links.md")]))
    assert all(isinstance(item, LocalLine) for item in items)
    assert reader.left_out == 9


def test_a_base_url_makes_links_to_files_web_links() -> None:
    lines = lines_of(
        str(DOCUMENTS / "guide" / "setup.md"),
        base_url="https://docs.example/",
        root_dir=str(DOCUMENTS),
    )
    assert [text for _, text, *_ in lines] == [
        "https://docs.example/links.md#links-in-markdown",
        "https://docs.example/site/index.html#main",
        "https://docs.example/guide/missing.md",
        "https://docs.example/guide/setup.md#install-3",
        "https://docs.example/guide/setup.md#install-1",
    ]


def test_standard_input_is_read_as_the_kind_given() -> None:
    reader = DocumentReader(DocumentOptions(kind=DocumentKind.MARKDOWN))
    stdin = io.BytesIO(b"# T\n\nSee [x](https://x.example/).\n")
    [item] = reader.read(["-"], stdin)
    assert (item.text, item.source, item.line, item.column) == ("https://x.example/", "-", 3, 9)


@pytest.mark.parametrize(
    ("link", "ok", "reason"),
    [
        ("../links.md#links-in-markdown", True, None),
        ("../site/index.html#main", True, None),
        ("../site/index.html#legacy", True, None),
        ("missing.md", False, "file not found"),
        ("#install-3", False, "no anchor #install-3"),
        ("#install-1", True, None),
        ("#Install", True, None),
        ("../images", True, None),
        ("../images/logo.png#anything", True, None),
        ("../site/other.html#x", True, None),
        ("../site/other.html#y", False, "no anchor #y"),
        ("my%20file.md", False, "file not found"),
    ],
)
def test_a_local_link_is_checked_on_disk(link: str, ok: bool, reason: str | None) -> None:
    reader = DocumentReader()
    item = LocalLine(link, str(DOCUMENTS / "guide" / "setup.md"), 7, column=3)
    result = reader.known_result(item)
    assert result is not None
    assert (result.ok, result.error, result.status, result.attempts) == (ok, reason, None, 0)


def test_a_rooted_link_needs_a_root_dir() -> None:
    item = LocalLine("/site/index.html", str(DOCUMENTS / "links.md"), 1, column=1)
    unresolved = DocumentReader().known_result(item)
    assert unresolved is not None and unresolved.error is not None
    assert unresolved.error.startswith("not checked")
    rooted = DocumentReader(DocumentOptions(root_dir=str(DOCUMENTS))).known_result(item)
    assert rooted is not None and rooted.ok


def test_what_decides_that_sources_are_documents(tmp_path: Path) -> None:
    (tmp_path / "urls.txt").write_text("https://a.example/\n")
    assert not has_documents([str(tmp_path / "urls.txt"), "-"], DocumentOptions())
    assert has_documents([str(tmp_path)], DocumentOptions())
    assert has_documents(["-"], DocumentOptions(kind=DocumentKind.HTML))
    assert has_documents([str(DOCUMENTS / "notes.rst")], DocumentOptions())
