"""The installed executable on a real terminal (a pty): a coloured Rich table, plain in a pipe."""

from __future__ import annotations

import errno
import fcntl
import itertools
import os
import pty
import re
import shlex
import shutil
import struct
import subprocess
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .server import TestHTTPServer

COLUMNS = 120
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def terminal_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES")
    }
    # CI=true must not matter on a real terminal.
    return {**env, "TERM": "xterm-256color", "CI": "true"}


def open_terminal() -> tuple[int, int]:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
    return controller, terminal


def read_all(fd: int, process: subprocess.Popen[bytes], timeout: float = 15) -> bytes:
    """Everything written to the terminal until the process is done with it."""
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except OSError as exc:  # EIO: every writer on the terminal side has closed it
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=max(0.1, deadline - time.monotonic()))
    return b"".join(chunks)


@dataclass
class TerminalRun:
    returncode: int
    terminal: bytes  # everything written to the terminal
    stdout: bytes  # standard output, when it was a pipe rather than the terminal


def run_on_terminal(*args: str, stdout_on_terminal: bool = True) -> TerminalRun:
    """Run a command with stderr (and stdout, unless told) on a fresh pseudo-terminal."""
    controller, terminal = open_terminal()
    try:
        process = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=terminal if stdout_on_terminal else subprocess.PIPE,
            stderr=terminal,
            env=terminal_env(),
        )
        os.close(terminal)
        stdout = process.stdout.read() if process.stdout is not None else b""
        raw = read_all(controller, process)
    finally:
        os.close(controller)
    return TerminalRun(process.returncode, raw, stdout)


def visible_lines(raw: str) -> list[str]:
    """Lines as a terminal leaves them, roughly: a carriage return starts the line over."""
    lines = []
    for line in raw.split("\n"):
        segments = [ANSI.sub("", part) for part in line.split("\r")]
        shown = [part for part in segments if part.strip()]
        if shown:
            lines.append(shown[-1].rstrip())
    return lines


@pytest.fixture
def urls(server: TestHTTPServer, tmp_path: Path) -> tuple[Path, list[str]]:
    listed = [server.url("/status/200"), server.url("/status/404"), server.url("/redirect/1")]
    path = tmp_path / "urls.txt"
    path.write_text("\n".join([*listed, "example.com"]) + "\n")
    return path, listed


def test_a_terminal_gets_a_coloured_table_with_progress_and_summary(
    fetchpool_exe: str, urls: tuple[Path, list[str]]
) -> None:
    path, listed = urls
    run = run_on_terminal(fetchpool_exe, "-r", "0", str(path))
    assert run.returncode == 1
    text = run.terminal.decode("utf-8", "replace")
    assert "\x1b[" in text, "no colour on a terminal"
    plain = ANSI.sub("", text).replace("\r", "")
    rows = visible_lines(text)
    header = next(line for line in rows if "URL" in line and "Status" in line)
    # Nothing else on the header's line: the progress display was cleared before it.
    assert header.split() == ["URL", "Status", "Time", "Detail"]
    body = rows[rows.index(header) + 1 :]
    for url, status in zip(listed, ["200", "404", "200"], strict=True):
        row = next(line for line in body if line.startswith(url + " "))
        assert row.split()[1] == status
    assert any(
        line.startswith("example.com ") and "ERR" in line and "missing scheme" in line
        for line in body
    )
    redirected = next(line for line in body if line.startswith(listed[2] + " "))
    assert redirected.split()[-2:] == ["->", f"{listed[2][: listed[2].rindex('/')]}/0"]
    # Statuses are coloured by class: green 2xx, bold yellow for a failing 4xx, bold red errors.
    assert re.search(r"\x1b\[32m +200\x1b\[0m", text)
    assert re.search(r"\x1b\[1;33m +404\x1b\[0m", text)
    assert re.search(r"\x1b\[1;31m +ERR\x1b\[0m", text)
    assert "4 URLs: 2 ok, 2 broken, 0 inconclusive in " in plain
    assert "Traceback" not in plain


