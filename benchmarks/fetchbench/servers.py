"""The servers the cases fetch from, all on the loopback network and all stopped at the end.

nginx (Debian's nginx-light, installed with apt-get when missing) answers the zero-latency
case at once and, with its echo module (libnginx-mod-http-echo), the latency cases after
--delay seconds, on a path of their own; the messy web of messyweb.py is many hosts whose
URLs answer late, never, with a 404, a redirect or a reset. Without nginx or its module (or
with --python-server) an asyncio server in a process of its own answers instead, and the
header says why.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
ROOT = HERE.parent
MESSYWEB = HERE / "messyweb.py"


BODY = b"ok\n"

# Debian's libnginx-mod-http-echo: echo_sleep holds an answer without a thread or a process.
ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")
ECHO_PACKAGE = "libnginx-mod-http-echo"

# With the echo module, /delay/SECONDS/... answers after SECONDS (echo_sleep takes seconds,
# literal or from a variable), so that every delay has a path of its own.
ECHO_LOCATION = """
        location ~ "^/delay/(?<seconds>[0-9]+(\\.[0-9]+)?)/" {
            default_type text/plain;
            echo_sleep $seconds;
            echo ok;
        }"""

# What every nginx started here shares: one worker, its files in {tmp}, keep-alive.
_NGINX_COMMON = """\
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
"""

NGINX_CONFIG = (
    "{load_module}\n"
    + _NGINX_COMMON
    + """\
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{ default_type text/plain; return 200 "ok\\n"; }}{echo_location}
    }}
}}
"""
)


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
        [sys.executable, "-m", "benchmarks.fetchbench", "--serve", str(delay)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
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


def free_port() -> int:
    """A port nothing listens on now, for a server started later."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {limit:g} s")


def _nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(path, os.X_OK)), None
    )


def apt_install(package: str, note: Callable[[str], None]) -> bool:
    """Install a Debian package with apt-get (after apt-get update); False where it cannot."""
    if not shutil.which("apt-get") or os.geteuid() != 0:
        note(f"{package} is not installed, and apt-get cannot install it here")
        return False
    note(f"installing {package} with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            note(f"{' '.join(command)} failed: {last}")
            return False
    return True


def find_nginx(install: bool, note: Callable[[str], None]) -> str | None:
    """The nginx binary, installing Debian's nginx-light first when allowed and possible."""
    found = _nginx_binary()
    if found or not install:
        return found
    return _nginx_binary() if apt_install("nginx-light", note) else None


def find_echo_module(install: bool, note: Callable[[str], None]) -> Path | None:
    """nginx's echo module (Debian's libnginx-mod-http-echo), installed first when allowed."""
    if ECHO_MODULE.exists() or (install and apt_install(ECHO_PACKAGE, note)):
        return ECHO_MODULE if ECHO_MODULE.exists() else None
    return None


def start_nginx(nginx: str, workdir: Path, echo: Path | None = None) -> Server:
    """nginx, one worker, answering 200 at once on every path; with the ``echo`` module,
    /delay/SECONDS/... answers SECONDS later."""
    tmp = workdir / "nginx"
    tmp.mkdir(exist_ok=True)
    port = free_port()
    config = tmp / "nginx.conf"
    config.write_text(
        NGINX_CONFIG.format(
            tmp=tmp,
            port=port,
            load_module=f"load_module {echo};" if echo else "",
            echo_location=ECHO_LOCATION if echo else "",
        )
    )
    process, name = _run_nginx(nginx, tmp, config, [port])
    return Server(name, port, process)


def _run_nginx(
    nginx: str, tmp: Path, config: Path, ports: list[int]
) -> tuple[subprocess.Popen[bytes], str]:
    """nginx started in the foreground on ``config``, once it listens on every one of
    ``ports``, and its name and version; raises RuntimeError with its last word if not."""
    command = [nginx, "-p", str(tmp), "-c", str(config), "-e", str(tmp / "error.log")]
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for port in ports:
            _wait_for_port(port, process)
    except RuntimeError as exc:
        process.kill()
        _, err = process.communicate()
        detail = err.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"{exc}: {detail[-1] if detail else 'no message'}") from exc
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)
    return process, version.stderr.strip().rpartition(": ")[2] or "nginx"


# Static files, one server block per site (a port each). Every answer carries a LinkChecker
# header: linkchecker waits 0.1 to 0.6 s between requests to a host unless the host's answers
# carry one (any value), and only then lets maxrequestspersecond set the wait.
STATIC_CONFIG = (
    "{user}\n"
    + _NGINX_COMMON
    + """\
    types {{ text/html html; text/css css; image/png png; text/plain txt; }}
    default_type application/octet-stream;
    add_header LinkChecker fetchpool-benchmark always;
{servers}
}}
"""
)
STATIC_SERVER = "    server {{ listen 127.0.0.1:{port} backlog=4096; root {root}; }}"


def start_static_nginx(nginx: str, workdir: Path, sites: dict[int, Path]) -> Server:
    """nginx serving each folder of ``sites`` (by port) as static files, with the header
    linkchecker needs to go faster than 10 requests a second; its Server has the first port."""
    tmp = Path(tempfile.mkdtemp(prefix="nginx-static-", dir=workdir))
    config = tmp / "nginx.conf"
    blocks = [STATIC_SERVER.format(port=port, root=root) for port, root in sites.items()]
    # Started by root, nginx's worker would run as nobody, who may not read the sites in
    # a temporary folder only its owner may enter.
    user = "user root;" if os.geteuid() == 0 else ""
    config.write_text(STATIC_CONFIG.format(user=user, tmp=tmp, servers="\n".join(blocks)))
    process, name = _run_nginx(nginx, tmp, config, list(sites))
    return Server(f"{name}, static files", next(iter(sites)), process)


