"""A repository made to break the docs reader: every document or link that cannot be read
costs one result, never the run, the time or the machine's secrets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fetchpool.docs.extract import links_of
from fetchpool.docs.found import Found
from fetchpool.docs.options import DocumentKind
from fetchpool.docs.reading import MAX_DOCUMENT, decode
from fetchpool.docs.walk import Skipped, documents

from .inprocess import run_in_process

ROOT = Path(__file__).parent.parent


def results(*args: str) -> tuple[int, list[dict[str, object]], str]:
    """``fetchpool -f jsonl ARGS`` in this process: its status, results and standard error."""
    done = run_in_process("-f", "jsonl", "-r", "0", *args)
    lines = done.stdout.decode().splitlines()
    return done.returncode, [json.loads(line) for line in lines], done.stderr.decode()


def dumped(*args: str) -> tuple[int, list[str], str]:
    done = run_in_process("--dump", *args)
    return done.returncode, done.stdout.decode().splitlines(), done.stderr.decode()


def urls(text: str, kind: DocumentKind = DocumentKind.MARKDOWN) -> list[str]:
    return [found.url for found in links_of(text, kind) if isinstance(found, Found)]


# A fault boundary per link: a link that does not parse is one result, and the run goes on.


AFTER = {
    "a.md": "\n[after](later.md)\n",
    "a.html": '\n<a href="later.md">after</a>\n',
    "a.rst": "\n.. image:: later.md\n",
}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.md", "[x](http://[::1/x)\n"),
        ("a.md", "[x](http://[evil]/)\n"),
        ("a.md", "[x](http://x]/)\n"),
        ("a.md", '<a href="http://[::1/">x</a>\n'),
        ("a.html", '<base href="http://[::1"><a href="http://[::1/y">x</a>\n'),
        ("a.rst", "See `x <http://[::1/x>`_ here.\n"),
    ],
)
def test_a_link_that_does_not_parse_is_one_result_and_the_run_goes_on(
    tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text + AFTER[name])
    (tmp_path / "later.md").write_text("# Later\n")
    status, found, errors = results(str(tmp_path / name))
    assert status == 1
    assert "Traceback" not in errors
    assert found[0]["kind"] == "invalid_url"
    assert found[-1]["url"] == "later.md" and found[-1]["ok"] is True


def test_a_base_that_is_no_url_is_ignored_as_a_browser_ignores_it_and_reported(
    tmp_path: Path,
) -> None:
    (tmp_path / "page.html").write_text('<base href="http://[::1"><a href="page.html">me</a>\n')
    _status, found, _ = results(str(tmp_path / "page.html"))
    assert [(item["url"], item["kind"]) for item in found] == [
        ("http://[::1", "invalid_url"),
        ("page.html", None),
    ]


def test_a_link_with_a_nul_in_its_path_is_not_checked_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("[x](a%00b.md)\n")
    status, found, errors = results(str(tmp_path / "a.md"))
    assert (status, found[0]["kind"], errors.count("Traceback")) == (1, "invalid_url", 0)
    assert found[0]["error"] == "invalid URL: a NUL byte in the path"


# Linear time: cases that took minutes before. The benchmark times them; here, every
# link of them is found.


def test_one_reference_used_twenty_thousand_times_is_twenty_thousand_links() -> None:
    text = "[x]: https://ref.example/x\n\n" + " ".join(["[x]", "[t][x]"] * 10_000) + "\n"
    found = [item for item in links_of(text, DocumentKind.MARKDOWN) if isinstance(item, Found)]
    assert len(found) == 20_000
    assert {item.url for item in found} == {"https://ref.example/x"}
    # Each where it is used: past the parser's expansion budget as before it.
    assert found[-1].column == len(text.splitlines()[2]) - 2


def test_bare_urls_on_one_long_line_are_each_found_where_they_are() -> None:
    line = " ".join(f"https://bare.example/{number}" for number in range(20_000))
    found = [item for item in links_of(line, DocumentKind.MARKDOWN) if isinstance(item, Found)]
    assert len(found) == 20_000
    assert found[-1].column == line.rindex("https://") + 1


def test_a_paragraph_of_many_links_places_each_on_its_line() -> None:
    text = "".join(f"[l{number}](https://inline.example/{number})\n" for number in range(5_000))
    found = [item for item in links_of(text, DocumentKind.MARKDOWN) if isinstance(item, Found)]
    assert [(item.line, item.column) for item in found] == [
        (n, 5 + len(str(n - 1))) for n in range(1, 5_001)
    ]


# No silent skips.


@pytest.mark.parametrize(
    "text",
    [
        "".join("  " * level + "- item\n" for level in range(9))
        + "  " * 9
        + "- [x](https://deep.example/)\n",
        "> " * 20 + "[x](https://deep.example/)\n",
        "> " * 1_000 + "[x](https://deep.example/)\n",
        "- " * 200 + "[x](https://deep.example/)\n",
    ],
    ids=["9-level list", "20-level quote", "1000-level quote", "200-level list on a line"],
)
def test_a_link_is_found_at_any_depth(text: str) -> None:
    assert urls(text) == ["https://deep.example/"]


def test_a_bare_url_after_a_code_block_is_found() -> None:
    text = "```\nhttps://code.example/\n```\n\nThen https://after.example/ here.\n"
    assert urls(text) == ["https://after.example/"]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-32-be", b"\x00\x00\xfe\xff"),
    ],
)
def test_a_byte_order_mark_decides_the_encoding(encoding: str, bom: bytes) -> None:
    data = bom + "# Café\n\n[x](https://bom.example/é)\n".encode(encoding)
    assert urls(decode(data, DocumentKind.MARKDOWN)) == ["https://bom.example/é"]


def test_latin1_text_is_read_as_windows_1252_so_its_local_links_hold(tmp_path: Path) -> None:
    (tmp_path / "café.md").write_text("# Café\n")
    (tmp_path / "a.md").write_bytes("[c](café.md#café)\n".encode("latin-1"))
    status, found, _ = results(str(tmp_path / "a.md"))
    assert (status, found[0]["url"], found[0]["ok"]) == (0, "café.md#café", True)


def test_an_html_page_is_read_in_the_charset_its_meta_declares(tmp_path: Path) -> None:
    (tmp_path / "日本.html").write_text("<p id=x>x</p>\n")
    page = '<html><head><meta charset="shift_jis"></head><a href="日本.html#x">日本</a>\n'
    (tmp_path / "index.html").write_bytes(page.encode("shift_jis"))
    status, found, _ = results(str(tmp_path / "index.html"))
    assert (status, found[0]["url"], found[0]["ok"]) == (0, "日本.html#x", True)


def test_an_http_equiv_content_type_declares_the_charset_too() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
    data = (head + '<a href="https://x.example/é">x</a>').encode("latin-1")
    assert urls(decode(data, DocumentKind.HTML), DocumentKind.HTML) == ["https://x.example/é"]


@pytest.mark.parametrize(
    "text",
    [
        "The marker fetchpool-disable is written as a comment.\n",
        "Write `<!-- fetchpool-disable -->` to turn checks off.\n",
        "```\n<!-- fetchpool-disable -->\n```\n",
        "See https://x.example/fetchpool-disable for how.\n",
    ],
    ids=["prose", "inline code", "code block", "in a URL"],
)
def test_a_marker_counts_only_as_a_comment(text: str, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(text + "\n[after](https://after.example/)\n")
    _, lines, _ = dumped(str(tmp_path / "a.md"))
    assert lines[-1].endswith("\thttps://after.example/")


def test_rst_markers_are_comments_too() -> None:
    text = (
        "Prose names fetchpool-disable.\n\nhttps://a.example/\n\n.. fetchpool-disable\n\n"
        "https://b.example/\n\n.. fetchpool-enable\n\nhttps://c.example/\n"
    )
    from fetchpool.docs.markers import enabled

    found = [item.url for item in enabled(links_of(text, DocumentKind.RST))]
    assert found == ["https://a.example/", "https://c.example/"]


def test_the_readme_names_the_markers_in_prose_and_its_later_links_are_checked() -> None:
    readme = (ROOT / "README.md").read_text()
    _status, lines, _ = dumped(str(ROOT / "README.md"))
    found = {int(line.split(":")[1]) for line in lines}
    mentions = [n for n, line in enumerate(readme.splitlines(), 1) if "fetchpool-disable" in line]
    later = [
        n
        for n, line in enumerate(readme.splitlines(), 1)
        if n > max(mentions) and re.search(r"\]\([^)\s]+\)", line)
    ]
    assert later and set(later) <= found


# Only regular files are read, every read capped.


def test_a_document_that_is_not_text_is_one_result_counted_in_the_summary(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.md").write_bytes(b"[x](https://x.example/)\x00\x01\x02")
    (tmp_path / "b.md").write_text("[b](a.md)\n")
    status, found, errors = results("--offline", str(tmp_path))
    assert [(item["url"], item["kind"]) for item in found] == [
        (str(tmp_path / "a.md"), "unreadable"),
        ("a.md", None),
    ]
    assert "not text (a NUL byte" in str(found[0]["error"])
    assert "1 document not read" in errors
    assert status == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_skipped_with_a_reason_never_waited_on(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    os.mkfifo(docs / "pipe.md")
    (docs / "a.md").write_text("[p](pipe.md) [f](pipe.md#x)\n")
    # Its own process: were the pipe opened for reading, the run would wait for a writer.
    done = subprocess.run(
        [sys.executable, "-m", "fetchpool", "-f", "jsonl", str(docs)],
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    found = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(Path(str(item["source"])).name, item["kind"]) for item in found] == [
        ("a.md", "not_checked"),
        ("a.md", "not_checked"),
        ("pipe.md", "unreadable"),
    ]
    assert "a named pipe, not a file" in str(found[2]["error"])
    assert done.returncode == 1


def test_a_document_over_the_cap_is_reported_not_read_even_as_a_fragment_target(
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.md"
    with open(big, "wb") as file:
        file.truncate(MAX_DOCUMENT + 1)  # sparse: costs no disk
    (tmp_path / "a.md").write_text("[b](big.md#anchor)\n")
    _status, found, _ = results(str(tmp_path))
    assert [(Path(str(item["source"])).name, item["kind"]) for item in found] == [
        ("a.md", "not_checked"),
        ("big.md", "unreadable"),
    ]
    assert found[0]["error"] == "fragment not checked: over 64 MiB: not read"


def test_dump_says_what_it_skipped_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes(b"\x00binary")
    (tmp_path / "b.md").write_text("[b](https://b.example/)\n")
    status, lines, errors = dumped(str(tmp_path))
    assert status == 1
    assert lines == [f"{tmp_path / 'b.md'}:1:5\thttps://b.example/"]
    assert f"skipped {tmp_path / 'a.md'}: not text" in errors


def test_a_deep_folder_tree_is_walked_without_a_recursion_limit(tmp_path: Path) -> None:
    folders = [tmp_path / "d"]
    for _ in range(1_499):  # made a folder at a time: os.makedirs recurses
        folders.append(folders[-1] / "d")
    try:
        for folder in folders:
            folder.mkdir()
        (folders[-1] / "deep.md").write_text("# Deep\n")
        found = list(documents(str(tmp_path)))
        assert [Path(str(item)).name for item in found] == ["deep.md"]
    finally:  # by hand: shutil.rmtree, which pytest cleans up with, recurses
        (folders[-1] / "deep.md").unlink(missing_ok=True)
        for folder in reversed(folders):
            if folder.exists():
                folder.rmdir()


def test_a_symlink_loop_reads_each_document_once(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a").symlink_to("..")
    (tmp_path / "dir" / "b").symlink_to(tmp_path / "dir")
    (tmp_path / "x.md").write_text("[x](https://x.example/)\n")
    status, lines, errors = dumped(str(tmp_path))
    assert (status, len(lines), errors) == (0, 1, "")


def test_a_symlink_out_of_the_folder_is_not_followed_unless_asked(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("[s](https://secret.example/)\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "out").symlink_to(outside)
    (docs / "zero.md").symlink_to("/dev/zero")
    status, lines, errors = dumped(str(docs))
    assert (status, lines) == (1, [])
    # The document is reported; the folder is not followed, and not looked at to say so.
    assert errors.count("a symlink out of the folder checked: not followed") == 1
    status, lines, errors = dumped("--follow-symlinks", str(docs))
    assert lines == [f"{docs / 'out' / 'secret.md'}:1:5\thttps://secret.example/"]
    assert "a character device, not a file: not read" in errors


def test_a_file_gone_before_it_is_read_is_one_result_and_the_run_ends_as_usual(
    tmp_path: Path,
) -> None:
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")  # listed, then not there
    (tmp_path / "z.md").write_text("[z](gone.md)\n")
    status, found, errors = results(str(tmp_path))
    assert [item["kind"] for item in found] == ["unreadable", "file_not_found"]
    assert str(found[0]["error"]).startswith("cannot read: No such file")
    assert "2 URLs" in errors and "1 document not read" in errors
    assert status == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any folder")
def test_a_folder_that_cannot_be_read_says_so_naming_the_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        _status, found, errors = results(str(tmp_path))
    finally:
        locked.chmod(0o755)
    assert found[0]["url"] == str(locked)
    assert found[0]["error"] == "cannot read folder: Permission denied"
    assert "cannot write" not in errors


def test_the_runs_own_output_file_is_never_read_as_a_document(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for number in range(20):
        (docs / f"{number:02}.md").write_text(f"[x](n{number}.md)\n")
    report = docs / "zz.md"
    done = run_in_process("-f", "plain", "-o", str(report), "--offline", str(docs))
    assert len(report.read_text().splitlines()) == 20
    assert done.returncode == 1


def test_ignore_files_apply_from_the_repositorys_root_down(tmp_path: Path) -> None:
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("*.draft.md\n")
    (tmp_path / ".gitignore").write_text("docs/build/\nkeep*.md\n")
    docs = tmp_path / "docs"
    for name in ["a.md", "build/b.md", "x.draft.md", "keep.md", "sub/keep-too.md"]:
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text("# x\n")
    (docs / "sub" / ".gitignore").write_text("!keep-too.md\n")  # the deeper file decides
    found = [Path(str(path)).relative_to(docs).as_posix() for path in documents(str(docs))]
    assert found == ["a.md", "sub/keep-too.md"]


# Nothing leaks from the machine.


def test_links_out_of_the_tree_are_not_looked_up_unless_allowed(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "secret.md").write_text("# Secret\n")
    climbs = "../" * 20
    (docs / "a.md").write_text(
        f"[p]({climbs}etc/passwd) [s](file:///etc/shadow) [f](../secret.md#secret)"
        " [n](../nothing.md) [in](a.md#x)\n"
    )
    _, found, _ = results(str(docs))
    kinds = [item["kind"] for item in found]
    assert kinds == ["outside_tree"] * 4 + ["missing_anchor"]
    assert {item["error"] for item in found[:4]} == {
        "outside the tree checked: not looked up (--allow-outside looks)"
    }
    _, found, _ = results("--allow-outside", str(docs))
    assert [item["kind"] for item in found][2:4] == [None, "file_not_found"]


def test_a_file_given_alone_may_link_within_its_git_work_tree(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Top\n")
    (tmp_path / "docs" / "a.md").write_text("[up](../README.md#top) [out](../../x.md)\n")
    _, found, _ = results(str(tmp_path / "docs" / "a.md"))
    assert [item["kind"] for item in found] == [None, "outside_tree"]


def test_a_rooted_link_stays_within_the_root_dir(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.md").write_text("[a](/index.md) [b](/../../etc/passwd)\n")
    _, found, _ = results("--root-dir", str(tmp_path / "site"), str(tmp_path / "site"))
    assert [item["kind"] for item in found] == [None, "outside_tree"]


def test_the_walk_reports_what_it_skipped_where_it_met_it(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "out.md").symlink_to("/dev/null")
    (tmp_path / "b.md").write_text("# b\n")
    found = list(documents(str(tmp_path)))
    assert found[0] == str(tmp_path / "b.md")
    assert isinstance(found[1], Skipped) and found[1].kind.value == "outside_tree"


# Any document: a property test. Markdown built from links of every kind, nesting, code,
# references and hostile characters never makes the reader raise, and every link the
# renderer makes of it (pulldown-cmark's own HTML) is reported.

from collections import Counter  # noqa: E402
from html.parser import HTMLParser  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_URL = st.from_regex(r"https://h\.example/[a-z0-9./-]{0,12}", fullmatch=True)
_LABEL_TEXT = st.from_regex(r"[a-z]{1,4}", fullmatch=True)
_HOSTILE = st.text(
    alphabet=st.sampled_from(
        [*list("ab []()<>`*_\\!#&:;.,'\"\t|~=-"), "\u2028", "é", "😀", "\x7f"]
    ),
    max_size=12,
)


@st.composite
def _inline(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A piece of inline Markdown and the labels it uses."""
    url = draw(_URL)
    label = draw(_LABEL_TEXT)
    text = draw(_LABEL_TEXT)
    choices = [
        (f"[{text}]({url})", []),
        (f"![{text}]({url})", []),
        (f"[{text}](<{url}> 'title')", []),
        (f"<{url}>", []),
        (f" {url} ", []),
        (f"[{text}][{label}]", [label]),
        (f"[{label}]", [label]),
        (f"[![{text}]({url})]({url})", []),
        (f"`[{text}]({url})`", []),
        (f'<a href="{url}">x</a>', []),
        (draw(_HOSTILE), []),
    ]
    return draw(st.sampled_from(choices))


