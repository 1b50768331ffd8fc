"""Flaky servers, rate limits, politeness, big bodies, huge inputs, hostile bytes and TLS.

Everything here runs against real sockets: the local server, and the installed executable or
fetch_all in this process.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import pytest

from fetchpool import Options, fetch_all
from fetchpool.core import retry
from fetchpool.core.retry import parse_retry_after

from .processes import measured, peak_rss_mb, read_line, start
from .server import TestHTTPServer, TrickleRelay
from .waiting import wait_until


def jsonl(output: bytes) -> list[dict]:
    return [json.loads(line) for line in output.decode().splitlines()]


@dataclass
class Measured:
    returncode: int
    stdout: bytes
    stderr: bytes
    peak_rss_mb: float


def run_measured(exe: str, args: list[str], stdin: bytes | str = b"") -> Measured:
    """Run the executable with input from a file, measuring its own peak RSS."""
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryFile() as source,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        source.write(stdin.encode() if isinstance(stdin, str) else stdin)
        source.seek(0)
        report = Path(folder) / "peak"
        process = subprocess.Popen(
            measured([exe, *args], report), stdin=source, stdout=out, stderr=err
        )
        process.wait()
        out.seek(0)
        err.seek(0)
        return Measured(process.returncode, out.read(), err.read(), peak_rss_mb(report))


# --- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "retries", "status", "attempts"),
    [
        (503, 2, 200, 3),
        (502, 2, 200, 3),
        (504, 2, 200, 3),
        (429, 2, 200, 3),
        (503, 1, 503, 2),
        (503, 0, 503, 1),
        (500, 2, 500, 1),  # not transient: no retry
        (404, 2, 404, 1),
    ],
)
def test_transient_statuses_are_retried_and_attempts_recorded(
    server: TestHTTPServer, code: int, retries: int, status: int, attempts: int
) -> None:
    url = server.url(f"/flaky/k{code}-{retries}/2/{code}")
    (result,) = fetch_all([url], Options(retries=retries, max_retry_wait=0.05))
    assert (result.status, result.attempts) == (status, attempts)
    assert len(server.log) == attempts


def test_connection_errors_are_retried_then_reported(server: TestHTTPServer) -> None:
    options = Options(retries=2, max_retry_wait=0.05)
    (result,) = fetch_all([server.url("/close")], options)
    # The server hangs up without answering: a clean close or a reset, by timing.
    assert result.error in ("connection closed by server", "connection reset")
    assert (result.attempts, result.ok) == (3, False)


def test_retry_after_seconds_is_honoured(server: TestHTTPServer) -> None:
    (result,) = fetch_all([server.url("/flaky/ra/1/429?retry_after=1")])
    assert result.status == 200
    first, second = server.log
    assert second.started - first.started >= 0.95


def test_retry_after_is_capped_by_max_retry_wait(server: TestHTTPServer) -> None:
    url = server.url("/flaky/cap/1/503?retry_after=120")
    (result,) = fetch_all([url], Options(max_retry_wait=0.2))
    assert result.status == 200
    first, second = server.log
    # The retry waited the 0.2 s allowed, not the two minutes asked for.
    assert 0.2 * 0.99 <= second.started - first.started < 60


def test_retry_after_http_date_is_parsed() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0
    assert parse_retry_after("7") == 7
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_between_retries(
    server: TestHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    jitter: list[tuple[float, float]] = []

    def longest(low: float, high: float) -> float:
        jitter.append((low, high))
        return high

    monkeypatch.setattr(retry.random, "uniform", longest)
    options = Options(retries=2, backoff=0.1, max_retry_wait=5)
    (result,) = fetch_all([server.url("/flaky/bo/2/503")], options)
    assert result.status == 200
    # Jitter takes each wait from half to all of 0.1 s, then 0.2 s: here all of it.
    assert jitter == [(0.5, 1.0), (0.5, 1.0)]
    starts = [seen.started for seen in server.log]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # Lower bounds only: a busy machine may send a retry later, never sooner.
    assert gaps[0] >= 0.1 * 0.99
    assert gaps[1] >= 0.2 * 0.99


# --- HEAD -------------------------------------------------------------------------------------


def test_head_refused_by_the_server_is_rechecked_with_get(server: TestHTTPServer) -> None:
    (result,) = fetch_all([server.url("/head-not-allowed")], Options(method="HEAD"))
    assert (result.status, result.ok) == (200, True)
    assert [seen.method for seen in server.log] == ["HEAD", "GET"]


def test_head_that_works_sends_no_get(server: TestHTTPServer) -> None:
    (result,) = fetch_all([server.url("/status/200")], Options(method="HEAD"))
    assert result.status == 200
    assert [seen.method for seen in server.log] == ["HEAD"]


# --- politeness -------------------------------------------------------------------------------


def test_per_host_caps_requests_in_flight(server: TestHTTPServer) -> None:
    # Each request is answered once three are there at once: three must be let through
    # together, and twelve workers must never send a fourth.
    urls = [server.url(f"/barrier/ph/3/{n}") for n in range(12)]
    results = list(fetch_all(urls, Options(max_workers=12, per_host=3)))
    assert [result.status for result in results] == [200] * 12
    assert server.state.max_in_flight == 3


def test_per_host_holds_across_retries(server: TestHTTPServer) -> None:
    urls = [server.url(f"/flaky/ph{n}/1/503") for n in range(8)]
    options = Options(max_workers=8, per_host=2, max_retry_wait=0.01)
    results = list(fetch_all(urls, options))
    assert [result.status for result in results] == [200] * 8
    assert len(server.log) == 16
    assert server.state.max_in_flight <= 2


def test_rate_spaces_requests_to_a_host(server: TestHTTPServer, turns: list[float]) -> None:
    urls = [server.url(f"/status/200?n={n}") for n in range(10)]
    results = list(fetch_all(urls, Options(max_workers=10, rate=20)))
    assert [result.status for result in results] == [200] * 10
    # Ten workers ask at once: the host's turns come 1/20 s apart ...
    turns.sort()
    assert len(turns) == 10
    assert min(later - earlier for earlier, later in itertools.pairwise(turns)) >= 0.05 * 0.999
    # ... and no request reaches the server before its turn.
    arrivals = sorted(seen.started for seen in server.log)
    assert all(at >= turn - 0.001 for at, turn in zip(arrivals, turns, strict=True))


def test_without_politeness_requests_run_together(server: TestHTTPServer) -> None:
    # Each request is answered once all eight are there at once.
    urls = [server.url(f"/barrier/all/8/{n}") for n in range(8)]
    results = list(fetch_all(urls, Options(max_workers=8)))
    assert [result.status for result in results] == [200] * 8
    assert server.state.max_in_flight == 8


# --- bodies and scale -------------------------------------------------------------------------


def test_big_bodies_are_not_downloaded(server: TestHTTPServer, fetchpool_exe: str) -> None:
    urls = "\n".join(server.url(f"/big/200?n={n}") for n in range(6))
    measured = run_measured(fetchpool_exe, ["-w", "6", "-f", "jsonl", "-"], urls)
    results = jsonl(measured.stdout)
    assert [result["status"] for result in results] == [200] * 6
    assert measured.peak_rss_mb < 150
    # Each client hung up early: of 200 MiB, the server got out only what the socket
    # buffers between them hold.
    assert wait_until(lambda: all(seen.ended for seen in server.log))
    assert [seen.body_sent < 50 * 1024 * 1024 for seen in server.log] == [True] * 6


def rss_kib(pid: int) -> int:
    """The resident set of process ``pid`` now, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def count_lines(fd: int, count: int, timeout: float) -> int:
    """Read ``fd`` until ``count`` lines have come (or it ends, or ``timeout`` seconds pass):
    how many came."""
    deadline = time.monotonic() + timeout
    got = 0
    while got < count:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        got += chunk.count(b"\n")
    return got


