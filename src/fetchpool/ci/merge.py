"""``fetchpool merge``: shards' jsonl reports as one run's results, in input order.

Every shard reads the same sources in the same order and writes its share in
that order, so each report is sorted by (source position, line, column). The order of
the sources is learnt from the reports in a first pass (each lists its
sources in command-line order), then the reports are merged like sorted
lists, one result per report in memory at a time.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Sequence

from ..core.results import Result
from .reports import ReportError, read_results


def source_order(paths: Sequence[str]) -> dict[str, int]:
    """Each source's position, from the order the sources appear in each report.

    Raises ReportError when the reports disagree on the order, or one is unreadable.
    """
    sequences: list[list[str]] = []
    for path in paths:
        sequence: list[str] = []
        for result in read_results(path):
            if not sequence or sequence[-1] != result.source:
                if result.source in sequence:
                    raise ReportError(
                        f"{path}: results of {result.source!r} are not together;"
                        " merge takes reports written by fetchpool -f jsonl"
                    )
                sequence.append(result.source)
        sequences.append(sequence)
    return _combine(sequences)


def _combine(sequences: list[list[str]]) -> dict[str, int]:
    # A topological order of "comes before" from every report; ties keep first-seen order.
    seen: dict[str, int] = {}
    after: dict[str, set[str]] = {}
    waiting: dict[str, int] = {}
    for sequence in sequences:
        for source in sequence:
            seen.setdefault(source, len(seen))
            after.setdefault(source, set())
            waiting.setdefault(source, 0)
        for earlier, later in itertools.pairwise(sequence):
            if later not in after[earlier]:
                after[earlier].add(later)
                waiting[later] += 1
    ready = [(seen[source], source) for source, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: dict[str, int] = {}
    while ready:
        _, source = heapq.heappop(ready)
        order[source] = len(order)
        for later in after[source]:
            waiting[later] -= 1
            if waiting[later] == 0:
                heapq.heappush(ready, (seen[later], later))
    if len(order) != len(seen):
        raise ReportError("the reports list their sources in different orders")
    return order


def merge_reports(paths: Sequence[str]) -> Iterator[Result]:
    """The results of every report in input order: by source, then line.

    Raises ReportError for an unreadable report, and when two reports hold the
    same line of the same source (a shard merged twice, or shards of different runs).
    """
    order = source_order(paths)

    def keyed(index: int, path: str) -> Iterator[tuple[int, int, int, int, int, Result]]:
        last = (-1, -1, -1)
        for number, result in enumerate(read_results(path)):
            # A line of a document may hold several links: the column tells them apart.
            place = (order[result.source], result.line, result.column)
            if place < last:
                raise ReportError(
                    f"{path}: {result.source}:{result.line} comes after line {last[1]};"
                    " merge takes each shard's report as fetchpool wrote it"
                )
            last = place
            yield place[0], place[1], place[2], index, number, result

    previous: tuple[int, int, int, int] | None = None
    streams = [keyed(index, path) for index, path in enumerate(paths)]
    for rank, line, column, index, _, result in heapq.merge(*streams):
        if previous is not None and previous[:3] == (rank, line, column) and line > 0:
            first, second = paths[previous[3]], paths[index]
            where = f"twice in {first}" if first == second else f"in both {first} and {second}"
            place = f"{result.source}:{line}" + (f":{column}" if column else "")
            raise ReportError(f"{place} is {where}; merge each shard's report once")
        previous = (rank, line, column, index)
        yield result
