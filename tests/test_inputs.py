"""Reading URL lists: one record per URL line, lazily, whatever the bytes."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fetchpool.core.inputs import (
    MAX_LINE_BYTES,
    MAX_SKIP_BYTES,
    InputError,
    InputLine,
    parse_line,
    read_lines,
    read_sources,
)


def lines_of(data: bytes, source: str = "-") -> list[InputLine]:
    return list(read_lines(io.BytesIO(data), source))


def texts_of(data: bytes) -> list[str]:
    return [record.text for record in lines_of(data)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", []),
        (b"\n\n   \n\t\n", []),
        (b"# a comment\n", []),
        (b"   # an indented comment\n", []),
        (b"http://a/\n", ["http://a/"]),
        (b"http://a/", ["http://a/"]),
        (b"  http://a/  \n", ["http://a/"]),
        (b"\thttp://a/\t\n", ["http://a/"]),
        (b"http://a/\r\nhttp://b/\r\n", ["http://a/", "http://b/"]),
        (b"http://a/\r\n\r\n#c\r\nhttp://b/", ["http://a/", "http://b/"]),
        (b"\xef\xbb\xbfhttp://a/\n", ["http://a/"]),
        (b"\xef\xbb\xbf# comment after a BOM\nhttp://a/\n", ["http://a/"]),
        (b"http://a/#fragment\n", ["http://a/#fragment"]),
        (b"http://a/\nhttp://a/\n", ["http://a/", "http://a/"]),
        (b"not a url\n", ["not a url"]),
        ("https://bücher.example/\n".encode(), ["https://bücher.example/"]),
    ],
)
def test_blank_and_comment_lines_are_skipped_and_whitespace_stripped(
    data: bytes, expected: list[str]
) -> None:
    assert texts_of(data) == expected


def test_valid_lines_carry_no_error() -> None:
    assert [record.error for record in lines_of(b"http://a/\r\n  x  \n")] == [None, None]


def test_a_bom_is_only_removed_at_the_start_of_the_input() -> None:
    records = lines_of(b"http://a/\n\xef\xbb\xbfhttp://b/\n")
    assert records[0].text == "http://a/"
    assert records[1].text == "\ufeffhttp://b/"


def test_line_numbers_count_every_physical_line() -> None:
    data = b"# header\n\nhttp://a/\n   \nhttp://b/\r\n#x\nhttp://c/"
    assert [(r.text, r.line) for r in lines_of(data)] == [
        ("http://a/", 3),
        ("http://b/", 5),
        ("http://c/", 7),
    ]


def test_records_name_their_source() -> None:
    assert {record.source for record in lines_of(b"a\nb\n", "urls.txt")} == {"urls.txt"}


@pytest.mark.parametrize(
    ("data", "text", "error"),
    [
        (b"http://a/\xff\n", "http://a/\\xff", "not valid UTF-8 (byte 10)"),
        (b"\xc3(\n", "\\xc3(", "not valid UTF-8 (byte 1)"),
        (b"  http://\xe9t\xe9.example/  \r\n", "http://\\xe9t\\xe9.example/", "not valid UTF-8"),
        (b"http://a/\x00b\n", "http://a/\\x00b", "contains a NUL byte"),
        (b"http://a/\x00\xff\n", "http://a/\\x00\\xff", "not valid UTF-8"),
    ],
)
def test_undecodable_bytes_and_nul_become_an_error_record(
    data: bytes, text: str, error: str
) -> None:
    [record] = lines_of(data)
    assert record.text == text
    assert record.error is not None
    assert record.error.startswith(error)


def test_a_bad_line_does_not_stop_the_lines_after_it() -> None:
    records = lines_of(b"http://a/\n\xff\xfe\nhttp://b/\x00\nhttp://c/\n")
    assert [(r.line, r.error is None) for r in records] == [
        (1, True),
        (2, False),
        (3, False),
        (4, True),
    ]


def test_an_undecodable_comment_line_is_still_skipped() -> None:
    assert lines_of(b"#\xff not UTF-8 in a comment\nhttp://a/\n") == [
        InputLine("http://a/", "-", 2)
    ]


def test_an_undecodable_line_of_latin1_spaces_is_an_error_not_blank() -> None:
    # A lone 0xA0 (Latin-1 no-break space) is not UTF-8: reported, never dropped silently.
    [record] = lines_of(b"\xa0\n")
    assert record.error == "not valid UTF-8 (byte 1)"


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""])
def test_an_overlong_line_is_one_error_and_the_next_line_is_read(ending: bytes) -> None:
    long_line = b"http://a/" + b"x" * 200_000
    data = long_line + b"\nhttp://next/" + ending
    records = lines_of(data)
    assert len(records) == 2
    assert records[0].error is not None
    assert records[0].error == "line too long (200,009 bytes; the limit is 65,536)"
    assert len(records[0].text) < 100
    assert records[0].text.startswith("http://a/xxx")
    assert (records[1].text, records[1].line, records[1].error) == ("http://next/", 2, None)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""])
def test_a_line_exactly_at_the_length_limit_is_accepted(ending: bytes) -> None:
    url = b"http://a/" + b"x" * (MAX_LINE_BYTES - 9)
    assert len(url) == MAX_LINE_BYTES
    [record] = lines_of(url + ending)
    assert record.error is None
    assert record.text == url.decode()


def test_a_bom_does_not_count_against_the_first_line() -> None:
    url = b"http://a/" + b"x" * (MAX_LINE_BYTES - 9)
    [record] = lines_of(b"\xef\xbb\xbf" + url + b"\r\n")
    assert (record.text, record.error) == (url.decode(), None)


def test_a_line_one_byte_over_the_limit_is_an_error() -> None:
    url = b"http://a/" + b"x" * (MAX_LINE_BYTES - 8)
    [record] = lines_of(url + b"\n")
    assert record.error is not None
    assert record.error.startswith("line too long")


class Endless(io.RawIOBase):
    """A stream of ``byte`` for ever, as /dev/zero is one of NULs; counts what is read."""

    def __init__(self, byte: bytes) -> None:
        self.byte = byte
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        buffer[:] = self.byte * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


@pytest.mark.parametrize(
    ("byte", "reason"),
    [
        (b"\x00", "binary data (a NUL byte in a line over 65,536 bytes)"),
        (b"x", "line too long (no line end within 1,048,576 bytes; the limit is 65,536)"),
    ],
)
def test_an_endless_line_is_one_error_and_the_rest_of_the_source_is_not_read(
    byte: bytes, reason: str
) -> None:
    raw = Endless(byte)
    records = read_lines(io.BufferedReader(raw), "endless")
    [record] = list(records)
    assert record.error == f"{reason}; the rest of the source is not read"
    assert (record.source, record.line) == ("endless", 1)
    assert record.text == byte.decode().replace("\x00", "\\x00") * 60 + "..."
    assert raw.read_bytes < MAX_LINE_BYTES + MAX_SKIP_BYTES + 2 * io.DEFAULT_BUFFER_SIZE


def test_a_nul_in_an_overlong_line_stops_the_source_at_once() -> None:
    data = b"x" * 100_000 + b"\x00" + b"x" * 100 + b"\nhttp://after/\n"
    [record] = lines_of(data)
    assert record.error is not None
    assert record.error.startswith("binary data")


def test_an_overlong_line_that_ends_within_the_skip_limit_is_skipped() -> None:
    data = b"x" * (MAX_SKIP_BYTES - 1) + b"\nhttp://after/\n"
    records = lines_of(data)
    assert [r.error for r in records] == [
        f"line too long ({MAX_SKIP_BYTES - 1:,} bytes; the limit is 65,536)",
        None,
    ]


def test_a_short_line_with_a_nul_is_one_error_and_the_lines_after_it_are_read() -> None:
    records = lines_of(b"http://a/\nhttp://b/\nhttp://\x00c/\nhttp://d/\nhttp://e/\n")
    assert [(r.line, r.error) for r in records] == [
        (1, None),
        (2, None),
        (3, "contains a NUL byte"),
        (4, None),
        (5, None),
    ]


def test_a_binary_source_stops_only_itself(tmp_path: Path) -> None:
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x00" * 200_000 + b"\nhttp://in-the-image/\n")
    text = tmp_path / "urls.txt"
    text.write_bytes(b"http://a/\n")
    records = list(read_sources([str(binary), str(text)]))
    assert [(r.source, r.line, r.error is None) for r in records] == [
        (str(binary), 1, False),
        (str(text), 1, True),
    ]


def test_parse_line_returns_none_for_blank_and_comment_lines() -> None:
    assert parse_line(b"   \r\n") is None
    assert parse_line(b"#x\n") is None
    assert parse_line(b" http://a/ \n", "f", 7) == InputLine("http://a/", "f", 7)


def test_a_read_error_becomes_an_input_error() -> None:
    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readline(self, size: int = -1) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(InputError, match=r"cannot read .disk\.txt.: Input/output error"):
        list(read_lines(Failing(), "disk.txt"))  # type: ignore[arg-type]


def test_sources_are_read_in_the_order_given(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    second = tmp_path / "second.txt"
    first.write_bytes(b"http://a/\n\nhttp://b/\n")
    second.write_bytes(b"#\nhttp://c/\n")
    stdin = io.BytesIO(b"http://d/\n")
    records = list(read_sources([str(first), "-", str(second)], stdin=stdin))
    assert [(r.text, r.source, r.line) for r in records] == [
        ("http://a/", str(first), 1),
        ("http://b/", str(first), 3),
        ("http://d/", "-", 1),
        ("http://c/", str(second), 2),
    ]


def test_a_bom_is_removed_at_the_start_of_each_file(tmp_path: Path) -> None:
    paths = []
    for name in ("a.txt", "b.txt"):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbfhttp://" + name.encode() + b"/\n")
        paths.append(str(path))
    assert [r.text for r in read_sources(paths)] == ["http://a.txt/", "http://b.txt/"]


def test_a_missing_file_raises_input_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(InputError, match=r"cannot open '.*missing\.txt': No such file"):
        list(read_sources([str(missing)]))


def test_a_missing_file_is_reached_only_after_the_sources_before_it(tmp_path: Path) -> None:
    present = tmp_path / "present.txt"
    present.write_bytes(b"http://a/\nhttp://b/\n")
    records = read_sources([str(present), str(tmp_path / "missing.txt")])
    assert [next(records).text, next(records).text] == ["http://a/", "http://b/"]
    with pytest.raises(InputError):
        next(records)


def test_a_directory_as_source_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        list(read_sources([str(tmp_path)]))


def test_a_pipe_is_not_read_ahead() -> None:
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "rb")
    records = read_lines(reader, "-")
    with ThreadPoolExecutor(1) as pool:
        try:
            os.write(write_fd, b"http://a/\n")
            # The writer has not finished (or closed): the first record must come anyway.
            first = pool.submit(next, records).result(timeout=2)
            assert first.text == "http://a/"
            second = pool.submit(next, records)
            with pytest.raises(FutureTimeout):
                second.result(timeout=0.1)
            os.write(write_fd, b"http://b/\n")
            assert second.result(timeout=2).text == "http://b/"
        finally:
            os.close(write_fd)
    reader.close()


def test_files_are_opened_only_when_reached(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    later = tmp_path / "later.txt"
    first.write_bytes(b"http://a/\n")
    records = read_sources([str(first), str(later)])
    assert next(records).text == "http://a/"
    # Created after reading began: found, because it is opened only now.
    later.write_bytes(b"http://b/\n")
    assert [r.text for r in records] == ["http://b/"]


def test_stdin_defaults_to_the_process_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStdin:
        buffer = io.BytesIO(b"http://from-stdin/\n")

    monkeypatch.setattr("sys.stdin", FakeStdin())
    assert [r.text for r in read_sources(["-"])] == ["http://from-stdin/"]


def test_reading_is_lazy_per_record() -> None:
    class Counting(io.BytesIO):
        calls = 0

        def readline(self, size: int | None = -1) -> bytes:
            type(self).calls += 1
            return super().readline(size)

    stream = Counting(b"".join(b"http://h/%d\n" % i for i in range(1000)))
    records = read_lines(stream)
    next(records)
    next(records)
    assert Counting.calls == 2


# -- properties --------------------------------------------------------------

# Text with no line breaks of its own; anything else, unicode whitespace included, may appear.
line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\x00"),
    max_size=30,
)
line_kind = st.one_of(
    line_text,
    st.builds(lambda s: "#" + s, line_text),
    st.sampled_from(["", "  ", "\t", " \r"]),
)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(line_kind, max_size=25),
    crlf=st.lists(st.booleans(), min_size=25, max_size=25),
    bom=st.booleans(),
    final_newline=st.booleans(),
)
def test_every_url_line_yields_exactly_one_record_in_order(
    lines: list[str], crlf: list[bool], bom: bool, final_newline: bool
) -> None:
    endings = ["\r\n" if flag else "\n" for flag in crlf]
    data = "".join(text + ending for text, ending in zip(lines, endings, strict=False))
    if lines and not final_newline:
        data = data[: -len(endings[len(lines) - 1])]
    raw = (b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8")

    expected = [
        (text.strip(), number)
        for number, text in enumerate(lines, 1)
        if text.strip() and not text.strip().startswith("#")
    ]
    records = lines_of(raw)
    assert [(r.text, r.line) for r in records] == expected
    assert all(r.error is None for r in records)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=20).filter(lambda b: b"\n" not in b), max_size=20))
def test_any_bytes_give_at_most_one_record_per_line_and_never_raise(lines: list[bytes]) -> None:
    records = lines_of(b"\n".join(lines))
    numbers = [r.line for r in records]
    assert numbers == sorted(set(numbers))
    for record in records:
        raw = lines[record.line - 1]
        assert raw.strip(), "a record for a blank line"
        assert record.text
        assert (record.error is None) == (_decodes(raw) and b"\x00" not in raw)
    # A line that decodes, has no NUL, and is neither blank nor a comment always yields a record.
    for number, raw in enumerate(lines, 1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if _decodes(raw) and b"\x00" not in raw:
            text = raw.decode().strip()
            if text and not text.startswith("#"):
                assert number in numbers


def _decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
