"""The command line: the sizes of every case, and a run from start to tables."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ..messyweb import raise_open_file_limit
from .cases import CASES, LYCHEE_CASES, run_cases
from .crawl import CRAWL_CASES, run_crawl_cases
from .machine import cpu_check, describe_machine, machine_name
from .servers import Servers, serve
from .tables import render_markdown, render_text
from .tools import Log, find_exes

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
    "scaling_repeats": 1,
    "extract_markdown": 300,
    "extract_html": 100,
    "extract_repeats": 1,
    "startup_repeats": 3,
    "scale_base": 5_000,
    "scale_lines": 100_000,
    "crawl_pages": 500,
    "crawl_repeats": 1,
    "crawl_memory_small": 200,
    "crawl_memory_large": 5_000,
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
    scaling = parser.add_argument_group("scaling (fetchpool -j 1, 2 and every core; zero latency)")
    scaling.add_argument(
        "--scaling-repeats", type=int, default=5, help="runs of each; its list is --urls long"
    )
    extract = parser.add_argument_group("docs extraction (--dump of a generated tree)")
    extract.add_argument("--extract-markdown", type=int, default=3_000, help="Markdown files")
    extract.add_argument("--extract-html", type=int, default=1_000, help="HTML files")
    extract.add_argument("--extract-repeats", type=int, default=3, help="runs of each tool")
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
    crawl = parser.add_argument_group(
        "crawl (a generated website read whole; run only when named: --cases crawl,crawl-memory)"
    )
    crawl.add_argument("--crawl-pages", type=int, default=2_000, help="pages of the site")
    crawl.add_argument(
        "--crawl-workers", type=int, default=32, help="workers (concurrency) of every crawler"
    )
    crawl.add_argument("--crawl-repeats", type=int, default=2, help="runs of each crawler")
    crawl.add_argument(
        "--crawl-memory-small",
        type=int,
        default=1_000,
        help="pages of the memory case's small site",
    )
    crawl.add_argument(
        "--crawl-memory-large", type=int, default=100_000, help="pages of its large site"
    )
    crawl.add_argument("--crawl-memory-repeats", type=int, default=1, help="runs of each size")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: every case small and once (flags given still count)",
    )
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"which cases to run, comma-separated; also {', '.join(CRAWL_CASES)}",
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
        "--no-install",
        action="store_true",
        help="never install nginx or wget (apt-get), lychee or linkchecker (pip), or linkinator"
        " (npm)",
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
    unknown = sorted(set(args.cases) - set(CASES) - set(CRAWL_CASES))
    if unknown:
        known = ", ".join((*CASES, *CRAWL_CASES))
        parser.error(f"unknown case {', '.join(unknown)}: choose from {known}")
    return args


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
    exe = find_exes(args, bool(LYCHEE_CASES & set(args.cases)), log)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fetchpool-bench-") as name:
        workdir = Path(name)
        servers = Servers(args, workdir, log)
        try:
            speed_before = cpu_check()
            cases = run_cases(args, exe, servers, workdir, log)
            cases += run_crawl_cases(args, exe, servers, workdir, log)
        finally:
            servers.stop()
    header = describe_machine(exe, servers.notes)
    header.append(
        f"CPU check (a fixed Python loop): {speed_before * 1000:.0f} ms before the cases,"
        f" {cpu_check() * 1000:.0f} ms after"
    )
    header.append(f"whole run: {time.monotonic() - started:.0f} s")
    print(render_text(cases, header, machine_name()), end="")
    if args.markdown:
        args.markdown.write_text(render_markdown(cases, header, machine_name()))
    return 0