def test_lines_stream_in_flat_memory(fetchpool_exe: str) -> None:
    """Lines through a pipe: the first results arrive while input is still being written,
    and once the first lines are through, memory does not grow with the lines done."""
    warm_up, more = 20_000, 120_000
    process = start(fetchpool_exe, "-q", "-")
    assert process.stdin is not None and process.stdout is not None
    stdin, out = process.stdin, process.stdout.fileno()
    stdin.write(b"".join(b"example%d.com/\n" % n for n in range(100)))
    stdin.flush()
    pending = bytearray()
    first = read_line(out, 30, pending)
    assert first is not None and first.startswith(b"example0.com/\tERR\tmissing scheme")
    read = 1 + pending.count(b"\n")

    def feed(lines: range) -> int:
        """Write ``lines`` beside the reading: the results read once each line has its own.
        Standard input stays open, so the process is measured between inputs."""
        nonlocal read

        def write() -> None:
            stdin.write(b"".join(b"http://example%d.com:bad/\n" % n for n in lines))
            stdin.flush()

        writer = threading.Thread(target=write)
        writer.start()
        read += count_lines(out, lines.stop - read, 60)
        writer.join(30)
        return read

    try:
        assert feed(range(100, warm_up)) == warm_up
        warm = rss_kib(process.pid)
        assert feed(range(warm_up, warm_up + more)) == warm_up + more
        grown = rss_kib(process.pid) - warm
    finally:
        stdin.close()
    assert process.wait(30) == 1
    # Flat moves by an arena (a few MiB) either way; the smallest thing kept for each line,
    # the line itself, would come to about 10 MiB.
    assert grown < 6 * 1024, f"{grown} KiB more after {more:,} more lines"


