#!/usr/bin/env python3
"""fetchpool side by side with the textbook pattern, curl --parallel and xargs curl.

One command runs every case on this machine and prints a table per case:

    python benchmarks/bench.py [--markdown FILE]

It starts its own servers on 127.0.0.1: nginx (Debian's nginx-light, installed
with apt-get when missing, run from a generated config) for the zero-latency
case, and a small asyncio server that answers every request after --delay
seconds for the latency case. Without nginx (or with --python-server) a Python
server answers at once instead, and the output says so: it is then the
bottleneck, so the zero-latency figures compare less.

Tools run as subprocesses, interleaved, --repeats times each; the table shows
the median time and the median peak RSS of the tool's process (for xargs, the
largest single process: xargs itself or one of its curls). Every run's output
is counted: a run that did not get a 200 for every URL is flagged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXTBOOK = HERE / "textbook.py"

FETCHPOOL = "fetchpool"
TEXTBOOK_NAME = "requests + ThreadPoolExecutor"
CURL = "curl --parallel"
XARGS = "xargs -P curl"

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

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def stop(self) -> None:
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


@dataclass
class Tool:
    name: str
    command: list[str]
    stdin: Path | None = None
    samples: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(sample.seconds for sample in self.samples)

    @property
    def peak_rss_mib(self) -> float:
        return statistics.median(sample.peak_rss_kib for sample in self.samples) / 1024

    def problems(self, expected_ok: int | None) -> list[str]:
        found = []
        for sample in self.samples:
            if expected_ok is not None and sample.ok != expected_ok:
                found.append(f"{sample.ok} of {expected_ok} answers were 200")
            elif sample.exit_status != 0:
                found.append(f"exit status {sample.exit_status}")
        return sorted(set(found))


def run_once(command: list[str], env: dict[str, str], stdin: Path | None = None) -> Sample:
    """Run ``command`` to its end: wall time, peak RSS and the lines that end in 200.

    Output goes to a file, counted afterwards, so that reading it costs the run
    nothing. Peak RSS comes from GNU time where it is installed: a process
    forked from this one starts with this interpreter's memory, which os.wait4
    would count as its own.
    """
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        source = stack.enter_context(open(stdin, "rb")) if stdin else subprocess.DEVNULL
        output = stack.enter_context(open(workdir / "output", "w+b"))
        report = workdir / "rss"
        if GNU_TIME:
            command = [GNU_TIME, "-f", "%M", "-o", str(report), *command]
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdin=source, stdout=output, stderr=subprocess.DEVNULL, env=env
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        # Linux reports ru_maxrss in KiB, and so does GNU time's %M.
        peak = usage.ru_maxrss
        if GNU_TIME:
            words = report.read_text().split() if report.exists() else []
            peak = int(words[-1]) if words and words[-1].isdigit() else peak
        output.seek(0)
        ok = _count_ok(output.read)
    return Sample(seconds, peak, ok, process.returncode)


def _count_ok(read: Callable[[int], bytes]) -> int:
    """Lines that end in ``200`` (every tool here writes the status last on its line)."""
    count = 0
    tail = b""
    while chunk := read(1 << 20):
        data = tail + chunk
        count += data.count(b"200\n")
        # A match needs four bytes, so three carried over can only start one.
        tail = data[-3:]
    return count


def run_interleaved(
    tools: list[Tool],
    repeats: int,
    env: dict[str, str],
    log: Log,
    warm_up: list[Tool] | None = None,
) -> None:
    """Each repeat runs every tool once; the order rotates so none is always first.

    ``warm_up`` (or the tools themselves) run once first, unmeasured, so that no
    measured run pays for a cold page cache or for compiling bytecode.
    """
    for tool in warm_up if warm_up is not None else tools:
        run_once(tool.command, env, tool.stdin)
    for repeat in range(repeats):
        shift = repeat % len(tools)
        for tool in tools[shift:] + tools[:shift]:
            sample = run_once(tool.command, env, tool.stdin)
            tool.samples.append(sample)
            log(f"  {tool.name}: {sample.seconds:.3f} s, {sample.peak_rss_kib / 1024:.1f} MiB")


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
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def tool(self, name: str) -> Tool | None:
        return next((tool for tool in self.tools if tool.name == name), None)


class Log:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


def write_url_files(workdir: Path, name: str, server: Server, count: int) -> tuple[Path, Path]:
    """A list of ``count`` distinct URLs on ``server``, and the same as a curl config."""
    urls = workdir / f"{name}.txt"
    config = workdir / f"{name}.curl"
    with open(urls, "w") as plain, open(config, "w") as curl:
        for number in range(count):
            url = server.url(str(number))
            plain.write(url + "\n")
            curl.write(f'url = "{url}"\noutput = "/dev/null"\n')
    return urls, config


def fetch_tools(exe: Exes, urls: Path, config: Path, workers: int) -> list[Tool]:
    write_out = "%{url} %{http_code}\\n"
    tools = [
        Tool(FETCHPOOL, [exe.fetchpool, "-q", "-f", "plain", "-w", str(workers), str(urls)]),
        Tool(TEXTBOOK_NAME, [exe.python, str(TEXTBOOK), str(urls), str(workers)]),
    ]
    if exe.curl:
        parallel = ["--parallel", "--parallel-max", str(workers)]
        silent = ["--silent", "--no-progress-meter", "--write-out", write_out]
        tools.append(Tool(CURL, [exe.curl, *parallel, *silent, "--config", str(config)]))
        if exe.xargs:
            command = [exe.xargs, "-P", str(workers), "-n", "1", exe.curl, "-s", "-o", "/dev/null"]
            tools.append(Tool(XARGS, [*command, "-w", write_out], stdin=urls))
    return tools


def fetch_case(
    title: str,
    server: Server,
    count: int,
    workers: int,
    repeats: int,
    args: argparse.Namespace,
    exe: Exes,
    workdir: Path,
    log: Log,
) -> Case:
    name = re.sub(r"\W+", "-", title.lower()).strip("-")
    urls, config = write_url_files(workdir, name, server, count)
    tools = [tool for tool in fetch_tools(exe, urls, config, workers) if _wanted(tool, args)]
    few, few_config = write_url_files(workdir, f"{name}-warm-up", server, min(count, 2 * workers))
    warm_up = [tool for tool in fetch_tools(exe, few, few_config, workers) if _wanted(tool, args)]
    log(f"{title}: {count:,} URLs, {workers} workers, {server.name}")
    run_interleaved(tools, repeats, child_env(workdir), log, warm_up)
    case = Case(
        f"{title}: {count:,} URLs, {workers} workers, {server.name} (median of {repeats})",
        tools,
        count,
    )
    for tool in tools:
        for problem in tool.problems(count):
            case.notes.append(f"{tool.name}: {problem}")
    return case


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
    server: Server, args: argparse.Namespace, exe: Exes, workdir: Path, log: Log
) -> Case:
    """fetchpool alone on a long list and on a short one: memory and time per URL."""
    tools = []
    for count in (min(args.scale_base, 2 * args.workers), args.scale_base, args.scale_lines):
        urls, _ = write_url_files(workdir, f"scale-{count}", server, count)
        command = [exe.fetchpool, "-q", "-f", "plain", "-w", str(args.workers), str(urls)]
        tools.append(Tool(f"{FETCHPOOL}, {count:,} lines", command))
    warm_up = tools.pop(0)
    log(f"Input size: {args.scale_base:,} and {args.scale_lines:,} lines")
    run_interleaved(tools, args.scale_repeats, child_env(workdir), log, [warm_up])
    small, big = tools
    case = Case(
        f"Input size: fetchpool, {args.workers} workers, {server.name}"
        f" (median of {args.scale_repeats})",
        tools,
        None,
        "time per URL vs first row",
        per_url_ratio=True,
    )
    for tool, count in zip(tools, (args.scale_base, args.scale_lines), strict=True):
        case.notes.extend(f"{tool.name}: {problem}" for problem in tool.problems(count))
    per_url = (big.seconds / args.scale_lines) / (small.seconds / args.scale_base)
    growth = big.peak_rss_mib - small.peak_rss_mib
    case.targets += [
        Target(
            f"{args.scale_lines:,} lines: peak RSS flat"
            f" (within 10 MiB of {args.scale_base:,} lines)",
            growth <= 10,
            f"{growth:+.1f} MiB",
        ),
        Target(
            f"{args.scale_lines:,} lines: time per URL no more than 1.1x that of"
            f" {args.scale_base:,} lines",
            per_url <= 1.1,
            f"{per_url:.2f}x",
        ),
    ]
    return case


def _wanted(tool: Tool, args: argparse.Namespace) -> bool:
    return not args.tools or any(part.strip() and part.strip() in tool.name for part in args.tools)


def add_fetch_targets(zero: Case | None, latency: Case | None) -> None:
    for case, other, text, check in (
        (zero, TEXTBOOK_NAME, "at least 2.0x the textbook pattern's URLs/s", lambda r: r >= 2.0),
        (latency, CURL, "within 10% of curl --parallel's time", lambda r: r <= 1.1),
    ):
        if case is None:
            continue
        ours, theirs = case.tool(FETCHPOOL), case.tool(other)
        if ours is None or theirs is None or not ours.samples or not theirs.samples:
            continue
        if other == CURL:
            ratio = ours.seconds / theirs.seconds
            measured = f"fetchpool takes {ratio:.2f}x curl's time"
        else:
            ratio = theirs.seconds / ours.seconds
            measured = f"{ratio:.2f}x"
        case.targets.append(Target(f"fetchpool {text}", check(ratio), measured))


# --- output ----------------------------------------------------------------------------------


@dataclass
class Exes:
    fetchpool: str
    python: str
    curl: str | None
    xargs: str | None


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
        rows.append(
            [
                tool.name,
                rate,
                _format_seconds(tool.seconds),
                f"{tool.peak_rss_mib:.1f} MiB",
                f"{ratio:.2f}x",
            ]
        )
    return rows


def headers(case: Case) -> list[str]:
    return ["tool", "URLs/s", "time", "peak RSS", case.ratio_header]


def _format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def render_text(cases: list[Case], header: list[str]) -> str:
    out = [*header, ""]
    for case in cases:
        rows = [headers(case), *table_rows(case)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        out.append(case.title)
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
    lines.extend(servers)
    return lines


# --- main ------------------------------------------------------------------------------------


def find_exes(args: argparse.Namespace) -> Exes:
    fetchpool = args.fetchpool or _beside_python("fetchpool") or shutil.which("fetchpool")
    if not fetchpool:
        sys.exit("bench: no fetchpool executable found: install fetchpool, or pass --fetchpool")
    python = args.python or _script_python(fetchpool) or sys.executable
    curl = None if args.no_curl else shutil.which("curl")
    return Exes(fetchpool, python, curl, shutil.which("xargs"))


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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="fetchpool side by side with requests + ThreadPoolExecutor, curl and xargs.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    size = parser.add_argument_group("sizes")
    size.add_argument("--urls", type=int, default=10_000, help="URLs in the zero-latency case")
    size.add_argument("--workers", type=int, default=8, help="workers in the zero-latency case")
    size.add_argument("--latency-urls", type=int, default=2_000, help="URLs in the latency case")
    size.add_argument(
        "--latency-workers", type=int, default=256, help="workers in the latency case"
    )
    size.add_argument("--delay", type=float, default=0.1, help="latency server's delay (s)")
    size.add_argument(
        "--repeats", type=int, default=5, help="runs of each tool in the zero-latency case"
    )
    size.add_argument(
        "--latency-repeats", type=int, default=5, help="runs of each tool in the latency case"
    )
    size.add_argument("--startup-repeats", type=int, default=15, help="runs of each start-up")
    size.add_argument(
        "--scale-lines",
        type=int,
        default=100_000,
        help="lines in the input-size case (1000000 for the full million); 0 skips the case",
    )
    size.add_argument("--scale-base", type=int, default=10_000, help="the size it is compared to")
    size.add_argument("--scale-repeats", type=int, default=1, help="runs of each input size")
    parser.add_argument(
        "--cases",
        default="zero,latency,startup,scale",
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
    parser.add_argument("--no-install", action="store_true", help="never apt-get install nginx")
    parser.add_argument("--no-curl", action="store_true", help="leave out the curl tools")
    parser.add_argument("--fetchpool", help="the fetchpool executable to measure")
    parser.add_argument("--python", help="the Python that runs the textbook pattern")
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown here")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


@contextlib.contextmanager
def servers_for(
    args: argparse.Namespace, cases: set[str], workdir: Path, log: Log
) -> Iterator[tuple[Server | None, Server | None, list[str]]]:
    started: list[Server] = []
    notes: list[str] = []
    try:
        zero = None
        if cases & {"zero", "scale"}:
            if not args.python_server:
                nginx = find_nginx(not args.no_install, log)
                if nginx:
                    try:
                        zero = start_nginx(nginx, workdir)
                    except (OSError, RuntimeError) as exc:
                        log(f"nginx did not start: {exc}")
            if zero is None:
                zero = start_python_server(0.0)
                why = (
                    "as asked" if args.python_server else "nginx could not be installed or started"
                )
                notes.append(
                    f"zero-latency server: the built-in Python server ({why}); it is the"
                    " bottleneck, so zero-latency figures understate the fast tools"
                )
            started.append(zero)
            notes.insert(0, f"zero-latency server: {zero.name} on 127.0.0.1:{zero.port}")
        latency = None
        if "latency" in cases:
            latency = start_python_server(args.delay)
            started.append(latency)
            notes.append(f"latency server: {latency.name}, keep-alive")
        yield zero, latency, notes
    finally:
        for server in started:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return 0
    cases_wanted = {name.strip() for name in args.cases.split(",") if name.strip()}
    if args.scale_lines <= 0:
        cases_wanted.discard("scale")
    if args.markdown:
        # Before the minutes of measuring, not after: a bad path should cost nothing.
        try:
            args.markdown.parent.mkdir(parents=True, exist_ok=True)
            args.markdown.touch()
        except OSError as exc:
            sys.exit(f"bench.py: cannot write --markdown {args.markdown}: {exc.strerror or exc}")
    log = Log(args.quiet)
    exe = find_exes(args)
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="fetchpool-bench-") as name:
        workdir = Path(name)
        with servers_for(args, cases_wanted, workdir, log) as (zero, latency, server_notes):
            header = describe_machine(exe, server_notes)
            speed_before = cpu_check()
            zero_case = latency_case = None
            if "zero" in cases_wanted and zero is not None:
                zero_case = fetch_case(
                    "Zero latency",
                    zero,
                    args.urls,
                    args.workers,
                    args.repeats,
                    args,
                    exe,
                    workdir,
                    log,
                )
                cases.append(zero_case)
            if "latency" in cases_wanted and latency is not None:
                latency_case = fetch_case(
                    f"{args.delay * 1000:g} ms latency",
                    latency,
                    args.latency_urls,
                    args.latency_workers,
                    args.latency_repeats,
                    args,
                    exe,
                    workdir,
                    log,
                )
                cases.append(latency_case)
            if "startup" in cases_wanted:
                cases.append(startup_case(args, exe, workdir, log))
            if "scale" in cases_wanted and zero is not None:
                cases.append(scale_case(zero, args, exe, workdir, log))
            add_fetch_targets(zero_case, latency_case)
    header.append(
        f"CPU check (a fixed Python loop): {speed_before * 1000:.0f} ms before the cases,"
        f" {cpu_check() * 1000:.0f} ms after"
    )
    print(render_text(cases, header), end="")
    if args.markdown:
        args.markdown.write_text(render_markdown(cases, header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