def delayed_path(delay: float) -> str:
    """The path on nginx with the echo module that answers ``delay`` seconds late."""
    return f"delay/{delay:g}/{{}}"


def time_one_answer(server: Server, tag: object = "probe") -> float:
    """Seconds from sending one request to ``server``'s ok URL to reading its answer."""
    connection = http.client.HTTPConnection(server.address, server.port, timeout=30)
    try:
        started = time.perf_counter()
        connection.request("GET", "/" + server.ok_path.format(tag))
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{server.ok_url(tag)} answered {response.status}")
        return time.perf_counter() - started
    finally:
        connection.close()


class Servers:
    """The servers the cases ask for, each started when first asked for; stop() stops all."""

    def __init__(self, args: argparse.Namespace, workdir: Path, log: Callable[[str], None]) -> None:
        self.args = args
        self.workdir = workdir
        self.log = log
        self.started: dict[str, Server] = {}
        # Why a server could not be had, by name.
        self.failed: dict[str, str] = {}
        self.echo: Path | None = None
        self.notes: list[str] = []

    def nginx(self) -> Server | None:
        """nginx, started once for both the zero-latency and the latency cases, with the echo
        module where it can be had; None where nginx cannot be installed or started."""
        if "nginx" not in self.started and "nginx" not in self.failed:
            nginx = find_nginx(not self.args.no_install, self.log)
            if nginx is None:
                self.failed["nginx"] = "nginx could not be installed"
                return None
            self.echo = find_echo_module(not self.args.no_install, self.log)
            try:
                self.started["nginx"] = start_nginx(nginx, self.workdir, self.echo)
            except (OSError, RuntimeError) as exc:
                self.log(f"nginx did not start: {exc}")
                self.failed["nginx"] = "nginx did not start"
                return None
        return self.started.get("nginx")

    def zero(self) -> Server:
        if "zero" not in self.started:
            self.started["zero"] = self._start_zero()
        return self.started["zero"]

    def _start_zero(self) -> Server:
        server = None if self.args.python_server else self.nginx()
        if server:
            self.notes.append(f"zero-latency server: {server.name} on 127.0.0.1:{server.port}")
            return server
        why = "as asked" if self.args.python_server else self.failed["nginx"]
        self.notes.append(
            f"zero-latency server: the built-in Python server ({why}); it is the bottleneck,"
            " so zero-latency figures understate the fast tools"
        )
        return start_python_server(0.0)

    def latency(self) -> Server:
        """The latency cases' server: nginx with the echo module, which holds each answer
        --delay seconds without competing with the tools for the CPUs; the Python server
        where the module cannot be had."""
        if "latency" not in self.started:
            self.started["latency"] = self._start_latency(self.args.delay)
        return self.started["latency"]

    def _start_latency(self, delay: float) -> Server:
        delay_ms = f"{delay * 1000:g} ms"
        nginx = None if self.args.python_server else self.nginx()
        if nginx and self.echo:
            server = Server(nginx.name, nginx.port, nginx.process, ok_path=delayed_path(delay))
            took = time_one_answer(server)
            if took >= delay * 0.9:
                self.notes.append(
                    f"latency server: {nginx.name} with the echo module (echo_sleep, {delay_ms}"
                    f" delay) on 127.0.0.1:{nginx.port}, keep-alive, one host; one answer"
                    f" took {took * 1000:.0f} ms"
                )
                return server
            why = f"nginx's echo_sleep answered in {took * 1000:.0f} ms, not {delay_ms}"
        elif self.args.python_server:
            why = "as asked"
        elif nginx:
            why = f"nginx's echo module is missing: apt-get install {ECHO_PACKAGE}"
        else:
            why = self.failed["nginx"]
        server = start_python_server(delay)
        self.notes.append(
            f"latency server: the built-in Python asyncio server, {delay_ms} delay ({why});"
            " it competes with the tools for the same CPUs"
        )
        return server

    def messy(self, hosts: int, new_connection_ms: int = 0) -> Server:
        key = f"messy {hosts} {new_connection_ms}"
        if key not in self.started:
            server = start_messy_web(hosts, new_connection_ms, self.args.messy_on)
            span = f"{server.hosts[0]} to {server.hosts[-1]}" if hosts > 1 else server.hosts[0]
            self.notes.append(f"{server.name}: messyweb.py on {span}, keep-alive")
            self.started[key] = server
        return self.started[key]

    def static(self, name: str, sites: dict[int, Path]) -> Server | None:
        """nginx serving each folder of ``sites`` on its port (see start_static_nginx), kept
        as ``name``; None where nginx cannot be installed or started."""
        if name not in self.started:
            nginx = find_nginx(not self.args.no_install, self.log)
            if nginx is None:
                self.failed[name] = "nginx could not be installed"
                return None
            try:
                self.started[name] = start_static_nginx(nginx, self.workdir, sites)
            except (OSError, RuntimeError) as exc:
                self.log(f"nginx did not start: {exc}")
                self.failed[name] = "nginx did not start"
                return None
        return self.started[name]

    def stop(self) -> None:
        for server in self.started.values():
            server.stop()
