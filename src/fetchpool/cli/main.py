"""The ``fetchpool`` command: options in, a run's results out, an exit status back.

``fetchpool [OPTIONS] [SOURCE]...`` checks URLs; ``fetchpool merge REPORT...``
combines shards' reports. Every option can also come from a FETCHPOOL_<OPTION>
environment variable or a config file (see config.py); the command line wins.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from .. import __version__
from ..core.options import (
    DEFAULT_USER_AGENT,
    MAX_WORKERS_LIMIT,
    METHODS,
    Accept,
    parse_duration,
    parse_header,
)
from ..status import ExitStatus, decide_status, leave_now

if TYPE_CHECKING:
    import re

    from ..ci.baseline import Baseline
    from ..ci.cache import Cache
    from ..ci.selection import Selection, Shard
    from ..core.options import Options
    from ..core.results import Result
    from ..signals import SignalStop

FORMAT_NAMES = ("table", "plain", "jsonl", "json", "csv", "junit", "markdown", "github")
FAIL_ON = ("any", "broken", "new")
MERGE = "merge"
ENV_PREFIX = "FETCHPOOL_"
_CONFIG_META = "fetchpool.config"
_SUBCOMMAND_META = "fetchpool.subcommand"

F = TypeVar("F", bound=Callable[..., Any])


class _Option(click.Option):
    """An option that FETCHPOOL_<LONG NAME> and the config key <long-name> can also set."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.envvar is None and self.config_key:
            self.envvar = ENV_PREFIX + self.config_key.upper().replace("-", "_")

    @property
    def config_key(self) -> str | None:
        longs = [opt[2:] for opt in self.opts if opt.startswith("--")]
        return longs[0] if longs else None


class _LineList(click.types.StringParamType):
    """Text that may hold spaces: one value per line when it comes from an environment
    variable, not one per word."""

    envvar_list_splitter = "\n"


def option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    return click.option(*decls, cls=_Option, **attrs)