def test_table_rows_are_in_input_order_on_a_terminal(
    fetchpool_exe: str, server: TestHTTPServer, tmp_path: Path
) -> None:
    listed = [server.url(f"/delay/{delay}") for delay in ("0.3", "0.1", "0")]
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(listed) + "\n")
    run = run_on_terminal(fetchpool_exe, "-q", str(path))
    plain = ANSI.sub("", run.terminal.decode("utf-8", "replace"))
    positions = [plain.index(url + " ") for url in listed]
    assert positions == sorted(positions)
    assert run.returncode == 0


def test_piped_stdout_gets_plain_lines_even_with_stderr_on_a_terminal(
    fetchpool_exe: str, urls: tuple[Path, list[str]]
) -> None:
    path, listed = urls
    run = run_on_terminal(fetchpool_exe, "-r", "0", str(path), stdout_on_terminal=False)
    assert b"\x1b" not in run.stdout
    assert run.stdout.decode().splitlines() == [
        f"{listed[0]}\t200",
        f"{listed[1]}\t404",
        f"{listed[2]}\t200",
        "example.com\tERR\tmissing scheme, did you mean https://example.com?",
    ]
    # The summary still reaches the person at the terminal.
    assert "4 URLs: 2 ok, 2 broken, 0 inconclusive in" in ANSI.sub("", run.terminal.decode())


def test_quiet_leaves_a_terminal_stderr_untouched(
    fetchpool_exe: str, urls: tuple[Path, list[str]]
) -> None:
    path, _ = urls
    run = run_on_terminal(fetchpool_exe, "-q", "-r", "0", str(path), stdout_on_terminal=False)
    assert run.stdout
    assert run.terminal == b""


@dataclass
class Screen:
    lines: list[str]  # the lines shown, blank ones left out
    title: str  # the pane's title, which an OSC 0 or 2 sequence sets


_tmux_servers = itertools.count()


def run_in_tmux(*args: str) -> Screen:
    """Run a command in a detached 120x20 tmux pane; what the pane shows once it is done."""
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("tmux is not installed")
    # A server of its own each time: one just killed may still hold a name that is reused.
    socket_name = f"fetchpool-test-{os.getpid()}-{next(_tmux_servers)}"
    command = (
        f"env -u NO_COLOR -u COLUMNS -u LINES {shlex.join(args)};"
        f" tmux -L {socket_name} wait-for -S done; sleep 30"
    )
    base = [tmux, "-L", socket_name, "-f", os.devnull]
    try:
        subprocess.run(
            [*base, "new-session", "-d", "-x", "120", "-y", "20", command],
            check=True,
            timeout=10,
        )
        subprocess.run([*base, "wait-for", "done"], check=True, timeout=15)
        screen, title = (
            subprocess.run(
                [*base, *query], check=True, capture_output=True, timeout=10
            ).stdout.decode()
            for query in (["capture-pane", "-p"], ["display-message", "-p", "#{pane_title}"])
        )
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True, timeout=10)
    return Screen([line.rstrip() for line in screen.splitlines() if line.strip()], title.strip())


def test_the_screen_shows_the_table_without_leftovers_of_the_progress_display(
    fetchpool_exe: str, server: TestHTTPServer, tmp_path: Path
) -> None:
    listed = [server.url("/status/200"), server.url("/delay/0.3"), server.url("/status/503")]
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(listed) + "\n")
    shown = run_in_tmux(fetchpool_exe, "-r", "0", str(path)).lines
    assert shown[0].split() == ["URL", "Status", "Time", "Detail"]
    assert [line.split()[:2] for line in shown[1:4]] == [
        [listed[0], "200"],
        [listed[1], "200"],
        [listed[2], "503"],
    ]
    assert shown[4].startswith("3 URLs: 2 ok, 0 broken, 1 inconclusive in ")
    assert len(shown) == 5
    assert not any("in flight" in line or "checked" in line for line in shown)


# A URL line carrying an xterm "set title" sequence (OSC 0 ; title BEL), one that is not a
# URL at all with a screen-clearing CSI in it, and a C1 CSI (U+009B) that would start red.
HOSTILE_LINES = ["/page\x1b]0;pwned\x07", "\x1b[2Jnot-a-url", "\u009b31mred"]
HOSTILE_SHOWN = ["/page\\x1b]0;pwned\\x07", "\\x1b[2Jnot-a-url", "\\x9b31mred"]


