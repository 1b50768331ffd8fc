from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from fetchpool.core.limits import HostLimiter

from .processes import default_signals
from .server import TestHTTPServer
from .website import Page, Website


@pytest.fixture(scope="session")
def _server() -> Iterator[TestHTTPServer]:
    server = TestHTTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def server(_server: TestHTTPServer) -> Iterator[TestHTTPServer]:
    """The local HTTP server (see tests/server.py), with a fresh log for each test."""
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def website() -> Iterator[Callable[..., Website]]:
    """Start a small website (see tests/website.py): ``website(pages, endless=False)``;
    every site started is stopped after the test."""
    sites: list[Website] = []

    def start(pages: Mapping[str, Page], **kwargs: bool) -> Website:
        site = Website(pages, **kwargs).start()
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.stop()


@pytest.fixture
def turns(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The start times (time.monotonic()) that host limiters in this process give requests,
    as they work them out.

    A request reaches the server no sooner than its turn, but a request held up on a busy
    machine may reach it just behind the next one: the times the server sees can bunch up,
    while the turns are what a rate spaces.
    """
    given: list[float] = []
    start_time = HostLimiter._start_time

    def recorded(self: HostLimiter, host: str, deadline: float | None) -> float:
        start = start_time(self, host, deadline)
        given.append(start)
        return start

    monkeypatch.setattr(HostLimiter, "_start_time", recorded)
    return given


@pytest.fixture(scope="session")
def fetchpool_exe() -> str:
    """The installed `fetchpool` console script, next to this Python or on PATH."""
    beside = Path(sys.executable).with_name("fetchpool")
    found = str(beside) if beside.exists() else shutil.which("fetchpool")
    if not found:
        pytest.fail("the fetchpool executable is not installed: pip install -e '.[test]'")
    return found


@pytest.fixture
def run_fetchpool(fetchpool_exe: str):
    """Run the installed executable to completion: run_fetchpool(*args, input=...)."""

    def run(*args: str, input: str | bytes | None = None, timeout: float = 30, **kwargs):
        data = input.encode() if isinstance(input, str) else input
        env = {**os.environ, "NO_COLOR": "1", **kwargs.pop("env", {})}
        return subprocess.run(
            [fetchpool_exe, *args],
            input=data,
            capture_output=True,
            timeout=timeout,
            env=env,
            preexec_fn=default_signals,
            **kwargs,
        )

    return run


# Module-scoped fixtures that run fetchpool once for many tests (the benchmark's is slow).
SHARED_RUNS = ("bench", "hostile", "hostile_run", "with_processes")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Under xdist (--dist loadgroup), the tests that read one shared run go to one worker,
    # so that the run is made once, not once on each worker.
    for item in items:
        for name in SHARED_RUNS:
            if name in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(name))
    if config.getoption("loadgroup", default=False):
        for item in items:
            join_its_group(item)


def join_its_group(item: pytest.Item) -> None:
    """Give a test marked xdist_group the node id ``id@group`` that xdist's loadgroup
    schedules by, where xdist could not: pytest 9.2 keeps node ids structured, and
    xdist 3.8 writes the old ``_nodeid`` field, which nothing reads any more (so every
    group was spread over the workers, and each worker made the shared runs again).

    Raises pytest.UsageError where the id cannot be set, rather than lose the groups
    silently.
    """
    groups = sorted(
        {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
    )
    if not groups:
        return
    suffix = "@" + "_".join(groups)
    if item.nodeid.endswith(suffix):
        # This xdist and pytest still understand each other: xdist set it.
        return
    grouped = item.nodeid + suffix
    if hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(grouped)
    else:
        item._nodeid = grouped
    if item.nodeid != grouped:
        raise pytest.UsageError(
            f"cannot put {item.nodeid} in its xdist_group on this pytest: "
            "the tests that share a run would each make it again"
        )
