"""fetchpool against the local server: order, concurrency, streaming, signals.

Run in this process (``run_in_process``) where nothing needs a process of its own;
the installed executable for streaming from a producer, signals, pipes and terminals.
"""

from __future__ import annotations

import logging
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fetchpool import Options, fetch_all

from .inprocess import run_in_process
from .processes import read_line, start
from .server import TestHTTPServer
from .waiting import wait_until


def lines(output: bytes) -> list[list[str]]:
    return [line.split("\t") for line in output.decode().splitlines()]


def test_results_come_out_in_input_order_when_later_urls_finish_first(
    server: TestHTTPServer,
) -> None:
    # The first URL is answered only once the three after it have been.
    paths = ("/after/3/order", "/delay/0?order", "/status/404?order", "/status/200?order")
    urls = [server.url(path) for path in paths]
    done = run_in_process("-q", "-w", "4", "-", input="\n".join(urls) + "\n")
    assert done.returncode == 1
    assert lines(done.stdout) == [
        [urls[0], "200"],
        [urls[1], "200"],
        [urls[2], "404"],
        [urls[3], "200"],
    ]
    # The server marks a request answered just after its answer is written: the client may
    # have it before then.
    assert wait_until(lambda: all(seen.ended for seen in server.log))
    # When each path was first answered (a request sent again, on a connection gone stale,
    # is logged twice).
    first_answered: dict[str, float] = {}
    for seen in sorted(server.log, key=lambda seen: seen.ended):
        first_answered.setdefault(seen.path, seen.ended)
    last = max(first_answered, key=first_answered.__getitem__)
    assert last == "/after/3/order", "the server must finish the first URL last"


def test_every_line_gets_exactly_one_result_duplicates_and_invalid_included(
    server: TestHTTPServer,
) -> None:
    ok = server.url("/status/200")
    text = f"{ok}\n\n# comment\n{ok}\nexample.com\nftp://x/\n{server.url('/status/500')}\n"
    done = run_in_process("-q", "-r", "0", input=text.encode() + b"\xff\xfe\n")
    assert [row[:2] for row in lines(done.stdout)] == [
        [ok, "200"],
        [ok, "200"],
        ["example.com", "ERR"],
        ["ftp://x/", "ERR"],
        [server.url("/status/500"), "500"],
        ["\\xff\\xfe", "ERR"],
    ]
    assert len(server.log) == 3


def test_ten_workers_fetch_slow_urls_at_once_and_one_worker_in_turn(
    server: TestHTTPServer, run_fetchpool
) -> None:
    # How much faster that is belongs to benchmarks/; here, what runs at once.
    slow = [server.url(f"/delay/0.05/{i}") for i in range(8)]
    serial = run_fetchpool("-q", "-w", "1", input="\n".join(slow))
    serial_peak = server.state.max_in_flight
    server.reset()
    # Each is answered only once all eight are there at once.
    together = [server.url(f"/barrier/w/8/{i}") for i in range(8)]
    parallel = run_fetchpool("-q", "-w", "10", input="\n".join(together))
    parallel_peak = server.state.max_in_flight

    assert (serial.returncode, parallel.returncode) == (0, 0)
    assert lines(serial.stdout) == [[url, "200"] for url in slow]
    assert lines(parallel.stdout) == [[url, "200"] for url in together]
    assert (serial_peak, parallel_peak) == (1, 8)


def test_a_slow_server_times_out_with_the_timeout_given(
    server: TestHTTPServer, run_fetchpool
) -> None:
    # The server would answer after a minute; the run is given half that (run_fetchpool's
    # own limit), so only -t can end it in time, however busy the machine.
    done = run_fetchpool("-q", "-t", "0.3", "-r", "0", input=server.url("/delay/60") + "\n")
    assert lines(done.stdout) == [[server.url("/delay/60"), "ERR", "timed out"]]
    assert done.returncode == 1


def test_results_stream_while_the_producer_is_still_writing(
    server: TestHTTPServer, fetchpool_exe: str
) -> None:
    process = start(fetchpool_exe, "-q", "-")
    assert process.stdin is not None and process.stdout is not None
    pending = bytearray()
    try:
        process.stdin.write((server.url("/status/200") + "\n").encode())
        process.stdin.flush()
        # The producer has not finished (stdin is open), yet the first result arrives.
        first = read_line(process.stdout.fileno(), 5, pending)
        assert first == (server.url("/status/200") + "\t200\n").encode()
        process.stdin.write((server.url("/status/404") + "\n").encode())
        process.stdin.flush()
        second = read_line(process.stdout.fileno(), 5, pending)
        assert second == (server.url("/status/404") + "\t404\n").encode()
        assert process.poll() is None
    finally:
        process.stdin.close()
    assert process.wait(5) == 1