@pytest.fixture
def hostile(server: TestHTTPServer, tmp_path: Path) -> tuple[Path, list[str]]:
    """A list whose lines hold terminal escapes; and the lines as they should be shown."""
    path = tmp_path / "urls.txt"
    lines = [server.url(HOSTILE_LINES[0]), *HOSTILE_LINES[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [server.url(HOSTILE_SHOWN[0]), *HOSTILE_SHOWN[1:]]


def test_escapes_in_the_input_do_not_retitle_or_clear_the_terminal(
    fetchpool_exe: str, hostile: tuple[Path, list[str]]
) -> None:
    path, shown_urls = hostile
    screen = run_in_tmux(fetchpool_exe, "-r", "0", str(path))
    assert screen.title != "pwned"
    assert screen.lines[0].split() == ["URL", "Status", "Time", "Detail"]
    cells = [line.split() for line in screen.lines[1:]]
    rows = {words[0]: words[1] for words in cells if len(words) > 1}
    assert [rows.get(url) for url in shown_urls] == ["200", "ERR", "ERR"]
    assert screen.lines[-1].startswith("3 URLs: 1 ok, 2 broken, 0 inconclusive in ")


def test_escapes_in_the_input_reach_neither_the_table_nor_plain_output_raw(
    fetchpool_exe: str, hostile: tuple[Path, list[str]]
) -> None:
    path, shown_urls = hostile
    table = run_on_terminal(fetchpool_exe, "-r", "0", str(path)).terminal
    plain = run_on_terminal(fetchpool_exe, "-r", "0", str(path), stdout_on_terminal=False).stdout
    for raw in (b"\x1b]", b"\x07", b"\x1b[2J", "\u009b".encode()):
        assert raw not in table
        assert raw not in plain
    rows = visible_lines(table.decode())
    for url in shown_urls:
        assert any(row.startswith(url + " ") for row in rows), rows
    assert [line.split("\t")[0] for line in plain.decode().splitlines()] == shown_urls


def test_the_progress_display_names_the_url_the_output_waits_for(
    fetchpool_exe: str, server: TestHTTPServer, tmp_path: Path
) -> None:
    silent = server.url("/silent")
    path = tmp_path / "urls.txt"
    path.write_text("\n".join([silent, *(server.url(f"/{n}") for n in range(20))]) + "\n")
    controller, terminal = open_terminal()
    process = subprocess.Popen(
        [fetchpool_exe, "-w", "4", "-t", "60", "-r", "0", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=terminal_env(),
    )
    os.close(terminal)
    shown = b""
    try:
        deadline = time.monotonic() + 30
        wanted = ["1 in flight · 20 done behind", f"waiting for {silent} ("]
        while not all(text in ANSI.sub("", shown.decode(errors="replace")) for text in wanted):
            assert time.monotonic() < deadline, shown[-500:]
            shown += os.read(controller, 65536)
    finally:
        server.state.stop.set()  # the silent URL's server hangs up: the run ends
        stdout, _ = process.communicate(timeout=30)
        os.close(controller)
    assert process.returncode == 1
    assert len(stdout.splitlines()) == 21


def test_documents_on_a_terminal_show_the_problem_rows_and_a_summary_of_every_link(
    fetchpool_exe: str, tmp_path: Path
) -> None:
    (tmp_path / "there.md").write_text("# There\n")
    fine = "".join(f"[fine {n}](there.md)\n" for n in range(20))
    (tmp_path / "index.md").write_text(f"{fine}[gone](gone.md)\n{fine}")
    run = run_on_terminal(fetchpool_exe, str(tmp_path))
    rows = visible_lines(run.terminal.decode("utf-8", "replace"))
    header = rows.index(next(line for line in rows if line.split()[:2] == ["URL", "Status"]))
    assert [line.split()[:2] for line in rows[header + 1 : header + 2]] == [["gone.md", "ERR"]]
    assert not any(line.startswith("there.md ") for line in rows)
    assert rows[-1].startswith("41 URLs: 40 ok, 1 broken, 0 inconclusive in ")
    assert run.returncode == 1