def test_fetched_urls_stream_in_flat_memory(server: TestHTTPServer, fetchpool_exe: str) -> None:
    """Thousands of URLs fetched (not rejected, as the million lines above are): once the
    first few hundred are through, memory does not grow with the URLs done."""
    warm_up, more = 500, 2500
    urls = [server.url(f"/status/200?n={n}") for n in range(warm_up + more)]
    process = start(fetchpool_exe, "-q", "-w", "8", "-")
    assert process.stdin is not None and process.stdout is not None
    # Written beside the reading, and left open: the process waits for more input after the
    # last result, still there to be measured.
    stdin = process.stdin

    def write() -> None:
        stdin.write("".join(f"{url}\n" for url in urls).encode())
        stdin.flush()

    writer = threading.Thread(target=write)
    writer.start()
    pending = bytearray()
    try:
        assert all(read_line(process.stdout.fileno(), 30, pending) for _ in range(warm_up))
        warm = rss_kib(process.pid)
        assert all(read_line(process.stdout.fileno(), 30, pending) for _ in range(more))
        grown = rss_kib(process.pid) - warm
    finally:
        writer.join(30)
        stdin.close()
    assert process.wait(10) == 0
    # Flat grows by tens of KiB; a Result kept for each URL would come to about 1 MiB.
    assert grown < 512, f"{grown} KiB more after {more} more URLs"


# --- hostile input ----------------------------------------------------------------------------

HOSTILE = [
    (b"\xff\xfehttp://example.com/", "not valid UTF-8"),
    (b"http://exa\x00mple.com/", "contains a NUL byte"),
    (b"http://example.com/" + b"a" * 200_000, "line too long"),
    (b"http://example.com/a page", "invalid URL: contains whitespace"),
    (b"example.com", "missing scheme, did you mean https://example.com?"),
    (b"ftp://example.com/file", "unsupported scheme 'ftp'"),
    (b"javascript:alert(1)", "unsupported scheme 'javascript'"),
    (b"http://", "invalid URL: no host"),
    (b"http://:8080/", "invalid URL: no host"),
    (b"http://example.com:99999/", "invalid URL: bad port '99999'"),
    (b"http://example.com:port/", "invalid URL: bad port 'port'"),
    (b"http://[::1/", "invalid URL"),
]


@pytest.fixture(scope="module")
def hostile_run(fetchpool_exe: str) -> tuple[subprocess.CompletedProcess[bytes], list[dict]]:
    """One run over every hostile line, and its results in order."""
    lines = b"".join(line + b"\n" for line, _ in HOSTILE)
    done = subprocess.run(
        [fetchpool_exe, "-f", "jsonl"], input=lines, capture_output=True, timeout=30
    )
    return done, jsonl(done.stdout)


@pytest.mark.parametrize(
    ("index", "reason"), list(enumerate(r for _, r in HOSTILE)), ids=[r for _, r in HOSTILE]
)
def test_hostile_lines_each_get_a_clear_error(hostile_run, index: int, reason: str) -> None:
    done, results = hostile_run
    assert len(results) == len(HOSTILE)
    assert results[index]["status"] is None
    assert results[index]["error"].startswith(reason)
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr


