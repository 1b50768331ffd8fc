#!/usr/bin/env python3
"""A messy web on loopback: many hosts, and each URL's behaviour chosen by its path.

Every address 127.0.H.L of the loopback network is a host of its own to a client
on Linux, so one process listening on a few hundred of them, on one port, is a
few hundred hosts: each needs its own connections, and a client that keeps one
connection per host, or a few for all hosts, shows it here. Where only 127.0.0.1
is routed (macOS), ``--on ports`` makes each host a port of 127.0.0.1 instead:
clients keep connections per host and port, so that is as many hosts to them.

    python benchmarks/messyweb.py [--hosts N] [--on addresses|ports] [--new-connection-ms MS]

prints ``{"hosts": ["127.0.1.1:PORT", ...]}`` on its first line, then answers
until its standard input closes (or SIGTERM); a line ``stats`` on standard input
prints the connections accepted and the requests read so far, as one line of JSON.

Paths (HTTP/1.1, keep-alive, requests without a body; MS is milliseconds):

- ``/d/MS/...`` answers 200 after MS
- ``/404/MS/...`` answers 404 after MS
- ``/r/MS/HOST:PORT/...`` answers 302 after MS, to ``http://HOST:PORT/d/0/...`` (the
  same rest), a loopback address
- ``/silent/...`` reads the request and never answers (the connection stays open
  until the client closes it, or half-closes it)
- ``/reset/MS/...`` resets the connection after MS (SO_LINGER 0, then close)
- anything else answers 400 at once

With ``--new-connection-ms``, the first answer on each connection comes that much
later: a new connection on the real web costs a round trip, and one more or two
for TLS. Every answer says how long it was held in an ``X-Delay-Ms`` header.

The module also makes the benchmark's URL lists, the same for the same seed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import resource
import signal
import socket
import struct
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# What every answer carries: small, so the cost measured is the request, not the transfer.
BODY = b"ok\n"

# Hosts are 127.0.1.1 to 127.0.1.250, 127.0.2.1 ...: 250 to a /24, none ending in 0 or 255.
PER_NET = 250
MAX_HOSTS = PER_NET * 254

REASONS = {200: b"OK", 302: b"Found", 400: b"Bad Request", 404: b"Not Found"}
STATUS = {"d": 200, "404": 404, "r": 302}


def host_address(index: int) -> str:
    """The loopback address of host ``index`` (0-based) when hosts are addresses."""
    if not 0 <= index < MAX_HOSTS:
        raise ValueError(f"host {index} is out of range (0 to {MAX_HOSTS - 1})")
    return f"127.0.{1 + index // PER_NET}.{1 + index % PER_NET}"


# --- what a path asks for ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the server does with one request."""

    kind: str  # "d", "404", "r", "silent", "reset" or "bad"
    delay_ms: int = 0
    location: str | None = None


def plan_for(path: str) -> Plan:
    """The behaviour ``path`` asks for (see the module's docstring)."""
    parts = path.split("?", 1)[0].lstrip("/").split("/")
    kind = parts[0]
    if kind == "silent":
        return Plan("silent")
    if kind not in ("d", "404", "r", "reset") or len(parts) < 2 or not parts[1].isdigit():
        return Plan("bad")
    delay = int(parts[1])
    if kind != "r":
        return Plan(kind, delay)
    if len(parts) < 3 or not is_loopback_host(parts[2]):
        return Plan("bad")
    rest = "/".join(parts[3:])
    return Plan("r", delay, f"http://{parts[2]}/d/0/{rest}")


def is_loopback_host(netloc: str) -> bool:
    """Whether ``netloc`` is ``127.x.y.z:PORT``: a redirect goes nowhere else."""
    address, colon, port = netloc.partition(":")
    numbers = address.split(".")
    return (
        bool(colon)
        and port.isdigit()
        and 0 < int(port) < 65536
        and len(numbers) == 4
        and numbers[0] == "127"
        and all(number.isdigit() and int(number) < 256 for number in numbers)
    )


# --- the server --------------------------------------------------------------------------------


@dataclass
class Stats:
    connections: int = 0
    requests: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> str:
        return json.dumps(
            {"connections": self.connections, "requests": self.requests, "kinds": self.kinds}
        )


