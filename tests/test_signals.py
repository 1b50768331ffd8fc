"""SIGINT, SIGTERM and SIGHUP: what finished is written in order, the output is closed, and
fetchpool leaves at once with 128 + the signal, however many signals come and in what mix."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fetchpool.cli.main import cli
from fetchpool.signals import SignalStop

from .processes import read_line, start
from .server import TestHTTPServer
from .waiting import wait_until

README = Path(__file__).resolve().parent.parent / "README.md"

# Answered URLs ahead of the first silent one (written as they come), and behind it
# (done, and held back for it).
AHEAD = 3
BEHIND = 5
# A stopped process is out at once; this only bounds a hang.
HANG = 10

Stuck = Callable[..., tuple[subprocess.Popen[bytes], list[str]]]


@pytest.fixture
def stuck_run(server: TestHTTPServer, fetchpool_exe: str, tmp_path: Path) -> Iterator[Stuck]:
    """Start fetchpool on answered URLs around a silent one, with a second silent one last;
    return once every answered URL is done, with the process and those URLs in order.

    With -w 2, one worker holds the first silent URL and the other goes through the
    rest in input order, each result stored before it takes the next URL: when the
    server sees the second silent request, every answered URL is done, and nothing
    else will ever finish.
    """
    processes: list[subprocess.Popen[bytes]] = []

    def run(*args: str) -> tuple[subprocess.Popen[bytes], list[str]]:
        ahead = [server.url(f"/status/200?ahead={n}") for n in range(AHEAD)]
        behind = [server.url(f"/status/200?behind={n}") for n in range(BEHIND)]
        urls = [*ahead, server.url("/silent/first"), *behind, server.url("/silent/last")]
        source = tmp_path / "urls.txt"
        source.write_text("".join(url + "\n" for url in urls))
        process = start(
            fetchpool_exe, "-w", "2", "-t", "60", "-r", "0", *args, str(source),
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(process)
        silent = lambda: sum(seen.path.startswith("/silent") for seen in server.log)  # noqa: E731
        assert wait_until(lambda: silent() == 2), "the requests never reached the server"
        return process, [*ahead, *behind]

    yield run
    for process in processes:
        process.kill()
        process.communicate()


def send(process: subprocess.Popen[bytes], *signals: int) -> tuple[bytes, bytes]:
    """Send ``signals`` back to back; what the process then wrote, once it has left."""
    for signum in signals:
        process.send_signal(signum)
    return process.communicate(timeout=HANG)


def urls_of(jsonl: bytes) -> list[str]:
    return [json.loads(line)["url"] for line in jsonl.decode().splitlines()]


def assert_stopped_cleanly(stderr: bytes) -> None:
    """The summary of an interrupted run, with nothing from Python's own shutdown."""
    text = stderr.decode()
    assert text.startswith(f"interrupted after {AHEAD + BEHIND} URLs: {AHEAD + BEHIND} ok,")
    assert "; 2 in flight not reported" in text
    assert "Traceback" not in text
    assert "Exception ignored" not in text


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["INT", "TERM", "HUP"],
)
def test_a_signal_writes_every_finished_result_in_order_and_exits_128_plus_it(
    stuck_run: Stuck, signum: int, status: int
) -> None:
    process, answered = stuck_run("-f", "jsonl")
    assert process.stdout is not None
    pending = bytearray()
    streamed = [read_line(process.stdout.fileno(), HANG, pending) for _ in range(AHEAD)]
    assert None not in streamed, "the results ahead of the silent URL did not stream"

    stdout, stderr = send(process, signum)

    assert process.returncode == status
    assert urls_of(b"".join([*streamed, bytes(pending), stdout])) == answered
    assert_stopped_cleanly(stderr)


def test_sigterm_closes_a_json_document(stuck_run: Stuck) -> None:
    process, answered = stuck_run("-f", "json")
    stdout, stderr = send(process, signal.SIGTERM)
    assert process.returncode == 143
    assert [result["url"] for result in json.loads(stdout)] == answered
    assert_stopped_cleanly(stderr)