@st.composite
def _markdown(draw: st.DrawFn) -> str:
    blocks = []
    labels: set[str] = set()
    for _ in range(draw(st.integers(1, 6))):
        prefix = "".join(draw(st.lists(st.sampled_from(["> ", "- ", "1. ", "  "]), max_size=25)))
        pieces = draw(st.lists(_inline(), min_size=1, max_size=6))
        for _, used in pieces:
            labels.update(used)
        line = "".join(piece for piece, _ in pieces)
        fence = draw(st.sampled_from(["", "```", "    "]))
        if fence == "```":
            blocks.append(f"```\n{prefix}{line}\n```")
        else:
            blocks.append(f"{fence}{prefix}{line}")
    for label in sorted(labels):
        if draw(st.booleans()):
            blocks.append(f"[{label}]: {draw(_URL)}")
    return "\n\n".join(blocks) + "\n"


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and (name, tag) in (("href", "a"), ("src", "img")):
                self.urls.append(value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_markdown())
def test_every_link_the_renderer_makes_is_reported(text: str) -> None:
    from fetchpool.docs.markdown import _parser

    rendered = _Hrefs()
    rendered.feed(_parser().html(text))
    ours = Counter(urls(text))
    assert not Counter(rendered.urls) - ours, text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(list(DocumentKind)[1:]))
