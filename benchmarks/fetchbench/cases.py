"""The cases: each one a list, the tools run on it, and the targets it judges."""

from __future__ import annotations

import argparse
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..extract import generate
from ..messyweb import UrlList, cheap_lines, many_hosts, messy_web, silent_spread
from .machine import machine_name, usable_cores
from .servers import Server, Servers
from .tools import (
    CURL,
    FETCHPOOL,
    LYCHEE,
    TEXTBOOK_NAME,
    XARGS,
    Exes,
    Log,
    Tool,
    child_env,
    count_lines,
    fetch_tools,
    run_interleaved,
    wanted,
    write_url_files,
)


@dataclass
class Target:
    text: str
    # None where it could not be judged on this run (what it compares did not run).
    met: bool | None
    measured: str


@dataclass
class Case:
    title: str
    tools: list[Tool]
    # URLs each tool fetched; None where it varies (its name then says "N lines").
    urls: int | None
    ratio_header: str = "time vs fetchpool"
    # What the case counts (its rate is these per second, its CPU per one of them); None
    # where a run does no work to count (start-up): the CPU column is then a run's.
    unit: str | None = "URL"
    # The ratio is the first row's time over each row's: how much faster, not how long.
    speed_up: bool = False
    # Compare time per URL rather than time (tools fetched different numbers of URLs).
    per_url_ratio: bool = False
    # What the list holds and what the case's floor is, printed under the title.
    about: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Tools with a note against them: their counts were wrong.
    flagged: set[str] = field(default_factory=set)
    targets: list[Target] = field(default_factory=list)
    # Columns of the case's own, before the ratio, and each tool's cells in them by name.
    columns: list[str] = field(default_factory=list)
    cells: dict[str, list[str]] = field(default_factory=dict)

    def tool(self, name: str) -> Tool | None:
        return next((tool for tool in self.tools if tool.name == name), None)

    @property
    def counts_connections(self) -> bool:
        return any(tool.connections is not None for tool in self.tools if tool.samples)


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
    tools = [tool for tool in every if wanted(tool, args)]
    few = [server.ok_url(f"w{number}") for number in range(min(count, 2 * fetch.workers))]
    few_plain, few_config = write_url_files(workdir, f"{name}-warm-up", few)
    warm_up = fetch_tools(exe, few_plain, few_config, fetch.workers, fetch.timeout, not xargs_out)
    # Once per run is enough: the page cache and the bytecode cache stay warm.
    warm_up = [tool for tool in warm_up if wanted(tool, args) and tool.name not in warmed]
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
    if xargs_out and exe.xargs and exe.curl and wanted(Tool(XARGS, []), args):
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


def time_target(
    case: Case, label: str, other: str, text: str, meets: float, ours: str = FETCHPOOL
) -> None:
    """``ours``'s time against ``other``'s: met when the ratio is at most ``meets``, or
    below 1 where ``meets`` is 1 ("faster than")."""
    mine, theirs = case.tool(ours), case.tool(other)
    if mine is None or theirs is None or not mine.samples or not theirs.samples:
        return
    ratio = mine.seconds / theirs.seconds
    met = ratio < 1 if meets == 1 else ratio <= meets
    measured = f"{ours} takes {ratio:.2f}x {other}'s time"
    wrong = [tool.name for tool in (mine, theirs) if tool.name in case.flagged]
    if wrong:
        measured += f" ({' and '.join(wrong)} miscounted: see the notes)"
        # A fetchpool that missed URLs may well be fast: that meets nothing.
        met = met and ours not in wrong
    case.targets.append(Target(f"{label}: {ours} {text}", met, measured))


def rate_target(case: Case, label: str, other: str, text: str, at_least: float) -> None:
    """fetchpool's URLs/s against ``other``'s: met when at least ``at_least`` times."""
    ours, theirs = case.tool(FETCHPOOL), case.tool(other)
    if ours is None or theirs is None or not ours.samples or not theirs.samples:
        return
    ratio = theirs.seconds / ours.seconds
    met = ratio >= at_least and FETCHPOOL not in case.flagged
    measured = f"{ratio:.2f}x"
    if FETCHPOOL in case.flagged:
        measured += " (fetchpool miscounted: see the notes)"
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
        f"Start-up (median of {args.startup_repeats})",
        tools,
        None,
        "time vs fetchpool --version",
        unit=None,
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
        unit="line",
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