def _accept(ctx: click.Context, param: click.Parameter, value: str) -> Accept:
    try:
        return Accept.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _headers(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(parse_header(value) for value in values if value.strip())
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _patterns(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[re.Pattern[str], ...]:
    from ..ci.selection import compile_pattern

    try:
        return tuple(compile_pattern(value) for value in values if value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    from ..ci.selection import Shard

    if value is None:
        return None
    try:
        return Shard.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _config(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Load the config file (named, or found upwards) into ``ctx.default_map``.

    Eager, so it runs before the options whose defaults it sets.
    """
    from .config import ConfigError, find_config, load_config

    if ctx.resilient_parsing:  # shell completion: never fail on a config file
        return value
    path = Path(value) if value else find_config(Path.cwd())
    if path is None:
        return None
    try:
        defaults = load_config(path, _config_settings(ctx.command))
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    ctx.meta[_CONFIG_META] = str(path)
    subcommand = ctx.command.commands.get(MERGE) if isinstance(ctx.command, click.Group) else None
    merge_names = {p.name for p in subcommand.params} if subcommand else set()
    ctx.default_map = {
        **(ctx.default_map or {}),
        **defaults,
        MERGE: {name: value for name, value in defaults.items() if name in merge_names},
    }
    return str(path)


def _config_settings(command: click.Command) -> dict[str, Any]:
    from .config import Setting

    settings = {}
    for param in command.params:
        if isinstance(param, _Option) and param.config_key and param.name != "config":
            settings[param.config_key] = Setting(
                param=param.name or param.config_key,
                multiple=param.multiple,
                path=isinstance(param.type, click.Path),
            )
    return settings


def _complete_sources(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Files, and the ``merge`` subcommand where it can go (first, with no file matching)."""
    items: list[Any] = [CompletionItem(incomplete, type="file")]
    if incomplete and MERGE.startswith(incomplete) and not ctx.params.get("sources"):
        directory, prefix = os.path.split(incomplete)
        with contextlib.suppress(OSError):
            if not directory and not any(name.startswith(prefix) for name in os.listdir(".")):
                items = [CompletionItem(MERGE)]
    return items


class _Main(click.Group):
    """``fetchpool [OPTIONS] [SOURCE]...``, or ``fetchpool merge ...``.

    Only an exact first argument ``merge`` names the subcommand; anything else
    is the main command's options and SOURCEs, so a file called ``merge`` is
    still read by ``fetchpool ./merge`` or ``fetchpool -- merge``.
    """

    allow_interspersed_args = True
    allow_extra_args = False

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] == [MERGE]:
            ctx.meta[_SUBCOMMAND_META] = True
            ctx.allow_interspersed_args = False
            ctx.allow_extra_args = True
            return super().parse_args(ctx, args)
        return click.Command.parse_args(self, ctx, args)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        if ctx.meta.get(_SUBCOMMAND_META):
            # With a subcommand, SOURCE must not swallow its name and arguments.
            return [param for param in params if not isinstance(param, click.Argument)]
        return params

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return click.Command.collect_usage_pieces(self, ctx)


_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# Options the main command and `merge` share.
_format_option = option(
    "-f",
    "--format",
    "format_name",
    type=click.Choice(FORMAT_NAMES),
    default=None,
    help="Output format.  [default: table on a terminal, else plain; with -o, by file suffix]",
)
_output_option = option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write results to this file instead of standard output (- is standard output).",
)
_quiet_option = option("-q", "--quiet", is_flag=True, help="No progress display and no summary.")
_fail_on_option = option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="any",
    show_default=True,
    help="Exit 1 for any URL not ok, only for broken ones (not inconclusive),"
    " or only for broken ones that were not broken in --baseline.",
)
_baseline_option = option(
    "--baseline",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="An earlier run's -f jsonl report: list newly broken, fixed and still broken URLs.",
)


@click.group(
    cls=_Main,
    invoke_without_command=True,
    context_settings=_CONTEXT,
    epilog="Exit status: 0 all ok, 1 any not ok (see --fail-on), 2 usage or input error,"
    " 141 output closed; 130, 143 or 129 when stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP,"
    " after writing the results already finished.  Any option can also be set by"
    " FETCHPOOL_<OPTION> (e.g. FETCHPOOL_MAX_WORKERS=8) or in fetchpool.toml or"
    " pyproject.toml's [tool.fetchpool] (e.g. max-workers = 8); the command line wins.",
)
@click.argument("sources", metavar="[SOURCE]...", nargs=-1, shell_complete=_complete_sources)
@option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    is_eager=True,
    expose_value=False,
    callback=_config,
    metavar="FILE",
    help="Read option defaults from this TOML file.  [default: fetchpool.toml, or"
    " pyproject.toml with [tool.fetchpool], here or in a directory above]",
)
@option(
    "-w",
    "--max-workers",
    type=click.IntRange(1, MAX_WORKERS_LIMIT),
    default=32,
    show_default=True,
    help="Threads fetching at once.",
)
@option(
    "-t",
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds for one attempt: connecting, the status and headers, and what is"
    " read of the body.",
)
@option(
    "-m",
    "--max-time",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Seconds for a URL as a whole: every attempt, redirect and wait.  [default: no cap]",
)
@option(
    "-r",
    "--retries",
    type=click.IntRange(0, 100),
    default=2,
    show_default=True,
    help="Retries of connection errors, timeouts, 429, 502, 503 and 504.",
)
@option(
    "--max-retry-wait",
    type=click.FloatRange(0),
    default=30.0,
    show_default=True,
    help="Longest wait before a retry, Retry-After included (seconds).",
)
@option(
    "-X",
    "--method",
    type=click.Choice(METHODS, case_sensitive=False),
    default="GET",
    show_default=True,
    help="Request method; HEAD answers of 400 and up are re-checked with GET.",
)
@option(
    "-H",
    "--header",
    "headers",
    type=_LineList(),
    multiple=True,
    callback=_headers,
    metavar="'NAME: VALUE'",
    help="Extra request header; repeatable.",
)
@option(
    "-A", "--user-agent", default=DEFAULT_USER_AGENT, show_default=True, help="User-Agent header."
)
@option(
    "--follow/--no-follow", default=True, show_default=True, help="Follow redirects (10 at most)."
)
@option(
    "-a",
    "--accept",
    default="200-399",
    show_default=True,
    callback=_accept,
    metavar="CODES",
    help="Status codes counted as ok, e.g. 200-299,401.",
)
@option(
    "--per-host",
    type=click.IntRange(1),
    default=None,
    help="Most requests in flight to any one host.  [default: no cap]",
)
@option(
    "--rate",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Most requests per second to any one host.  [default: no cap]",
)
@option("-k", "--insecure", is_flag=True, help="Do not verify TLS certificates.")
@option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Verify TLS certificates against this CA bundle.",
)
@option(
    "--include",
    type=_LineList(),
    multiple=True,
    callback=_patterns,
    metavar="REGEX",
    help="Check only URLs this regular expression matches (searched anywhere in the URL);"
    " repeatable: any may match.",
)
@option(
    "--exclude",
    type=_LineList(),
    multiple=True,
    callback=_patterns,
    metavar="REGEX",
    help="Skip URLs this regular expression matches; repeatable.",
)
@option(
    "--dedupe",
    is_flag=True,
    help="Fetch each distinct URL once (ignoring #fragments); every line still gets a result.",
)
@option(
    "--shard",
    default=None,
    callback=_shard,
    metavar="K/N",
    help="Check only the K-th of N shares of the input, split by host, e.g. 2/4.",
)
@option(
    "--cache",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="Skip URLs this cache file says were ok within --max-age; record this run's.",
)
@option(
    "--max-age",
    default="1d",
    show_default=True,
    callback=_duration,
    metavar="DURATION",
    help="How long an ok result stays in --cache: 30m, 12h, 1d, 1h30m ...",
)
@_fail_on_option
@_baseline_option
@_format_option
@_output_option
@_quiet_option
@click.version_option(__version__, "-V", "--version", prog_name="fetchpool")
@click.pass_context
def cli(
    ctx: click.Context,
    max_workers: int,
    timeout: float,
    max_time: float | None,
    retries: int,
    max_retry_wait: float,
    method: str,
    headers: tuple[tuple[str, str], ...],
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
    fail_on: str,
    baseline: str | None,
    format_name: str | None,
    output: str | None,
    quiet: bool,
    sources: tuple[str, ...] = (),
) -> int | None:
    """Fetch the URLs listed in each SOURCE concurrently and report each one's status in
    input order.

    SOURCE is a file with one URL per line, or - for standard input (the default
    when input is piped). Blank lines and lines starting with # are skipped.
    """
    if ctx.invoked_subcommand:
        return None
    from ..ci.selection import Selection
    from ..core.options import Options
    from ..signals import SignalStop

    sources = _check_sources(sources)
    _check_fail_on(fail_on, baseline)
    if cache is None and ctx.get_parameter_source("max_age") == ParameterSource.COMMANDLINE:
        raise click.UsageError("--max-age applies to --cache: give a --cache FILE too")
    options = Options(
        max_workers=max_workers,
        timeout=timeout,
        max_time=max_time,
        retries=retries,
        max_retry_wait=max_retry_wait,
        method=method.upper(),
        headers=headers,
        user_agent=user_agent,
        follow=follow,
        accept=accept,
        per_host=per_host,
        rate=rate,
        verify=False if insecure else (ca_bundle or True),
    )
    if insecure:
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        # The user asked for it: one warning per request would bury the results.
        warnings.simplefilter("ignore", InsecureRequestWarning)
    output = None if output == "-" else output
    format_name = _choose_format(format_name, output)
    _refuse_overwrite(output, [*sources, cache])
    # Read before the output is opened: it may be last run's report, about to be replaced.
    compare_with = _load_baseline(baseline)
    cache_store = _load_cache(cache, max_age)
    selection = Selection(include, exclude, shard)
    # Caught from before the run starts until its output is closed, so that no signal
    # comes as a KeyboardInterrupt between a result and its write, or in the last flush.
    with SignalStop() as stop:
        with _open_output(output) as stream:
            status = _run(
                sources,
                options,
                format_name,
                stream,
                quiet,
                stop,
                selection=selection,
                dedupe=dedupe,
                cache=cache_store,
                baseline=compare_with,
                fail_on=fail_on,
            )
        _leave_if_stopped(stop)
    return status


