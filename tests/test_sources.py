"""Sources that are not plain files: named pipes, /dev/stdin, devices; checked by the executable."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from fetchpool.core.inputs import check_source

from .server import TestHTTPServer


def columns(output: bytes) -> list[list[str]]:
    """URL and status of each plain output line."""
    return [line.split("\t")[:2] for line in output.decode().splitlines()]


class PipeWriter:
    """Writes ``data`` into the named pipe ``path`` from a thread, as `printf ... > fifo` does:
    the open waits for a reader, and the data goes to the first reader that comes."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.data = data
        self.thread = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        with contextlib.suppress(BrokenPipeError), open(self.path, "wb") as pipe:
            pipe.write(self.data)

    def start(self) -> PipeWriter:
        self.thread.start()
        return self

    def release(self) -> None:
        """Let go a writer still waiting for a reader (a run that never opened the pipe)."""
        if self.thread.is_alive():
            with contextlib.suppress(OSError):
                os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK))
        self.thread.join(timeout=5)


def test_a_named_pipe_gets_a_result_for_every_line(
    server: TestHTTPServer, run_fetchpool, tmp_path: Path
) -> None:
    fifo = tmp_path / "urls.fifo"
    os.mkfifo(fifo)
    listed = [server.url("/status/200"), "not-a-url", server.url("/status/404")]
    writer = PipeWriter(fifo, ("\n".join(listed) + "\n").encode()).start()
    try:
        done = run_fetchpool("-q", "-r", "0", str(fifo), timeout=20)
    finally:
        writer.release()
    assert columns(done.stdout) == [[listed[0], "200"], [listed[1], "ERR"], [listed[2], "404"]]
    assert done.returncode == 1
    assert len(server.log) == 2


def test_named_pipes_are_opened_in_turn_so_a_later_writer_may_wait_for_an_earlier_one(
    server: TestHTTPServer, run_fetchpool, tmp_path: Path
) -> None:
    # As `producer1 > a.fifo; producer2 > b.fifo` in a script: b has no writer until a is read.
    first, second = tmp_path / "a.fifo", tmp_path / "b.fifo"
    os.mkfifo(first)
    os.mkfifo(second)
    writers = [
        PipeWriter(first, (server.url("/status/200") + "\n").encode()),
        PipeWriter(second, (server.url("/status/201") + "\n").encode()),
    ]

    def in_turn() -> None:
        writers[0].start().thread.join()
        writers[1].start()

    chain = threading.Thread(target=in_turn, daemon=True)
    chain.start()
    try:
        done = run_fetchpool("-q", str(first), str(second), timeout=20)
    finally:
        chain.join(timeout=5)
        for writer in writers:
            if writer.thread.ident is not None:
                writer.release()
    assert columns(done.stdout) == [
        [server.url("/status/200"), "200"],
        [server.url("/status/201"), "201"],
    ]


def test_dev_stdin_is_a_source_like_dash(server: TestHTTPServer, run_fetchpool) -> None:
    url = server.url("/status/200")
    done = run_fetchpool("-q", "/dev/stdin", input=f"{url}\nnot-a-url\n")
    assert columns(done.stdout) == [[url, "200"], ["not-a-url", "ERR"]]


def test_a_missing_source_is_found_without_opening_anything(tmp_path: Path) -> None:
    assert check_source(str(tmp_path / "missing.txt")) == "No such file or directory"
    assert check_source(str(tmp_path)) == "Is a directory"
    fifo = tmp_path / "urls.fifo"
    os.mkfifo(fifo)
    # Opening a pipe with no writer would block this test: the check must not open it.
    assert check_source(str(fifo)) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file")
def test_an_unreadable_source_is_a_usage_error_naming_it(run_fetchpool, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("http://example.invalid/\n")
    secret.chmod(0)
    done = run_fetchpool(str(secret))
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        f"fetchpool: error: cannot read '{secret}': Permission denied (see 'fetchpool --help')"
    ]


BINARY = "binary data (a NUL byte in a line over 65,536 bytes); the rest of the source is not read"


@pytest.mark.parametrize("as_stdin", [False, True], ids=["named", "stdin"])
def test_dev_zero_is_one_error_and_the_sources_after_it_are_still_read(
    server: TestHTTPServer, fetchpool_exe: str, tmp_path: Path, as_stdin: bool
) -> None:
    after = tmp_path / "after.txt"
    after.write_text(server.url("/status/200") + "\n")
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            [fetchpool_exe, "-q", "-f", "jsonl", "-" if as_stdin else "/dev/zero", str(after)],
            stdin=zero,
            capture_output=True,
            timeout=20,  # the hang check: it used to spin on /dev/zero for ever
        )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["source"], r["line"], r["error"], r["status"]) for r in results] == [
        ("-" if as_stdin else "/dev/zero", 1, BINARY, None),
        (str(after), 1, None, 200),
    ]
    assert results[0]["category"] == "broken"
    assert (done.returncode, done.stderr) == (1, b"")


def test_a_nul_in_line_3_of_5_is_that_line_s_error_and_the_others_are_checked(
    server: TestHTTPServer, run_fetchpool, tmp_path: Path
) -> None:
    urls = [server.url(f"/status/{code}") for code in (200, 201, 202, 203, 204)]
    path = tmp_path / "urls.txt"
    lines = [url.encode() for url in urls]
    lines[2] = lines[2].replace(b"/status/", b"/sta\x00tus/")
    path.write_bytes(b"\n".join(lines) + b"\n")
    done = run_fetchpool("-q", str(path))
    rows = [line.split("\t") for line in done.stdout.decode().splitlines()]
    assert [row[1] for row in rows] == ["200", "201", "ERR", "203", "204"]
    assert rows[2][0] == urls[2].replace("/status/", "/sta\\x00tus/")
    assert rows[2][2] == "contains a NUL byte"
    assert len(server.log) == 4