def test_a_slow_producer_process_gets_its_first_result_early(
    server: TestHTTPServer, fetchpool_exe: str
) -> None:
    # The producer writes its second line only when told: after the first result is out.
    producer_code = (
        "import sys\n"
        f"print('{server.base}/status/200?0', flush=True)\n"
        "sys.stdin.readline()\n"
        f"print('{server.base}/status/200?1', flush=True)\n"
    )
    producer = subprocess.Popen(
        [sys.executable, "-c", producer_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert producer.stdin is not None and producer.stdout is not None
    process = start(fetchpool_exe, "-q", stdin=producer.stdout)
    producer.stdout.close()
    assert process.stdout is not None
    pending = bytearray()
    try:
        first = read_line(process.stdout.fileno(), 10, pending)
        assert first == f"{server.base}/status/200?0\t200\n".encode()
        assert producer.poll() is None, "the producer should still be running"
    finally:
        producer.stdin.close()  # let it write its second line and end
    rest = process.communicate(timeout=10)[0]
    assert producer.wait(10) == 0
    assert (bytes(pending) + rest).decode() == f"{server.base}/status/200?1\t200\n"


def test_ctrl_c_writes_finished_results_in_order_and_exits_130_promptly(
    server: TestHTTPServer, fetchpool_exe: str, tmp_path: Path
) -> None:
    paths = ["/status/200", "/status/404", "/silent", "/status/201", "/silent", "/status/202"]
    paths += ["/silent"] * 6
    urls = [server.url(path) for path in paths]
    source = tmp_path / "urls.txt"
    source.write_text("\n".join(urls) + "\n")
    process = start(fetchpool_exe, "-w", "8", "-t", "60", str(source), stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    pending = bytearray()
    early = [read_line(process.stdout.fileno(), 10, pending) for _ in range(2)]
    assert None not in early
    # Every one of the 8 workers holds a silent URL: so each URL behind the first /silent
    # was done, and its result stored unyielded, before its worker took a silent one.
    silent = lambda: sum(seen.path == "/silent" for seen in server.log)  # noqa: E731
    assert wait_until(lambda: silent() == 8), "requests never reached the server"

    process.send_signal(signal.SIGINT)
    # Promptly: a hang check only, far short of the silent requests' 60 s.
    stdout, stderr = process.communicate(timeout=10)

    assert process.returncode == 130
    output = b"".join([*early, bytes(pending), stdout]).decode().splitlines()
    assert output == [
        f"{urls[0]}\t200",
        f"{urls[1]}\t404",
        f"{urls[3]}\t201",
        f"{urls[5]}\t202",
    ]
    assert b"Traceback" not in stderr
    assert b"KeyboardInterrupt" not in stderr
    assert stderr.decode().startswith("interrupted after 4 URLs")


def test_a_second_ctrl_c_leaves_at_once_without_a_traceback(
    server: TestHTTPServer, fetchpool_exe: str, tmp_path: Path
) -> None:
    source = tmp_path / "urls.txt"
    source.write_text("".join(server.url(p) + "\n" for p in ["/silent", "/", "/"]))
    process = start(fetchpool_exe, "-t", "60", "-r", "0", str(source), stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while len(server.log) < 3:  # every request is under way; the silent one holds
            assert time.monotonic() < deadline, "requests never reached the server"
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGINT)
        # Not left waiting at exit for the silent request's minute.
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 130
    assert b"Traceback" not in stderr


def test_a_closed_stdout_ends_the_run_promptly_and_quietly(
    server: TestHTTPServer, fetchpool_exe: str, tmp_path: Path
) -> None:
    text = "".join(server.url(f"/delay/0.05/{i}") + "\n" for i in range(200))
    source = tmp_path / "urls.txt"
    source.write_text(text)
    process = start(fetchpool_exe, "-w", "4", str(source), stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    # `| head -1`: read one line, then close our end of the pipe.
    first = read_line(process.stdout.fileno(), 5, bytearray())
    assert first is not None
    process.stdout.close()
    closed = time.monotonic()
    stderr = process.stderr.read() if process.stderr else b""
    process.wait(5)
    assert time.monotonic() - closed < 1.5
    assert process.returncode == 141
    assert b"Traceback" not in stderr
    assert b"BrokenPipeError" not in stderr
    assert b"Exception ignored" not in stderr
    assert len(server.log) < 60, "it went on fetching after the reader left"


def test_a_closed_stdout_ends_the_run_though_the_next_url_is_silent(
    server: TestHTTPServer, fetchpool_exe: str, tmp_path: Path
) -> None:
    source = tmp_path / "urls.txt"
    source.write_text(f"{server.url('/')}\n{server.url('/silent')}\n{server.url('/')}\n")
    process = start(fetchpool_exe, "-t", "60", str(source), stdin=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        # `| head -1` while the next line waits for a server that never answers: nothing
        # more will be written for a minute, and the run must not wait for that to notice.
        assert read_line(process.stdout.fileno(), 10, bytearray()) is not None
        process.stdout.close()
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 141
    assert stderr == b""


def test_a_real_head_pipeline_ends_quietly(server: TestHTTPServer, fetchpool_exe: str) -> None:
    urls_file = "".join(server.url(f"/delay/0.02/{i}") + "\n" for i in range(300))
    script = f'printf %s "$URLS" | "{fetchpool_exe}" -w 4 | head -1'
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", script],
        capture_output=True,
        env={**os.environ, "URLS": urls_file},
        timeout=20,
    )
    assert done.stdout.decode().splitlines() == [server.url("/delay/0.02/0") + "\t200"]
    assert b"Traceback" not in done.stderr
    assert b"BrokenPipe" not in done.stderr
    assert done.returncode == 141
    assert len(server.log) < 100


def test_standard_input_is_read_when_no_source_is_given(server: TestHTTPServer) -> None:
    done = run_in_process("-q", input=server.url("/status/200") + "\n")
    assert (done.returncode, done.stdout.decode()) == (0, server.url("/status/200") + "\t200\n")


def test_no_source_with_a_terminal_on_stdin_is_a_usage_error_not_a_wait(
    fetchpool_exe: str,
) -> None:
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [fetchpool_exe],
            stdin=terminal,
            capture_output=True,
            timeout=10,
            env={**os.environ, "NO_COLOR": "1"},
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 2
    assert b"Usage: fetchpool" in done.stderr
    assert b"standard input is a terminal" in done.stderr
    assert done.stdout == b""


def test_a_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    done = run_in_process(str(missing))
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        f"fetchpool: error: cannot read '{missing}': No such file or directory"
        " (see 'fetchpool --help')"
    ]


def test_python_dash_m_runs_the_same_command(run_fetchpool) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fetchpool", "--version"], capture_output=True, timeout=10
    )
    assert done.returncode == 0
    assert done.stdout.startswith(b"fetchpool, version ")


def test_connections_are_reused_across_many_urls(
    server: TestHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    text = "".join(server.url(f"/status/200?{i}") + "\n" for i in range(40))
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        done = run_in_process("-w", "2", input=text)
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 40
    assert len(server.log) == 40
    assert server.state.connections <= 4, server.state.connections
    # In this process urllib3's warnings go to pytest's log capture, not to stderr.
    assert "Connection pool is full" not in done.stderr.decode() + caplog.text


def test_no_connection_pool_is_full_warnings(
    server: TestHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    urls = [server.url(f"/delay/0.01/{i}") for i in range(60)]
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        results = list(fetch_all(urls, Options(max_workers=8)))
    assert [result.status for result in results] == [200] * 60
    assert [r.getMessage() for r in caplog.records if "pool is full" in r.getMessage()] == []
    assert server.state.connections <= 16


@pytest.mark.parametrize("how", ["stdout", "-o"])
def test_a_full_disk_is_one_line_of_error_not_a_traceback(
    server: TestHTTPServer, fetchpool_exe: str, tmp_path: Path, how: str
) -> None:
    source = tmp_path / "urls.txt"
    source.write_text(server.url("/status/200") + "\n")
    with open("/dev/full", "w") as full:
        args = ["-o", "/dev/full"] if how == "-o" else []
        done = subprocess.run(
            [fetchpool_exe, "-q", *args, str(source)],
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "fetchpool: error: cannot write the results: No space left on device"
    ]
