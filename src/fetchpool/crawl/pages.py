"""A page's links, read from its body: HTML and Markdown pages, and sitemaps.

This is the work a crawl hands to the fetch (see core.pages.PageReader): it runs where
the page was fetched, on a worker process perhaps, and gives plain values back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from ..core.pages import READ_LIMIT, Page, media_of
from ..docs.found import Found
from ..docs.local import WEB_SCHEMES, scheme_of
from ..docs.options import DocumentKind
from ..docs.reading import Unreadable, decode
from .options import sitemap_like

# What each link of a page is to a crawl: a link to check (and read, in scope); one
# marked nofollow (checked, never read); a sitemap's entry (a page to start from); a
# sitemap that a sitemap index names (read for its entries).
LINK, NOFOLLOW, ENTRY, SITEMAP = 0, 1, 2, 3
# The links of one page read at most, as of one sitemap: past it a page is a list made to
# be a burden, and what it holds would not travel, wait or be checked in bounded memory.
MAX_PAGE_LINKS = 50_000

_HTML = frozenset({"text/html", "application/xhtml+xml"})
_MARKDOWN = frozenset({"text/markdown", "text/x-markdown"})
_XML = frozenset({"application/xml", "text/xml", "application/gzip", "application/x-gzip"})
# Served as anything at all, a sitemap is known by its name.
_ANY = frozenset({"application/octet-stream", "text/plain", ""})


class PageReading:
    """Reads HTML, Markdown and sitemaps for their links. Holds nothing: it pickles as a
    name, to be sent to worker processes."""

    def reads(self, media_type: str, url: str = "") -> bool:
        """Whether a page of ``media_type`` at ``url`` is read for links."""
        if media_type in _HTML or media_type in _MARKDOWN or media_type in _XML:
            return True
        return media_type in _ANY and sitemap_like(url)

    def read(self, body: bytes, content_type: str, url: str, cut: bool) -> Page:
        """The links of ``body``, each made absolute against ``url`` (and a ``<base>``)."""
        media, charset = media_of(content_type)
        if media in _XML or (media in _ANY and sitemap_like(url)):
            return _sitemap(body, url, cut)
        kind = DocumentKind.HTML if media in _HTML else DocumentKind.MARKDOWN
        problem = (
            f"page over {READ_LIMIT // 2**20} MiB: its links past that not read" if cut else None
        )
        try:
            text = decode(body, kind, charset)
        except Unreadable as exc:
            return Page(url, (), str(exc))
        del body
        links: list[tuple[str, int, int, int]] = []
        try:
            if not _add_links(links, url, _found(text, kind)):
                problem = f"page has over {MAX_PAGE_LINKS:,} links: the rest not read"
        except Exception as exc:  # a parser's fault costs the links after it
            problem = f"cannot read its links: {type(exc).__name__}: {exc}"
        return Page(url, tuple(links), problem)


def _found(text: str, kind: DocumentKind) -> Iterable[tuple[object, bool]]:
    if kind is DocumentKind.HTML:
        from ..docs.html import html_links_followed

        return html_links_followed(text)
    from ..docs.markdown import markdown_links

    return ((found, True) for found in markdown_links(text))


def _add_links(
    links: list[tuple[str, int, int, int]], page: str, found: Iterable[tuple[object, bool]]
) -> bool:
    """Each link of ``found`` (markers are left out) made absolute, if it is a web link;
    False when MAX_PAGE_LINKS of them were taken and more were left."""
    join = Resolver(page).join
    for item, follow in found:
        if len(links) >= MAX_PAGE_LINKS:
            return False
        if type(item) is not Found:
            continue
        written = item.url.strip()
        if not written:
            continue  # href="": the page itself
        scheme = scheme_of(written)
        if scheme and scheme not in WEB_SCHEMES:
            continue  # mailto:, tel:, javascript: ... name no page to check
        links.append((join(written), item.line, item.column, LINK if follow else NOFOLLOW))
    return True


# What urlsplit strips, removes or splits off (whitespace, control characters, ";" params,
# brackets it checks), and an empty query or fragment (which urljoin drops): a URL holding
# one is left to urljoin.
_ODD = re.compile(r"[\\;\s\x00-\x1f\x7f\[\]]|\?#|[?#]$")


class Resolver:
    """Makes a page's links absolute exactly as ``urljoin(page, link)`` does, with the
    page's URL parsed once and the usual links (``guide.html``, ``../a/b.html``,
    ``/docs/``, ``https://other.example/``) resolved without parsing them; anything odd
    goes to urljoin. A link urljoin refuses is given back as written (to be reported
    invalid)."""

    def __init__(self, page: str) -> None:
        self.page = page
        self._origin = ""
        self._folder: list[str] = []
        try:
            parts = urlsplit(page)
        except ValueError:
            return
        if parts.scheme in ("http", "https") and parts.netloc and not _ODD.search(page):
            self._origin = f"{parts.scheme}://{parts.netloc}"
            folder = parts.path.split("/")
            if folder[-1]:
                del folder[-1]  # the page's own name
            self._folder = folder

    def join(self, link: str) -> str:
        if not self._origin or not link or _ODD.search(link):
            return self._urljoin(link)
        if link.startswith(("http://", "https://")):
            host = link[link.index("//") + 2 : link.index("//") + 3]
            if host and host not in "/?#":
                return link  # absolute, with a host: urljoin gives it back as it is
            return self._urljoin(link)
        if ":" in link or link.startswith(("//", "?", "#")):
            return self._urljoin(link)
        end = len(link)
        for mark in "?#":
            found = link.find(mark)
            if found != -1 and found < end:
                end = found
        path = link[:end]
        # As urljoin resolves a path (RFC 3986's merge and dot segments, empty segments of
        # a relative path dropped).
        if path.startswith("/"):
            segments = path.split("/")
        else:
            segments = self._folder + path.split("/")
            segments[1:-1] = filter(None, segments[1:-1])
        resolved: list[str] = []
        for segment in segments:
            if segment == "..":
                if resolved:
                    resolved.pop()
            elif segment != ".":
                resolved.append(segment)
        if segments[-1] in (".", ".."):
            resolved.append("")
        joined = "/".join(resolved) or "/"
        if not joined.startswith("/"):
            joined = "/" + joined
        return self._origin + joined + link[end:]

    def _urljoin(self, link: str) -> str:
        try:
            return urljoin(self.page, link)
        except ValueError:
            return link


def _sitemap(body: bytes, url: str, cut: bool) -> Page:
    """A sitemap's entries (ENTRY) or, for a sitemap index, its sitemaps (SITEMAP)."""
    from .sitemaps import NOT_A_SITEMAP, read_sitemap

    sitemap = read_sitemap(body)
    problem = sitemap.problem
    if cut:  # what the parser says of a document cut short is not the document's fault
        problem = f"sitemap over {READ_LIMIT // 2**20} MiB: its entries past that not read"
    if not sitemap.kind:
        if sitemap.problem is None or sitemap.problem.startswith(NOT_A_SITEMAP):
            return Page(url, ())  # XML that is no sitemap (a feed, say): nothing to read
        return Page(url, (), problem)  # refused (a DTD) or broken before its root
    role = SITEMAP if sitemap.kind == "sitemapindex" else ENTRY
    join = Resolver(url).join
    links = [(join(written), line, column, role) for written, line, column in sitemap.entries]
    return Page(url, tuple(links), problem)
