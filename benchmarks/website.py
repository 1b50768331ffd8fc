#!/usr/bin/env python3
"""A generated static website to crawl, with a second site beside it, and the truth about both.

The main site has ``pages`` HTML pages in folders (``index.html`` and
``sec-S/page-J.html``, ``sec-S/topic-T/page-J.html``), each with about 20 links: the
pages below and above it in a tree that reaches every page from ``index.html`` in a few
hops, pages anywhere else, a figure of its own and another page's, two stylesheets, pages
and documents of the second site, and now and then a link that answers 404. Links take
every form a site uses: ``page-3.html``, ``../sec-4/topic-1/page-30.html``, ``/sec-4/...``
(from the site's root path) and ``http://HOST:PORT/sec-4/...``; every page links home as
the root path itself (``/``), so the start URL is the site's address, not ``index.html``.

The second site (another port of the same server) has documents that exist and links
to some that do not; its documents link to pages that do not exist either (``beyond``), so
a checker that crawls beyond the main site finds broken links the main site does not have.

Of the distinct links, about a fifth of the page count are broken on the main site (a
page or figure that is missing, a folder that is missing) and about 6% of the page count
on the second site: on 2,000 pages, 5,466 distinct links, 526 broken. ``generate``
returns them, as absolute URLs, so that each checker's findings can be held against them.
The same seed and addresses make the same bytes.

    python benchmarks/website.py DIR [--pages 2000] [--seed 1] [--main URL] [--second URL]

writes the two sites to DIR/main and DIR/second and prints the counts.
"""

from __future__ import annotations

import argparse
import os
import posixpath
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# Pages per section folder: the first PAGE_FOLDER_SPLIT in the section's own folder, the
# rest ten to a topic folder below it.
PER_SECTION = 50
PAGE_FOLDER_SPLIT = 20
PER_TOPIC = 10
# Children of each page in the tree that makes every page reachable: depth log5(pages).
CHILDREN = 5
# Other pages each page links to, anywhere on the site.
RANDOM_PAGES = 10

# Distinct links of each kind, per page of the site.
BROKEN_SHARE = 0.2
SECOND_BROKEN_SHARE = 0.063
SECOND_OK_SHARE = 0.45
# The share of broken and second-site links found on a second page as well.
REPEATED_SHARE = 0.3

ROBOTS = "User-agent: *\nDisallow:\n"
# The smallest PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
CSS = "body { font-family: sans-serif; max-width: 40em; margin: auto; }\n"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
{styles}</head>
<body><header><nav>{nav}</nav></header>
<main><h1>{title}</h1>
<p>This page is one of {pages:,} on the site, linked from the pages around it.</p>
<figure>{figures}</figure>
<ul>
{items}
</ul>
<p>See also: {more}</p>
</main></body></html>
"""

SECOND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Document {number}</title></head>
<body><h1>Document {number}</h1>
<p>A document of the other site. <a href="trap-{number}.html">Its sequel</a>
is missing: only a checker that crawls beyond the site it was given finds that.</p>
</body></html>
"""


@dataclass(frozen=True)
class Site:
    """What was written: where, the address to start at, and every link's truth."""

    root: Path
    second_root: Path
    # The main site's address, where a crawl starts, and the second site's.
    start: str
    second: str
    pages: int
    # Distinct absolute URLs that the main site's pages link to (the start URL among them,
    # as every page links home), and those of them that answer 404.
    links: frozenset[str]
    broken: frozenset[str]
    # Links written in all, a link on two pages counted twice.
    occurrences: int
    # Broken links on the second site's documents: found only by crawling past the site.
    beyond: frozenset[str] = frozenset()

    def describe(self) -> str:
        """The site in one line, for a table's heading."""
        return (
            f"{self.pages:,} pages, {len(self.links):,} distinct links of which"
            f" {len(self.broken):,} broken ({self.occurrences:,} links in all)"
        )


