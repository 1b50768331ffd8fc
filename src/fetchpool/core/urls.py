"""URLs: whether a line can be fetched (``check_url``), where a redirect leads
(``redirect_target``), when two lines name the same thing to fetch, and which host a URL
belongs to."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit, urlunsplit

from .failures import Failed, Failure, FailureKind


def is_web_url(text: str) -> bool:
    """Whether ``text`` starts as an http or https URL does (any case): a web page, not a
    path, when both could be meant."""
    return text[:8].lower().startswith(("http://", "https://"))


def host_of(url: str) -> str:
    """The URL's host, lowercased, in IDNA form, without a trailing dot; ``""`` if none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def url_key(url: str, keep_fragment: bool = False) -> str:
    """``url`` as the request it makes: scheme and host lowercased, fragment dropped
    (kept with ``keep_fragment``, when what the page holds is checked too).

    Lines with the same key are one fetch (``--dedupe``) and one cache entry
    (``--cache``); text that does not parse as a URL is its own key.
    """
    if _KEY_AS_IT_IS.fullmatch(url) and not url.endswith("?"):
        return url  # the usual URL: asked per result with --dedupe, --cache or --baseline
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    return urlunsplit(
        (
            parts.scheme.lower(),
            _lower_host(parts.netloc),
            parts.path,
            parts.query,
            parts.fragment if keep_fragment else "",
        )
    )


# A URL that splitting and joining give back as it is: a lowercase http(s) scheme and host
# with no user info, perhaps a port, then printable ASCII with no "#" (and no "?" last,
# which joining drops).
_KEY_AS_IT_IS = re.compile(
    r'https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?(?::[0-9]{1,5})?(?:[/?][!"$-~]*)?'
)


def _lower_host(netloc: str) -> str:
    # Lowercase the host but not the user info, which may be case-sensitive.
    userinfo, at, hostport = netloc.rpartition("@")
    return f"{userinfo}{at}{hostport.lower()}"


# The usual URL, an http(s) scheme, a host name and perhaps a port (0 to 65535), is
# fetchable as it stands: matched at C speed, it skips the full check below.
_PORT = r"[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]"
_PLAIN_URL = re.compile(
    rf"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?(?::(?:{_PORT}))?(?:[/?#]\S*)?"
)

# A URL without its scheme, worth a "did you mean https://...?": a host name (dotted, with a
# top-level label of letters or xn--; or localhost), an IPv4 or bracketed IPv6 address, or
# any one label with a port; then perhaps a port, then perhaps a path. Letters of any script.
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_HOST_LIKE = re.compile(
    rf"(?://)?(?:(?:{_LABEL}\.)+(?:[^\W\d_]{{2,}}|xn--[a-z0-9-]+)\.?|localhost"
    rf"|[0-9]{{1,3}}(?:\.[0-9]{{1,3}}){{3}}|\[[0-9A-Fa-f:.]+\]|{_LABEL}(?=:))"
    rf"(?::(?:{_PORT}))?(?:[/?#]\S*)?",
    re.IGNORECASE,
)


# An http(s) URL that requests prepares into itself, character for character: scheme and
# host in lowercase, a port without leading zeros, a path without "." or ".." segments, and
# only characters that need no percent-encoding (no "%" at all). The usual URL is one.
_PCHAR = r"[A-Za-z0-9._~!$&'()*+,;=:@-]"
_LABEL_LOWER = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_PORT_AS_IS = (
    r"[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]"
)
_PREPARED_AS_IS = re.compile(
    rf"https?://{_LABEL_LOWER}(?:\.{_LABEL_LOWER})*(?::(?:{_PORT_AS_IS}))?"
    rf"(?:/(?!\.\.?(?:[/?#]|$)){_PCHAR}*)+"
    rf"(?:\?(?:{_PCHAR}|[/?])+)?(?:#(?:{_PCHAR}|[/?])+)?"
)


def prepared_as_is(url: str) -> bool:
    """Whether requests' ``PreparedRequest.prepare_url`` would give ``url`` back unchanged
    (when False, it may or may not)."""
    return _PREPARED_AS_IS.fullmatch(url) is not None


def check_url(text: str) -> Failure | None:
    """Why ``text`` cannot be fetched as an http(s) URL, or None when it can."""
    if _PLAIN_URL.fullmatch(text):
        return None
    return _check_url_fully(text)


