"""Writing results without the command: the tally, and what fails a run."""

from __future__ import annotations

import io
import json

import pytest

from fetchpool.core.results import Result, Tally
from fetchpool.render.output import Written, write_report

OK = Result("http://a.test/", 200, True, None, 0.1, "http://a.test/", 1, "urls.txt", 1)
GONE = Result("http://b.test/", 404, False, None, 0.1, "http://b.test/", 1, "urls.txt", 2)
BUSY = Result("http://c.test/", 503, False, None, 0.1, "http://c.test/", 3, "urls.txt", 3)


def test_every_result_is_written_and_counted_in_order() -> None:
    stream = io.StringIO()
    written = write_report(iter([OK, GONE, BUSY]), "jsonl", stream)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 3]
    assert (written.tally.ok, written.tally.failed, written.tally.error) == (1, 2, 0)
    assert not written.interrupted


def tally_of(*results: Result) -> Written:
    tally = Tally()
    for result in results:
        tally.add(result)
    return Written(tally)


@pytest.mark.parametrize(
    ("results", "fail_on", "fails"),
    [
        ((OK,), "any", False),
        ((OK, BUSY), "any", True),
        ((OK, BUSY), "broken", False),
        ((OK, GONE), "broken", True),
        ((OK, GONE), "new", False),  # no baseline: nothing can be newly broken
    ],
)
def test_fail_on_decides_what_fails_the_run(
    results: tuple[Result, ...], fail_on: str, fails: bool
) -> None:
    assert tally_of(*results).fails(fail_on) is fails
