"""A run of fetchpool as the command makes it, without the command line: check URLs or
merge shards' reports, write the results, save the cache, print the summary and the
comparison with a baseline, and say how it went.

The command (``cli``) parses its options into a ``CheckPlan`` or a ``MergePlan`` and calls
``check`` or ``merge``; a program can do the same, with an ``Environment`` of its own::

    outcome = check(CheckPlan(("urls.txt",)), Environment.from_process())
    print(outcome.status, outcome.written.tally.broken if outcome.written else None)

Errors are FetchpoolErrors, raised where they are found: ``UsageError`` and
``CacheError`` before anything is fetched or written, ``InputError``, ``ReportError``
and ``OutputError`` while results are written. A closed pipe is not an error but an
outcome (``ExitStatus.BROKEN_PIPE``).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TextIO

from .core.options import DEFAULT_MAX_AGE, Options, parse_duration
from .crawl.options import CrawlOptions
from .docs.options import DocumentOptions
from .environment import Environment
from .errors import CacheError, OutputError, ReportError, UsageError
from .status import DEFAULT_FAIL_ON, ExitStatus, FailOn, decide_status

if TYPE_CHECKING:
    from .ci.baseline import Baseline
    from .ci.cache import Cache
    from .ci.checks import Checks
    from .ci.selection import Selection
    from .core.inputs import InputLine
    from .core.results import Result
    from .crawl.crawler import Crawler
    from .docs.sources import DocumentReader
    from .render.base import Show, View
    from .render.output import Written
    from .signals import SignalStop

__all__ = ["CheckPlan", "Environment", "MergePlan", "Outcome", "Report", "check", "merge"]


@dataclass(frozen=True)
class Report:
    """Where a run's results go and what fails it: the same for a check and a merge."""

    # A file for the results; None or "-" is standard output.
    output: str | None = None
    # A format of render.FORMATS; None chooses one (see choose_format).
    format_name: str | None = None
    # No progress display and no summary.
    quiet: bool = False
    fail_on: FailOn = DEFAULT_FAIL_ON
    # An earlier run's -f jsonl report, to compare this run's results with.
    baseline: str | None = None
    # What the table shows: "problems" or "all"; None: the problems when any SOURCE is
    # read for its links (a document, a folder, a web page), every result for URL lists.
    show: Show | None = None
    # The table shows the path each link to a local file resolved to.
    verbose: bool = False


@dataclass(frozen=True)
class CheckPlan:
    """What to check and how: the sources, the fetch options, and the CI features."""

    # Files with one URL per line; "-" is standard input.
    sources: tuple[str, ...] = ("-",)
    options: Options = field(default_factory=Options)
    report: Report = field(default_factory=Report)
    # --include, --exclude and --shard; None checks every line.
    selection: Selection | None = None
    dedupe: bool = False
    # The --cache file, and how long (seconds) an ok result in it stays fresh.
    cache: str | None = None
    max_age: float = parse_duration(DEFAULT_MAX_AGE)
    # How documents (Markdown, HTML, reST files and folders of them) are read.
    documents: DocumentOptions = field(default_factory=DocumentOptions)
    # Whether #fragments of web pages are looked for in the pages.
    check_fragments: bool = False
    # How SOURCEs that are web pages or sitemaps are read (--crawl and the like).
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    # Files listing more paths to read, one a line, after the sources ("-" is standard
    # input); a folder is walked, documents are read, other files left out.
    files_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergePlan:
    """Shards' jsonl reports to merge, and where the merged report goes."""

    reports: tuple[str, ...]
    report: Report = field(default_factory=Report)


@dataclass(frozen=True)
class Outcome:
    """How a run went: the exit status it calls for, and what was written (None when the
    output's reader went away first: ``ExitStatus.BROKEN_PIPE``)."""

    status: ExitStatus
    written: Written | None = None


