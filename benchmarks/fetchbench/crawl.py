"""The crawl cases: a generated website (website.py's) read whole by fetchpool --crawl,
linkinator, linkchecker and wget --spider, each crawler's broken links held against the
site's truth and against each other's; and fetchpool's peak RSS on a small and a large site.

The site is static files served by nginx, with a second site on another port that the
first links to. linkinator comes from the npm registry and linkchecker from PyPI, each
installed once into benchmarks/.tools/ (not into fetchpool's environment); wget is
Debian's, installed with apt-get when missing.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..website import Site, generate
from .cases import Case, Target, time_target
from .machine import machine_name
from .servers import HERE, Servers, apt_install, free_port
from .tools import Exes, Log, Tool, child_env, run_interleaved, wanted

FETCHPOOL_CRAWL = "fetchpool --crawl"
LINKINATOR = "linkinator"
LINKCHECKER = "linkchecker"
WGET = "wget --spider"

# Where the crawlers that are not Debian's are installed, once: gitignored.
TOOLS_DIR = HERE / ".tools"
LINKINATOR_PACKAGE = "linkinator@6"
LINKCHECKER_PACKAGE = "linkchecker"
# linkchecker waits 1/rate to 6/rate seconds between two requests to one host (holding a
# lock every thread shares) where the host's answers carry a LinkChecker header, and 0.1
# to 0.6 s where they do not: so high that the wait is some microseconds.
LINKCHECKER_RATE = 1_000_000
LINKCHECKER_CONFIG = f"[checking]\nmaxrequestspersecond={LINKCHECKER_RATE}\n"
# A warm-up site's pages: enough to start every tool's crawl, too few to take time.
WARM_UP_PAGES = 20

# What each crawler reads and checks, given the site's address, for the case's notes.
SCOPES = {
    FETCHPOOL_CRAWL: "reads pages under the start URL's scheme, host, port and folder; checks"
    " every other link (GET), not read; obeys robots.txt",
    LINKINATOR: "reads pages whose URL starts with the URL given, as a string (so a start URL"
    " ending in index.html reads that page alone); checks every other link (HEAD, then GET);"
    " reads no robots.txt",
    LINKCHECKER: "reads pages matching ^https?://(www.)?HOST:PORT/FOLDER/ of the start URL;"
    " with --check-extern checks the others (without it, it checks only their syntax and"
    " the second site's broken links go unreported); obeys robots.txt",
    WGET: "one connection; reads every page on the start URL's host name, any port (no -H),"
    " so it reads the second site too and reports its documents' broken links; obeys"
    " robots.txt",
}


@dataclass(frozen=True)
class Difference:
    """What a crawler reported broken against what is: links it missed, links it added."""

    missing: frozenset[str]
    extra: frozenset[str]

    @property
    def same(self) -> bool:
        return not self.missing and not self.extra


def normal_url(url: str) -> str:
    """``url`` as the crawlers' reports are compared: scheme and host in lower case, no
    default port, no fragment, "/" for an empty path."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    port = parts.port
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def compare(found: frozenset[str], truth: frozenset[str]) -> Difference:
    """``found`` against ``truth``, both sets of URLs, compared as normal_url has them."""
    ours = frozenset(map(normal_url, found))
    real = frozenset(map(normal_url, truth))
    return Difference(missing=real - ours, extra=ours - real)


def describe_difference(first: str, second: str, difference: Difference, shown: int = 2) -> str:
    """One line for two crawlers' broken links, ``difference`` being ``first``'s against
    ``second``'s: "the same", or what each has that the other has not, with examples."""
    if difference.same:
        return f"{first} and {second}: the same broken links"
    parts = []
    for name, only in ((first, difference.extra), (second, difference.missing)):
        if only:
            examples = ", ".join(sorted(only)[:shown])
            more = ", ..." if len(only) > shown else ""
            parts.append(f"{len(only):,} only {name}'s ({examples}{more})")
    return f"{first} and {second}: " + "; ".join(parts)


# --- each crawler's report read for its broken links ------------------------------------


