"""``--baseline FILE``: this run compared with an earlier one's jsonl report.

A URL is *newly broken* when it is broken now and was not broken in the
baseline (or was not in it), *still broken* when it was broken then too, and
*fixed* when it is ok now and failed then. URLs are matched by urlkey.url_key of
the URL with its password masked (reports hold them so: see urls.mask_credentials);
each URL is listed once, at its first line in this run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.results import BROKEN, INCONCLUSIVE, OK, SKIPPED, Result
from ..core.urls import mask_credentials, url_key
from .reports import read_results

# When a baseline lists a URL more than once, the worst result stands.
_RANK = {OK: 0, SKIPPED: 0, INCONCLUSIVE: 1, BROKEN: 2}


@dataclass
class Comparison:
    """The lists a run's summary shows; filled as results arrive."""

    newly_broken: list[Result] = field(default_factory=list)
    still_broken: list[Result] = field(default_factory=list)
    fixed: list[Result] = field(default_factory=list)


class Baseline:
    """The category of each URL in an earlier run."""

    def __init__(self, path: str, categories: dict[str, str]) -> None:
        self.path = path
        self.categories = categories
        self.comparison = Comparison()
        self._listed: set[str] = set()

    @classmethod
    def load(cls, path: str) -> Baseline:
        """Read a jsonl report; raises reports.ReportError when it cannot be read."""
        categories: dict[str, str] = {}
        for result in read_results(path):
            key = _key(result.url)
            category = result.category
            if _RANK[category] >= _RANK.get(categories.get(key, OK), 0):
                categories[key] = category
        return cls(path, categories)

    def compare(self, result: Result) -> str | None:
        """File ``result`` under newly broken, still broken or fixed; return which, or None."""
        key = _key(result.url)
        before = self.categories.get(key)
        now = result.category
        if now == BROKEN:
            verdict = "still broken" if before == BROKEN else "newly broken"
        elif now == OK and before in (BROKEN, INCONCLUSIVE):
            verdict = "fixed"
        else:
            return None
        if key not in self._listed:
            self._listed.add(key)
            {
                "newly broken": self.comparison.newly_broken,
                "still broken": self.comparison.still_broken,
                "fixed": self.comparison.fixed,
            }[verdict].append(result)
        return verdict


def _key(url: str) -> str:
    # Masked on both sides: a report from before masking matches a masked result too.
    return url_key(mask_credentials(url))