def check(plan: CheckPlan, env: Environment, stop: SignalStop | None = None) -> Outcome:
    """Check the URLs in ``plan.sources`` and write their results as ``plan.report`` says.

    From the start of the run, SIGINT, SIGTERM and SIGHUP are caught by ``stop``: the
    first ends the run with the results finished so far, and the outcome is the
    signal's status. The caller releases ``stop`` (the command does once the process
    has left); without one, the run catches them itself while it lasts.

    Raises, before anything is fetched: UsageError for a SOURCE that cannot be read, an
    output that would overwrite an input or cannot be opened, an unreadable baseline or
    ``--fail-on new`` without one; CacheError for a --cache file that is not one. While
    results are written: InputError (a source that fails as it is read) and OutputError.
    """
    from .ci.cache import Cache
    from .ci.checks import Checks
    from .docs.sources import DocumentReader, has_documents, is_page_url, is_site

    report = plan.report
    _check_sources(plan)
    _check_shard(plan)
    _check_fail_on(report)
    output = _output_file(report.output)
    _refuse_overwrite(output, [*plan.sources, *plan.files_from, plan.cache])
    # Read before the output is opened: it may be last run's report, about to be replaced.
    baseline = _load_baseline(report.baseline)
    hide = secrets_hidden(plan.options)
    cache = Cache.load(plan.cache, plan.max_age, hide, plan.options.remap) if plan.cache else None
    if plan.options.verify is False:
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        # The user asked for it: one warning per request would bury the results.
        warnings.simplefilter("ignore", InsecureRequestWarning)
    _raise_open_file_limit()
    # Caught from before the run starts until its output is closed (and, with the
    # caller's stop, beyond), so that no signal comes between a result and its write.
    crawler = _crawler(plan)
    reader = DocumentReader(
        plan.documents, output=output, processes=plan.options.processes, crawler=crawler
    )
    documents = bool(plan.files_from) or has_documents(plan.sources, plan.documents)
    with _catching(stop) as caught:

        def start() -> Checks:
            anchors_of: Callable[[str], set[str]] | None = None
            if plan.check_fragments:
                from .docs.html import html_anchors

                anchors_of = html_anchors
            options = plan.options
            page_reader = None
            if crawler is not None:
                from .crawl.pages import PageReading

                page_reader = PageReading()
                # Read now, so that the run's host limits hold each Crawl-delay from the
                # start; a signal cuts the reading short.
                caught.on_signal(crawler.abort)
                delays = crawler.crawl_delays(
                    source for source in plan.sources if is_page_url(source)
                )
                if delays:
                    options = replace(options, intervals=(*options.intervals, *delays.items()))
                for host, delay in sorted(delays.items()):
                    if delay >= 1:  # a crawl that will take a while: say why
                        env.stderr.write(
                            f"fetchpool: {host}'s robots.txt asks for {delay:g} s between"
                            " requests (Crawl-delay): waited, unless --ignore-robots\n"
                        )
            # Over documents, a link used on many pages is fetched once (every use gets
            # its result), and links to files are looked up on disk. A crawl gives each
            # link once already: with websites alone, no result is kept to answer repeats
            # (memory stays flat however large the site).
            sites_only = not plan.files_from and all(is_site(source) for source in plan.sources)
            checks = Checks(
                reader.read(plan.sources, env.stdin, plan.files_from),
                options,
                plan.selection,
                dedupe=plan.dedupe or (documents and not sites_only),
                cache=cache,
                known=reader.known_result if documents else None,
                anchors_of=anchors_of,
                page_reader=page_reader,
            )
            caught.on_signal(checks.interrupt)
            return checks

        try:
            return _write(
                start,
                report,
                output,
                env,
                caught,
                baseline=baseline,
                cache=cache,
                reader=reader,
                hide=hide,
                documents=documents,
            )
        finally:
            reader.close()


def secrets_hidden(options: Options) -> Callable[[str], str] | None:
    """What masks the run's secrets (secret -H values, host headers) in what it writes;
    None when it has none."""
    from .core.credentials import Redactor, secrets_of

    redactor = Redactor(secrets_of(options.headers, options.host_headers))
    return redactor if redactor else None


def _crawler(plan: CheckPlan) -> Crawler | None:
    """The crawler that reads the plan's web pages and sitemaps; None when it has none."""
    from .docs.sources import is_site

    if not any(is_site(source) for source in plan.sources):
        return None
    from .crawl.crawler import Crawler

    selection = plan.selection
    wanted = selection if selection is not None and selection.active else None
    return Crawler(plan.crawl, plan.options, plan.check_fragments, wanted)


