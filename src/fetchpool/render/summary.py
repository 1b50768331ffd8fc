"""The closing lines on standard error: the summary, and the comparison with a baseline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from ..core.results import BROKEN, INCONCLUSIVE, OK, SKIPPED, Result, Tally
from .text import printable

if TYPE_CHECKING:
    from ..ci.baseline import Baseline


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def class_counts(tally: Tally) -> list[tuple[int, str]]:
    """The tally in the result classes' own words, for every count people read: ok,
    broken and inconclusive always, skipped when there are any."""
    counts = [(tally.ok, OK), (tally.broken, BROKEN), (tally.inconclusive, INCONCLUSIVE)]
    if tally.skipped:
        counts.append((tally.skipped, SKIPPED))
    return counts


def summary_line(
    tally: Tally,
    seconds: float | None,
    unreported: int = 0,
    not_selected: int = 0,
    merged: int | None = None,
    held: Mapping[str, float] | None = None,
    interrupted: bool = False,
    left_out: int = 0,
    not_read: int = 0,
    pages: int | None = None,
    repeats: int = 0,
) -> str:
    """One line: the counts by class (see ``class_counts``), the wall time and the rate;
    then the pages read, the cached results and the lines left out, when there are any.

    An ``interrupted`` run says so, with how many URLs in flight went ``unreported``
    (which implies ``interrupted``). ``seconds`` is None for merged reports, whose
    wall time says nothing; ``merged`` is then how many reports were merged.
    ``not_selected`` is how many lines --include, --exclude and --shard left out;
    ``held`` is how long hosts asked to be left alone (Retry-After), in seconds by host;
    ``left_out`` how many web links in documents were not checked (``--offline``);
    ``not_read`` how many documents and folders could not be read; ``pages`` how many
    web pages were read for their links (None: no web page was a SOURCE), ``repeats`` how
    many links a crawl found again (each checked once, at the first place found).
    """
    counts = ", ".join(f"{number} {word}" for number, word in class_counts(tally))
    text = f"{_count(tally.total, 'URL')}: {counts}"
    if interrupted or unreported:
        text = f"interrupted after {text}"
    if merged is not None:
        text = f"merged {_count(merged, 'report')}, {text}"
    if seconds is not None:
        rate = tally.total / seconds if seconds > 0 else 0.0
        text += f" in {seconds:.2f} s ({rate:.1f} URLs/s)"
    extras = []
    if pages is not None:
        extras.append(f"{_count(pages, 'page')} read")
    if repeats:
        extras.append(f"{_count(repeats, 'link')} found again, checked once")
    if tally.cached:
        extras.append(f"{tally.cached} ok from cache")
    if not_selected:
        extras.append(f"{_count(not_selected, 'line')} not selected")
    if not_read:
        extras.append(f"{_count(not_read, 'document')} not read")
    if left_out:
        extras.append(f"{_count(left_out, 'web link')} not checked (offline)")
    if held:
        extras.append(_describe_held(held))
    if unreported:
        extras.append(f"{unreported} in flight not reported")
    if extras:
        text += "; " + "; ".join(extras)
    return text


def _describe_held(held: Mapping[str, float], shown: int = 3) -> str:
    longest = sorted(held.items(), key=lambda item: -item[1])
    parts = [f"{printable(host)} {seconds:.0f} s" for host, seconds in longest[:shown]]
    if len(longest) > shown:
        parts.append(f"{len(longest) - shown} more")
    return "held by Retry-After: " + ", ".join(parts)


def baseline_lines(baseline: Baseline) -> list[str]:
    """The comparison with --baseline: a count line, then each URL under its heading."""
    comparison = baseline.comparison
    groups = (
        ("newly broken", comparison.newly_broken),
        ("fixed", comparison.fixed),
        ("still broken", comparison.still_broken),
    )
    counts = ", ".join(f"{len(results)} {name}" for name, results in groups)
    lines = [f"compared with {printable(baseline.path)}: {counts}"]
    for name, results in groups:
        if results:
            lines.append(f"{name}:")
            lines.extend(f"  {_describe(result)}" for result in results)
    return lines


def _describe(result: Result) -> str:
    place = f"{printable(result.source)}:{result.line}"
    if result.ok:
        return f"{place}  {printable(result.url)}"
    return f"{place}  {printable(result.url)} -> {printable(result.error or str(result.status))}"


def print_summary(line: str, stream: TextIO, all_ok: bool = True, terminal: bool = False) -> None:
    """Write the summary line to ``stream``, coloured when it is a ``terminal``."""
    if terminal:
        from rich.console import Console

        Console(file=stream, highlight=False).print(line, style="green" if all_ok else "yellow")
    else:
        stream.write(line + "\n")
        stream.flush()
