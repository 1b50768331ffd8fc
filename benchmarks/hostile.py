"""Hostile documents: fetchpool --dump beside lychee --dump, in time and in peak memory.

Writes one file per case, each built to make a link extractor slow or large if it is not
linear in time and bounded in memory: a reference used 40,000 times, a million inline
links in one paragraph and a million in a paragraph each, 300,000 bare URLs on one line,
links nested 20 blockquotes and 9 list levels deep, and an HTML page of 200,000 anchors.
Each tool reads each file alone, interleaved, best of --repeat; the table shows the links
each found, seconds, peak RSS and fetchpool's ratio to lychee (target: at most 2x in both).

    python benchmarks/hostile.py [--repeat 2] [--quick] [--cases refs,bare] [--no-lychee]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.fetchbench.tools import GNU_TIME, find_lychee

TARGET = 2.0
# lychee leaves reserved names (example.org, .test, .invalid, .example) out of its dump,
# so the links name a host of the same length as example.org; nothing is fetched.
HOST = "https://hostile.org"

# Where GNU time is missing: a fresh process whose only child is the tool, so that its
# RUSAGE_CHILDREN is that one run's (it may count the wrapper's own few MiB, which the
# child shares until it execs).
_BY_RUSAGE = """\
import resource, subprocess, sys
status = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as report:
    report.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(status)
"""


def _lines(file: TextIO, lines: Iterator[str]) -> None:
    for line in lines:
        file.write(line)


def write_references(file: TextIO, uses: int) -> None:
    file.write(f"[x]: {HOST}/x\n\n")
    # Ten uses to a line, one paragraph: "[x] [x]" is two links, "[x][x]" would be one.
    _lines(file, (" ".join(["[x]"] * min(10, uses - n)) + "\n" for n in range(0, uses, 10)))


def write_inline_lines(file: TextIO, links: int) -> None:
    _lines(file, (f"[l{n}]({HOST}/{n})\n" for n in range(links)))


def write_inline_paragraphs(file: TextIO, links: int) -> None:
    _lines(file, (f"[l{n}]({HOST}/{n})\n\n" for n in range(links)))


def write_bare(file: TextIO, urls: int) -> None:
    _lines(file, (f"{HOST}/{n} " for n in range(urls)))
    file.write("\n")


def write_nested(file: TextIO, _: int) -> None:
    # Three links: 20 blockquotes deep, 9 list levels deep, and both at once.
    quotes = "> " * 20
    items = "".join("  " * level + "- item\n" for level in range(9))
    file.write(f"{quotes}[quoted]({HOST}/quoted)\n\n")
    file.write(f"{items}{'  ' * 9}[listed]({HOST}/listed)\n\n")
    file.write("".join(quotes + line + "\n" for line in items.splitlines()))
    file.write(f"{quotes}{'  ' * 9}[both]({HOST}/both)\n")


def write_html(file: TextIO, anchors: int) -> None:
    file.write("<!doctype html>\n<html><head><title>anchors</title></head><body>\n")
    _lines(file, (f'<p><a href="{HOST}/{n}">link {n}</a></p>\n' for n in range(anchors)))
    file.write("</body></html>\n")


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    file: str
    links: int  # at full size
    write: Callable[[TextIO, int], None]
    scales: bool = True

    def size(self, quick: bool) -> int:
        return self.links // 100 if quick and self.scales else self.links


CASES = [
    Case("refs", "one reference used {n:,} times", "references.md", 40_000, write_references),
    Case("lines", "{n:,} inline links, one paragraph", "lines.md", 1_000_000, write_inline_lines),
    Case(
        "paragraphs",
        "{n:,} inline links, a paragraph each",
        "paragraphs.md",
        1_000_000,
        write_inline_paragraphs,
    ),
    Case("bare", "{n:,} bare URLs on one line", "bare.md", 300_000, write_bare),
    Case("nested", "20 blockquotes, 9 list levels", "nested.md", 3, write_nested, scales=False),
    Case("html", "HTML, {n:,} <a href>", "anchors.html", 200_000, write_html),
]


@dataclass(frozen=True)
class Run:
    """A tool's best figures on one case; a run cut off at the time limit has none."""

    seconds: float
    peak_kib: int
    links: int
    timed_out: bool = False

    def better(self, other: Run) -> Run:
        """The best of both runs (the least time and the least peak, each on its own); a
        run that was cut off stays so."""
        if self.timed_out or other.timed_out:
            return self if self.timed_out else other
        seconds, peak = min(self.seconds, other.seconds), min(self.peak_kib, other.peak_kib)
        return Run(seconds, peak, other.links)