def dump(plan: CheckPlan, env: Environment) -> Outcome:
    """Write each link ``plan.sources`` hold, ``SOURCE:LINE[:COLUMN]<TAB>URL``, one a line,
    in input order (after --include, --exclude and --shard), and check none: what a run
    would check, links to local files included. Raises as ``check`` does for sources."""
    from .core.failures import FailureKind
    from .core.urls import masked
    from .docs.sources import DocumentReader, KnownLine
    from .render.text import escape_surrogates, place, printable

    _check_sources(plan)
    _check_shard(plan)
    output = _output_file(plan.report.output)
    crawler = _crawler(plan)
    reader = DocumentReader(
        plan.documents, output=output, processes=plan.options.processes, crawler=crawler
    )
    lines = reader.read(plan.sources, env.stdin, plan.files_from)
    if plan.selection is not None and plan.selection.active:
        lines = plan.selection.select(lines)
    if crawler is not None:
        lines = _read_pages(lines, plan.options)
    skipped = 0
    shown: dict[str, str] = {}  # each source as shown, made once: a document has many links
    hide = secrets_hidden(plan.options)
    try:
        with _open_output(output, env) as stream:
            for item in lines:
                # As a report shows them: no password or secret, no bare surrogate.
                source = shown.get(item.source)
                if source is None:
                    source = shown[item.source] = printable(escape_surrogates(item.source))
                where = place(source, item.line, item.column)
                problem = item.reason if isinstance(item, KnownLine) else item.error
                if isinstance(item, KnownLine) and item.kind is FailureKind.ROBOTS_DISALLOWED:
                    problem = None  # a link found all the same, which a run would skip
                if problem is None:
                    link = escape_surrogates(masked(item.text, hide))
                    stream.write(f"{where}\t{printable(link)}\n")
                    continue
                skipped += 1
                problem = problem if hide is None else hide(problem)
                env.stderr.write(f"fetchpool: skipped {where}: {printable(problem)}\n")
    except OSError as exc:
        if _reader_gone(exc):
            return Outcome(ExitStatus.BROKEN_PIPE)
        raise OutputError(f"cannot write the links: {exc.strerror or exc}") from exc
    finally:
        reader.close()
    return Outcome(ExitStatus.NOT_OK if skipped else ExitStatus.OK)


def _read_pages(lines: Iterable[InputLine], options: Options) -> Iterator[InputLine]:
    """``lines``, each web page among them fetched (one GET) and read for its links before
    it goes on, for --dump: a site's links cannot be listed without reading its pages."""
    from .core.fetch import Fetcher
    from .core.pages import PageLine
    from .crawl.pages import PageReading

    fetcher = Fetcher(options, page_reader=PageReading())
    try:
        for line in lines:
            if type(line) is PageLine:
                fetcher.fetch(line)  # delivers the page it read, or None, to the crawl
            yield line
    finally:
        fetcher.close()


def merge(plan: MergePlan, env: Environment, stop: SignalStop | None = None) -> Outcome:
    """Merge shards' jsonl reports into one, in input order, written as ``plan.report``
    says; signals as for ``check``.

    Raises UsageError before anything is written: for a report named twice or that
    cannot be merged, an output that would overwrite a report or cannot be opened, an
    unreadable baseline. While results are written: ReportError and OutputError.
    """
    from .ci.merge import merge_reports, source_order

    report = plan.report
    _check_fail_on(report)
    output = _output_file(report.output)
    _refuse_overwrite(output, plan.reports)
    _refuse_repeats(plan.reports)
    baseline = _load_baseline(report.baseline)
    try:
        source_order(plan.reports)  # reads every report once, so a bad one fails before output
    except ReportError as exc:
        raise UsageError(str(exc)) from exc
    with _catching(stop) as caught:
        return _write(
            lambda: caught.until_caught(merge_reports(plan.reports)),
            report,
            output,
            env,
            caught,
            baseline=baseline,
            merged=len(plan.reports),
        )


def choose_format(name: str | None, output: str | None, terminal: bool) -> str:
    """``name`` when given; else the format an output file's suffix names (plain when it
    names none); else table on a ``terminal``, plain in a pipe or file."""
    from .render import FORMAT_BY_SUFFIX

    if name:
        return name
    if output:
        return FORMAT_BY_SUFFIX.get(os.path.splitext(output)[1].lower(), "plain")
    return "table" if terminal else "plain"


def table_view(report: Report, documents: bool) -> View:
    """How the table shows results: as ``report.show`` says; else, when a SOURCE is read
    for its links (``documents``: a document, a folder, a web page, alone or among URL
    lists), only the problems, which would be lost among thousands of links that are
    fine; else every row, as a URL list's lines are what was asked about."""
    from .render.base import View

    show = report.show or ("problems" if documents else "all")
    return View(problems_only=show == "problems", verbose=report.verbose)


