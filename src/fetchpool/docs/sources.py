"""SOURCEs that are documents or folders of them: their links as input lines, in
document order; links to local files checked on disk, without a request.

Each document is a fault boundary: whatever goes wrong reading it (a file that vanished
or cannot be read, one that is no regular file, no text or too large, a link that does
not parse) is one result, for the document or for the link, and the run goes on.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import unquote, urljoin

from ..core.failures import FailureKind
from ..core.inputs import InputLine, check_source, read_sources
from ..core.results import Result
from ..core.urls import is_web_url
from ..core.wire import Fault
from ..crawl.options import sitemap_like
from .extract import anchors_of, links_of
from .found import Found
from .globs import Glob, is_glob
from .local import WEB_SCHEMES, Verdict, check, fragment_verdict, is_remote, resolve, scheme_of
from .markers import enabled
from .options import DocumentKind, DocumentOptions, kind_of
from .reading import MAX_DOCUMENT as MAX_DOCUMENT
from .reading import Unreadable, decode, read_bytes
from .tree import tree as tree_of
from .walk import Skipped, clean_path, documents, work_tree

if TYPE_CHECKING:
    from ..crawl.crawler import Crawler

# Links with these schemes (or none) are checked; any other names no page to check.
_CHECKED_SCHEMES = frozenset(("", "file", *WEB_SCHEMES))


@dataclass(frozen=True)
class LocalLine(InputLine):
    """A link to a file, checked on disk rather than fetched, within ``tree`` (a folder;
    "" when any file may be looked up)."""

    tree: str = ""


@dataclass(frozen=True)
class KnownLine(InputLine):
    """A line whose result is known as it is read: a document or folder that was not
    read, or a link that cannot be checked; ``reason`` says why."""

    reason: str = ""
    kind: FailureKind = FailureKind.UNREADABLE


def has_documents(sources: Iterable[str], options: DocumentOptions) -> bool:
    """Whether any of ``sources`` is read as documents (web pages and sitemaps included)
    rather than as a list of URLs."""
    if options.kind not in (None, DocumentKind.URLS):
        return True
    return any(
        source != "-"
        and (os.path.isdir(source) or kind_of(source) or is_site(source) or is_glob(source))
        for source in sources
    )


def is_page_url(source: str) -> bool:
    """Whether the SOURCE ``source`` is a web page's URL (and no file of that name)."""
    return is_web_url(source) and not os.path.exists(source)


def is_site(source: str) -> bool:
    """Whether the SOURCE ``source`` is read as part of a website: a page's URL, or a
    sitemap file (``.xml``, ``.xml.gz``). Never standard input (``-``)."""
    return is_page_url(source) or (sitemap_like(source) and os.path.isfile(source))


_GIT_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def git_unquoted(text: str) -> str | None:
    """A path as git writes one it quotes (``"caf\\303\\251.md"``: a name that is not
    plain ASCII, unless core.quotePath is off), as the file system names it; None when
    ``text`` is not such a path."""
    if len(text) < 2 or not text.startswith('"') or not text.endswith('"'):
        return None
    raw = bytearray()
    body, at = text[1:-1], 0
    while at < len(body):
        char = body[at]
        if char != "\\":
            raw += char.encode("utf-8", "surrogateescape")
            at += 1
            continue
        escape = body[at + 1 : at + 2]
        octal = body[at + 1 : at + 4]
        if len(octal) == 3 and all(digit in "01234567" for digit in octal) and octal < "400":
            raw.append(int(octal, 8))
            at += 4
        elif escape in _GIT_ESCAPES:
            raw.append(_GIT_ESCAPES[escape])
            at += 2
        else:
            return None
    return os.fsdecode(bytes(raw))


