"""fetchpool: check a list of URLs concurrently, results in input order.

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
    "Accept": "options",
    "Options": "options",
    "Result": "results",
    "InputLine": "inputs",
    "read_sources": "inputs",
    "Fetcher": "fetch",
    "fetch_all": "run",
    "Checks": "pipeline",
    "Selection": "selection",
    "Shard": "selection",
    "Cache": "cache",
    "Baseline": "baseline",
    "read_results": "reports",
    "merge_reports": "merge",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