def _check_url_fully(text: str) -> Failure | None:
    # Splitting finds any whitespace at C speed: the text comes back whole only when it has none.
    if text and text.split(None, 1) != [text]:
        return _invalid_url("contains whitespace")
    if "://" not in text:
        scheme, colon, rest = text.partition(":")
        if colon and rest[:1].isalpha() and "." not in scheme and scheme.isalnum():
            return Failure(FailureKind.UNSUPPORTED_SCHEME, f"unsupported scheme {scheme.lower()!r}")
        if _HOST_LIKE.fullmatch(text):
            hint = f"missing scheme, did you mean https://{text.removeprefix('//')}?"
            return Failure(FailureKind.MISSING_SCHEME, hint)
        return Failure(FailureKind.NOT_A_URL, "not a URL")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return _invalid_url(str(exc))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme:
            return _invalid_url("empty scheme")
        return Failure(FailureKind.UNSUPPORTED_SCHEME, f"unsupported scheme {scheme!r}")
    if not parts.hostname:
        return _invalid_url("no host")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        port = parts.netloc.rpartition(":")[2]
        return _invalid_url(f"bad port {port!r}")
    return None


def parse_base_url(text: str) -> str:
    """``text`` when it is an absolute http(s) URL with a host, to put links under;
    raises ValueError saying why not (its password masked, should it have one)."""
    problem = check_url(text)
    if problem is not None:
        shown = mask_credentials(text)
        raise ValueError(f"{shown!r} is not an absolute http(s) URL: {problem.reason}")
    return text


def _invalid_url(problem: str) -> Failure:
    return Failure(FailureKind.INVALID_URL, f"invalid URL: {problem}")


# Characters a Location may not hold as they are: controls, space, and (when the
# header is not UTF-8) bytes over 127, which are sent percent-encoded, as curl does.
_UNSAFE_IN_UTF8 = re.compile(r"[\x00-\x20\x7f]")
_UNSAFE_IN_BYTES = re.compile(r"[\x00-\x20\x7f-\xff]")
BAD_LOCATION = "invalid redirect: bad Location"


def redirect_target(url: str, location: str) -> str:
    """The URL a redirect from ``url`` with this Location header leads to.

    The header's bytes are read as UTF-8 where they are UTF-8 (a host name may then
    be international) and otherwise percent-encoded byte by byte, as curl does; a
    fragment carries over from ``url`` when the Location has none (RFC 9110).
    Raises Failed("invalid redirect: ...") when that is no http(s) URL.
    """
    raw = location.strip().encode("latin-1", "replace")  # the bytes as they came
    try:
        text = _UNSAFE_IN_UTF8.sub(_percent, raw.decode("utf-8"))
    except UnicodeDecodeError:
        text = _UNSAFE_IN_BYTES.sub(_percent, raw.decode("latin-1"))
    try:
        target = urljoin(url, text)
        fragment = urlsplit(url).fragment
        if fragment and not urlsplit(target).fragment:
            target = f"{target.partition('#')[0]}#{fragment}"
    except ValueError as exc:
        raise Failed(FailureKind.INVALID_REDIRECT, BAD_LOCATION) from exc
    problem = check_url(target)
    if problem is not None:
        reason = problem.reason.removeprefix("invalid URL: ")
        raise Failed(FailureKind.INVALID_REDIRECT, f"invalid redirect: {reason}")
    return target


def _percent(match: re.Match[str]) -> str:
    return f"%{ord(match[0]):02X}"


# Where a URL's authority starts: a scheme and ``//``, or ``//`` alone (scheme-relative).
_AUTHORITY_START = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//")
# A URL within other text (a reason, a message): it ends at whitespace or a quote.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#'\"<>]*")
MASK = "***"


def mask_credentials(url: str) -> str:
    """``url`` with the password of its user info written as ``***``:
    ``http://user:secret@host/x`` is ``http://user:***@host/x``.

    A user with no password is left as it is, as is anything that does not look like a
    URL with user info. For what is shown or stored (reports, the cache's keys), never
    what is sent. Never raises, whatever ``url`` holds.
    """
    if "@" not in url:
        return url  # the usual URL, at the cost of one search
    start = _AUTHORITY_START.match(url)
    if start is None:
        return url
    begin = start.end()
    # The authority ends where the path, query or fragment begins (as urlsplit has it).
    end = len(url)
    for delimiter in "/?#":
        found = url.find(delimiter, begin)
        if found != -1 and found < end:
            end = found
    authority = url[begin:end]
    userinfo, at, _ = authority.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not at or not colon or not password:
        return url
    return f"{url[:begin]}{user}:{MASK}@{url[begin + len(userinfo) + 1 :]}"


def masked(url: str, hide: Callable[[str], str] | None = None) -> str:
    """``url`` as it may be shown or stored: its password masked (``mask_credentials``),
    then what ``hide`` masks (a run's secrets: credentials.Redactor)."""
    url = mask_credentials(url)
    return url if hide is None else hide(url)


def mask_credentials_in(text: str) -> str:
    """``text`` (a reason, a message) with the password of every URL in it masked, as
    ``mask_credentials`` masks one URL's. Never raises."""
    if "@" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda match: mask_credentials(match.group()), text)