def measure(command: list[str], workdir: Path, timeout: float) -> Run:
    """One run of ``command`` in a process of its own: wall time, its peak RSS and the
    lines it wrote. Killed after ``timeout`` seconds, and so marked."""
    report = workdir / "peak"
    report.unlink(missing_ok=True)
    if GNU_TIME:
        wrapped = [GNU_TIME, "-f", "%M", "-o", str(report), *command]
    else:
        wrapped = [sys.executable, "-c", _BY_RUSAGE, str(report), *command]
    with open(workdir / "output", "w+b") as output:
        started = time.perf_counter()
        # A session of its own, so that the tool goes with its wrapper when cut off.
        process = subprocess.Popen(
            wrapped, stdout=output, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _, errors = process.communicate(timeout=timeout)
        except BaseException as stopped:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            if isinstance(stopped, subprocess.TimeoutExpired):
                return Run(timeout, 0, 0, timed_out=True)
            raise
        seconds = time.perf_counter() - started
        if process.returncode not in (0, 1):
            tail = errors.decode(errors="replace")[-300:]
            raise SystemExit(f"{command[0]} failed ({process.returncode}): {tail}")
        output.seek(0)
        links = sum(chunk.count(b"\n") for chunk in iter(lambda: output.read(1 << 20), b""))
    words = report.read_text().split() if report.exists() else []
    peak = int(words[-1]) if words and words[-1].isdigit() else 0
    return Run(seconds, peak, links)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each tool; the best counts")
    parser.add_argument("--quick", action="store_true", help="every case 100 times smaller")
    names = ",".join(case.name for case in CASES)
    parser.add_argument("--cases", default=names, help=f"a comma-separated subset of {names}")
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds a run may take (default 120)"
    )
    parser.add_argument(
        "--fetchpool", help="the fetchpool executable (default: beside this Python)"
    )
    parser.add_argument("--lychee", help="the lychee executable (default: beside this Python)")
    parser.add_argument("--no-lychee", action="store_true", help="measure fetchpool alone")
    parser.add_argument("--no-install", action="store_true", help="do not pip install lychee")
    args = parser.parse_args(argv)
    known = {case.name for case in CASES}
    chosen = [name for name in args.cases.split(",") if name]
    if not chosen or set(chosen) - known:
        parser.error(f"--cases takes names from {names}")
    args.cases = [case for case in CASES if case.name in chosen]
    return args


def _note(text: str) -> None:
    print(text, file=sys.stderr)


def run_all(
    cases: list[Case], tools: dict[str, list[str]], args: argparse.Namespace
) -> dict[tuple[str, str], Run]:
    """Each case's file, written once, read by every tool --repeat times, interleaved; the
    best run of each tool on each case. A tool cut off on a case does not run it again."""
    best: dict[tuple[str, str], Run] = {}
    with tempfile.TemporaryDirectory() as workdir:
        root = Path(workdir)
        for case in cases:
            with open(root / case.file, "w", encoding="utf-8", newline="\n") as file:
                case.write(file, case.size(args.quick))
        for repeat in range(args.repeat):
            for number, case in enumerate(cases):
                names = list(tools)
                # The order rotates so that neither tool always reads a file first.
                shift = (repeat + number) % len(names)
                for name in names[shift:] + names[:shift]:
                    key = (case.name, name)
                    if key in best and best[key].timed_out:
                        continue
                    run = measure([*tools[name], str(root / case.file)], root, args.timeout)
                    best[key] = best[key].better(run) if key in best else run
    return best


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    fetchpool = args.fetchpool or str(Path(sys.executable).with_name("fetchpool"))
    tools = {"fetchpool": [fetchpool, "--dump"]}
    if not args.no_lychee:
        lychee = args.lychee or find_lychee(not args.no_install, _note)
        if lychee:
            # Not --offline: that leaves every remote link out of the dump. --dump alone
            # fetches nothing.
            tools["lychee"] = [lychee, "--dump"]
    best = run_all(args.cases, tools, args)
    for line in table(args, best, "lychee" in tools):
        print(line)