def read_fetchpool(data: bytes) -> frozenset[str]:
    """fetchpool -f jsonl: the URLs whose category is "broken"."""
    broken = set()
    for line in data.splitlines():
        if line.strip():
            record = json.loads(line)
            if record.get("category") == "broken":
                broken.add(str(record["url"]))
    return frozenset(broken)


def read_linkinator(data: bytes) -> frozenset[str]:
    """linkinator --format csv: the URLs whose state is BROKEN."""
    rows = csv.DictReader(io.StringIO(data.decode(errors="replace")))
    return frozenset(row["url"] for row in rows if row.get("state") == "BROKEN")


def read_linkchecker(data: bytes) -> frozenset[str]:
    """linkchecker -o csv (errors only: no -v): the URLs that are not valid. Its lines
    starting with # are comments; the columns are separated by semicolons."""
    text = "".join(
        line
        for line in data.decode(errors="replace").splitlines(keepends=True)
        if not line.startswith("#")
    )
    rows = csv.DictReader(io.StringIO(text), delimiter=";")
    return frozenset(row["url"] for row in rows if row.get("valid") == "False")


_WGET_FOUND = re.compile(r"^Found (\d+|no) broken links?\.$", re.MULTILINE)


def read_wget(data: bytes) -> frozenset[str]:
    """wget --spider's log: the URLs listed under "Found N broken links." at its end."""
    text = data.decode(errors="replace")
    found = _WGET_FOUND.search(text)
    if found is None:
        return frozenset()
    broken = set()
    for line in text[found.end() :].splitlines():
        if line.startswith(("http://", "https://")):
            broken.add(line.strip())
        elif line.strip():
            break
    return frozenset(broken)


def _not_counted(read: Callable[[int], bytes]) -> int:
    """A crawler's 200s are not counted: its broken links are read instead."""
    return 0


# --- the crawlers --------------------------------------------------------------------------


@dataclass
class Crawlers:
    """The crawlers beside fetchpool, each None where it cannot be had."""

    linkinator: str | None
    linkchecker: str | None
    wget: str | None


def find_crawlers(args: argparse.Namespace, log: Log) -> Crawlers:
    """linkinator, linkchecker and wget, each installed first where missing, allowed and
    asked for (--tools)."""
    install = not args.no_install
    linkinator = linkchecker = wget = None
    if wanted(Tool(LINKINATOR, []), args):
        linkinator = find_linkinator(install, log)
    if wanted(Tool(LINKCHECKER, []), args):
        linkchecker = find_linkchecker(install, log)
    if wanted(Tool(WGET, []), args):
        wget = shutil.which("wget")
        if wget is None and install and apt_install("wget", log):
            wget = shutil.which("wget")
    return Crawlers(linkinator, linkchecker, wget)


def _run_install(command: list[str], note: Callable[[str], None]) -> bool:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        note(f"{' '.join(command[:3])} ... failed: {last}")
    return done.returncode == 0


def find_linkinator(install: bool, note: Callable[[str], None]) -> str | None:
    """linkinator from benchmarks/.tools/node, installed there with npm when allowed."""
    found = TOOLS_DIR / "node" / "node_modules" / ".bin" / "linkinator"
    if found.exists() or not install:
        return str(found) if found.exists() else None
    npm = shutil.which("npm")
    if npm is None:
        note("linkinator left out: npm is not installed")
        return None
    note(f"installing {LINKINATOR_PACKAGE} with npm into {TOOLS_DIR / 'node'} ...")
    folder = TOOLS_DIR / "node"
    folder.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund"]
    if not _run_install([*command, LINKINATOR_PACKAGE], note):
        return None
    return str(found) if found.exists() else None


def find_linkchecker(install: bool, note: Callable[[str], None]) -> str | None:
    """linkchecker from a virtual environment of its own in benchmarks/.tools, made and
    installed with pip when allowed: its dependencies stay out of fetchpool's."""
    venv = TOOLS_DIR / "linkchecker"
    found = venv / "bin" / "linkchecker"
    if found.exists() or not install:
        return str(found) if found.exists() else None
    note(f"installing {LINKCHECKER_PACKAGE} with pip into {venv} ...")
    if not _run_install([sys.executable, "-m", "venv", str(venv)], note):
        return None
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    if not _run_install([*pip, LINKCHECKER_PACKAGE], note):
        return None
    return str(found) if found.exists() else None


