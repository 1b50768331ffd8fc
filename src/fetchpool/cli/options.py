"""The command line's options, each declared once, with its default and its choices
taken from where the library keeps them: ``Options``, the writer registry, ``status``.

Every option can also come from a FETCHPOOL_<OPTION> environment variable or a config
file (see config.py); the command line wins.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from ..core.credentials import HostHeader, parse_host
from ..core.options import (
    DEFAULT_MAX_AGE,
    MAX_PROCESSES,
    MAX_WORKERS_LIMIT,
    METHODS,
    Accept,
    Options,
    Remap,
    parse_duration,
    parse_header,
    parse_user_agent,
)
from ..crawl.options import DEFAULT_MAX_PAGES
from ..docs.options import DocumentKind, DocumentOptions
from ..render import FORMATS
from ..render.base import SHOW
from ..status import DEFAULT_FAIL_ON, FAIL_ON
from .group import MERGE

ENV_PREFIX = "FETCHPOOL_"
CONFIG_META = "fetchpool.config"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

F = TypeVar("F", bound=Callable[..., Any])
Callback = Callable[[click.Context, click.Parameter, Any], Any]

# The library's defaults, which the options show and use.
DEFAULTS = Options()
DOCUMENT_DEFAULTS = DocumentOptions()


class Option(click.Option):
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


class _Number(click.FloatRange):
    """A FloatRange that takes no NaN, nor infinity when ``finite``: both pass its
    comparisons, and reach sockets and clocks that refuse them."""

    def __init__(self, min: float, *, min_open: bool = False, finite: bool = False) -> None:
        super().__init__(min, min_open=min_open)
        self.finite = finite

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        if self.finite and math.isinf(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def option(*decls: str, **attrs: Any) -> Callable[[F], F]:
    return click.option(*decls, cls=Option, **attrs)


def parsed(parse: Callable[[str], Any], *, skip_blank: bool = False) -> Callback:
    """A callback that gives the command ``parse(value)``, or a tuple of them for a
    repeatable option; a ValueError from ``parse`` is a usage error naming the option.

    None stays None. Of a repeatable option's values, empty ones (a blank line in
    FETCHPOOL_<OPTION>) are left out, and with ``skip_blank`` those of spaces too.
    """

    kept: Callable[[str], str] = str.strip if skip_blank else str

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        try:
            if value is None:
                return None
            if isinstance(value, tuple):
                return tuple(parse(each) for each in value if kept(each))
            return parse(str(value))  # a number from a config file is text here too
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc

    return callback


def _host_headers(ctx: click.Context, param: click.Parameter, value: Any) -> tuple[HostHeader, ...]:
    """--host-header's pairs as headers; a usage error names what is wrong, not the value."""
    headers = []
    for host, header in value or ():
        try:
            name, text = parse_header(header)
            headers.append(HostHeader(parse_host(host), name, text))
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    return tuple(headers)


def _github_token(ctx: click.Context, param: click.Parameter, value: Any) -> str | None:
    """The token without the blanks around it; a usage error says what is wrong with it,
    never what it is."""
    token = str(value).strip() if value is not None else None
    if token:
        try:
            parse_header(f"Authorization: Bearer {token}")
        except ValueError:
            raise click.BadParameter(
                "the token holds a line break, a NUL or a character that is not Latin-1"
            ) from None
    return token


def _listed(parse: Callable[[str], str]) -> Callback:
    """A callback for a repeatable option whose values are comma-separated lists: one
    tuple of every item, ``parse``d, in order (empty items left out, so an empty value
    gives none); a ValueError from ``parse`` is a usage error naming the option."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> tuple[str, ...]:
        items = (item.strip() for each in value or () for item in str(each).split(","))
        try:
            return tuple(parse(item) for item in items if item)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc

    return callback


def _index_file(name: str) -> str:
    if name != os.curdir and ("/" in name or os.sep in name or name == os.pardir):
        raise ValueError(f"an index file is a file's name in the folder, not a path: {name!r}")
    return name


def _extension(text: str) -> str:
    extension = text.removeprefix(".")
    if not extension or "/" in extension or os.sep in extension:
        raise ValueError(f"not a file name extension: {text!r}")
    return extension


def _compile_pattern(text: str) -> Any:
    from ..ci.selection import compile_pattern

    return compile_pattern(text)


def _parse_base_url(text: str) -> str:
    from ..core.urls import parse_base_url

    return parse_base_url(text)


def _parse_shard(text: str) -> Any:
    from ..ci.selection import Shard

    return Shard.parse(text)


def _config(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Load the config file (named, or found upwards) into ``ctx.default_map``.

    Eager, so it runs before the options whose defaults it sets. Raises ConfigError.
    """
    from .config import find_config, load_config

    if ctx.resilient_parsing:  # shell completion: never fail on a config file
        return value
    path = Path(value) if value else find_config(Path.cwd())
    if path is None:
        return None
    defaults = load_config(path, _config_settings(ctx.command))
    ctx.meta[CONFIG_META] = str(path)
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
        if isinstance(param, Option) and param.config_key and param.name != "config":
            settings[param.config_key] = Setting(
                param=param.name or param.config_key,
                multiple=param.multiple,
                path=isinstance(param.type, click.Path),
                flag=param.is_bool_flag,
            )
    return settings


