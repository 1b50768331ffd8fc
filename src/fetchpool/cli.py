"""The ``fetchpool`` command: options in, a run's results out, an exit status back."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
import time
from typing import TYPE_CHECKING, TextIO

import click

from . import __version__
from .options import DEFAULT_USER_AGENT, MAX_WORKERS_LIMIT, METHODS, Accept, parse_header

if TYPE_CHECKING:
    from .options import Options

EXIT_OK = 0
EXIT_NOT_OK = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # what a process killed by SIGPIPE reports, as `yes | head` does

FORMAT_NAMES = ("table", "plain", "jsonl", "json", "csv")


def _accept(ctx: click.Context, param: click.Parameter, value: str) -> Accept:
    try:
        return Accept.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _headers(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(parse_header(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _check_sources(sources: tuple[str, ...]) -> tuple[str, ...]:
    """The sources to read, failing early on a file that cannot be read."""
    if not sources:
        if sys.stdin is None or sys.stdin.isatty():
            click.echo("Usage: fetchpool [OPTIONS] [SOURCE]...", err=True)
            raise click.UsageError(
                "no SOURCE given and standard input is a terminal: name a file or pipe URLs in"
            )
        return ("-",)
    for source in sources:
        if source == "-":
            continue
        try:
            with open(source, "rb"):
                pass
        except OSError as exc:
            raise click.UsageError(f"cannot read {source!r}: {exc.strerror or exc}") from exc
    return sources


def _choose_format(name: str | None, output: str | None) -> str:
    from .render import FORMAT_BY_SUFFIX

    if name:
        return name
    if output:
        return FORMAT_BY_SUFFIX.get(os.path.splitext(output)[1].lower(), "plain")
    return "table" if sys.stdout.isatty() else "plain"


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit status: 0 all ok, 1 any not ok, 2 usage or input error, 130 interrupted.",
)
@click.argument("sources", metavar="[SOURCE]...", nargs=-1)
@click.option(
    "-w",
    "--max-workers",
    type=click.IntRange(1, MAX_WORKERS_LIMIT),
    default=32,
    show_default=True,
    help="Threads fetching at once.",
)
@click.option(
    "-t",
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to wait to connect, and for each read.",
)
@click.option(
    "-r",
    "--retries",
    type=click.IntRange(0, 100),
    default=2,
    show_default=True,
    help="Retries of connection errors, timeouts, 429, 502, 503 and 504.",
)
@click.option(
    "--max-retry-wait",
    type=click.FloatRange(0),
    default=30.0,
    show_default=True,
    help="Longest wait before a retry, Retry-After included (seconds).",
)
@click.option(
    "-X",
    "--method",
    type=click.Choice(METHODS, case_sensitive=False),
    default="GET",
    show_default=True,
    help="Request method; HEAD answers of 400 and up are re-checked with GET.",
)
@click.option(
    "-H",
    "--header",
    "headers",
    multiple=True,
    callback=_headers,
    metavar="'NAME: VALUE'",
    help="Extra request header; repeatable.",
)
@click.option(
    "-A", "--user-agent", default=DEFAULT_USER_AGENT, show_default=True, help="User-Agent header."
)
@click.option(
    "--follow/--no-follow", default=True, show_default=True, help="Follow redirects (10 at most)."
)
@click.option(
    "-a",
    "--accept",
    default="200-399",
    show_default=True,
    callback=_accept,
    metavar="CODES",
    help="Status codes counted as ok, e.g. 200-299,401.",
)
@click.option(
    "--per-host",
    type=click.IntRange(1),
    default=None,
    help="Most requests in flight to any one host.  [default: no cap]",
)
@click.option(
    "--rate",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Most requests per second to any one host.  [default: no cap]",
)
@click.option("-k", "--insecure", is_flag=True, help="Do not verify TLS certificates.")
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Verify TLS certificates against this CA bundle.",
)
@click.option(
    "-f",
    "--format",
    "format_name",
    type=click.Choice(FORMAT_NAMES),
    default=None,
    help="Output format.  [default: table on a terminal, else plain; with -o, by file suffix]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write results to this file instead of standard output.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress display and no summary.")
@click.version_option(__version__, "-V", "--version", prog_name="fetchpool")
def cli(
    sources: tuple[str, ...],
    max_workers: int,
    timeout: float,
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
    format_name: str | None,
    output: str | None,
    quiet: bool,
) -> int:
    """Fetch the URLs listed in each SOURCE concurrently and report each one's status in
    input order.

    SOURCE is a file with one URL per line, or - for standard input (the default
    when input is piped). Blank lines and lines starting with # are skipped.
    """
    from .options import Options

    sources = _check_sources(sources)
    options = Options(
        max_workers=max_workers,
        timeout=timeout,
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
    format_name = _choose_format(format_name, output)
    stream = _open_output(output)
    try:
        return _run(sources, options, format_name, stream, quiet)
    finally:
        stream.flush()
        if stream is not sys.stdout:
            stream.close()


def _open_output(output: str | None) -> TextIO:
    """Where results go: the file named, the terminal, or a buffered UTF-8 stdout.

    A pipe or file on stdout gets its own buffer, whatever PYTHONUNBUFFERED or
    the locale say: one system call per line would slow a fast run, and
    machine-readable output is UTF-8.
    """
    if output:
        try:
            return open(output, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise click.UsageError(f"cannot write {output!r}: {exc.strerror or exc}") from exc
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return sys.stdout  # not a real file: an embedding program's stream
    if sys.stdout.isatty():
        return sys.stdout
    return open(
        descriptor,
        "w",
        encoding="utf-8",
        errors="backslashreplace",
        newline="",
        buffering=64 * 1024,
        closefd=False,
    )


def _run(
    sources: tuple[str, ...], options: Options, format_name: str, stream: TextIO, quiet: bool
) -> int:
    from .inputs import InputError, read_sources
    from .render import make_writer
    from .render.status import StatusDisplay, print_summary, summary_line
    from .results import Tally
    from .run import Run

    started = time.perf_counter()
    tally = Tally()
    terminal = stream is sys.stdout and sys.stdout.isatty()
    display = StatusDisplay(
        sys.stderr, enabled=not quiet and sys.stderr.isatty(), redirect_stdout=terminal
    )
    run = Run(read_sources(sources), options)
    unreported = 0
    try:
        with display:
            # Made inside the display, so that what goes to the terminal appears above it.
            writer = make_writer(format_name, sys.stdout if terminal else stream)
            try:
                for result in run:
                    writer.write(result)
                    tally.add(result)
                    display.update(tally, run.in_flight)
                    # Flush only when the next result is not in yet: a reader sees each
                    # result promptly, and a fast run is not one write per line.
                    if not run.ready():
                        writer.flush()
            except KeyboardInterrupt:
                finished = run.finished()
                unreported = max(1, run.in_flight - len(finished))
                for result in finished:
                    writer.write(result)
                    tally.add(result)
            writer.finish()
    except InputError as exc:
        run.close()
        _stop_now(stream, EXIT_USAGE, f"fetchpool: error: {exc}")
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
            _stop_now(stream, EXIT_BROKEN_PIPE)
        raise
    if not quiet:
        line = summary_line(tally, time.perf_counter() - started, unreported)
        print_summary(line, all_ok=tally.all_ok and not unreported)
    if unreported:
        _stop_now(stream, EXIT_INTERRUPTED)
    run.close()
    return EXIT_OK if tally.all_ok else EXIT_NOT_OK


def _stop_now(stream: TextIO, status: int, message: str | None = None) -> None:
    """Leave at once, without waiting for requests still in flight on worker threads."""
    if status == EXIT_BROKEN_PIPE:
        # Nothing more can reach the reader: drop what is buffered for it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if message:
        sys.stderr.write(message + "\n")
    for each in (stream, sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            each.flush()
    os._exit(status)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: every usage error is one line on stderr and exit 2."""
    try:
        status = cli.main(args=argv, prog_name="fetchpool", standalone_mode=False)
    except click.UsageError as exc:
        hint = "" if exc.ctx is None else " (see 'fetchpool --help')"
        sys.stderr.write(f"fetchpool: error: {exc.format_message()}{hint}\n")
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        sys.stderr.write(f"fetchpool: error: {exc.format_message()}\n")
        sys.exit(exc.exit_code)
    except click.Abort:
        sys.stderr.write("fetchpool: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(status if isinstance(status, int) else EXIT_OK)