def versions(crawlers: Crawlers) -> str:
    """The crawlers' versions in one line."""
    found = []
    if crawlers.linkinator:
        package = Path(crawlers.linkinator).parent.parent / "linkinator" / "package.json"
        try:
            found.append(f"linkinator {json.loads(package.read_text())['version']}")
        except (OSError, ValueError, KeyError):
            found.append("linkinator")
    for name, exe in (("linkchecker", crawlers.linkchecker), ("wget", crawlers.wget)):
        if exe:
            done = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
            first = (done.stdout.strip().splitlines() or [name])[0]
            # "LinkChecker 10.6.0 released ...", "GNU Wget 1.21.3 built on linux-gnu."
            found.append(re.split(r" (?:released|built on) ", first)[0])
    return ", ".join(found)


def crawl_tools(
    exe: Exes, crawlers: Crawlers, start: str, workers: int, workdir: Path
) -> list[Tool]:
    """Each crawler reading the site at ``start``, ``workers`` at once where it has a
    setting, its report on standard output."""
    width = str(workers)
    tools = [_crawler(FETCHPOOL_CRAWL, [*_fetchpool_crawl(exe, workers), start], read_fetchpool)]
    if crawlers.linkinator:
        command = [crawlers.linkinator, start, "--recurse", "--concurrency", width]
        tools.append(_crawler(LINKINATOR, [*command, "--format", "csv"], read_linkinator))
    if crawlers.linkchecker:
        config = workdir / "linkcheckerrc"
        config.write_text(LINKCHECKER_CONFIG)
        # Run as root, linkchecker changes its user to nobody after reading its config.
        config.chmod(0o644)
        command = [crawlers.linkchecker, "-f", str(config), "-t", width, "--check-extern"]
        command += ["--no-status", "--no-warnings", "-o", "csv", start]
        tools.append(_crawler(LINKCHECKER, command, read_linkchecker))
    if crawlers.wget:
        # -P: the files --spider fetches to read (and robots.txt, which it keeps) go there.
        files = workdir / "wget-files"
        command = [crawlers.wget, "--spider", "-r", "-l", "inf", "-nd", "-nv", "-P", str(files)]
        # 8: a server answered with an error (a broken link).
        tools.append(_crawler(WGET, [*command, "-o", "/dev/stdout", start], read_wget, (0, 8)))
    return tools


def _fetchpool_crawl(exe: Exes, workers: int) -> list[str]:
    """fetchpool crawling with ``workers`` threads, quiet, its report as jsonl."""
    return [exe.fetchpool, "--crawl", "-w", str(workers), "-q", "-f", "jsonl"]


def _crawler(
    name: str,
    command: list[str],
    read_broken: Callable[[bytes], frozenset[str]],
    exit_ok: tuple[int, ...] = (0, 1),
) -> Tool:
    """A crawler as a tool: it reports broken links (read by ``read_broken``), not ok ones,
    and exits 1 (or as ``exit_ok`` says) when it found any."""
    return Tool(name, command, count_ok=_not_counted, read_broken=read_broken, exit_ok=exit_ok)


# --- the sites ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    site: Site
    server: str


def serve_sites(
    servers: Servers, workdir: Path, name: str, pages: list[int], seed: int, log: Log
) -> list[Served] | None:
    """A site of each size in ``pages`` (with its second site) generated and served by one
    nginx, each site on two ports of its own; None where nginx cannot be had."""
    sites = []
    ports: dict[int, Path] = {}
    for count in pages:
        main, second = free_port(), free_port()
        log(f"generating a website of {count:,} pages ...")
        site = generate(
            workdir / f"{name}-{count}",
            count,
            seed,
            f"http://127.0.0.1:{main}/",
            f"http://127.0.0.1:{second}/",
        )
        sites.append(site)
        ports[main], ports[second] = site.root, site.second_root
    server = servers.static(name, ports)
    if server is None:
        return None
    return [Served(site, server.name) for site in sites]