class DocumentReader:
    """Reads SOURCEs, documents and URL lists alike, into input lines in order.

    ``left_out`` counts the links not checked (web links under ``offline``); ``not_read``
    the documents and folders that could not be read, each of which is a line of its own.
    ``output``, when given, is the run's own output file, never read as a document.
    """

    def __init__(
        self,
        options: DocumentOptions | None = None,
        output: str | None = None,
        processes: int = 1,
        crawler: Crawler | None = None,
    ) -> None:
        """``processes`` above 1 reads a folder's documents on that many worker processes;
        ``crawler`` reads the SOURCEs that are web pages and sitemaps (without one, a
        page's URL is read as a file's name)."""
        self.options = options or DocumentOptions()
        self.crawler = crawler
        self._processes = processes
        self.left_out = 0
        self.not_read = 0
        self._output = output
        self._output_known: tuple[int, int] | None = None
        # The document read from standard input, for #fragment links into it.
        self._stdin: tuple[str, DocumentKind] | None = None
        self._stdin_anchors: frozenset[str] | None = None

    def read(
        self,
        sources: Iterable[str],
        stdin: BinaryIO | None = None,
        files_from: Iterable[str] = (),
    ) -> Iterator[InputLine]:
        """Each SOURCE's lines: a folder's documents, a document's links, a list's URLs,
        a glob's documents; then those of the paths each ``files_from`` list names.

        Raises InputError when a URL list cannot be read; a document that cannot be read
        is a KnownLine instead.
        """
        forced = self.options.kind
        for given in sources:
            # Named here once, as every report shows it (README.md, not ./README.md).
            source = clean_path(given)
            if source != "-" and os.path.isdir(source):
                yield from self._folder(source)
                continue
            if source != "-" and is_glob(source):
                pattern = Glob.parse(source)
                walk = pattern.documents(self.options.follow_symlinks)
                yield from self._walked(walk, None)
                continue
            if self.crawler is not None and forced is None and source != "-" and is_site(source):
                yield from self._site(source, self.crawler)
                continue
            kind = forced or (kind_of(source) if source != "-" else None)
            if kind is None or kind is DocumentKind.URLS:
                yield from read_sources([source], stdin)
            else:
                yield from self._document(source, kind, _tree_of(source), stdin)
        for listing in files_from:
            yield from self._listed(listing, stdin)

    def _listed(self, listing: str, stdin: BinaryIO | None) -> Iterator[InputLine]:
        """The lines of the paths a --files-from list names, one a line (blank lines and
        ``#`` comments skipped), each read as ``_found`` says."""
        for line in read_sources([listing], stdin):
            text = line.text
            if text.startswith('"') and not os.path.lexists(text):
                text = git_unquoted(text) or text
            # A path, never standard input: "-" in a list is a file of that name.
            path = clean_path(text) if text != "-" else os.path.join(os.curdir, "-")
            if line.error is not None:
                yield self._not_read(path, f"not a path: {line.error}")
            else:
                yield from self._found(path)

    def _found(self, path: str) -> Iterator[InputLine]:
        """The lines of a path a list named: a folder's documents, a document's links (or
        a URL list's, with --input-format urls). Any other file is left out, as a folder's
        walk leaves it out; a path that names nothing is a line not read."""
        if os.path.isdir(path):
            yield from self._folder(path)
            return
        if not os.path.lexists(path):
            yield self._not_read(path, f"cannot read: {os.strerror(errno.ENOENT)}")
            return
        kind = self.options.kind or kind_of(path)
        if kind is DocumentKind.URLS:
            problem = check_source(path)
            if problem is None:
                yield from read_sources([path])
            else:
                yield self._not_read(path, f"cannot read: {problem}")
        elif kind is not None:
            yield from self._document(path, kind, _tree_of(path))

    def _site(self, source: str, crawler: Crawler) -> Iterator[InputLine]:
        """The lines of a web page or a sitemap, by URL (read as the crawler reads
        them), or of a sitemap file."""
        if is_page_url(source):
            yield from crawler.from_url(source)
            return
        from ..crawl.sitemaps import read_sitemap

        try:
            data = read_bytes(source, None).data
        except Unreadable as exc:
            yield self._not_read(source, str(exc))
            return
        sitemap = read_sitemap(data)
        del data
        if not sitemap.kind:
            yield self._not_read(source, sitemap.problem or "not a sitemap")
            return
        yield from crawler.from_sitemap(source, sitemap.entries, sitemap.kind == "sitemapindex")
        if sitemap.problem is not None:
            yield self._not_read(source, sitemap.problem)

    def close(self) -> None:
        """Stop reading: a crawl waiting for a page stops waiting."""
        if self.crawler is not None:
            self.crawler.close()

    def _folder(self, folder: str) -> Iterator[InputLine]:
        """The lines of every document in ``folder``, in the walk's order."""
        yield from self._walked(documents(folder, self.options.follow_symlinks), folder)

    def _walked(self, walk: Iterable[str | Skipped], tree: str | None) -> Iterator[InputLine]:
        """The lines of every document a walk found, in its order, each read on a worker
        process when there are several (extract_document is the work); their links to
        files may look into ``tree`` (None: each document's, as if it were given alone,
        so that a glob reads its matches as the shell's expansion of it would)."""
        # Plain values, to travel: (path, kind) for a document, (path, reason, kind of
        # failure) for what the walk skipped, which needs no reading.
        entries = (
            (entry.path, entry.reason, entry.kind.value)
            if isinstance(entry, Skipped)
            else (entry, (kind_of(entry) or DocumentKind.MARKDOWN).value)
            for entry in walk
        )
        read: Iterator[tuple[tuple[object, ...], object]]
        if self._processes > 1:
            from ..core.engine import map_in_order

            read = map_in_order(f"{__name__}:read_entry", entries, self._processes)
        else:
            read = ((entry, read_entry(*entry)) for entry in entries)
        for entry, extracted in read:
            path = str(entry[0])
            if extracted is None:  # skipped by the walk
                yield self._not_read(path, str(entry[1]), FailureKind(entry[2]))
            elif isinstance(extracted, Fault):
                yield self._not_read(path, f"cannot read its links: {extracted}")
            else:
                within = tree if tree is not None else _tree_of(path)
                yield from self._extracted(path, extracted, within)  # type: ignore[arg-type]

    def _document(
        self, path: str, kind: DocumentKind, tree: str, stdin: BinaryIO | None = None
    ) -> Iterator[InputLine]:
        """The lines of one document: its links, or one line saying why it was not read."""
        if path != "-":
            yield from self._extracted(path, extract_document(path, kind.value), tree)
            return
        try:
            text = decode(read_bytes(path, stdin or _stdin()).data, kind)
        except Unreadable as exc:
            yield self._not_read(path, str(exc))
            return
        self._stdin = (text, kind)
        yield from self._extracted(path, (None, None, *_links(text, kind)), tree)

    def _extracted(self, path: str, extracted: Extracted, tree: str) -> Iterator[InputLine]:
        """The lines of a document read by extract_document."""
        identity, unread, links, fault = extracted
        if unread is not None:
            yield self._not_read(path, unread)
            return
        if identity is not None and identity == self._output_identity():
            return  # the run's own report, being written
        for url, line, column in links:
            found = self._link(path, Found(url, line, column), tree)
            if found is not None:
                yield found
        if fault is not None:
            yield self._not_read(path, fault)

    def _link(self, path: str, found: Found, tree: str) -> InputLine | None:
        """The input line for one link; None for a link that is not checked at all."""
        url = found.url.strip()
        scheme = scheme_of(url)
        if not url or scheme not in _CHECKED_SCHEMES:
            return None  # mailto:, tel: ... name no page
        remote = scheme in WEB_SCHEMES or url.startswith("//")
        if not remote and self.options.base_url is not None:
            try:
                url = urljoin(self._page_url(path), url)
            except ValueError as exc:
                return KnownLine(
                    url, path, found.line, column=found.column,
                    reason=f"invalid URL: {exc}", kind=FailureKind.INVALID_URL,
                )  # fmt: skip
            remote = is_remote(url)
        if not remote:
            return LocalLine(url, path, found.line, column=found.column, tree=tree)
        if self.options.offline:
            self.left_out += 1
            return None
        if url.startswith("//"):
            url = "https:" + url
        return InputLine(url, path, found.line, column=found.column)

    def _not_read(
        self, path: str, reason: str, kind: FailureKind = FailureKind.UNREADABLE
    ) -> KnownLine:
        self.not_read += 1
        return KnownLine(path, path, 0, reason=reason, kind=kind)

    def _output_identity(self) -> tuple[int, int] | None:
        """The (device, inode) of the run's output file: looked up until it is there (it
        is opened before the first document is read), then kept."""
        if self._output is None or self._output_known is not None:
            return self._output_known
        try:
            status = os.stat(self._output)
        except OSError:
            return None
        self._output_known = (status.st_dev, status.st_ino)
        return self._output_known

    def _page_url(self, path: str) -> str:
        """Where the document at ``path`` is on the ``base_url`` site."""
        base = str(self.options.base_url)
        root = self.options.root_dir or os.curdir
        relative = os.path.relpath(path, root).replace(os.sep, "/") if path != "-" else ""
        return urljoin(base if base.endswith("/") else base + "/", relative)

    def known_result(self, item: InputLine) -> Result | None:
        """The result of a line known as it is read (a link to a local file, a document
        not read); None for a line to fetch."""
        if isinstance(item, KnownLine):
            return _result(item, Verdict(False, item.reason, item.kind), None)
        if not isinstance(item, LocalLine):
            return None
        if item.source == "-" and item.text.startswith("#"):  # into standard input itself
            return _result(item, self._stdin_fragment(unquote(item.text[1:])), None)
        document = item.source if item.source != "-" else os.path.join(os.curdir, "-")
        try:
            link = resolve(document, item.text, self.options.root_dir)
        except ValueError as exc:
            verdict = Verdict(False, f"invalid URL: {exc}", FailureKind.INVALID_URL)
            return _result(item, verdict, None)
        if link is None:
            reason = "not checked: a /-rooted link needs --root-dir or --base-url"
            return _result(item, Verdict(False, reason, FailureKind.NOT_CHECKED), None)
        rooted = item.text.startswith("/") and self.options.root_dir is not None
        tree = self.options.root_dir if rooted else item.tree
        inside = None
        if tree and not self.options.allow_outside:
            checked, follow = tree_of(tree), self.options.follow_symlinks

            def inside(path: str) -> bool:
                return checked.resolve(path, follow) is not None

        verdict = check(link, self.options, inside)
        return _result(item, verdict, verdict.path)

    def _stdin_fragment(self, fragment: str) -> Verdict:
        """Whether the document read from standard input has the anchor ``fragment``."""
        if self._stdin is None:
            return Verdict(False, "fragment not checked: no document", FailureKind.NOT_CHECKED)
        text, kind = self._stdin
        if self._stdin_anchors is None:
            self._stdin_anchors = frozenset(anchors_of(text, kind))
        return fragment_verdict(fragment, self._stdin_anchors)