class MessyHttp(asyncio.Protocol):
    """One connection: one request at a time, each answered as its path asks."""

    def __init__(self, stats: Stats, new_connection_ms: int) -> None:
        self.stats = stats
        self.extra_ms = new_connection_ms
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.pending: asyncio.TimerHandle | None = None
        self.silent = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.stats.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._next()

    def eof_received(self) -> bool:
        # A client that half-closes gets the answer it waits for, unless none will come.
        return not self.silent and self.pending is not None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None
        self.transport = None

    def _next(self) -> None:
        """Start on the next whole request, unless one is still being answered."""
        if self.pending is not None or self.silent or self.transport is None:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
        request_line, _, headers = head.partition(b"\r\n")
        words = request_line.split()
        plan = plan_for(words[1].decode("latin-1") if len(words) > 1 else "")
        self.stats.requests += 1
        self.stats.kinds[plan.kind] += 1
        if plan.kind == "silent":
            self.silent = True
            return
        close = b"connection: close" in headers.lower()
        head_only = words[:1] == [b"HEAD"]
        delay_ms = plan.delay_ms + self.extra_ms
        self.extra_ms = 0
        self.pending = asyncio.get_running_loop().call_later(
            delay_ms / 1000, self._answer, plan, delay_ms, close, head_only
        )

    def _answer(self, plan: Plan, delay_ms: int, close: bool, head_only: bool) -> None:
        self.pending = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if plan.kind == "reset":
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
            return
        status = STATUS.get(plan.kind, 400)
        lines = [
            b"HTTP/1.1 %d %s" % (status, REASONS[status]),
            b"Content-Type: text/plain",
            b"Content-Length: %d" % len(BODY),
            b"X-Delay-Ms: %d" % delay_ms,
            b"Connection: " + (b"close" if close else b"keep-alive"),
        ]
        if plan.location:
            lines.append(b"Location: " + plan.location.encode())
        transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + (b"" if head_only else BODY))
        if close:
            transport.close()
        else:
            self._next()


def listen_on_hosts(hosts: int, on: str = "addresses", attempts: int = 20) -> list[socket.socket]:
    """Listening sockets for ``hosts`` hosts: on that many loopback addresses, one port for
    all (``on="addresses"``), or on that many ports of 127.0.0.1 (``on="ports"``).

    For addresses, a port free on the first is tried on the others, and another one
    while some address has it taken already.
    """
    for _ in range(attempts):
        sockets: list[socket.socket] = []
        try:
            for index in range(hosts):
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if on == "ports":
                    sock.bind(("127.0.0.1", 0))
                else:
                    sock.bind((host_address(index), sockets[0].getsockname()[1] if index else 0))
                sock.listen(4096)
                sock.setblocking(False)
            return sockets
        except OSError:
            for sock in sockets:
                sock.close()
            if on == "ports":
                raise
    raise OSError(f"no port was free on all of {hosts} loopback addresses")


def netloc(sock: socket.socket) -> str:
    address, port = sock.getsockname()[:2]
    return f"{address}:{port}"


async def _serve(hosts: int, on: str, new_connection_ms: int) -> None:
    loop = asyncio.get_running_loop()
    sockets = listen_on_hosts(hosts, on)
    stats = Stats()
    servers = [
        await loop.create_server(lambda: MessyHttp(stats, new_connection_ms), sock=sock)
        for sock in sockets
    ]
    print(json.dumps({"hosts": [netloc(sock) for sock in sockets]}), flush=True)
    control = asyncio.create_task(_answer_stats(stats))
    loop.add_signal_handler(signal.SIGTERM, control.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await control
    for server in servers:
        server.close()


async def _answer_stats(stats: Stats) -> None:
    """Print the counts for each line "stats" on standard input, until it closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"stats":
            print(stats.as_json(), flush=True)


def raise_open_file_limit() -> None:
    """As many open files as allowed: each connection and each listening host is one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=250, help="how many hosts")
    parser.add_argument(
        "--on",
        choices=("addresses", "ports"),
        default="addresses",
        help="hosts are loopback addresses (one port), or ports of 127.0.0.1",
    )
    parser.add_argument(
        "--new-connection-ms", type=int, default=0, help="delay of each connection's first answer"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= MAX_HOSTS:
        parser.error(f"--hosts must be 1 to {MAX_HOSTS}")
    raise_open_file_limit()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.hosts, args.on, args.new_connection_ms))
    return 0


# --- URL lists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlList:
    """A list of URLs and what a correct checker reports for it."""

    urls: list[str]
    # URLs that end in a 200 (after a redirect, for those that redirect).
    ok: int
    hosts: int
    # URLs of each kind: "d", "404", "r", "silent", "reset", "rejected".
    kinds: Counter[str]
    # The answers' delays added up: how long the URLs that answer hold a worker at least.
    delay_ms: int = 0

    def describe(self) -> str:
        names = {
            "d": "200s",
            "r": "redirects to a 200",
            "404": "404s",
            "reset": "resets",
            "silent": "silent",
            "rejected": "ftp:// lines (rejected without I/O)",
        }
        parts = [f"{self.kinds[kind]:,} {name}" for kind, name in names.items() if self.kinds[kind]]
        hosts = f"{self.hosts:,} host{'s' * (self.hosts != 1)}"
        return f"{len(self.urls):,} URLs on {hosts}: " + ", ".join(parts)