def _case_without_nginx(title: str, servers: Servers, name: str) -> Case:
    case = Case(title, [], None)
    case.notes.append(f"not run: {servers.failed.get(name, 'nginx could not be had')}")
    return case


def _runs_agree(tool: Tool) -> frozenset[str] | None:
    """The broken links every run of ``tool`` reported, or None where runs differ."""
    found = {sample.broken for sample in tool.samples if sample.broken is not None}
    return next(iter(found)) if len(found) == 1 else None


def _truth_cells(case: Case, tool: Tool, site: Site) -> Difference | None:
    """The tool's broken links, missing and extra against ``site``'s, into its row."""
    broken = _runs_agree(tool)
    if broken is None:
        counts = " / ".join(f"{len(s.broken or ()):,}" for s in tool.samples)
        case.cells[tool.name] = [counts, "-", "-"]
        case.notes.append(f"{tool.name}: its runs reported different broken links ({counts})")
        return None
    difference = compare(broken, site.broken)
    case.cells[tool.name] = [
        f"{len(broken):,}",
        f"{len(difference.missing):,}",
        f"{len(difference.extra):,}",
    ]
    beyond = frozenset(map(normal_url, site.beyond))
    if difference.extra and difference.extra <= beyond:
        case.notes.append(
            f"{tool.name}: its {len(difference.extra):,} extra are the second site's documents'"
            " own broken links: it read the second site"
        )
    elif not difference.same:
        case.notes.append(describe_difference(tool.name, "the truth", difference))
    return difference


def _flag_bad_exits(case: Case) -> None:
    for tool in case.tools:
        for problem in tool.problems(None):
            case.notes.append(f"{tool.name}: {problem}")
            case.flagged.add(tool.name)


def crawl_case(
    args: argparse.Namespace, exe: Exes, servers: Servers, workdir: Path, log: Log
) -> Case:
    """Every crawler on the same generated site, interleaved: time, peak RSS, and the
    broken links each found against the truth and against fetchpool's."""
    pages, workers = args.crawl_pages, args.crawl_workers
    title = f"Crawl: a website of {pages:,} pages, {workers} workers"
    served = serve_sites(servers, workdir, "crawl", [WARM_UP_PAGES, pages], args.seed, log)
    if served is None:
        return _case_without_nginx(title, servers, "crawl")
    warm, main = served
    site = main.site
    crawlers = find_crawlers(args, log)
    tools = [
        tool
        for tool in crawl_tools(exe, crawlers, site.start, workers, workdir)
        if wanted(tool, args)
    ]
    warm_up = crawl_tools(exe, crawlers, warm.site.start, workers, workdir)
    warm_up = [tool for tool in warm_up if wanted(tool, args)]
    log(title)
    run_interleaved(tools, args.crawl_repeats, child_env(workdir), log, warm_up)
    case = Case(
        f"{title}, {main.server}, on {machine_name()} (median of {args.crawl_repeats})",
        tools,
        pages,
        unit="page",
        columns=["broken found", "missing vs truth", "extra vs truth"],
    )
    case.about.append(f"{site.describe()}; second site at {site.second}")
    case.about.append(f"every crawler starts at {site.start}; {versions(crawlers)}")
    case.about.extend(f"{tool.name}: {SCOPES[tool.name]}" for tool in tools)
    _flag_bad_exits(case)
    for tool in tools:
        difference = _truth_cells(case, tool, site)
        if tool.name == FETCHPOOL_CRAWL and (difference is None or not difference.same):
            # A fetchpool that missed links may well be fast: that meets no time target.
            case.flagged.add(tool.name)
    ours = case.tool(FETCHPOOL_CRAWL)
    ours_broken = _runs_agree(ours) if ours is not None and ours.samples else None
    label = f"Crawl, {pages:,} pages, {workers} workers"
    peers = [case.tool(LINKCHECKER), case.tool(LINKINATOR)]
    measured = [peer for peer in peers if peer is not None and peer.samples]
    if ours_broken is not None:
        for peer in measured:
            theirs = _runs_agree(peer)
            if theirs is not None:
                line = describe_difference(FETCHPOOL_CRAWL, peer.name, compare(ours_broken, theirs))
                case.notes.append(line)
    text = f"{label}: fetchpool's broken links the same as linkchecker's and linkinator's"
    if len(measured) < 2 or ours_broken is None:
        case.targets.append(Target(text, None, "not measured: a crawler is missing"))
    else:
        theirs_all = [_runs_agree(peer) for peer in measured]
        same = all(found is not None and compare(ours_broken, found).same for found in theirs_all)
        counts = ", ".join(
            f"{peer.name} {len(found):,}" if found is not None else f"{peer.name} varies"
            for peer, found in zip(measured, theirs_all, strict=True)
        )
        case.targets.append(
            Target(
                text,
                same,
                f"fetchpool {len(ours_broken):,}, {counts}" + ("" if same else " (see the notes)"),
            )
        )
    time_target(case, label, LINKINATOR, "no slower than linkinator", 1, FETCHPOOL_CRAWL)
    time_target(case, label, LINKCHECKER, "within 0.25x linkchecker's time", 0.25, FETCHPOOL_CRAWL)
    return case


