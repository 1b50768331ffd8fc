"""SOURCEs that are documents or folders of them: their links as input lines, in
document order; links to local files checked on disk, without a request."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urljoin

from ..core.failures import FailureKind
from ..core.inputs import InputError, InputLine, read_sources
from ..core.results import Result
from .extract import links_of
from .local import Verdict, check, is_remote, is_skipped, resolve
from .markers import disabled_lines
from .options import DocumentKind, DocumentOptions, kind_of
from .walk import documents

# A document is read whole to find its links; past this size it is reported, not read.
MAX_DOCUMENT = 64 * 1024 * 1024


@dataclass(frozen=True)
class LocalLine(InputLine):
    """A link to a file, checked on disk rather than fetched."""


def has_documents(sources: Iterable[str], options: DocumentOptions) -> bool:
    """Whether any of ``sources`` is read as documents rather than as a list of URLs."""
    if options.kind not in (None, DocumentKind.URLS):
        return True
    return any(source != "-" and (os.path.isdir(source) or kind_of(source)) for source in sources)


class DocumentReader:
    """Reads SOURCEs, documents and URL lists alike, into input lines in order.

    ``left_out`` counts the links not checked: web links under ``offline``.
    """

    def __init__(self, options: DocumentOptions | None = None) -> None:
        self.options = options or DocumentOptions()
        self.left_out = 0

    def read(self, sources: Iterable[str], stdin: BinaryIO | None = None) -> Iterator[InputLine]:
        """Each SOURCE's lines: a folder's documents, a document's links, a list's URLs.

        Raises InputError when a source cannot be read.
        """
        forced = self.options.kind
        for source in sources:
            if source != "-" and os.path.isdir(source):
                for path in documents(source):
                    yield from self._document(path, kind_of(path) or DocumentKind.MARKDOWN)
                continue
            kind = forced or (kind_of(source) if source != "-" else None)
            if kind is None or kind is DocumentKind.URLS:
                yield from read_sources([source], stdin)
            else:
                yield from self._document(source, kind, stdin)

    def _document(
        self, path: str, kind: DocumentKind, stdin: BinaryIO | None = None
    ) -> Iterator[InputLine]:
        text = _read(path, stdin)
        if text is None:
            yield InputLine(path, path, 0, f"document over {MAX_DOCUMENT // 2**20} MiB: not read")
            return
        disabled = disabled_lines(text)
        for found in links_of(text, kind):
            url = found.url.strip()
            if not url or found.line in disabled or is_skipped(url):
                continue
            if not is_remote(url) and self.options.base_url is not None:
                url = urljoin(self._page_url(path), url)
            if is_remote(url):
                if self.options.offline:
                    self.left_out += 1
                    continue
                if url.startswith("//"):
                    url = "https:" + url
                yield InputLine(url, path, found.line, column=found.column)
            else:
                yield LocalLine(url, path, found.line, column=found.column)

    def _page_url(self, path: str) -> str:
        """Where the document at ``path`` is on the ``base_url`` site."""
        base = str(self.options.base_url)
        root = self.options.root_dir or os.curdir
        relative = os.path.relpath(path, root).replace(os.sep, "/") if path != "-" else ""
        return urljoin(base if base.endswith("/") else base + "/", relative)

    def local_result(self, item: InputLine) -> Result | None:
        """The result of a link to a local file, found on disk; None for any other line."""
        if not isinstance(item, LocalLine):
            return None
        document = item.source if item.source != "-" else os.path.join(os.curdir, "-")
        link = resolve(document, item.text, self.options.root_dir)
        if link is None:
            reason = "not checked: a /-rooted link needs --root-dir or --base-url"
            return _result(item, Verdict(False, reason, FailureKind.NOT_CHECKED), None)
        return _result(item, check(link), link.path)


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


def _read(path: str, stdin: BinaryIO | None) -> str | None:
    """A document's text (None when it is over MAX_DOCUMENT). Raises InputError."""
    try:
        if path == "-":
            data = (stdin or sys.stdin.buffer).read(MAX_DOCUMENT + 1)
        else:
            with open(path, "rb") as file:
                data = file.read(MAX_DOCUMENT + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path!r}: {exc.strerror or exc}") from exc
    if len(data) > MAX_DOCUMENT:
        return None
    return data.decode("utf-8-sig", errors="replace")
