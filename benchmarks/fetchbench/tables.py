"""The tables: one per case, as text for the terminal and as Markdown, then the targets."""

from __future__ import annotations

import re

from .cases import Case
from .tools import Tool


def _count(case: Case, tool: Tool) -> int | None:
    if case.urls is not None:
        return case.urls
    found = re.search(r"([\d,]+) (?:lines|pages)", tool.name)
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
        ratio = first.seconds / tool.seconds if case.speed_up else tool.seconds / first.seconds
        if case.per_url_ratio:
            ratio *= (_count(case, first) or 1) / (count or 1)
        if count and case.unit:
            cpu = f"{tool.cpu_seconds / count * 1e6:,.0f} µs"
        else:
            cpu = _format_seconds(tool.cpu_seconds)
        row = [tool.name, rate, _format_seconds(tool.seconds), cpu, f"{tool.peak_rss_mib:.1f} MiB"]
        if case.counts_connections:
            connections = tool.connections
            row.append("-" if connections is None else f"{connections:,}")
        row.extend(case.cells.get(tool.name, ["-"] * len(case.columns)))
        rows.append([*row, f"{ratio:.2f}x"])
    return rows


def headers(case: Case) -> list[str]:
    connections = ["connections"] if case.counts_connections else []
    rate = f"{case.unit or 'URL'}s/s"
    cpu = f"CPU per {case.unit}" if case.unit else "CPU"
    return ["tool", rate, "time", cpu, "peak RSS", *connections, *case.columns, case.ratio_header]


def _format_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def render_text(cases: list[Case], header: list[str], machine: str = "") -> str:
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
        out.append(f"Targets, on {machine}" if machine else "Targets")
        for target in targets:
            out.append(f"  [{_mark(target.met)}] {target.text}: {target.measured}")
    return "\n".join(out) + "\n"


def render_markdown(cases: list[Case], header: list[str], machine: str = "") -> str:
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
        if machine:
            out.extend([f"Targets, on {machine}:", ""])
        out.append("| target | measured | |")
        out.append("|---|---:|---|")
        for target in targets:
            out.append(f"| {target.text} | {target.measured} | {_verdict(target.met)} |")
    return "\n".join(out) + "\n"


def _mark(met: bool | None) -> str:
    return "n/a    " if met is None else "met    " if met else "NOT MET"


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else "met" if met else "**not met**"
