"""Link extraction from a large docs tree: fetchpool --dump beside lychee --dump.

Generates a tree of Markdown and HTML files (links of every kind: inline, reference,
bare, images, raw HTML, relative files, anchors; code blocks that hold none), then
times each tool extracting every link without checking any, interleaved, best of
--repeat. Prints files/s and links/s and the ratio to lychee (target: at most 2x).

    python benchmarks/extract.py [--markdown 3000] [--html 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.fetchbench.machine import machine_name, usable_cores
from benchmarks.fetchbench.tools import find_lychee, supports_processes

TARGET = 2.0

MARKDOWN_PAGE = """# Page {n}

An [inline link](https://www.site{a}.org/docs/page-{n}) and <https://autolink.site{b}.org/>,
a bare URL https://bare.site{c}.org/path?q={n}. and an ![image](../images/logo-{n}.png).
A [reference][ref{n}] used twice: [ref{n}] again, and [a local page](page-{m}.md#page-{m}).

<a href="https://raw.site{a}.org/{n}">raw HTML</a> [![badge](https://badge.site{b}.org/b.svg)](https://target.site{c}.org/)

## Section {n}

```
https://code.example.org/fenced-{n}
```

| column | link |
|---|---|
| {n} | [cell](https://table.site{a}.org/{n}) |

- item [one](https://list.site{b}.org/one/{n})
- item [two](#section-{n})

[ref{n}]: https://reference.site{c}.org/{n}
"""

HTML_PAGE = """<!doctype html>
<html><head><title>Page {n}</title><link rel="stylesheet" href="style.css"></head>
<body><main id="main">
<h1 id="top">Page {n}</h1>
<p><a href="https://www.site{a}.org/html/{n}">one</a> <a href="page-{m}.html#top">two</a>
<img src="https://img.site{b}.org/{n}.png" srcset="small-{n}.png 1x, large-{n}.png 2x"></p>
<ul>{items}</ul>
<pre>https://code.example.org/pre-{n}</pre>
</main></body></html>
"""


def generate(root: Path, markdown: int, html: int) -> None:
    rng = random.Random(7)
    (root / "md").mkdir(parents=True)
    (root / "html").mkdir()
    for n in range(markdown):
        a, b, c = (rng.randrange(200) for _ in range(3))
        page = MARKDOWN_PAGE.format(n=n, m=(n + 1) % markdown, a=a, b=b, c=c)
        (root / "md" / f"page-{n}.md").write_text(page)
    for n in range(html):
        a, b = rng.randrange(200), rng.randrange(200)
        items = "".join(
            f'<li><a href="https://li.site{(a + k) % 200}.org/{n}/{k}">{k}</a></li>'
            for k in range(10)
        )
        page = HTML_PAGE.format(n=n, m=(n + 1) % html, a=a, b=b, items=items)
        (root / "html" / f"page-{n}.html").write_text(page)


def time_dump(command: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr.decode()[-300:]}")
    return seconds, len(done.stdout.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", type=int, default=3000, help="Markdown files")
    parser.add_argument("--html", type=int, default=1000, help="HTML files")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool; the best counts")
    args = parser.parse_args()
    fetchpool = str(Path(sys.executable).with_name("fetchpool"))
    lychee = find_lychee(True, lambda text: print(text, file=sys.stderr))
    files = args.markdown + args.html
    with tempfile.TemporaryDirectory() as workdir:
        root = Path(workdir) / "docs"
        generate(root, args.markdown, args.html)
        tools = {"fetchpool": [fetchpool, "--dump", str(root)]}
        cores = usable_cores()
        if supports_processes(fetchpool) and cores > 1:
            tools[f"fetchpool -j {cores}"] = [fetchpool, "-j", str(cores), "--dump", str(root)]
        if lychee:
            # lychee leaves example domains out unless told; none are used here but code.
            tools["lychee"] = [lychee, "--dump", "--include-fragments", str(root)]
        best: dict[str, tuple[float, int]] = {}
        for _ in range(args.repeat):
            for name, command in tools.items():
                seconds, links = time_dump(command)
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, links)
    print(f"{files} files ({args.markdown} Markdown, {args.html} HTML), best of {args.repeat}")
    width = max(len(name) for name in best)
    print(f"{'tool':<{width}} {'seconds':>8} {'links':>8} {'files/s':>9} {'links/s':>10}")
    for name, (seconds, links) in best.items():
        rates = f"{files / seconds:>9.0f} {links / seconds:>10.0f}"
        print(f"{name:<{width}} {seconds:>8.2f} {links:>8} {rates}")
    if "lychee" in best:
        # fetchpool on every core where it can be, as a user would run it.
        ours = next(name for name in reversed(best) if name.startswith("fetchpool"))
        ratio = best[ours][0] / best["lychee"][0]
        verdict = "met" if ratio <= TARGET else "not met"
        print(f"{ours} / lychee: {ratio:.2f}x (target <= {TARGET:.1f}x: {verdict})")
    print(f"machine: {machine_name()}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