def crawl_memory_case(
    args: argparse.Namespace, exe: Exes, servers: Servers, workdir: Path, log: Log
) -> Case:
    """fetchpool --crawl alone on a small and a large generated site: peak RSS of each."""
    small, large = args.crawl_memory_small, args.crawl_memory_large
    workers = args.crawl_workers
    title = f"Crawl memory: fetchpool --crawl, {workers} workers"
    served = serve_sites(servers, workdir, "crawl-memory", [small, large], args.seed, log)
    if served is None:
        return _case_without_nginx(title, servers, "crawl-memory")
    tools: list[Tool] = []
    sites: dict[str, Site] = {}
    for one in served:
        site = one.site
        name = f"{FETCHPOOL_CRAWL}, {site.pages:,} pages"
        # --max-pages counts pages read: past its default of 100,000 a site is read in part.
        pages = ["--max-pages", str(max(site.pages, 100_000)), site.start]
        tools.append(_crawler(name, [*_fetchpool_crawl(exe, workers), *pages], read_fetchpool))
        sites[name] = site
    log(title)
    run_interleaved(tools, args.crawl_memory_repeats, child_env(workdir), log, tools[:1])
    case = Case(
        f"{title}, {served[0].server}, on {machine_name()} (median of {args.crawl_memory_repeats})",
        tools,
        None,
        "time per page vs first row",
        unit="page",
        per_url_ratio=True,
        columns=["peak RSS vs first row", "broken found", "missing vs truth", "extra vs truth"],
    )
    for one in served:
        case.about.append(f"{one.site.describe()}")
    _flag_bad_exits(case)
    first, last = tools
    ratio = last.peak_rss_mib / first.peak_rss_mib if first.samples and last.samples else 0.0
    for tool in tools:
        _truth_cells(case, tool, sites[tool.name])
        case.cells[tool.name].insert(0, f"{tool.peak_rss_mib / first.peak_rss_mib:.2f}x")
    text = (
        f"Crawl memory: fetchpool's peak RSS on {large:,} pages at most 1.5x that on"
        f" {small:,} pages"
    )
    measured = f"{ratio:.2f}x ({first.peak_rss_mib:.1f} MiB and {last.peak_rss_mib:.1f} MiB)"
    case.targets.append(Target(text, ratio <= 1.5 and not case.flagged, measured))
    return case


# Run only when named in --cases: they install linkinator and linkchecker, and the memory
# case reads a site of 100,000 pages.
CRAWL_CASES = ("crawl", "crawl-memory")


def run_crawl_cases(
    args: argparse.Namespace, exe: Exes, servers: Servers, workdir: Path, log: Log
) -> list[Case]:
    cases = []
    if "crawl" in args.cases:
        cases.append(crawl_case(args, exe, servers, workdir, log))
    if "crawl-memory" in args.cases:
        cases.append(crawl_memory_case(args, exe, servers, workdir, log))
    return cases