def test_hostile_lines_lose_nothing_among_good_ones(server: TestHTTPServer, run_fetchpool):
    good = server.url("/status/200").encode()
    lines = [good]
    for line, _ in HOSTILE:
        lines += [line, good]
    done = run_fetchpool("-f", "jsonl", input=b"\n".join(lines) + b"\n")
    results = jsonl(done.stdout)
    assert len(results) == len(lines)
    assert [result["line"] for result in results] == list(range(1, len(lines) + 1))
    assert [r["status"] for r in results[::2]] == [200] * (len(HOSTILE) + 1)
    assert all(r["error"] for r in results[1::2])


@pytest.fixture
def ipv6_server() -> Iterator[TestHTTPServer]:
    server = TestHTTPServer("::1").start()
    yield server
    server.stop()


def test_ipv6_literals_work(ipv6_server: TestHTTPServer, run_fetchpool) -> None:
    url = ipv6_server.url("/status/204")
    assert url.startswith("http://[::1]:")
    done = run_fetchpool("-f", "jsonl", input=url)
    (result,) = jsonl(done.stdout)
    assert (result["url"], result["status"]) == (url, 204)


def test_internationalised_host_names_are_encoded(run_fetchpool) -> None:
    """The IDNA form is looked up, so the answer is about DNS, not about the name's syntax."""
    done = run_fetchpool("-f", "jsonl", "-r", "0", input="http://bücher.invalid/\n")
    (result,) = jsonl(done.stdout)
    assert result["url"] == "http://bücher.invalid/"
    assert result["error"] == "DNS lookup failed"


# --- TLS --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[TestHTTPServer, str]]:
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    server = TestHTTPServer()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.start()
    with tempfile.NamedTemporaryFile(suffix=".pem", delete=False) as bundle:
        bundle.write(authority.cert_pem.bytes())
    yield server, bundle.name
    server.stop()
    os.unlink(bundle.name)


@pytest.mark.parametrize(
    ("extra", "status", "error"),
    [
        ([], None, "TLS certificate verify failed"),
        (["--insecure"], 200, None),
        (["--ca-bundle", "{bundle}"], 200, None),
    ],
)
def test_tls_verification(tls_server, run_fetchpool, extra, status, error) -> None:
    server, bundle = tls_server
    url = server.base.replace("http://", "https://") + "/status/200"
    args = [arg.format(bundle=bundle) for arg in extra]
    done = run_fetchpool("-f", "jsonl", "-r", "0", *args, input=url)
    (result,) = jsonl(done.stdout)
    assert (result["status"], result["error"]) == (status, error)
    assert b"Warning" not in done.stderr


@pytest.mark.parametrize(
    ("extra", "env", "status", "error"),
    [
        ([], {}, None, "TLS certificate verify failed"),
        (["--ca-bundle", "{bundle}"], {}, 200, None),
        ([], {"REQUESTS_CA_BUNDLE": "{bundle}"}, 200, None),
    ],
)
def test_a_redirect_from_http_to_https_is_verified_with_the_chosen_ca(
    tls_server, server, run_fetchpool, extra, env, status, error
) -> None:
    secure, bundle = tls_server
    target = secure.base.replace("http://", "https://") + "/status/200"
    url = server.url("/redirect-to?url=" + target)
    args = [arg.format(bundle=bundle) for arg in extra]
    environment = {"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": ""}
    environment.update({key: value.format(bundle=bundle) for key, value in env.items()})
    done = run_fetchpool("-f", "jsonl", "-r", "0", *args, input=url, env=environment)
    (result,) = jsonl(done.stdout)
    assert (result["status"], result["error"], result["final_url"]) == (
        status,
        error,
        target,  # where the redirect led, whether or not the check ended well there
    )


def test_a_tls_handshake_that_crawls_times_out_at_the_deadline(tls_server) -> None:
    server, bundle = tls_server
    relay = TrickleRelay(server.server_address[:2])
    try:
        url = f"https://127.0.0.1:{relay.port}/status/200"
        [result] = fetch_all([url], Options(timeout=0.5, retries=0, verify=bundle))
        assert (result.status, result.error) == (None, "timed out")
        # The relay would crawl on for a minute: the client hung up at its deadline.
        assert relay.hung_up.wait(20)
    finally:
        relay.stop()