@cli.command(
    MERGE,
    context_settings=_CONTEXT,
    short_help="Combine shards' jsonl reports into one report, in input order.",
    epilog="Exit status as for fetchpool: 0 all ok, 1 any not ok (see --fail-on),"
    " 2 usage or input error; 130, 143 or 129 when stopped by SIGINT, SIGTERM or SIGHUP.",
)
@click.argument(
    "reports", metavar="REPORT...", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
@_fail_on_option
@_baseline_option
@_format_option
@_output_option
@_quiet_option
def merge(
    reports: tuple[str, ...],
    fail_on: str,
    baseline: str | None,
    format_name: str | None,
    output: str | None,
    quiet: bool,
) -> int:
    """Combine shards' reports (each written with -f jsonl) into one report in input order.

    \b
    fetchpool --shard 1/2 -f jsonl -o shard-1.jsonl urls.txt
    fetchpool --shard 2/2 -f jsonl -o shard-2.jsonl urls.txt
    fetchpool merge shard-*.jsonl -f junit -o links.xml
    """
    from ..ci.merge import merge_reports, source_order
    from ..ci.reports import ReportError
    from ..signals import SignalStop

    _check_fail_on(fail_on, baseline)
    output = None if output == "-" else output
    format_name = _choose_format(format_name, output)
    _refuse_overwrite(output, reports)
    _refuse_repeats(reports)
    compare_with = _load_baseline(baseline)
    try:
        source_order(reports)  # reads every report once, so a bad one fails before output
    except ReportError as exc:
        raise click.UsageError(str(exc)) from exc
    with SignalStop() as stop:
        with _open_output(output) as stream:
            status = _report(
                stop.until_caught(merge_reports(reports)),
                format_name,
                stream,
                quiet,
                stop,
                baseline=compare_with,
                fail_on=fail_on,
                merged=len(reports),
            )
        _leave_if_stopped(stop)
    return status


def _check_sources(sources: tuple[str, ...]) -> tuple[str, ...]:
    """The sources to read, failing early on a file that cannot be read.

    Nothing is opened here: each source is opened once, by the reader, when reached.
    """
    if not sources:
        if sys.stdin is None or sys.stdin.isatty():
            click.echo("Usage: fetchpool [OPTIONS] [SOURCE]...", err=True)
            raise click.UsageError(
                "no SOURCE given and standard input is a terminal: name a file or pipe URLs in"
            )
        return ("-",)
    from ..core.inputs import check_source

    for source in sources:
        problem = None if source == "-" else check_source(source)
        if problem:
            raise click.UsageError(f"cannot read {source!r}: {problem}")
    return sources


def _check_fail_on(fail_on: str, baseline: str | None) -> None:
    if fail_on == "new" and not baseline:
        raise click.UsageError("--fail-on new compares with a baseline: give --baseline FILE")


def _refuse_overwrite(output: str | None, inputs: Iterable[str | None]) -> None:
    """Fail when -o names a file the run reads as it goes, which opening it would empty.

    (A --baseline is read whole first, so it may be the report this run replaces.)
    """
    if not output or not os.path.exists(output):
        return
    for name in inputs:
        if name and name != "-" and os.path.exists(name) and os.path.samefile(output, name):
            raise click.UsageError(f"-o {output!r} would overwrite {name!r}, which is read too")


def _refuse_repeats(reports: tuple[str, ...]) -> None:
    """Fail when one report is named twice, which would count its results twice."""
    for index, later in enumerate(reports):
        for earlier in reports[:index]:
            with contextlib.suppress(OSError):
                if os.path.samefile(earlier, later):
                    raise click.UsageError(f"{later!r} is the same report as {earlier!r}")


def _load_baseline(path: str | None) -> Baseline | None:
    from ..ci.baseline import Baseline
    from ..ci.reports import ReportError

    if path is None:
        return None
    try:
        return Baseline.load(path)
    except ReportError as exc:
        raise click.UsageError(f"--baseline: {exc}") from exc


def _load_cache(path: str | None, max_age: float) -> Cache | None:
    if path is None:
        return None
    from ..ci.cache import Cache, CacheError

    try:
        return Cache.load(path, max_age)
    except CacheError as exc:
        raise click.UsageError(str(exc)) from exc


def _choose_format(name: str | None, output: str | None) -> str:
    from ..render import FORMAT_BY_SUFFIX

    if name:
        return name
    if output:
        return FORMAT_BY_SUFFIX.get(os.path.splitext(output)[1].lower(), "plain")
    return "table" if sys.stdout is not None and sys.stdout.isatty() else "plain"


@contextlib.contextmanager
def _open_output(output: str | None) -> Iterator[TextIO]:
    """Where results go: the file named, the terminal, or a buffered UTF-8 stdout.

    A pipe or file on stdout gets its own buffer, whatever PYTHONUNBUFFERED or
    the locale say: one system call per line would slow a fast run, and
    machine-readable output is UTF-8.
    """
    if output:
        try:
            stream: TextIO = open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise click.UsageError(f"cannot write {output!r}: {exc.strerror or exc}") from exc
        with stream:
            yield stream
        return
    if sys.stdout is None:  # started with standard output closed (>&-)
        raise click.UsageError("standard output is closed: name a file with -o")
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        descriptor = None  # not a real file: an embedding program's stream
    if descriptor is None or sys.stdout.isatty():
        yield sys.stdout
        return
    buffered = open(  # noqa: SIM115 - fd 1 stays open: closefd=False
        descriptor,
        "w",
        encoding="utf-8",
        errors="backslashreplace",
        newline="",
        buffering=64 * 1024,
        closefd=False,
    )
    with buffered:
        yield buffered


def _raise_open_file_limit() -> None:
    """Let the process open as many files as the system allows it (the hard limit).

    A socket per worker, plus the idle connections kept for reuse, can pass the soft
    limit (1,024 on many systems) at -w 1024; the hard limit is the system's word.
    """
    try:
        import resource
    except ImportError:  # not on POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 16
    if soft < wanted:
        with contextlib.suppress(ValueError, OSError):  # the system would not have it
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _run(
    sources: tuple[str, ...],
    options: Options,
    format_name: str,
    stream: TextIO,
    quiet: bool,
    stop: SignalStop,
    *,
    selection: Selection | None = None,
    dedupe: bool = False,
    cache: Cache | None = None,
    baseline: Baseline | None = None,
    fail_on: str = "any",
) -> int:
    from ..ci.checks import Checks
    from ..core.inputs import read_sources

    _raise_open_file_limit()
    checks = Checks(read_sources(sources), options, selection, dedupe, cache)
    stop.on_signal(checks.interrupt)
    return _report(
        checks, format_name, stream, quiet, stop, baseline=baseline, fail_on=fail_on, cache=cache
    )


def _report(
    results: Iterator[Result],
    format_name: str,
    stream: TextIO,
    quiet: bool,
    stop: SignalStop,
    *,
    baseline: Baseline | None = None,
    fail_on: str = "any",
    cache: Cache | None = None,
    merged: int | None = None,
) -> int:
    """Write ``results`` (a running Checks, or merged reports), then the summary;
    return the exit status the results call for (after a signal in ``stop``, the
    caller leaves with the signal's instead)."""
    from ..ci.checks import Checks
    from ..ci.reports import ReportError
    from ..core.inputs import InputError
    from ..render.output import write_report
    from ..render.summary import baseline_lines, print_summary, summary_line

    checks = results if isinstance(results, Checks) else None
    try:
        written = write_report(
            results,
            format_name,
            stream,
            progress=sys.stderr if not quiet and sys.stderr.isatty() else None,
            terminal=stream is sys.stdout and sys.stdout.isatty(),
            baseline=baseline,
        )
    except (InputError, ReportError) as exc:
        if checks is not None:
            checks.close()
        _stop_now(stream, ExitStatus.USAGE, f"fetchpool: error: {exc}")
    except OSError as exc:
        _stop_on_os_error(stream, exc, "cannot write the results")
    if cache is not None:
        try:
            cache.save()
        except OSError as exc:
            sys.stderr.write(f"fetchpool: warning: cannot write cache {cache.path!r}: {exc}\n")
    interrupted = written.interrupted or stop.caught
    if not quiet:
        skipped = checks.selection.skipped if checks else 0
        tally = written.tally
        line = summary_line(
            tally,
            written.seconds,
            written.unreported,
            skipped=skipped,
            merged=merged,
            held=checks.held if checks else None,
            interrupted=interrupted,
        )
        print_summary(
            line, sys.stderr, all_ok=tally.all_ok and not interrupted, terminal=sys.stderr.isatty()
        )
        if baseline is not None and not interrupted:
            for text in baseline_lines(baseline):
                sys.stderr.write(text + "\n")
            sys.stderr.flush()
    if checks is not None:
        checks.close()
    return decide_status(written.tally, fail_on, baseline)  # type: ignore[arg-type]


def _leave_if_stopped(stop: SignalStop) -> None:
    """After a signal, with the output closed: leave with 128 + its number, at once.

    Requests still in flight are not waited for, as a normal exit would (it joins
    the worker threads).
    """
    if stop.caught:
        _stop_now(sys.stdout, stop.status)


def _stop_on_os_error(stream: TextIO, exc: OSError, doing: str) -> NoReturn:
    """A closed pipe ends the run quietly (141); any other such error is one line (2)."""
    if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
        _stop_now(stream, ExitStatus.BROKEN_PIPE)
    _stop_now(stream, ExitStatus.USAGE, f"fetchpool: error: {doing}: {exc.strerror or exc}")


def _stop_now(stream: TextIO, status: int, message: str | None = None) -> NoReturn:
    """Leave at once, without waiting for requests still in flight on worker threads."""
    if status == ExitStatus.BROKEN_PIPE:
        # Nothing more can reach the reader: drop what is buffered for it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if message:
        from ..render.text import printable

        sys.stderr.write(printable(message) + "\n")
    leave_now(status, (stream, sys.stdout, sys.stderr))


def _where_from(exc: click.UsageError) -> str:
    """For a bad value: which environment variable or config file it came from."""
    param = getattr(exc, "param", None)
    ctx = exc.ctx
    if param is None or ctx is None or param.name is None:
        return ""
    source = ctx.get_parameter_source(param.name)
    if source == ParameterSource.ENVIRONMENT and isinstance(param, _Option) and param.envvar:
        return f" (from ${param.envvar})"
    if source == ParameterSource.DEFAULT_MAP and _CONFIG_META in ctx.meta:
        return f" (from {ctx.meta[_CONFIG_META]})"
    return ""


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: every usage error is one line on stderr and exit 2."""
    if sys.stderr is None:  # started with standard error closed (2>&-): nothing can show there
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    try:
        status = cli.main(args=argv, prog_name="fetchpool", standalone_mode=False)
    except OSError as exc:  # most likely flushing the last of the output, after the run
        _stop_on_os_error(sys.stdout, exc, "cannot finish the output")
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "fetchpool"
        hint = f" (see '{command} --help')"
        from ..render.text import printable

        message = " ".join(exc.format_message().splitlines())  # one line, whatever the source
        sys.stderr.write(f"fetchpool: error: {printable(message)}{_where_from(exc)}{hint}\n")
        sys.exit(ExitStatus.USAGE)
    except click.ClickException as exc:
        from ..render.text import printable

        sys.stderr.write(f"fetchpool: error: {printable(exc.format_message())}\n")
        sys.exit(exc.exit_code)
    except click.Abort:
        # Ctrl-C before the run caught signals (parsing options, loading a baseline): leave
        # now, rather than wait at exit for any thread.
        _stop_now(sys.stdout, ExitStatus.SIGINT, "fetchpool: interrupted")
    sys.exit(status if isinstance(status, int) else ExitStatus.OK)
