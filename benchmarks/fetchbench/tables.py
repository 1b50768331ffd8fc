"""The tables: one per case, as text for the terminal and as Markdown, then the targets."""

from __future__ import annotations

import re

from .cases import Case
from .tools import Tool


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
