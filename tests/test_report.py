"""Writing results without the command: the tally, and what fails a run."""

from __future__ import annotations

import io
import json
import signal

import pytest

from fetchpool.core.results import Result, Tally
from fetchpool.render.output import write_report
from fetchpool.status import ExitStatus, FailOn, decide_status

OK = Result("http://a.test/", 200, True, None, 0.1, "http://a.test/", 1, "urls.txt", 1)
GONE = Result("http://b.test/", 404, False, None, 0.1, "http://b.test/", 1, "urls.txt", 2)
BUSY = Result("http://c.test/", 503, False, None, 0.1, "http://c.test/", 3, "urls.txt", 3)


def test_every_result_is_written_and_counted_in_order() -> None:
    stream = io.StringIO()
    written = write_report(iter([OK, GONE, BUSY]), "jsonl", stream)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["line"] for line in lines] == [1, 2, 3]
    assert (written.tally.ok, written.tally.broken, written.tally.inconclusive) == (1, 1, 1)
    assert not written.interrupted


def tally_of(*results: Result) -> Tally:
    tally = Tally()
    for result in results:
        tally.add(result)
    return tally


@pytest.mark.parametrize(
    ("results", "fail_on", "status"),
    [
        ((OK,), "any", ExitStatus.OK),
        ((OK, BUSY), "any", ExitStatus.NOT_OK),
        ((OK, BUSY), "broken", ExitStatus.OK),
        ((OK, GONE), "broken", ExitStatus.NOT_OK),
        ((OK, GONE), "new", ExitStatus.OK),  # no baseline: nothing can be newly broken
    ],
)
def test_fail_on_decides_what_fails_the_run(
    results: tuple[Result, ...], fail_on: FailOn, status: ExitStatus
) -> None:
    assert decide_status(tally_of(*results), fail_on) is status


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGINT, ExitStatus.SIGINT), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
)
def test_a_signal_decides_the_status_whatever_the_results(signum: int, status: int) -> None:
    assert decide_status(tally_of(OK), "any", signum=signum) == status
    assert decide_status(tally_of(GONE), "any", signum=signum) == status


def test_a_signal_that_stops_no_run_has_no_status() -> None:
    with pytest.raises(ValueError):
        ExitStatus.from_signal(signal.SIGUSR1)