def messy_web(hosts: Sequence[str], count: int, seed: int = 1, max_ms: int = 1000) -> UrlList:
    """A list like a real one: many hosts, a few with many URLs and many with few.

    Latency is set per host and varies per URL (most below 100 ms, a tail up to
    ``max_ms``); 2.5% of hosts (at least one) never answer; of the other URLs about
    3% are 404s, 1.5% resets and 5% redirects, to the same host or another one.
    """
    rng = random.Random(seed)
    silent = set(rng.sample(range(len(hosts)), max(1, round(len(hosts) * 0.025))))
    answering = [host for host in range(len(hosts)) if host not in silent] or [0]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(hosts))]
    rng.shuffle(weights)
    base_ms = [rng.lognormvariate(math.log(30), 0.9) for _ in hosts]
    urls = []
    kinds: Counter[str] = Counter()
    delay_ms = 0
    for number, host in enumerate(rng.choices(range(len(hosts)), weights, k=count)):
        ms = min(max_ms, round(base_ms[host] * rng.lognormvariate(0, 0.5)))
        draw = rng.random()
        if host in silent:
            kind, path = "silent", f"silent/{number}"
        elif draw < 0.03:
            kind, path = "404", f"404/{ms}/{number}"
        elif draw < 0.045:
            kind, path = "reset", f"reset/{ms}/{number}"
        elif draw < 0.095:
            target = host if rng.random() < 0.5 else rng.choice(answering)
            kind, path = "r", f"r/{ms}/{hosts[target]}/{number}"
        else:
            kind, path = "d", f"d/{ms}/{number}"
        kinds[kind] += 1
        delay_ms += 0 if kind == "silent" else ms
        urls.append(f"http://{hosts[host]}/{path}")
    return UrlList(urls, kinds["d"] + kinds["r"], len(hosts), kinds, delay_ms)


def silent_spread(
    hosts: Sequence[str], count: int, silent_share: float, delay_ms: int, seed: int = 1
) -> UrlList:
    """``silent_share`` of the URLs, at random places, on silent hosts (one host in fifty,
    at least one); the rest answer 200 after ``delay_ms``."""
    rng = random.Random(seed)
    silent_hosts = max(1, len(hosts) // 50)
    silent_at = set(rng.sample(range(count), round(count * silent_share)))
    urls = []
    for number in range(count):
        if number in silent_at:
            urls.append(f"http://{hosts[rng.randrange(silent_hosts)]}/silent/{number}")
        else:
            host = hosts[rng.randrange(silent_hosts, max(len(hosts), silent_hosts + 1))]
            urls.append(f"http://{host}/d/{delay_ms}/{number}")
    kinds = Counter({"silent": len(silent_at), "d": count - len(silent_at)})
    return UrlList(urls, kinds["d"], len(hosts), kinds, kinds["d"] * delay_ms)


def many_hosts(hosts: Sequence[str], count: int, delay_ms: int, seed: int = 1) -> UrlList:
    """``count`` URLs, as many on each host, in random order: each host's URLs spread
    through the list, as in a list gathered from many pages."""
    rng = random.Random(seed)
    order = [number % len(hosts) for number in range(count)]
    rng.shuffle(order)
    urls = [f"http://{hosts[host]}/d/{delay_ms}/{number}" for number, host in enumerate(order)]
    return UrlList(urls, count, len(hosts), Counter({"d": count}), count * delay_ms)


def cheap_lines(
    count: int, fetch_every: int, fetched: Callable[[int], str], head: str | None = None
) -> UrlList:
    """``count`` lines, one in ``fetch_every`` a URL that ``fetched(n)`` makes (a real
    fetch), the others ``ftp://x/N``, which a checker rejects without any I/O; with
    ``head``, line 1 is that URL instead (it counts as silent)."""
    urls = []
    kinds: Counter[str] = Counter()
    for number in range(count):
        if number == 0 and head is not None:
            urls.append(head)
            kinds["silent"] += 1
        elif number % fetch_every == fetch_every - 1:
            urls.append(fetched(number))
            kinds["d"] += 1
        else:
            urls.append(f"ftp://x/{number}")
            kinds["rejected"] += 1
    return UrlList(urls, kinds["d"], 1 + (head is not None), kinds)


if __name__ == "__main__":
    sys.exit(main())