# What extract_document gives, in plain values (it may run on another process): the
# document's (device, inode), why it was not read, its links (url, line, column) in order,
# and why its links stopped short (a parser's fault).
Extracted = tuple[
    "tuple[int, int] | None", "str | None", "tuple[tuple[str, int, int], ...]", "str | None"
]


def read_entry(path: str, kind: str, skipped: str | None = None) -> Extracted | None:
    """A walk's entry read (see extract_document); None for one it skipped."""
    return None if skipped is not None else extract_document(path, kind)


def extract_document(path: str, kind: str) -> Extracted:
    """Read the document at ``path`` as ``kind`` (a DocumentKind's value) for its links.

    Never raises for anything the file does: a document that cannot be read says why,
    and a parser that fails costs the links after the fault."""
    try:
        read = read_bytes(path, None)
        text = decode(read.data, DocumentKind(kind))
    except Unreadable as exc:
        return (None, str(exc), (), None)
    identity = read.identity
    del read
    links, fault = _links(text, DocumentKind(kind))
    return (identity, None, links, fault)


def _links(text: str, kind: DocumentKind) -> tuple[tuple[tuple[str, int, int], ...], str | None]:
    """The links of a document's text, and the parser's fault if it failed part way."""
    found_in = links_of(text, kind)
    # Markers are comments that hold "fetchpool-": a document without it has none.
    links = enabled(found_in) if "fetchpool-" in text else found_in
    out: list[tuple[str, int, int]] = []
    try:
        for found in links:
            if type(found) is Found:
                out.append((found.url, found.line, found.column))
    except Exception as exc:  # a parser's fault must cost one document, not the run
        return tuple(out), f"cannot read its links: {type(exc).__name__}: {exc}"
    return tuple(out), None


def _tree_of(source: str) -> str:
    """The tree a document given alone may link into: the git work tree that holds it,
    else the working directory, or the document's own folder when it is outside that."""
    here = os.getcwd()
    if source == "-":
        return here
    tree = work_tree(source)
    if tree is not None:
        return tree
    folder = os.path.dirname(os.path.abspath(source))
    return here if tree_of(here).resolve(folder) is not None else folder


def _stdin() -> BinaryIO:
    import sys

    return sys.stdin.buffer


def _result(item: InputLine, verdict: Verdict, path: str | None) -> Result:
    return Result(
        item.text,
        None,
        verdict.ok,
        verdict.reason,
        0.0,
        path,
        0,
        item.source,
        item.line,
        kind=verdict.kind,
        column=item.column,
    )
