"""A run without the command line: app.check and app.merge return an Outcome; errors are
FetchpoolErrors, raised before anything is written when they can be."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fetchpool import errors
from fetchpool.app import CheckPlan, MergePlan, Report, check, merge
from fetchpool.ci.cache import CacheError
from fetchpool.ci.reports import ReportError
from fetchpool.cli.config import ConfigError
from fetchpool.core.inputs import InputError
from fetchpool.core.options import Options
from fetchpool.environment import Environment
from fetchpool.status import ExitStatus

from .inprocess import FakeEnvironment
from .server import TestHTTPServer


@pytest.fixture
def urls(server: TestHTTPServer, tmp_path: Path) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text(f"{server.url('/status/200')}\n{server.url('/status/404')}\n")
    return path


def test_a_check_writes_its_results_and_returns_its_outcome(urls: Path) -> None:
    env = FakeEnvironment()
    plan = CheckPlan((str(urls),), Options(retries=0), Report(format_name="jsonl"))
    outcome = check(plan, env)
    assert outcome.status is ExitStatus.NOT_OK
    assert outcome.written is not None
    assert (outcome.written.tally.ok, outcome.written.tally.broken) == (1, 1)
    assert [json.loads(line)["status"] for line in env.output().splitlines()] == [200, 404]
    assert env.errors().startswith("2 URLs: 1 ok, 1 broken, 0 inconclusive")


def test_fail_on_broken_with_only_inconclusive_failures_is_ok(
    server: TestHTTPServer, tmp_path: Path
) -> None:
    source = tmp_path / "busy.txt"
    source.write_text(server.url("/status/503") + "\n")
    plan = CheckPlan((str(source),), Options(retries=0), Report(quiet=True, fail_on="broken"))
    assert check(plan, FakeEnvironment()).status is ExitStatus.OK


def test_standard_input_comes_from_the_environment(server: TestHTTPServer) -> None:
    env = FakeEnvironment(server.url("/status/200") + "\n")
    outcome = check(CheckPlan(report=Report(quiet=True)), env)
    assert (outcome.status, env.output()) == (ExitStatus.OK, server.url("/status/200") + "\t200\n")


def test_a_merge_writes_the_reports_results_in_input_order(urls: Path, tmp_path: Path) -> None:
    shards = []
    for k in (1, 2):
        env = FakeEnvironment()
        check(CheckPlan((str(urls),), report=Report(format_name="jsonl", quiet=True)), env)
        lines = env.output().splitlines()
        shard = tmp_path / f"shard-{k}.jsonl"
        shard.write_text(lines[k - 1] + "\n")
        shards.append(str(shard))
    env = FakeEnvironment()
    outcome = merge(MergePlan(tuple(reversed(shards)), Report(format_name="plain")), env)
    assert outcome.status is ExitStatus.NOT_OK
    assert [line.split("\t")[1] for line in env.output().splitlines()] == ["200", "404"]
    assert env.errors().startswith("merged 2 reports, 2 URLs:")


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (CheckPlan(("/no/such/file",)), "cannot read '/no/such/file'"),
        (CheckPlan(report=Report(fail_on="new")), "--fail-on new compares with a baseline"),
        (CheckPlan(report=Report(baseline="/no/such.jsonl")), "--baseline: cannot read"),
        (CheckPlan(report=Report(output="/no/such/dir/out.txt")), "cannot write"),
        (MergePlan(("/no/such.jsonl",)), "cannot read '/no/such.jsonl'"),
    ],
)
def test_what_cannot_be_done_is_a_usage_error_before_any_output(
    plan: CheckPlan | MergePlan, message: str
) -> None:
    env = FakeEnvironment()
    with pytest.raises(errors.UsageError, match=message):
        check(plan, env) if isinstance(plan, CheckPlan) else merge(plan, env)
    assert env.output() == env.errors() == ""


def test_a_closed_standard_output_is_a_usage_error(urls: Path) -> None:
    closed = Environment(stdin=None, stdout=None, stderr=io.StringIO())
    with pytest.raises(errors.UsageError, match="standard output is closed"):
        check(CheckPlan((str(urls),)), closed)


def test_a_cache_file_that_is_not_one_is_a_cache_error(urls: Path) -> None:
    with pytest.raises(CacheError):
        check(CheckPlan((str(urls),), cache=str(urls)), FakeEnvironment())


@pytest.mark.parametrize(
    ("error", "usage"),
    [
        (errors.UsageError, True),
        (ConfigError, True),
        (CacheError, True),
        (InputError, False),
        (ReportError, False),
        (errors.OutputError, False),
    ],
)
def test_every_error_is_a_fetchpool_error_importable_where_it_was(
    error: type[errors.FetchpoolError], usage: bool
) -> None:
    assert issubclass(error, errors.FetchpoolError)
    assert error is getattr(errors, error.__name__)
    assert error.usage is usage


def test_the_app_needs_no_click_and_no_rich_to_import() -> None:
    code = "import sys, fetchpool.app; print(sorted({'click', 'rich'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