def where_from(exc: click.UsageError) -> str:
    """For a bad value: which environment variable or config file it came from."""
    param = getattr(exc, "param", None)
    ctx = exc.ctx
    if param is None or ctx is None or param.name is None:
        return ""
    source = ctx.get_parameter_source(param.name)
    if source == ParameterSource.ENVIRONMENT and isinstance(param, Option) and param.envvar:
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
        # The first one set, as Click reads them (--github-token has two).
        name = next((name for name in names if os.environ.get(name)), names[0])
        return f" (from ${name})"
    if source == ParameterSource.DEFAULT_MAP and CONFIG_META in ctx.meta:
        return f" (from {ctx.meta[CONFIG_META]})"
    return ""


def _complete_sources(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Files, and the ``merge`` subcommand where it can go (first, with no file matching)."""
    items: list[Any] = [CompletionItem(incomplete, type="file")]
    if incomplete and MERGE.startswith(incomplete) and not ctx.params.get("sources"):
        directory, prefix = os.path.split(incomplete)
        with contextlib.suppress(OSError):
            if not directory and not any(name.startswith(prefix) for name in os.listdir(".")):
                items = [CompletionItem(MERGE)]
    return items


def _all(decorators: Sequence[Callable[[Any], Any]]) -> Callable[[F], F]:
    """One decorator for several, listed in the order --help shows them."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


# What to check and how: the main command's own.
check_options = _all(
    [
        click.argument(
            "sources", metavar="[SOURCE]...", nargs=-1, shell_complete=_complete_sources
        ),
        option(
            "--config",
            type=click.Path(dir_okay=False),
            default=None,
            is_eager=True,
            expose_value=False,
            callback=_config,
            metavar="FILE",
            help="Read option defaults from this TOML file.  [default: fetchpool.toml, or"
            " pyproject.toml with [tool.fetchpool], here or in a directory above]",
        ),
        option(
            "-w",
            "--max-workers",
            type=click.IntRange(1, MAX_WORKERS_LIMIT),
            default=DEFAULTS.max_workers,
            show_default=True,
            help="Threads fetching at once.",
        ),
        option(
            "-j",
            "--processes",
            type=click.IntRange(1, MAX_PROCESSES),
            default=None,
            help="Processes checking URLs, each with its share of --max-workers; 1 checks"
            " them all in this one.  [default: the CPUs fetchpool may run on]",
        ),
        option(
            "-t",
            "--timeout",
            type=_Number(0, min_open=True, finite=True),
            default=DEFAULTS.timeout,
            show_default=True,
            help="Seconds for one attempt: connecting, the status and headers, and what is"
            " read of the body.",
        ),
        option(
            "-m",
            "--max-time",
            type=_Number(0, min_open=True),
            default=DEFAULTS.max_time,
            help="Seconds for a URL as a whole: every attempt, redirect and wait."
            "  [default: no cap]",
        ),
        option(
            "-r",
            "--retries",
            type=click.IntRange(0, 100),
            default=DEFAULTS.retries,
            show_default=True,
            help="Retries of connection errors, timeouts, 429, 502, 503 and 504.",
        ),
        option(
            "--max-retry-wait",
            type=_Number(0),
            default=DEFAULTS.max_retry_wait,
            show_default=True,
            help="Longest wait before a retry, Retry-After included (seconds).",
        ),
        option(
            "-X",
            "--method",
            type=click.Choice(METHODS, case_sensitive=False),
            default=DEFAULTS.method,
            show_default=True,
            metavar="|".join(METHODS),
            help="Request method; HEAD answers of 400 and up are re-checked with GET.",
        ),
        option(
            "-H",
            "--header",
            "headers",
            type=_LineList(),
            multiple=True,
            callback=parsed(parse_header, skip_blank=True),
            metavar="'NAME: VALUE'",
            help="Extra request header, sent to every host; repeatable. Those that carry a"
            " secret (Authorization, Cookie, a name with token, key, auth, secret, session)"
            " are dropped when a redirect leaves the host.",
        ),
        option(
            "--host-header",
            "host_headers",
            type=_LineList(),
            nargs=2,
            multiple=True,
            callback=_host_headers,
            metavar="HOST 'NAME: VALUE'",
            help="A request header sent to HOST alone (.example.com: it and its"
            " subdomains), redirects included; repeatable.",
        ),
        option(
            "--github-token",
            envvar=[ENV_PREFIX + "GITHUB_TOKEN", "GITHUB_TOKEN"],
            metavar="TOKEN",
            callback=_github_token,
            help="Sent over https to github.com, api.github.com and raw.githubusercontent.com"
            " alone, never in the clear."
            "  [default: $GITHUB_TOKEN]",
        ),
        option(
            "--remap",
            type=_LineList(),
            multiple=True,
            callback=parsed(Remap.parse, skip_blank=True),
            metavar="'REGEX REPLACEMENT'",
            help="Fetch a URL the REGEX matches as REPLACEMENT makes it ($1 or \\1 for a"
            " group); the report keeps the URL as written. Repeatable: the first that"
            " matches applies.",
        ),
        option(
            "-A",
            "--user-agent",
            default=DEFAULTS.user_agent,
            show_default=True,
            callback=parsed(parse_user_agent),
            help="User-Agent header.",
        ),
        option(
            "--follow/--no-follow",
            default=DEFAULTS.follow,
            show_default=True,
            help=f"Follow redirects ({DEFAULTS.max_redirects} at most).",
        ),
        option(
            "-a",
            "--accept",
            default=str(DEFAULTS.accept),
            show_default=True,
            callback=parsed(Accept.parse),
            metavar="CODES",
            help="Status codes counted as ok, e.g. 200-299,401.",
        ),
        option(
            "--per-host",
            type=click.IntRange(1),
            default=DEFAULTS.per_host,
            help="Most requests in flight to any one host.  [default: no cap]",
        ),
        option(
            "--rate",
            type=_Number(0, min_open=True),
            default=DEFAULTS.rate,
            help="Most requests per second to any one host.  [default: no cap]",
        ),
        option("-k", "--insecure", is_flag=True, help="Do not verify TLS certificates."),
        option(
            "--ca-bundle",
            type=click.Path(exists=True, dir_okay=False),
            default=None,
            help="Verify TLS certificates against this CA bundle.",
        ),
        option(
            "--include",
            type=_LineList(),
            multiple=True,
            callback=parsed(_compile_pattern),
            metavar="REGEX",
            help="Check only URLs this regular expression matches (searched anywhere in the"
            " URL); repeatable: any may match.",
        ),
        option(
            "--exclude",
            type=_LineList(),
            multiple=True,
            callback=parsed(_compile_pattern),
            metavar="REGEX",
            help="Skip URLs this regular expression matches; repeatable.",
        ),
        option(
            "--dedupe",
            is_flag=True,
            help="Fetch each distinct URL once (ignoring #fragments); every line still gets"
            " a result.",
        ),
        option(
            "--shard",
            default=None,
            callback=parsed(_parse_shard),
            metavar="K/N",
            help="Check only the K-th of N shares of the input, split by host, e.g. 2/4.",
        ),
        option(
            "--cache",
            type=click.Path(dir_okay=False),
            default=None,
            metavar="FILE",
            help="Skip URLs this cache file says were ok within --max-age; record this run's.",
        ),
        option(
            "--max-age",
            default=DEFAULT_MAX_AGE,
            show_default=True,
            callback=parsed(parse_duration),
            metavar="DURATION",
            help="How long an ok result stays in --cache: 30m, 12h, 1d, 1h30m ...",
        ),
    ]
)

# How SOURCEs that are documents are read: the main command's.
document_options = _all(
    [
        option(
            "--files-from",
            type=click.Path(dir_okay=False, allow_dash=True),
            multiple=True,
            metavar="FILE",
            help="Read the paths FILE lists too, one a line, after the SOURCEs (- is standard"
            " input; blank lines and # comments skipped; repeatable): a folder is walked, a"
            " document read, any other file left out, and a path that is not there reported"
            " as not read.",
        ),
        option(
            "--input-format",
            type=click.Choice([kind.value for kind in DocumentKind]),
            default=None,
            help="Read every SOURCE that is not a folder as this: a URL list, or a document"
            " whose links are checked.  [default: by suffix (.md .markdown .html .htm .rst),"
            " else urls]",
        ),
        option(
            "--offline",
            is_flag=True,
            help="In documents, check only links to local files and their #anchors, no web links.",
        ),
        option(
            "--root-dir",
            type=click.Path(exists=True, file_okay=False),
            default=None,
            metavar="DIR",
            help="Resolve /-rooted links in documents to files under DIR.",
        ),
        option(
            "--index-files",
            type=_LineList(),
            multiple=True,
            default=DOCUMENT_DEFAULTS.index_files,
            callback=_listed(_index_file),
            metavar="NAMES",
            help="What a link to a folder in a document means: the first of these files in"
            " it (comma-separated, repeatable; . is the folder itself), e.g."
            " index.html,index.md,README.md; a #fragment is looked for in that file."
            "  [default: none: any folder that exists]",
        ),
        option(
            "--fallback-extensions",
            type=_LineList(),
            multiple=True,
            default=DOCUMENT_DEFAULTS.fallback_extensions,
            callback=_listed(_extension),
            metavar="EXTS",
            help="For a link in a document to a file that is not there, the extensions to"
            " try in turn (comma-separated, repeatable), e.g. html,md: a link to guide is"
            " then guide.md.  [default: none]",
        ),
        option(
            "--base-url",
            default=None,
            callback=parsed(_parse_base_url),
            metavar="URL",
            help="Check links to files in documents as web links under URL instead (with"
            " --root-dir as the site's root).",
        ),
        option(
            "--follow-symlinks",
            is_flag=True,
            help="Follow symlinks out of a folder being checked (not followed by default).",
        ),
        option(
            "--allow-outside",
            is_flag=True,
            help="Look up links to files outside the tree checked (the folder given, else"
            " the git work tree, else the working directory; --root-dir for /-rooted"
            " links). By default they are reported as outside, not looked up.",
        ),
        option(
            "--check-fragments",
            is_flag=True,
            help="For web links with a #fragment, look for the anchor in the page (HTML, up"
            " to 4 MiB).",
        ),
        option(
            "--dump",
            is_flag=True,
            help="Print each link found, with where it is (SOURCE:LINE:COLUMN), and check none.",
        ),
    ]
)


def _parse_scope(text: str) -> str:
    from ..crawl.options import check_prefix

    return check_prefix(text)


# How SOURCEs that are web pages or sitemaps are read: the main command's.
crawl_options = _all(
    [
        option(
            "--crawl",
            is_flag=True,
            help="For a SOURCE that is a web page (or sitemap), read every page in scope"
            " too, breadth first, and check every link on each, once.",
        ),
        option(
            "--scope",
            multiple=True,
            callback=parsed(_parse_scope),
            metavar="URLPREFIX",
            help="With --crawl, read pages whose URL starts with URLPREFIX (repeatable).  "
            "[default: each start page's scheme, host, port and folder]",
        ),
        option(
            "--depth",
            type=click.IntRange(min=0),
            default=None,
            metavar="N",
            help="With --crawl, read pages at most N links from a start page (0: the start"
            " pages only).  [default: no limit]",
        ),
        option(
            "--max-pages",
            type=click.IntRange(min=1),
            default=DEFAULT_MAX_PAGES,
            show_default=True,
            metavar="N",
            help="Read at most N pages; links past that are checked, not read.",
        ),
        option(
            "--ignore-robots",
            is_flag=True,
            help="With --crawl, request pages that robots.txt disallows, and do not wait"
            " its Crawl-delay.",
        ),
    ]
)

# Where the results go and what fails the run: the main command's and merge's.
report_options = _all(
    [
        option(
            "--fail-on",
            type=click.Choice(FAIL_ON),
            default=DEFAULT_FAIL_ON,
            show_default=True,
            help="Exit 1 for any URL not ok, only for broken ones (not inconclusive),"
            " or only for broken ones that were not broken in --baseline.",
        ),
        option(
            "--baseline",
            type=click.Path(dir_okay=False),
            default=None,
            metavar="FILE",
            help="An earlier run's -f jsonl report: list newly broken, fixed and still broken"
            " URLs.",
        ),
        option(
            "-f",
            "--format",
            "format_name",
            type=click.Choice(tuple(FORMATS)),
            default=None,
            help="Output format.  [default: table on a terminal, else plain; with -o, by file"
            " suffix]",
        ),
        option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, writable=True),
            default=None,
            help="Write results to this file instead of standard output (- is standard output).",
        ),
        option("-q", "--quiet", is_flag=True, help="No progress display and no summary."),
        option(
            "--show",
            type=click.Choice(SHOW),
            default=None,
            help="What the table shows: the problems alone (broken, inconclusive, in input"
            " order) or every result; other formats write every result.  [default: problems"
            " when a SOURCE is a document, folder or web page, else all]",
        ),
        option(
            "-v",
            "--verbose",
            is_flag=True,
            help="In the table, show the path each link to a local file resolved to.",
        ),
    ]
)