def test_no_bytes_make_the_reader_raise(data: bytes, kind: DocumentKind) -> None:
    from fetchpool.docs.reading import Unreadable

    try:
        text = decode(data, kind)
    except Unreadable:
        return
    list(links_of(text, kind))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(list(DocumentKind)[1:]))
def test_no_text_makes_the_reader_raise(text: str, kind: DocumentKind) -> None:
    list(links_of(text, kind))


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("<a " * 20_000, 0),  # tags left open to the end: a browser drops them
        ("<!--" * 20_000 + "<a href=x>", 0),  # a comment left open runs to the end
        ("<![CDATA[>" * 20_000 + "<a href=x>", 1),  # marked sections are bogus comments
        ('<a href="' * 20_000 + ">", 1),  # one tag, one href: a browser takes the first
        ('<img srcset="' + "a.png 1x," * 20_000 + '">', 20_000),  # one attribute of many URLs
        ("</" * 20_000 + "<a href=x>", 0),  # a bogus comment up to the first ">"
    ],
    ids=["open tags", "open comment", "marked sections", "repeated", "srcset", "end tags"],
)
def test_html_left_open_is_read_as_a_browser_reads_it(text: str, links: int) -> None:
    assert len(urls(text, DocumentKind.HTML)) == links


@pytest.mark.parametrize("label", ["bz2", "uu", "quopri", "unicode_escape", "utf-7", "nonsense"])
def test_a_meta_charset_that_is_no_web_encoding_is_ignored_as_browsers_ignore_it(
    label: str,
) -> None:
    data = f'<meta charset="{label}"><a href="https://x.example/é">x</a>'.encode()
    assert urls(decode(data, DocumentKind.HTML), DocumentKind.HTML) == ["https://x.example/é"]