def _write(
    results: Callable[[], Iterator[Result]],
    report: Report,
    output: str | None,
    env: Environment,
    stop: SignalStop,
    *,
    baseline: Baseline | None = None,
    cache: Cache | None = None,
    merged: int | None = None,
    reader: DocumentReader | None = None,
    hide: Callable[[str], str] | None = None,
    documents: bool = False,
) -> Outcome:
    """Open the output, write what ``results()`` yields (a running Checks, or merged
    reports), close the output; then save the cache and print the summary. ``documents``
    says that a SOURCE is read for its links, which makes the table show the problems
    alone unless ``report.show`` says otherwise."""
    from .ci.checks import Checks
    from .render.output import write_report

    format_name = choose_format(report.format_name, output, env.stdout_isatty)
    checks: Checks | None = None
    try:
        with _open_output(output, env) as stream:
            running = results()  # once the output is open: a Checks starts its workers
            checks = running if isinstance(running, Checks) else None
            written = write_report(
                running,
                format_name,
                stream,
                progress=env.stderr if not report.quiet and env.stderr_isatty else None,
                terminal=stream is env.stdout and env.stdout_isatty,
                baseline=baseline,
                progress_note=reader.crawler.describe
                if reader is not None and reader.crawler is not None
                else None,
                hide=hide,
                view=table_view(report, documents),
            )
    except OSError as exc:
        if _reader_gone(exc):
            return Outcome(ExitStatus.BROKEN_PIPE)
        raise OutputError(f"cannot write the results: {exc.strerror or exc}") from exc
    finally:
        if checks is not None:
            checks.close()
    if cache is not None:
        try:
            cache.save()
        except OSError as exc:
            env.stderr.write(f"fetchpool: warning: cannot write cache {cache.path!r}: {exc}\n")
        except CacheError as exc:  # the file became something else during the run
            env.stderr.write(f"fetchpool: warning: cache not saved: {exc}\n")
    crawler = reader.crawler if reader is not None else None
    if crawler is not None and crawler.limit_reached:
        env.stderr.write(
            f"fetchpool: warning: --max-pages {crawler.options.max_pages:,} reached:"
            " pages past it were checked, not read\n"
        )
    if not report.quiet:
        left_out = reader.left_out if reader is not None else 0
        not_read = reader.not_read if reader is not None else 0
        if crawler is not None:
            not_read += crawler.not_read
        pages = crawler.pages_read if crawler is not None else None
        repeats = crawler.repeats if crawler is not None else 0
        _summarise(written, env, stop, checks, baseline, merged, left_out, not_read, pages, repeats)
    return Outcome(decide_status(written.tally, report.fail_on, baseline, stop.signum), written)


def _summarise(
    written: Written,
    env: Environment,
    stop: SignalStop,
    checks: Checks | None,
    baseline: Baseline | None,
    merged: int | None,
    left_out: int = 0,
    not_read: int = 0,
    pages: int | None = None,
    repeats: int = 0,
) -> None:
    """The summary line on standard error, then the comparison with the baseline."""
    from .render.summary import baseline_lines, print_summary, summary_line

    interrupted = written.interrupted or stop.caught
    line = summary_line(
        written.tally,
        written.seconds,
        written.unreported,
        not_selected=checks.selection.skipped if checks else 0,
        merged=merged,
        held=checks.held if checks else None,
        interrupted=interrupted,
        left_out=left_out,
        not_read=not_read,
        pages=pages,
        repeats=repeats,
    )
    all_ok = written.tally.all_ok and not interrupted
    print_summary(line, env.stderr, all_ok=all_ok, terminal=env.stderr_isatty)
    if baseline is not None and not interrupted:
        for text in baseline_lines(baseline):
            env.stderr.write(text + "\n")
        env.stderr.flush()


@contextlib.contextmanager
def _catching(stop: SignalStop | None) -> Iterator[SignalStop]:
    """Signals caught from here on: by the caller's ``stop``, which the caller releases,
    or by a SignalStop of the run's own until the block ends."""
    from .signals import SignalStop

    if stop is not None:
        stop.catch()
        yield stop
        return
    with SignalStop() as own:
        yield own


@contextlib.contextmanager
def _open_output(output: str | None, env: Environment) -> Iterator[TextIO]:
    """Where results go: the file named, the terminal, or a buffered UTF-8 standard output.

    A pipe or file on standard output gets its own buffer, whatever PYTHONUNBUFFERED or
    the locale say: one system call per line would slow a fast run, and machine-readable
    output is UTF-8. Raises UsageError when the output cannot be opened, OutputError
    when what is left of it cannot be written as it is closed.
    """
    stream: TextIO
    if output:
        try:
            # backslashreplace: a second guard, should text no UTF-8 holds get this far.
            stream = open(  # noqa: SIM115
                output, "w", encoding="utf-8", errors="backslashreplace", newline=""
            )
        except OSError as exc:
            raise UsageError(f"cannot write {output!r}: {exc.strerror or exc}") from exc
        close = stream.close
    else:
        stream, close = _standard_output(env)
    try:
        yield stream
    except BaseException:
        with contextlib.suppress(OSError, ValueError):
            close()  # the output failed, or the run did: what is buffered goes if it can
        raise
    try:
        close()
    except OSError as exc:
        if _reader_gone(exc):
            raise
        raise OutputError(f"cannot finish the output: {exc.strerror or exc}") from exc


