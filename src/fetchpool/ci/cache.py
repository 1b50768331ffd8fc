"""``--cache FILE``: URLs that were ok recently are not fetched again.

The file is JSON: ``{"fetchpool-cache": 1, "entries": {KEY: {"checked": EPOCH,
"status": CODE, "final_url": URL}}}``. KEY is urls.url_key of the URL with its password
masked (urls.mask_credentials), and the run's secrets too (credentials.Redactor), as is
final_url: no password or secret is written to the file, and URLs that differ only in
their password share an entry. A URL --remap rewrites is kept as the URL fetched. Only
ok results are stored; a URL that fails is dropped from the cache, so it is fetched again
next time. The file is replaced in one step (a temporary file renamed over it), so a
run that dies midway leaves the old cache whole.

Runs may share a cache: each saves under an exclusive lock on ``FILE.lock`` (flock,
where the system has it), merging its results into the file as it is then, so that
one run's save never drops another's entries; for a URL both checked, the later check
stands.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..core.inputs import InputLine
from ..core.options import DEFAULT_MAX_AGE as DEFAULT_MAX_AGE  # importable here too
from ..core.options import Remap, remapped
from ..core.results import Result
from ..core.urls import mask_credentials, masked, url_key
from ..errors import CacheError as CacheError  # importable here too, as before

FORMAT_KEY = "fetchpool-cache"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Entry:
    checked: float
    status: int
    final_url: str | None


def cache_key(url: str) -> str:
    """The key ``url`` has in the cache: its urls.url_key, with the password masked."""
    return url_key(mask_credentials(url))


class Cache:
    """Ok results from earlier runs, by URL key (see urlkey.url_key)."""

    def __init__(
        self,
        path: str,
        max_age: float,
        entries: dict[str, Entry] | None = None,
        hide: Callable[[str], str] | None = None,
        remaps: tuple[Remap, ...] = (),
    ) -> None:
        self.path = path
        self.max_age = max_age
        self._hide = hide
        self._remaps = remaps
        self._entries = entries or {}
        self._fresh: dict[str, Entry] = {}
        # Keys that failed in this run, and when: an entry checked before then is dropped.
        self._failed: dict[str, float] = {}

    @classmethod
    def load(
        cls,
        path: str,
        max_age: float,
        hide: Callable[[str], str] | None = None,
        remaps: tuple[Remap, ...] = (),
    ) -> Cache:
        """The cache in ``path``, empty when there is no such file; ``hide`` masks the
        run's secrets in its keys and final URLs, and ``remaps`` (--remap) say which URL
        a line fetches.

        Raises CacheError when the file exists but is not a fetchpool cache, so
        that a mistyped path never overwrites some other file.
        """
        entries = _read_entries(path)
        return cls(path, max_age, entries, hide, remaps)

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, item: InputLine, accepts: Callable[[int], bool]) -> Result | None:
        """A Result for ``item`` from the cache when it was ok within max-age, else None.

        ``accepts`` is checked again, so a narrower --accept than the cached run's
        refetches what it no longer counts as ok.
        """
        if item.error:
            return None
        rewritten = remapped(item.text, self._remaps) if self._remaps else None
        entry = self._entries.get(self._key(rewritten or item.text))
        if entry is None or time.time() - entry.checked > self.max_age:
            return None
        if not accepts(entry.status):
            return None
        return Result(
            item.text,
            entry.status,
            True,
            None,
            0.0,
            entry.final_url,
            0,
            item.source,
            item.line,
            cached=True,
            remapped=rewritten,
        )

    def record(self, result: Result) -> None:
        """Note a result of this run: ok ones are stored, failures removed."""
        if result.cached:
            return
        key = self._key(result.remapped or result.url)
        if result.ok and result.status is not None and key not in self._failed:
            final_url = None if result.final_url is None else masked(result.final_url, self._hide)
            self._fresh.setdefault(key, Entry(time.time(), result.status, final_url))
        elif not result.ok:
            self._failed.setdefault(key, time.time())
            self._fresh.pop(key, None)

    def _key(self, url: str) -> str:
        key = cache_key(url)
        return key if self._hide is None else self._hide(key)

    def save(self) -> None:
        """Write the cache: the file as it is now (another run may have saved since this
        one loaded it), with this run's ok results added and its failures removed, less
        entries older than max-age. For a URL in both, the later check stands.

        Raises OSError when it cannot be written, CacheError when the file has become
        something other than a cache meanwhile (it is then left alone).
        """
        with _locked(self.path):
            entries = _read_entries(self.path)
            for key, entry in self._fresh.items():
                if key not in entries or entries[key].checked <= entry.checked:
                    entries[key] = entry
            oldest = time.time() - self.max_age
            kept = {
                key: entry
                for key, entry in entries.items()
                if entry.checked >= oldest and entry.checked >= self._failed.get(key, oldest)
            }
            _write_entries(self.path, kept)
        self._entries = kept
        self._fresh = {}


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path``'s sidecar ``path.lock`` (made if need be) while
    the block runs; without flock (Windows), the block runs unlocked, as before locks.

    The lock is on a file of its own, not the cache: the cache is replaced by rename,
    and a lock on the file renamed away would let the next run in at once.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    descriptor = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # which releases the lock


def _write_entries(path: str, entries: dict[str, Entry]) -> None:
    """Replace ``path`` with a cache of ``entries``, in one step: a temporary file in the
    same folder, renamed over it."""
    import json
    import tempfile

    data = {
        FORMAT_KEY: FORMAT_VERSION,
        "entries": {
            key: {"checked": round(e.checked, 3), "status": e.status, "final_url": e.final_url}
            for key, e in entries.items()
        },
    }
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(
        prefix=".fetchpool-cache-", suffix=".tmp", dir=directory
    )
    try:
        os.chmod(temporary, _file_mode(path))  # mkstemp makes it private
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False, separators=(",", ":"))
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _read_entries(path: str) -> dict[str, Entry]:
    """The entries of the cache file ``path``; none when there is no such file.

    Raises CacheError when the file exists but is not a fetchpool cache (not JSON,
    nested too deeply, holding NaN or Infinity, or JSON of another shape).
    """
    from .jsonfile import BadJson, loads  # here, not at start-up: only --cache needs it

    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise CacheError(f"{path!r} is not a fetchpool cache; name another --cache file") from exc
    except OSError as exc:
        raise CacheError(f"cannot read cache {path!r}: {exc.strerror or exc}") from exc
    try:
        data = loads(text)
    except BadJson as exc:
        raise CacheError(
            f"{path!r} is not a fetchpool cache ({exc}); name another --cache file"
        ) from exc
    if not isinstance(data, dict) or data.get(FORMAT_KEY) != FORMAT_VERSION:
        raise CacheError(f"{path!r} is not a fetchpool cache; name another --cache file")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, dict):
        raise CacheError(f"{path!r} is not a fetchpool cache: no entries")
    entries: dict[str, Entry] = {}
    for key, raw in raw_entries.items():
        try:
            final_url = raw.get("final_url")
            if final_url is not None and not isinstance(final_url, str):
                raise TypeError("final_url is not a string")
            if final_url is not None:
                final_url = mask_credentials(final_url)
            # Masked again: a cache written before masking loses its passwords at next save.
            entries[mask_credentials(key)] = Entry(
                float(raw["checked"]), int(raw["status"]), final_url
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # one bad entry costs a refetch, not the run
    return entries


def _file_mode(path: str) -> int:
    """The mode a replacement for ``path`` gets: the old file's, or what the umask allows."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
