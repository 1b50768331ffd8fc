"""fetchpool: check a list of URLs concurrently, results in input order.

The package is layered, and data flows one way through it: ``core`` (options, inputs,
URL checks, fetching, the pool, results) does the checking and needs nothing else;
``ci`` (selection, cache, baselines, merging reports) builds on core; ``render`` (one
writer per format, progress, summary) writes results; ``cli`` parses a command line
and runs ``app``, which ties them together into a run with an exit status.

from fetchpool import Options, fetch_all

for result in fetch_all(["https://example.com/"], Options(max_workers=8)):
    print(result.url, result.status, result.error)
"""

from __future__ import annotations

from typing import Any

__version__ = "1.0.0"

__all__ = [
    "Accept",
    "Baseline",
    "Cache",
    "Checks",
    "Fetcher",
    "InputLine",
    "Options",
    "Result",
    "Selection",
    "Shard",
    "__version__",
    "fetch_all",
    "merge_reports",
    "read_results",
    "read_sources",
]

# Submodules load on first use, so `fetchpool --version` pays for neither requests nor rich.
_LAZY = {
    "Accept": "core.options",
    "Options": "core.options",
    "Result": "core.results",
    "InputLine": "core.inputs",
    "read_sources": "core.inputs",
    "Fetcher": "core.fetch",
    "fetch_all": "core.run",
    "Checks": "ci.checks",
    "Selection": "ci.selection",
    "Shard": "ci.selection",
    "Cache": "ci.cache",
    "Baseline": "ci.baseline",
    "read_results": "ci.reports",
    "merge_reports": "ci.merge",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