@pytest.mark.parametrize("kind", [DocumentKind.MARKDOWN, DocumentKind.HTML, DocumentKind.RST])
def test_lines_are_counted_as_git_counts_them_in_every_kind(kind: DocumentKind) -> None:
    link = {
        DocumentKind.MARKDOWN: "[x](https://x.example/)",
        DocumentKind.HTML: '<a href="https://x.example/">x</a>',
        DocumentKind.RST: "`x <https://x.example/>`_",
    }[kind]
    text = "a\u2028b\x0cc\r\n\r\nd\x1c\n\n" + link + "\r\n"
    found = [item for item in links_of(text, kind) if isinstance(item, Found)]
    assert [item.line for item in found] == [5]


# Found by attacking the reader with hostile repositories.


def test_a_symlinked_ignore_file_is_not_read_as_git_reads_none(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("[x](https://x.example/)\n")
    (tmp_path / "sub" / ".gitignore").symlink_to("/dev/zero")
    outside = tmp_path.parent / f"{tmp_path.name}-ignore"
    outside.write_text("a.md\n")
    (tmp_path / ".gitignore").symlink_to(outside)
    assert [Path(str(path)).name for path in documents(str(tmp_path))] == ["a.md"]


def test_an_ignore_file_over_a_mib_is_not_applied(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("a.md\n" + "#" * (1024 * 1024))
    (tmp_path / "a.md").write_text("# a\n")
    assert [Path(str(path)).name for path in documents(str(tmp_path))] == ["a.md"]


@pytest.mark.parametrize("tail", [")" * 100_000, "." * 100_000, ".)" * 50_000])
def test_trailing_punctuation_after_a_bare_url_is_cut_in_one_pass(tail: str) -> None:
    assert urls("https://a.example/x" + tail) == ["https://a.example/x"]


def test_a_rst_line_of_many_links_of_both_kinds_gives_each() -> None:
    line = "`t <https://b.example/>`_ " * 10_000 + "https://a.example/ " * 10_000
    assert len(urls(line, DocumentKind.RST)) == 20_000


def test_a_symlink_out_of_the_folder_tells_nothing_of_its_target(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# a\n")
    (tmp_path / "to-etc").symlink_to("/etc")
    (tmp_path / "to-nothing").symlink_to("/no/such/folder")
    assert [Path(str(path)).name for path in documents(str(tmp_path))] == ["a.md"]


class _Watched:
    """The os module as the reader's modules see it, noting the paths it is asked about
    (patched into those modules alone: the test process's own threads keep the real one)."""

    def __init__(self, calls: tuple[str, ...]) -> None:
        self.paths: list[str] = []
        self._calls = calls

    def __getattr__(self, name: str) -> object:
        real = getattr(os, name)
        if name not in self._calls:
            return real

        def spy(path: object, *args: object, **kwargs: object) -> object:
            if isinstance(path, str):
                self.paths.append(os.path.abspath(path))
            return real(path, *args, **kwargs)

        return spy


def _watch(monkeypatch: pytest.MonkeyPatch, *calls: str) -> _Watched:
    watched = _Watched(calls)
    for module in ("reading", "local", "tree", "walk", "sources"):
        monkeypatch.setattr(f"fetchpool.docs.{module}.os", watched)
    return watched


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fetchpool.docs.reading import Unreadable, read_bytes

    os.mkfifo(tmp_path / "pipe.md")
    watched = _watch(monkeypatch, "open")
    with pytest.raises(Unreadable, match="a named pipe, not a file"):
        read_bytes(str(tmp_path / "pipe.md"))
    assert watched.paths == []


def test_nothing_outside_the_tree_is_looked_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fetchpool.docs.sources import DocumentReader, LocalLine

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "out").symlink_to(tmp_path)
    reader = DocumentReader()
    watched = _watch(monkeypatch, "stat", "lstat", "readlink", "open")
    for link in ["../../../../etc/shadow", "out/secret.md", "file:///etc/shadow", "../x.md"]:
        item = LocalLine(link, str(docs / "a.md"), 1, column=1, tree=str(docs))
        result = reader.known_result(item)
        assert result is not None and result.kind is not None
        assert result.kind.value == "outside_tree", link
    assert watched.paths
    real_docs = os.path.realpath(docs)
    assert [path for path in watched.paths if not path.startswith(real_docs)] == []


def test_a_fragment_into_a_document_on_standard_input_is_checked_there(tmp_path: Path) -> None:
    document = "# Head\n\n[x](#head) [y](#nowhere)\n"
    done = run_in_process(
        "-f", "jsonl", "--input-format", "markdown", "--offline", "-", input=document
    )
    found = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(item["url"], item["kind"]) for item in found] == [
        ("#head", None),
        ("#nowhere", "missing_anchor"),
    ]


def test_a_long_run_of_brackets_keeps_the_url_after_it() -> None:
    assert urls("[" * 100_000 + " https://after.example/ and x" + "[" * 10) == [
        "https://after.example/"
    ]


def test_windows_1252_is_read_as_browsers_read_it_undefined_bytes_too() -> None:
    data = b"caf\xe9 \x81\x8d\x8f\x90\x9d [a](https://x.example/)\n"
    assert urls(decode(data, DocumentKind.MARKDOWN)) == ["https://x.example/"]


def test_an_attribute_is_placed_where_its_own_name_is() -> None:
    found = links_of('<a data-src="v" src="v">', DocumentKind.HTML)
    assert [(item.line, item.column) for item in found if isinstance(item, Found)] == [(1, 22)]