def scaling_case(
    server: Server, args: argparse.Namespace, exe: Exes, workdir: Path, log: Log
) -> Case:
    """fetchpool alone on the zero-latency list with -j 1, 2 and every usable core: URLs/s
    and CPU per URL as the processes grow. A fetchpool without -j/--processes has the
    one-process row only, and a note says so."""
    count, workers = args.urls, args.workers
    urls = plain_list(server, count)
    plain, _ = write_url_files(workdir, f"scaling-{count}", urls.urls)
    few, _ = write_url_files(
        workdir, "scaling-warm-up", [server.ok_url(f"w{n}") for n in range(2 * workers)]
    )
    base = [exe.fetchpool, "-q", "-f", "plain", "-w", str(workers)]
    cores = usable_cores()
    widths = sorted({1, 2, cores}) if exe.processes else [1]
    tools: list[Tool] = []
    warm_up: list[Tool] = []
    for width in widths:
        if exe.processes:
            name, command = f"{FETCHPOOL} -j {width}", [*base, "-j", str(width)]
        else:
            name, command = f"{FETCHPOOL} (one process)", base
        tools.append(Tool(name, [*command, str(plain)]))
        warm_up.append(Tool(name, [*command, str(few)]))
    title = f"Scaling: fetchpool, {count:,} URLs, {workers} workers, {server.name}"
    log(title)
    run_interleaved(tools, args.scaling_repeats, child_env(workdir), log, warm_up)
    case = Case(
        f"{title}, on {machine_name()} (median of {args.scaling_repeats})",
        tools,
        count,
        "URLs/s vs the first row",
        speed_up=True,
    )
    case.about.append(f"processes: 1, 2 and the {cores} usable cores (os.sched_getaffinity)")
    if not exe.processes:
        case.about.append(
            "this fetchpool has no -j/--processes (its --help does not mention --processes):"
            " one process only"
        )
    for tool in tools:
        for problem in tool.problems(count):
            case.notes.append(f"{tool.name}: {problem}")
            case.flagged.add(tool.name)
    label = f"Zero latency, {count:,} URLs, {workers} workers"
    text = f"{label}: fetchpool -j 2 at least 1.7x the URLs/s of -j 1"
    one, two = case.tool(f"{FETCHPOOL} -j 1"), case.tool(f"{FETCHPOOL} -j 2")
    if one is None or two is None or not one.samples or not two.samples:
        case.targets.append(Target(text, None, "not measured: no -j/--processes"))
    else:
        ratio = one.seconds / two.seconds
        wrong = [tool.name for tool in (one, two) if tool.name in case.flagged]
        measured = f"{ratio:.2f}x" + (f" ({' and '.join(wrong)} miscounted)" if wrong else "")
        case.targets.append(Target(text, ratio >= 1.7 and not wrong, measured))
    return case