def test_two_sigints_back_to_back_lose_nothing_and_leave_at_once(stuck_run: Stuck) -> None:
    process, answered = stuck_run("-f", "jsonl")
    stdout, stderr = send(process, signal.SIGINT, signal.SIGINT)
    assert process.returncode == 130
    assert urls_of(stdout) == answered
    assert_stopped_cleanly(stderr)


def test_five_mixed_signals_back_to_back_lose_nothing_and_leave_at_once(stuck_run: Stuck) -> None:
    process, answered = stuck_run("-f", "json")
    mix = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGINT, signal.SIGTERM)
    stdout, stderr = send(process, *mix)
    # Signals pending together are handled lowest number first, whatever order they were
    # sent in: the status is 128 + whichever was handled first.
    assert process.returncode in {129, 130, 143}
    assert [result["url"] for result in json.loads(stdout)] == answered
    assert_stopped_cleanly(stderr)


def test_a_later_signal_ends_a_shutdown_stuck_on_an_output_nobody_reads(
    server: TestHTTPServer, fetchpool_exe: str, tmp_path: Path
) -> None:
    # Far more output than the pipe and fetchpool's buffer hold, and nobody reading it.
    answered = [server.url(f"/status/200?n={n}&pad={'x' * 2000}") for n in range(150)]
    source = tmp_path / "urls.txt"
    source.write_text("".join(url + "\n" for url in [*answered, server.url("/silent")]))
    process = start(fetchpool_exe, "-t", "60", "-r", "0", str(source), stdin=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: len(server.log) == len(answered) + 1)
        # Two different signals: two of a kind still pending would be delivered as one.
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGHUP)
        process.wait(HANG)
        assert process.stderr is not None
        stderr = process.stderr.read()
    finally:
        process.kill()
        process.communicate()
    assert process.returncode in {143, 129}
    assert b"Traceback" not in stderr


# -- the handlers, in this process -----------------------------------------------------


def test_the_first_signal_is_kept_and_wakes_the_run_and_later_ones_change_nothing() -> None:
    woken: list[bool] = []
    previous = signal.getsignal(signal.SIGTERM)
    # A long grace: the later signal must not end this process, however slow the machine.
    with SignalStop(grace=60) as stop:
        stop.on_signal(lambda: woken.append(True))
        signal.raise_signal(signal.SIGTERM)
        assert wait_until(lambda: woken == [True])
        signal.raise_signal(signal.SIGINT)
    assert (stop.signum, stop.status, woken) == (signal.SIGTERM, 143, [True])
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_run_that_starts_after_the_signal_is_woken_at_once() -> None:
    woken: list[bool] = []
    with SignalStop() as stop:
        signal.raise_signal(signal.SIGHUP)
        assert wait_until(lambda: stop.caught)
        stop.on_signal(lambda: woken.append(True))
        assert woken == [True]
    assert stop.status == 129


def test_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with SignalStop():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert callable(signal.getsignal(signal.SIGTERM))
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_off_the_main_thread_no_handler_is_set() -> None:
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    during: dict[int, object] = {}

    def enter() -> None:
        with SignalStop():
            during.update({signum: signal.getsignal(signum) for signum in before})

    thread = threading.Thread(target=enter)
    thread.start()
    thread.join(5)
    assert during == before


def test_until_caught_ends_before_the_next_item() -> None:
    seen = []
    with SignalStop() as stop:
        for item in stop.until_caught(range(5)):
            seen.append(item)
            if item == 1:
                signal.raise_signal(signal.SIGINT)
                assert wait_until(lambda: stop.caught)
    assert seen == [0, 1]


def test_leaving_puts_back_the_handlers_and_the_wakeup_fd() -> None:
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    with SignalStop():
        pass
    assert {signum: signal.getsignal(signum) for signum in before} == before
    assert signal.set_wakeup_fd(-1) == -1


@pytest.mark.parametrize("status", [130, 143, 129])
def test_each_signals_exit_status_is_in_the_help_and_the_readme(status: int) -> None:
    from click.testing import CliRunner

    help_text = " ".join(CliRunner().invoke(cli, ["--help"]).output.split())
    assert f" {status}" in help_text
    assert f"| {status} |" in README.read_text()
