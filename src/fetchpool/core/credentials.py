"""Which headers go to which host, and secrets kept out of everything written.

``-H`` headers go to every URL of a run; those that carry a secret (``is_secret``) are
dropped when a redirect leaves the host, as curl drops ``Authorization`` and ``Cookie``.
``--host-header`` headers and a GitHub token go to their hosts alone, redirects included.
``Redactor`` masks every secret value as ``***`` in text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .urls import MASK

# The hosts a GitHub token (--github-token, GITHUB_TOKEN) is sent to.
GITHUB_HOSTS = ("github.com", "api.github.com", "raw.githubusercontent.com")
# Names of headers that carry a secret: always these, and any whose name says so
# (PRIVATE-TOKEN, X-Api-Key, X-Auth-Token, X-Session-Id, ...).
_SECRET_NAMES = frozenset({"authorization", "proxy-authorization", "cookie"})
_SECRET_WORDS = re.compile(
    r"auth|token|secret|passw|api-?key|session|credential|signature|cookie", re.IGNORECASE
)


def is_secret(name: str) -> bool:
    """Whether a header of this name carries a secret: dropped when a redirect leaves
    the host, and masked wherever its value could be written."""
    return name.lower() in _SECRET_NAMES or _SECRET_WORDS.search(name) is not None


def parse_host(text: str) -> str:
    """A host as ``--host-header`` names it: ``api.example.com``, or ``.example.com`` for
    example.com and every name under it; lower-cased, in IDNA; an IPv6 address (``::1`` or
    ``[::1]``) as a URL's host gives it. Raises ValueError."""
    try:  # as urlsplit gives a URL's IPv6 host: no brackets, compressed
        return str(ipaddress.IPv6Address(text.strip().removeprefix("[").removesuffix("]")))
    except ValueError:
        pass
    host = text.strip().lower().rstrip(".") if text.strip() != "." else ""
    bare = host.lstrip(".")
    if not bare or host.count(".") > bare.count(".") + 1 or not _HOST.fullmatch(bare):
        raise ValueError(f"{text!r} is not a host name like api.example.com or .example.com")
    try:
        encoded = bare.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{text!r} is not a host name like api.example.com") from None
    return ("." if host.startswith(".") else "") + encoded


# No "*": a wildcard would match no host, and leave its header unsent without a word.
_HOST = re.compile(r"[^\s/:@?#\[\]\\*]+")


@dataclass(frozen=True)
class HostHeader:
    """A header sent to one host (``host``), or to a domain and its subdomains
    (``.example.com``), and to no other."""

    host: str
    name: str
    value: str
    # Sent over https alone: a token no link written http:// may put on the wire in clear.
    https_only: bool = False

    def matches(self, hostname: str, https: bool = True) -> bool:
        if self.https_only and not https:
            return False
        if self.host.startswith("."):
            return hostname == self.host[1:] or hostname.endswith(self.host)
        return hostname == self.host


def github_headers(token: str) -> tuple[HostHeader, ...]:
    """The headers a GitHub token makes: ``Authorization: Bearer`` to GitHub's hosts, over
    https alone."""
    return tuple(
        HostHeader(host, "Authorization", f"Bearer {token}", https_only=True)
        for host in GITHUB_HOSTS
    )


class HostHeaders:
    """The ``--host-header`` headers of a run, looked up by a request's host name."""

    def __init__(self, headers: Sequence[HostHeader]) -> None:
        self._headers = tuple(headers)
        self.of = lru_cache(maxsize=4096)(self._of)

    def __bool__(self) -> bool:
        return bool(self._headers)

    def _of(self, hostname: str, https: bool) -> tuple[tuple[str, str], ...]:
        """The headers for ``hostname`` (lower-case) over https or not, later ones over
        earlier of a name."""
        chosen: dict[str, tuple[str, str]] = {}
        for header in self._headers:
            if header.matches(hostname, https):
                chosen[header.name.lower()] = (header.name, header.value)
        return tuple(chosen.values())


class Redactor:
    """Masks secret values in text (a URL's password is urls.mask_credentials's)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that holds another is masked whole; a value of a
        # few characters is no secret, and masking it would garble every line.
        values = sorted({value for value in secrets if len(value) >= 4}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, values))) if values else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str) -> str:
        return text if self._pattern is None else self._pattern.sub(MASK, text)


def secrets_of(headers: Iterable[tuple[str, str]], host_headers: Iterable[HostHeader]) -> list[str]:
    """The values a run must never write: those of secret ``-H`` headers and of every
    host header (a GitHub token's among them), and each token alone, without ``Bearer``."""
    values = [value for name, value in headers if is_secret(name)]
    values += [header.value for header in host_headers]
    for value in list(values):
        scheme, _, credential = value.partition(" ")
        if credential and scheme.lower() in {"bearer", "token", "basic"}:
            values.append(credential)
    return values