def extract_case(args: argparse.Namespace, exe: Exes, workdir: Path, log: Log) -> Case:
    """Finding the links in a generated docs tree (extract.py's): fetchpool --dump, with -j 1
    and -j on every usable core where it has -j, beside lychee --dump."""
    root = workdir / "docs"
    if not root.exists():
        generate(root, args.extract_markdown, args.extract_html)
    files = args.extract_markdown + args.extract_html
    cores = usable_cores()
    tools: list[Tool] = []
    if exe.processes:
        for width in sorted({1, cores}):
            command = [exe.fetchpool, "-j", str(width), "--dump", str(root)]
            tools.append(Tool(f"{FETCHPOOL} -j {width} --dump", command, count_ok=count_lines))
    else:
        command = [exe.fetchpool, "--dump", str(root)]
        tools.append(Tool(f"{FETCHPOOL} --dump", command, count_ok=count_lines))
    ours = tools[-1].name
    if exe.lychee:
        # As extract.py runs it: --dump fetches nothing; --offline would drop remote links.
        command = [exe.lychee, "--dump", "--include-fragments", str(root)]
        tools.append(Tool(f"{LYCHEE} --dump", command, count_ok=count_lines))
    tools = [tool for tool in tools if wanted(tool, args)]
    title = (
        f"Docs extraction: {files:,} files ({args.extract_markdown:,} Markdown,"
        f" {args.extract_html:,} HTML)"
    )
    log(title)
    run_interleaved(tools, args.extract_repeats, child_env(workdir), log)
    case = Case(
        f"{title}, on {machine_name()} (median of {args.extract_repeats})",
        tools,
        files,
        "time vs the first row",
        unit="file",
    )
    found = [f"{tool.name} {tool.samples[-1].ok:,}" for tool in tools if tool.samples]
    if found:
        case.about.append(f"links found: {', '.join(found)}")
    if not exe.processes:
        case.about.append("this fetchpool has no -j/--processes: one process only")
    for tool in tools:
        # --dump exits 1 where a document could not be read; neither is a failed run.
        bad = {sample.exit_status for sample in tool.samples} - {0, 1}
        if bad:
            case.notes.append(f"{tool.name}: exit status {', '.join(map(str, sorted(bad)))}")
            case.flagged.add(tool.name)
    time_target(
        case, "Docs extraction", f"{LYCHEE} --dump", "within 2.0x lychee --dump's time", 2.0, ours
    )
    return case


CASES = (
    "zero",
    "scaling",
    "latency",
    "wide",
    "messy",
    "silent",
    "hosts",
    "extract",
    "startup",
    "scale",
)
# The cases lychee takes part in.
LYCHEE_CASES = set(CASES) - {"scaling", "startup", "scale"}


def plain_list(server: Server, count: int, delay_ms: int = 0) -> UrlList:
    """``count`` distinct URLs on ``server`` that all answer 200."""
    urls = [server.ok_url(number) for number in range(count)]
    return UrlList(urls, count, 1, Counter({"d": count}), count * delay_ms)


def run_cases(
    args: argparse.Namespace, exe: Exes, servers: Servers, workdir: Path, log: Log
) -> list[Case]:
    cases: list[Case] = []
    chosen = set(args.cases)
    warmed: set[str] = set()

    def fetch(spec: Fetch, server: Server) -> Case:
        case = fetch_case(spec, server, args, exe, workdir, log, warmed)
        cases.append(case)
        return case

    if "zero" in chosen:
        server = servers.zero()
        urls = plain_list(server, args.urls)
        spec = Fetch("Zero latency", urls, args.workers, args.repeats, (TEXTBOOK_NAME, LYCHEE))
        case = fetch(spec, server)
        time_target(case, spec.label, LYCHEE, "within 2.0x lychee's time", 2.0)
        rate_target(
            case, spec.label, TEXTBOOK_NAME, "at least 5x the textbook pattern's URLs/s", 5.0
        )
    if "scaling" in chosen:
        cases.append(scaling_case(servers.zero(), args, exe, workdir, log))
    delay_ms = round(args.delay * 1000)
    for name, count, workers, repeats, peer, limit in (
        ("latency", args.latency_urls, args.latency_workers, args.latency_repeats, CURL, 1.1),
        ("wide", args.wide_urls, args.wide_workers, args.wide_repeats, LYCHEE, 1.5),
    ):
        if name not in chosen:
            continue
        server = servers.latency()
        urls = plain_list(server, count, delay_ms)
        spec = Fetch(f"{delay_ms} ms latency", urls, workers, repeats, (peer,))
        case = fetch(spec, server)
        case.about.append(f"floor: {math.ceil(count / workers) * args.delay:.2f} s")
        time_target(case, spec.label, peer, f"within {limit:.2f}x {peer}'s time", limit)
    if "messy" in chosen:
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
    if "silent" in chosen:
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
    if "hosts" in chosen:
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
    if "extract" in chosen:
        cases.append(extract_case(args, exe, workdir, log))
    if "startup" in chosen:
        cases.append(startup_case(args, exe, workdir, log))
    if "scale" in chosen and args.scale_lines > 0:
        cases.append(scale_case(servers.zero(), servers.messy(1), args, exe, workdir, log))
    return cases
