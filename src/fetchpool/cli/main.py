"""The ``fetchpool`` command: the command line in, a plan for ``app`` out, and the
outcome or an error back as an exit status.

``fetchpool [OPTIONS] [SOURCE]...`` checks URLs; ``fetchpool merge REPORT...``
combines shards' reports. The options are declared in options.py; the run itself,
from opening the output to deciding the outcome, is ``app.check`` and ``app.merge``.
``run`` is the whole command in this process, with the streams of an ``Environment``;
``main`` is the console script, and the one place the process leaves.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import click
from click.core import ParameterSource

from .. import __version__
from ..core.credentials import HostHeader, github_headers
from ..core.options import Accept, Options, Remap, available_cpus
from ..crawl.options import CrawlOptions
from ..docs.options import DocumentKind, DocumentOptions
from ..environment import Environment
from ..errors import FetchpoolError
from ..signals import SignalStop
from ..status import ExitStatus, leave_now
from .group import MERGE, MainGroup
from .options import (
    CONTEXT,
    check_options,
    crawl_options,
    document_options,
    report_options,
    where_from,
)

if TYPE_CHECKING:
    from ..app import Outcome, Report
    from ..ci.selection import Shard
    from ..render.base import Show

_S = ExitStatus
EXIT_STATUSES = (
    f"Exit status: {_S.OK:d} all ok, {_S.NOT_OK:d} any not ok (see --fail-on), {_S.USAGE:d}"
    f" usage or input error, {_S.BROKEN_PIPE:d} output closed; {_S.SIGINT:d}, {_S.SIGTERM:d}"
    f" or {_S.SIGHUP:d} when stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP, after writing"
    " the results already finished."
)


@dataclass
class _Session:
    """What ``run`` hands the command through Click: the streams, the SignalStop the run
    catches signals with, and which command ran (for an error's pointer to --help)."""

    env: Environment
    stop: SignalStop | None = None
    command_path: str = "fetchpool"


def _session(ctx: click.Context) -> _Session:
    session = ctx.find_object(_Session)
    if session is None:  # the Click command called on its own (CliRunner.invoke)
        session = ctx.obj = _Session(Environment.from_process())
    session.command_path = ctx.command_path
    return session


@click.group(
    cls=MainGroup,
    invoke_without_command=True,
    context_settings=CONTEXT,
    epilog=EXIT_STATUSES + "  Any option can also be set by FETCHPOOL_<OPTION>"
    " (e.g. FETCHPOOL_MAX_WORKERS=8) or in fetchpool.toml or pyproject.toml's"
    " [tool.fetchpool] (e.g. max-workers = 8); the command line wins.",
)
@check_options
@document_options
@crawl_options
@report_options
@click.version_option(__version__, "-V", "--version", prog_name="fetchpool")
@click.pass_context
def cli(
    ctx: click.Context,
    max_workers: int,
    processes: int | None,
    timeout: float,
    max_time: float | None,
    retries: int,
    max_retry_wait: float,
    method: str,
    headers: tuple[tuple[str, str], ...],
    host_headers: tuple[HostHeader, ...],
    github_token: str | None,
    remap: tuple[Remap, ...],
    user_agent: str,
    follow: bool,
    accept: Accept,
    per_host: int | None,
    rate: float | None,
    insecure: bool,
    ca_bundle: str | None,
    include: tuple[re.Pattern[str], ...],
    exclude: tuple[re.Pattern[str], ...],
    dedupe: bool,
    shard: Shard | None,
    cache: str | None,
    max_age: float,
    files_from: tuple[str, ...],
    input_format: str | None,
    offline: bool,
    root_dir: str | None,
    index_files: tuple[str, ...],
    fallback_extensions: tuple[str, ...],
    base_url: str | None,
    follow_symlinks: bool,
    allow_outside: bool,
    check_fragments: bool,
    dump: bool,
    crawl: bool,
    scope: tuple[str, ...],
    depth: int | None,
    max_pages: int,
    ignore_robots: bool,
    fail_on: str,
    baseline: str | None,
    format_name: str | None,
    output: str | None,
    quiet: bool,
    show: Show | None,
    verbose: bool,
    sources: tuple[str, ...] = (),
) -> Outcome | None:
    """Check the links in each SOURCE concurrently and report each one's status in input
    order.

    SOURCE is a file with one URL per line, or - for standard input (the default when
    input is piped; blank lines and lines starting with # are skipped); a Markdown,
    HTML or reST document, or a folder of them, or a quoted glob of them
    ('docs/**/*.md'); a web page's URL (its links are checked; --crawl reads the whole
    site); or a sitemap, by URL or file.
    """
    if ctx.invoked_subcommand:
        return None
    from .. import app
    from ..ci.selection import Selection

    session = _session(ctx)
    env = session.env
    if not sources and not files_from:
        if env.stdin is None or env.stdin_isatty:
            env.stderr.write(f"Usage: {ctx.command_path} [OPTIONS] [SOURCE]...\n")
            raise click.UsageError(
                "no SOURCE given and standard input is a terminal: name a file or pipe URLs in"
            )
        sources = ("-",)
    if cache is None and ctx.get_parameter_source("max_age") == ParameterSource.COMMANDLINE:
        raise click.UsageError("--max-age applies to --cache: give a --cache FILE too")
    options = Options(
        max_workers=max_workers,
        processes=processes or available_cpus(),
        timeout=timeout,
        max_time=max_time,
        retries=retries,
        max_retry_wait=max_retry_wait,
        method=method.upper(),
        headers=headers,
        host_headers=(*(github_headers(github_token) if github_token else ()), *host_headers),
        remap=remap,
        user_agent=user_agent,
        follow=follow,
        accept=accept,
        per_host=per_host,
        rate=rate,
        verify=False if insecure else (ca_bundle or True),
    )
    documents = DocumentOptions(
        kind=DocumentKind(input_format) if input_format else None,
        offline=offline,
        root_dir=root_dir,
        base_url=base_url,
        follow_symlinks=follow_symlinks,
        allow_outside=allow_outside,
        index_files=index_files,
        fallback_extensions=fallback_extensions,
    )
    from ..app import CheckPlan

    plan = CheckPlan(
        sources,
        options,
        _report(ctx.params),
        selection=Selection(include, exclude, shard),
        dedupe=dedupe,
        cache=cache,
        max_age=max_age,
        documents=documents,
        check_fragments=check_fragments,
        crawl=CrawlOptions(
            crawl=crawl,
            scope=scope,
            depth=depth,
            max_pages=max_pages,
            robots=not ignore_robots,
        ),
        files_from=files_from,
    )
    if dump:
        return app.dump(plan, env)
    return app.check(plan, env, session.stop)


@cli.command(
    MERGE,
    context_settings=CONTEXT,
    short_help="Combine shards' jsonl reports into one report, in input order.",
    epilog=EXIT_STATUSES.replace("Exit status:", "Exit status as for fetchpool:"),
)
@click.argument(
    "reports", metavar="REPORT...", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
@report_options
@click.pass_context
def merge(
    ctx: click.Context,
    reports: tuple[str, ...],
    fail_on: str,
    baseline: str | None,
    format_name: str | None,
    output: str | None,
    quiet: bool,
    show: Show | None,
    verbose: bool,
) -> Outcome:
    """Combine shards' reports (each written with -f jsonl) into one report in input order.

    \b
    fetchpool --shard 1/2 -f jsonl -o shard-1.jsonl urls.txt
    fetchpool --shard 2/2 -f jsonl -o shard-2.jsonl urls.txt
    fetchpool merge shard-*.jsonl -f junit -o links.xml
    """
    from .. import app

    session = _session(ctx)
    from ..app import MergePlan

    plan = MergePlan(reports, _report(ctx.params))
    return app.merge(plan, session.env, session.stop)


def _report(params: Mapping[str, Any]) -> Report:
    """The Report that the report options (options.report_options) say, from a command's
    parameters by name: the main command and merge share them."""
    from ..app import Report

    # click.Choice(FAIL_ON) and click.Choice(SHOW) have made sure of fail_on and show.
    return Report(
        output=params["output"],
        format_name=params["format_name"],
        quiet=params["quiet"],
        fail_on=params["fail_on"],
        baseline=params["baseline"],
        show=params["show"],
        verbose=params["verbose"],
    )


def run(argv: Sequence[str] | None, env: Environment, stop: SignalStop | None = None) -> ExitStatus:
    """Run the command line ``argv`` in this process with ``env``'s streams, and return
    its exit status; never leaves the process.

    Every error is caught here, once, and is one line on ``env.stderr``: a usage error
    (naming where a bad value came from, and pointing to --help), a FetchpoolError, or
    Ctrl-C before the run began. ``stop``, when given, catches signals from the start
    of the run, and the caller releases it (see ``main``).
    """
    session = _Session(env, stop)
    try:
        # Click prints --help, --version and completion scripts to sys.stdout, and a live
        # progress display redirects sys.stdout above itself: both must be env's.
        with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
            result = cli.main(
                args=list(argv) if argv is not None else None,
                prog_name="fetchpool",
                standalone_mode=False,
                obj=session,
            )
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "fetchpool"
        message = " ".join(exc.format_message().splitlines())  # one line, whatever the source
        _error(env, f"{message}{where_from(exc)} (see '{command} --help')")
        return ExitStatus.USAGE
    except click.ClickException as exc:
        _error(env, exc.format_message())
        return ExitStatus.NOT_OK
    except click.Abort:
        # Ctrl-C before the run caught signals (parsing options, loading a baseline).
        _error(env, "interrupted", prefix="fetchpool: ")
        return ExitStatus.SIGINT
    except FetchpoolError as exc:
        hint = f" (see '{session.command_path} --help')" if exc.usage else ""
        _error(env, f"{exc}{hint}")
        return ExitStatus.USAGE
    except SystemExit as exc:  # Click's shell completion ends with sys.exit
        return ExitStatus.OK if not exc.code else ExitStatus.NOT_OK
    # An Outcome from a run, or None when Click ended the command itself (--version, --help).
    status: ExitStatus | None = getattr(result, "status", None)
    return ExitStatus.OK if status is None else status


def _error(env: Environment, message: str, prefix: str = "fetchpool: error: ") -> None:
    from ..core.urls import mask_credentials_in
    from ..render.text import printable

    # A message may quote a URL (a SOURCE that is one, a bad option's value).
    env.stderr.write(prefix + printable(mask_credentials_in(message)) + "\n")
    env.stderr.flush()


def main(argv: list[str] | None = None) -> NoReturn:
    """Console-script entry point: run the command line, then leave with its exit status.

    The only place the process leaves. A run that ended as asked (OK, NOT_OK) leaves as
    any program does. After anything else (a usage error, a signal, a closed output) a
    request may still be in flight on a worker thread, and a normal exit would join it,
    waiting up to its whole --timeout, or for ever for a silent server; so the process
    leaves at once (``status.leave_now``) with what was written flushed.
    """
    env = Environment.from_process()
    # Held until the process has left: the run catches signals with it from its start,
    # so that one coming after the run, before the process is gone, changes nothing.
    stop = SignalStop()
    status = run(argv, env, stop)
    if status in (ExitStatus.OK, ExitStatus.NOT_OK):
        stop.release()
        sys.exit(status)
    # After a closed pipe, what is buffered for standard output can reach nobody.
    unread = status is ExitStatus.BROKEN_PIPE
    leave_now(status, (env.stderr,) if unread else (env.stdout, env.stderr))
