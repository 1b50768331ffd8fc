#!/usr/bin/env python3
"""The output path's cost per result, in µs, for each format a program or a pipe reads.

    python benchmarks/writers.py [--count N] [--repeats R] [--formats jsonl json ...]

Each run writes ``--count`` ready Results through ``write_report`` (for_display, the
writer, the tally) to the null device, as a zero-latency run's results are written,
with no network and no workers. The best of ``--repeats`` runs is shown, in the
process's CPU time: a busy machine slows a run, it hardly adds to its CPU time.
"""

from __future__ import annotations

import argparse
import os
import time

from fetchpool.core.failures import FailureKind
from fetchpool.core.results import Result
from fetchpool.render.output import write_report


def results(count: int) -> list[Result]:
    """Mostly ok results, with a 404, an error and a link in a document now and then."""
    made = []
    for index in range(count):
        url = f"https://example.com/section/{index % 97}/page-{index}.html"
        if index % 20 == 0:
            made.append(Result(url, 404, False, None, 0.0123456789, url, 1, "urls.txt", index))
        elif index % 50 == 1:
            refused = FailureKind.REFUSED
            made.append(
                Result(url, None, False, "refused", 0.002, None, 3, "urls.txt", index, kind=refused)
            )
        elif index % 10 == 2:
            made.append(Result(url, 200, True, None, 0.5, url, 1, "docs/a.md", index, column=7))
        else:
            made.append(Result(url, 200, True, None, 0.0981234567, url, 1, "urls.txt", index))
    return made


def per_result(format_name: str, made: list[Result], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        with open(os.devnull, "w", encoding="utf-8") as stream:
            started = time.process_time()
            write_report(iter(made), format_name, stream)
            best = min(best, time.process_time() - started)
    return best / len(made) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--formats", nargs="+", default=["jsonl", "json", "csv", "plain"])
    args = parser.parse_args()
    made = results(args.count)
    for format_name in args.formats:
        print(f"{format_name:6} {per_result(format_name, made, args.repeats):6.2f} µs/result")


if __name__ == "__main__":
    main()