def page_path(number: int) -> str:
    """The path of page ``number`` under the site's root (page 0 is the index)."""
    if number == 0:
        return "index.html"
    section, place = divmod(number - 1, PER_SECTION)
    if place < PAGE_FOLDER_SPLIT:
        return f"sec-{section}/page-{place}.html"
    topic = (place - PAGE_FOLDER_SPLIT) // PER_TOPIC
    return f"sec-{section}/topic-{topic}/page-{place}.html"


def figure_path(number: int) -> str:
    """The figure of page ``number`` (page 0 has none)."""
    section, place = divmod(number - 1, PER_SECTION)
    return f"sec-{section}/img/fig-{place}.png"


def broken_path(number: int, sections: int) -> str:
    """The path of broken link ``number``: a missing page, a page in a missing folder, a
    missing folder's index, or a missing figure."""
    section = number % sections
    kind = number % 4
    if kind == 0:
        return f"sec-{section}/missing-{number}.html"
    if kind == 1:
        return f"sec-{section}/topic-9/page-{number}.html"
    if kind == 2:
        return f"gone-{number}/index.html"
    return f"sec-{section}/img/lost-{number}.png"


def _counts(pages: int) -> tuple[int, int, int]:
    """Distinct broken links on the main site, broken and existing ones on the second."""
    return (
        max(1, round(pages * BROKEN_SHARE)),
        max(1, round(pages * SECOND_BROKEN_SHARE)),
        max(1, round(pages * SECOND_OK_SHARE)),
    )