def _standard_output(env: Environment) -> tuple[TextIO, Callable[[], None]]:
    """Standard output to write results to, and how to close it when they are written."""
    stdout = env.stdout
    if stdout is None:  # started with standard output closed (>&-)
        raise UsageError("standard output is closed: name a file with -o")
    try:
        descriptor: int | None = stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        descriptor = None  # not a real file: an embedding program's stream, or a test's
    if descriptor is None or env.stdout_isatty:
        return stdout, stdout.flush
    buffered = open(  # noqa: SIM115 - fd 1 stays open: closefd=False
        descriptor,
        "w",
        encoding="utf-8",
        errors="backslashreplace",
        newline="",
        buffering=64 * 1024,
        closefd=False,
    )
    return buffered, buffered.close


def _reader_gone(exc: OSError) -> bool:
    """Whether ``exc`` says the output's reader went away (``| head -1``)."""
    return isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE


def _output_file(output: str | None) -> str | None:
    return None if output == "-" else output


def _check_sources(plan: CheckPlan) -> None:
    """Fail early on a SOURCE or --files-from list that cannot be read, a glob that
    matches no document, or standard input named twice.

    Nothing is opened here: each source is opened once, by the reader, when reached.
    """
    from .core.inputs import check_source
    from .docs.globs import Glob, is_glob
    from .docs.sources import is_page_url

    if [*plan.sources, *plan.files_from].count("-") > 1:
        raise UsageError(
            "standard input can be read once: name - as a SOURCE or as --files-from, not both"
        )
    for source in plan.sources:
        if source != "-" and (os.path.isdir(source) or is_page_url(source)):
            continue  # a folder of documents, walked when reached; a web page, fetched
        if source != "-" and is_glob(source):
            if Glob.parse(source).first() is None:
                raise UsageError(
                    f"cannot read {source!r}: no such file, and no document matches it as a glob"
                )
            continue
        problem = None if source == "-" else check_source(source)
        if problem:
            raise UsageError(f"cannot read {source!r}: {problem}")
    for listing in plan.files_from:
        problem = None if listing == "-" else check_source(listing)
        if problem:
            raise UsageError(f"--files-from: cannot read {listing!r}: {problem}")


def _check_shard(plan: CheckPlan) -> None:
    """Refuse --shard with a website SOURCE: a shard cannot read only its share of a site,
    since the links it must check are found on pages any shard may own."""
    from .docs.sources import is_site

    shard = plan.selection.shard if plan.selection is not None else None
    if shard is not None and any(is_site(source) for source in plan.sources):
        raise UsageError(
            "--shard splits URL lists and documents, not websites: check a web page or"
            " sitemap SOURCE in one run"
        )


def _check_fail_on(report: Report) -> None:
    if report.fail_on == "new" and not report.baseline:
        raise UsageError("--fail-on new compares with a baseline: give --baseline FILE")


def _refuse_overwrite(output: str | None, inputs: Iterable[str | None]) -> None:
    """Fail when -o names a file the run reads as it goes, which opening it would empty.

    (A --baseline is read whole first, so it may be the report this run replaces.)
    """
    if not output or not os.path.exists(output):
        return
    for name in inputs:
        if name and name != "-" and os.path.exists(name) and os.path.samefile(output, name):
            raise UsageError(f"-o {output!r} would overwrite {name!r}, which is read too")


def _refuse_repeats(reports: tuple[str, ...]) -> None:
    """Fail when one report is named twice, which would count its results twice."""
    for index, later in enumerate(reports):
        for earlier in reports[:index]:
            with contextlib.suppress(OSError):
                if os.path.samefile(earlier, later):
                    raise UsageError(f"{later!r} is the same report as {earlier!r}")


def _load_baseline(path: str | None) -> Baseline | None:
    from .ci.baseline import Baseline

    if path is None:
        return None
    try:
        return Baseline.load(path)
    except ReportError as exc:
        raise UsageError(f"--baseline: {exc}") from exc


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
