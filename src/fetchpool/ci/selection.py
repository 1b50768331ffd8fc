"""Which input lines a run checks: --include and --exclude patterns and a --shard K/N."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..core.inputs import InputLine
from ..core.urls import host_of


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based), split by host.

    A host's URLs all land in one shard, so per-host limits hold across a CI
    matrix. The hash is CRC-32 of the host, the same on every machine and run.
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count} is not K/N with 1 <= K <= N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Parse ``K/N``; raises ValueError naming the problem."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise ValueError(f"{text!r} is not K/N, e.g. 1/4")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and shard_of(url, self.count) == self.index


def shard_of(url: str, count: int) -> int:
    """The shard (1 to ``count``) that ``url`` belongs to."""
    return zlib.crc32(host_of(url).encode("utf-8")) % count + 1


def compile_pattern(text: str) -> re.Pattern[str]:
    """Compile a --include or --exclude regular expression; raises ValueError if bad."""
    try:
        return re.compile(text)
    except re.error as exc:
        raise ValueError(f"{text!r} is not a regular expression: {exc}") from exc


@dataclass
class Selection:
    """Keeps a line when it matches any ``include`` (or there are none), matches no
    ``exclude``, and falls in ``shard``. Patterns are searched for anywhere in the URL.

    ``skipped`` counts the lines left out so far.
    """

    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    shard: Shard | None = None
    skipped: int = field(default=0, init=False)

    @property
    def active(self) -> bool:
        return bool(self.include or self.exclude or self.shard)

    def __call__(self, url: str) -> bool:
        if self.include and not any(pattern.search(url) for pattern in self.include):
            return False
        if any(pattern.search(url) for pattern in self.exclude):
            return False
        return self.shard is None or url in self.shard

    def select(self, lines: Iterable[InputLine]) -> Iterator[InputLine]:
        """The lines this selection keeps, lazily, in order. A page left out is settled
        unread (pages.settle), so a crawl waiting for it goes on."""
        from ..core.pages import settle

        for line in lines:
            if self(line.text):
                yield line
            else:
                self.skipped += 1
                settle(line)