def _write(path: str, data: bytes) -> None:
    """Write a new file with the fewest system calls: generating 100,000 pages is mostly this."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


class _Writer:
    """Links as a page writes them, each recorded by its absolute URL."""

    def __init__(self, base: str, rng: random.Random) -> None:
        self.base = base
        # Links in the root form start here: the path of the site's address.
        self.root = urlsplit(base).path
        self.rng = rng
        self.links: set[str] = set()
        self.occurrences = 0

    def href(self, path: str, folder: str, form: str | None = None) -> str:
        """A link from a page in ``folder`` to ``path`` (both under the site's root), in
        ``form`` (relative, root or absolute; by chance where None). The index is the site's
        root path ("/" for a site at the root of its host)."""
        self.occurrences += 1
        if path == "index.html":
            self.links.add(self.base)
            return self.root
        self.links.add(self.base + path)
        form = form or self.rng.choice(("relative", "relative", "root", "absolute"))
        if form == "root":
            return self.root + path
        if form == "absolute":
            return self.base + path
        return posixpath.relpath(path, folder or ".")

    def external(self, url: str) -> str:
        self.occurrences += 1
        self.links.add(url)
        return url


def generate(
    directory: Path,
    pages: int = 2_000,
    seed: int = 1,
    main: str = "http://127.0.0.1:8080/",
    second: str = "http://127.0.0.1:8081/",
) -> Site:
    """Write the main site to ``directory``/main and the second to ``directory``/second.

    ``main`` and ``second`` are the addresses the sites are served at (scheme, host,
    port, and a path ending in "/"), written into the absolute links. Raises ValueError
    for fewer than 2 pages or an address without a trailing "/".
    """
    if pages < 2:
        raise ValueError(f"a site needs at least 2 pages, not {pages}")
    if not (main.endswith("/") and second.endswith("/")):
        raise ValueError("the sites' addresses must end in /")
    rng = random.Random(seed)
    root, second_root = directory / "main", directory / "second"
    sections = (pages - 2) // PER_SECTION + 1
    broken_count, second_broken, second_ok = _counts(pages)
    writer = _Writer(main, rng)

    # Broken and second-site links, each on one page chosen by chance (some on two).
    extras: list[list[tuple[str, str]]] = [[] for _ in range(pages)]
    planted = [("broken", str(number)) for number in range(broken_count)]
    planted += [
        ("second", f"{second}docs/missing-{number}.html") for number in range(second_broken)
    ]
    planted += [("second", f"{second}docs/page-{number}.html") for number in range(second_ok)]
    for item in planted:
        for _ in range(2 if rng.random() < REPEATED_SHARE else 1):
            extras[rng.randrange(1, pages)].append(item)

    folders = {posixpath.dirname(page_path(number)) for number in range(pages)}
    folders |= {f"sec-{section}/img" for section in range(sections)}
    for folder in sorted(folders):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (second_root / "docs").mkdir(parents=True, exist_ok=True)

    for number in range(pages):
        path = page_path(number)
        folder = posixpath.dirname(path)
        href = writer.href
        styles = [f'<link rel="stylesheet" href="{href("style.css", folder, "root")}">']
        nav = []
        figures = []
        if number:
            section_css = href(f"sec-{(number - 1) // PER_SECTION}/style.css", folder, "relative")
            styles.append(f'<link rel="stylesheet" href="{section_css}">')
            nav.append(f'<a href="{href("index.html", folder)}">Home</a>')
            nav.append(f'<a href="{href(page_path((number - 1) // CHILDREN), folder)}">Up</a>')
            own = href(figure_path(number), folder, "relative")
            figures.append(f'<img src="{own}" alt="Figure {number}">')
            another = figure_path(rng.randrange(1, pages))
            figures.append(f'<img src="{href(another, folder)}" alt="Another figure">')
        children = range(number * CHILDREN + 1, min(pages, number * CHILDREN + CHILDREN + 1))
        items = [
            f'<li><a href="{href(page_path(child), folder)}">Page {child}</a></li>'
            for child in children
        ]
        more = []
        if number:
            for _ in range(RANDOM_PAGES):
                other = rng.randrange(pages)
                more.append(f'<a href="{href(page_path(other), folder)}">page {other}</a>')
            ok = f"{second}docs/page-{rng.randrange(second_ok)}.html"
            more.append(f'<a href="{writer.external(ok)}">a document elsewhere</a>')
        for kind, what in extras[number]:
            if kind == "second":
                more.append(f'<a href="{writer.external(what)}">elsewhere</a>')
                continue
            target = href(broken_path(int(what), sections), folder)
            if target.endswith(".png"):
                figures.append(f'<img src="{target}" alt="A lost figure">')
            else:
                more.append(f'<a href="{target}">gone</a>')
        html = PAGE.format(
            title=f"Page {number}",
            styles="\n".join(styles),
            nav=" ".join(nav),
            pages=pages,
            figures="".join(figures),
            items="\n".join(items),
            more=", ".join(more) or "nothing",
        )
        _write(f"{root}/{path}", html.encode())

    _write(f"{root}/robots.txt", ROBOTS.encode())
    _write(f"{root}/style.css", CSS.encode())
    for section in range(sections):
        _write(f"{root}/sec-{section}/style.css", CSS.encode())
    for number in range(1, pages):
        _write(f"{root}/{figure_path(number)}", PNG)
    _write(f"{second_root}/robots.txt", ROBOTS.encode())
    for number in range(second_ok):
        page = SECOND_PAGE.format(number=number).encode()
        _write(f"{second_root}/docs/page-{number}.html", page)

    broken = {main + broken_path(number, sections) for number in range(broken_count)}
    broken |= {f"{second}docs/missing-{number}.html" for number in range(second_broken)}
    linked = {f"{second}docs/page-{number}.html" for number in range(second_ok)} & writer.links
    return Site(
        root=root,
        second_root=second_root,
        start=main,
        second=second,
        pages=pages,
        links=frozenset(writer.links),
        broken=frozenset(broken & writer.links),
        occurrences=writer.occurrences,
        beyond=frozenset(url.replace("/page-", "/trap-") for url in linked),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="where to write main/ and second/")
    parser.add_argument("--pages", type=int, default=2_000, help="pages of the main site")
    parser.add_argument("--seed", type=int, default=1, help="the same seed makes the same site")
    parser.add_argument("--main", default="http://127.0.0.1:8080/", help="the main site's URL")
    parser.add_argument("--second", default="http://127.0.0.1:8081/", help="the second's URL")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    site = generate(args.directory, args.pages, args.seed, args.main, args.second)
    took = time.perf_counter() - started
    files = sum(len(names) for _, _, names in os.walk(args.directory))
    print(f"{site.describe()}; {files:,} files written in {took:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