def _seconds(run: Run) -> str:
    return f">{run.seconds:g}" if run.timed_out else f"{run.seconds:.2f}"


def _mib(run: Run) -> str:
    return "-" if run.timed_out else f"{run.peak_kib / 1024:.1f}"


def _compare(ours: Run, theirs: Run) -> tuple[str, str, str]:
    """fetchpool's time and memory as multiples of lychee's, and the verdict on both."""
    if theirs.timed_out:
        return "-", "-", "- (lychee cut off)"
    time_ratio = ours.seconds / theirs.seconds
    time_text = f">{time_ratio:.1f}x" if ours.timed_out else f"{time_ratio:.2f}x"
    memory_ratio = ours.peak_kib / theirs.peak_kib if theirs.peak_kib else 0.0
    memory_text = "-" if ours.timed_out else f"{memory_ratio:.2f}x"
    if ours.timed_out and time_ratio <= TARGET:
        # Cut off before it could take twice lychee's time: it may yet have met it.
        return time_text, memory_text, "unknown (fetchpool cut off: raise --timeout)"
    missed = [
        what for what, ratio in (("time", time_ratio), ("memory", memory_ratio)) if ratio > TARGET
    ]
    return time_text, memory_text, f"not met ({', '.join(missed)})" if missed else "met"


def table(args: argparse.Namespace, best: dict[tuple[str, str], Run], both: bool) -> list[str]:
    """The table of ``best``, a row per case, with notes under it."""
    peak = "GNU time's %M" if GNU_TIME else "RUSAGE_CHILDREN of a wrapper process"
    size = " (--quick: 100 times smaller)" if args.quick else ""
    lines = [f"Hostile documents{size}, best of {args.repeat}; peak RSS per run, from {peak}"]
    columns = ["expected", "fetchpool", "lychee", "fp s", "ly s", "time"]
    columns += ["fp MiB", "ly MiB", "memory"]
    if not both:
        columns = ["expected", "fetchpool", "fp s", "fp MiB"]
    widths = [9 if column in ("expected", "fetchpool", "lychee") else 7 for column in columns]
    header = f"{'case':<41}" + "".join(f" {c:>{w}}" for c, w in zip(columns, widths, strict=True))
    lines.append(header + (f"  target <= {TARGET:.1f}x" if both else ""))
    notes = []
    for case in args.cases:
        expected = case.size(args.quick)
        title = case.title.format(n=expected)
        ours = best[(case.name, "fetchpool")]
        cells = [f"{expected:,}", "-" if ours.timed_out else f"{ours.links:,}"]
        verdict = ""
        if both:
            theirs = best[(case.name, "lychee")]
            time_text, memory_text, verdict = _compare(ours, theirs)
            cells += ["-" if theirs.timed_out else f"{theirs.links:,}"]
            cells += [_seconds(ours), _seconds(theirs), time_text]
            cells += [_mib(ours), _mib(theirs), memory_text]
        else:
            cells += [_seconds(ours), _mib(ours)]
        row = f"{title:<41}" + "".join(f" {c:>{w}}" for c, w in zip(cells, widths, strict=True))
        lines.append(row + (f"  {verdict}" if verdict else ""))
        for name in ("fetchpool", "lychee") if both else ("fetchpool",):
            run = best[(case.name, name)]
            if run.timed_out:
                notes.append(f"{name} was cut off after {args.timeout:g} s: {title}")
            elif run.links != expected:
                notes.append(f"{name} found {run.links:,} links of {expected:,}: {title}")
    lines += [f"note: {note}" for note in notes]
    lines.append(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    return lines


if __name__ == "__main__":
    main()
