"""A file name that is not UTF-8 (``caf\\xe9.md`` in Latin-1) is written as ``caf\\xe9.md``
in every format, to a file and to standard output, instead of ending the run."""

from __future__ import annotations

import io
import json
import os
from urllib.parse import unquote

import pytest

from fetchpool.core.results import Result
from fetchpool.render import FORMATS, make_writer
from fetchpool.render.text import escape_surrogates, for_display

from .inprocess import run_in_process

# What os.fsdecode makes of the Latin-1 bytes b"caf\xe9.md".
LATIN_1_NAME = os.fsdecode(b"caf\xe9.md")
SHOWN = "caf\\xe9.md"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (LATIN_1_NAME, SHOWN),
        ("plain.md", "plain.md"),
        ("café.md", "café.md"),
        ("café" + LATIN_1_NAME, "café" + SHOWN),
        # A surrogate no byte decodes to, as JSON may hold one.
        ("a\ud800b", "a\\ud800b"),
    ],
)
def test_a_name_that_is_not_utf_8_is_escaped_byte_by_byte(text: str, shown: str) -> None:
    assert escape_surrogates(text) == shown


def test_a_result_is_shown_with_every_field_escaped() -> None:
    result = Result(
        "http://a.test/\udce9", None, False, "no file \udce9", source=LATIN_1_NAME, line=3
    )
    shown = for_display(result)
    assert (shown.url, shown.error, shown.source) == (
        "http://a.test/\\xe9",
        "no file \\xe9",
        SHOWN,
    )
    assert (shown.kind, shown.line) == (result.kind, result.line)


def test_a_result_with_nothing_to_escape_or_mask_is_shown_as_it_is() -> None:
    result = Result("http://a.test/", 200, True, source="café.md")
    assert for_display(result) is result


@pytest.fixture
def latin_1_folder(tmp_path, monkeypatch):
    """A folder ``docs`` holding a document with a Latin-1 name and a broken local link."""
    folder = tmp_path / "docs"
    folder.mkdir()
    with open(os.fsencode(folder) + b"/caf\xe9.md", "wb") as document:
        document.write(b"[gone](missing.md)\n")
    monkeypatch.chdir(tmp_path)
    return "docs"


def _check_shown(format_name: str, text: str) -> None:
    if format_name in ("json", "jsonl"):
        rows = [json.loads(line) for line in text.splitlines() if line.strip() not in "[]"]
        assert [row["source"] for row in rows] == [f"docs/{SHOWN}"]
    elif format_name == "sarif":  # a URI: the name as shown, percent-encoded
        [result] = json.loads(text)["runs"][0]["results"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert unquote(uri) == f"docs/{SHOWN}"
    else:
        assert SHOWN.replace("\\", "") in text.replace("\\", "")


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_every_format_writes_a_latin_1_file_name_to_a_file(
    latin_1_folder, tmp_path, format_name
) -> None:
    out = tmp_path / "out"
    done = run_in_process("-q", "-f", format_name, "-o", str(out), latin_1_folder)
    assert (done.returncode, done.stderr) == (1, b"")
    _check_shown(format_name, out.read_bytes().decode("utf-8"))


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_every_format_writes_a_latin_1_file_name_to_standard_output(
    latin_1_folder, format_name
) -> None:
    done = run_in_process("-q", "-f", format_name, latin_1_folder)
    assert (done.returncode, done.stderr) == (1, b"")
    _check_shown(format_name, done.stdout.decode("utf-8"))


@pytest.mark.parametrize("to_file", [True, False], ids=["file", "stdout"])
def test_dump_writes_a_latin_1_file_name_escaped(latin_1_folder, tmp_path, to_file) -> None:
    out = tmp_path / "links.txt"
    done = run_in_process("--dump", *(["-o", str(out)] if to_file else []), latin_1_folder)
    assert done.returncode == 0
    text = out.read_text(encoding="utf-8") if to_file else done.stdout.decode("utf-8")
    assert text == f"docs/{SHOWN}:1:8\tmissing.md\n"


@pytest.mark.parametrize("format_name", ["markdown", "junit"])
def test_a_writer_that_spools_to_a_file_takes_a_latin_1_name_on_its_own(format_name) -> None:
    # Without for_display (a program using the writer): the spool must not raise either.
    stream = io.StringIO()
    writer = make_writer(format_name, stream)
    writer.write(Result("http://a.test/", 404, False, source=LATIN_1_NAME, line=1))
    writer.finish()
    assert "\\udce9" in stream.getvalue() or "\\xdce9" in stream.getvalue()
