"""One URL to one Result: statuses, headers, redirects, and a short reason for every failure."""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
from collections.abc import Iterator

import pytest
import requests
import responses
import urllib3
from hypothesis import given, settings
from hypothesis import strategies as st

from fetchpool import __version__
from fetchpool.core.failures import FailureKind, classify
from fetchpool.core.fetch import Fetcher, fetch_one
from fetchpool.core.inputs import InputLine
from fetchpool.core.options import Accept, Options, parse_header
from fetchpool.core.transport import HeadTooLarge, InvalidResponse
from fetchpool.core.urls import (
    _PLAIN_URL,
    _PREPARED_AS_IS,
    _check_url_fully,
    check_url,
    prepared_as_is,
)

from .server import TestHTTPServer

URL = "http://example.test/page"


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def fetch(url: str, **options: object):
    options.setdefault("retries", 0)
    fetcher = Fetcher(Options(**options))  # type: ignore[arg-type]
    try:
        return fetcher.fetch(url)
    finally:
        fetcher.close()


# -- statuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "ok"),
    [
        (200, True),
        (201, True),
        (204, True),
        (299, True),
        (304, True),
        (399, True),
        (400, False),
        (401, False),
        (404, False),
        (418, False),
        (500, False),
        (503, False),
        (199, False),
        (100 + 99, False),
    ],
)
def test_the_status_is_reported_and_ok_follows_the_default_accept(
    mocked: responses.RequestsMock, status: int, ok: bool
) -> None:
    mocked.add(responses.GET, URL, status=status)
    result = fetch(URL)
    assert (result.url, result.status, result.ok, result.error) == (URL, status, ok, None)
    assert result.final_url == URL
    assert result.attempts == 1
    assert isinstance(result.elapsed, float)
    assert result.elapsed >= 0


@pytest.mark.parametrize(
    ("accept", "status", "ok"),
    [
        ("200-299,401", 200, True),
        ("200-299,401", 401, True),
        ("200-299,401", 302, False),
        ("200-299,401", 404, False),
        ("404", 404, True),
        ("404", 200, False),
        ("100-999", 599, True),
        ("500-599", 503, True),
    ],
)
def test_accept_decides_which_statuses_are_ok(
    mocked: responses.RequestsMock, accept: str, status: int, ok: bool
) -> None:
    mocked.add(responses.GET, URL, status=status)
    result = fetch(URL, accept=Accept.parse(accept), follow=False)
    assert (result.status, result.ok, result.error) == (status, ok, None)


def test_the_result_carries_the_input_line_source_and_number(
    mocked: responses.RequestsMock,
) -> None:
    mocked.add(responses.GET, URL, status=200)
    fetcher = Fetcher(Options(retries=0))
    result = fetcher.fetch(InputLine(URL, "urls.txt", 7))
    fetcher.close()
    assert (result.source, result.line) == ("urls.txt", 7)


def test_fetch_one_checks_a_single_url(mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, URL, status=204)
    assert fetch_one(URL).status == 204


# -- what is sent ----------------------------------------------------------------


def test_the_default_user_agent_names_fetchpool_and_its_version(
    mocked: responses.RequestsMock,
) -> None:
    mocked.add(responses.GET, URL)
    fetch(URL)
    assert mocked.calls[0].request.headers["User-Agent"] == f"fetchpool/{__version__}"


def test_headers_and_user_agent_are_sent(mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, URL)
    fetch(
        URL,
        headers=(("X-Token", "abc def"), ("Accept", "text/html")),
        user_agent="probe/9",
    )
    sent = mocked.calls[0].request.headers
    assert sent["X-Token"] == "abc def"
    assert sent["Accept"] == "text/html"
    assert sent["User-Agent"] == "probe/9"


def test_a_header_option_can_override_the_user_agent(mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, URL)
    fetch(URL, headers=(("User-Agent", "from-header"),))
    assert mocked.calls[0].request.headers["User-Agent"] == "from-header"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_method_is_the_one_asked_for(mocked: responses.RequestsMock, method: str) -> None:
    mocked.add(method, URL, status=200)
    assert fetch(URL, method=method).status == 200
    assert [call.request.method for call in mocked.calls] == [method]


def test_a_head_refused_by_the_server_is_checked_again_with_get(
    mocked: responses.RequestsMock,
) -> None:
    mocked.add(responses.HEAD, URL, status=405)
    mocked.add(responses.GET, URL, status=200)
    result = fetch(URL, method="HEAD")
    assert (result.status, result.ok) == (200, True)
    assert [call.request.method for call in mocked.calls] == ["HEAD", "GET"]


# -- redirects -------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirects_are_followed_to_the_final_url(mocked: responses.RequestsMock, code: int) -> None:
    mocked.add(responses.GET, URL, status=code, headers={"Location": "/moved"})
    mocked.add(responses.GET, "http://example.test/moved", status=200)
    result = fetch(URL)
    assert (result.url, result.status, result.final_url) == (
        URL,
        200,
        "http://example.test/moved",
    )


def test_redirects_are_not_followed_with_follow_off(mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, URL, status=301, headers={"Location": "http://other.test/"})
    result = fetch(URL, follow=False)
    assert (result.status, result.ok, result.final_url) == (301, True, URL)
    assert len(mocked.calls) == 1


def test_a_redirect_to_a_broken_page_reports_the_final_status(
    mocked: responses.RequestsMock,
) -> None:
    mocked.add(responses.GET, URL, status=302, headers={"Location": "http://other.test/gone"})
    mocked.add(responses.GET, "http://other.test/gone", status=404)
    result = fetch(URL)
    assert (result.status, result.ok, result.final_url) == (404, False, "http://other.test/gone")


def test_a_redirect_loop_is_too_many_redirects(mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, URL, status=302, headers={"Location": URL})
    result = fetch(URL)
    assert (result.status, result.ok, result.error, result.final_url) == (
        None,
        False,
        "too many redirects",
        None,
    )
    assert len(mocked.calls) == 11  # the first request and ten hops


# -- every failure has a short reason ----------------------------------------------


def _connection_error(cause: BaseException) -> requests.exceptions.ConnectionError:
    """What requests raises when urllib3 could not connect: the same chain of causes."""
    new = urllib3.exceptions.NewConnectionError(
        None, f"Failed to establish a new connection: {cause}"
    )  # type: ignore[arg-type]
    new.__cause__ = cause
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, URL, reason=new)  # type: ignore[arg-type]
    )


def _dns_error(code: int = socket.EAI_NONAME) -> requests.exceptions.ConnectionError:
    gai = socket.gaierror(code, "Name or service not known")
    resolution = urllib3.exceptions.NameResolutionError("example.test", None, gai)  # type: ignore[arg-type]
    resolution.__cause__ = gai  # urllib3 raises it "from" the resolver's error
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, URL, reason=resolution)  # type: ignore[arg-type]
    )


def _cert_error() -> requests.exceptions.SSLError:
    verify = ssl.SSLCertVerificationError(
        1,
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:"
        " self-signed certificate (_ssl.c:1006)",
    )
    wrapped = urllib3.exceptions.SSLError(verify)
    return requests.exceptions.SSLError(
        urllib3.exceptions.MaxRetryError(None, URL, reason=wrapped)  # type: ignore[arg-type]
    )


FAILURES = [
    pytest.param(
        _connection_error(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")),
        FailureKind.REFUSED,
        "connection refused",
        id="refused",
    ),
    pytest.param(
        requests.exceptions.ConnectTimeout(
            urllib3.exceptions.MaxRetryError(
                None,  # type: ignore[arg-type]
                URL,
                reason=urllib3.exceptions.ConnectTimeoutError(None, "timed out"),
            )
        ),
        FailureKind.TIMEOUT,
        "timed out",
        id="connect-timeout",
    ),
    pytest.param(
        requests.exceptions.ReadTimeout(
            urllib3.exceptions.ReadTimeoutError(None, URL, "Read timed out. (read timeout=1)")  # type: ignore[arg-type]
        ),
        FailureKind.TIMEOUT,
        "timed out",
        id="read-timeout",
    ),
    pytest.param(_dns_error(), FailureKind.DNS, "DNS lookup failed", id="dns"),
    pytest.param(
        _dns_error(socket.EAI_AGAIN),
        FailureKind.DNS_TRY_AGAIN,
        "DNS lookup failed",
        id="dns-try-again",
    ),
    pytest.param(
        _cert_error(), FailureKind.TLS_VERIFY, "TLS certificate verify failed", id="tls-verify"
    ),
    pytest.param(
        requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
        FailureKind.TLS_VERIFY,
        "TLS certificate verify failed",
        id="tls-verify-text-only",
    ),
    pytest.param(
        requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version number"),
        FailureKind.TLS,
        "TLS error",
        id="tls-other",
    ),
    pytest.param(
        requests.exceptions.TooManyRedirects("Exceeded 10 redirects."),
        FailureKind.TOO_MANY_REDIRECTS,
        "too many redirects",
        id="redirects",
    ),
    pytest.param(
        requests.exceptions.InvalidURL("Failed to parse"),
        FailureKind.INVALID_URL,
        "invalid URL",
        id="invalid",
    ),
    pytest.param(
        requests.exceptions.ConnectionError(
            urllib3.exceptions.ProtocolError(
                "Connection aborted.",
                http.client.RemoteDisconnected("Remote end closed connection without response"),
            )
        ),
        FailureKind.CLOSED,
        "connection closed by server",
        id="remote-disconnected",
    ),
    pytest.param(
        requests.exceptions.ConnectionError(
            urllib3.exceptions.ProtocolError(
                "Connection aborted.", ConnectionResetError(errno.ECONNRESET, "reset by peer")
            )
        ),
        FailureKind.RESET,
        "connection reset",
        id="reset",
    ),
    pytest.param(
        _connection_error(OSError(errno.ENETUNREACH, "Network is unreachable")),
        FailureKind.UNREACHABLE,
        "network unreachable",
        id="net-unreachable",
    ),
    pytest.param(
        _connection_error(OSError(errno.EHOSTUNREACH, "No route to host")),
        FailureKind.UNREACHABLE,
        "network unreachable",
        id="host-unreachable",
    ),
    pytest.param(
        _connection_error(OSError(errno.EMFILE, "Too many open files")),
        FailureKind.TOO_MANY_FILES,
        "too many open files here (see ulimit -n)",
        id="out-of-file-descriptors",
    ),
    pytest.param(
        requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
        FailureKind.CLOSED,
        "connection closed by server",
        id="chunked",
    ),
    pytest.param(
        requests.exceptions.ContentDecodingError("bad gzip"),
        FailureKind.OTHER,
        "bad response",
        id="decoding",
    ),
    pytest.param(
        requests.exceptions.ConnectionError("odd"),
        FailureKind.CONNECTION_FAILED,
        "connection failed",
        id="other-connection",
    ),
    pytest.param(
        RuntimeError("a bug"), FailureKind.OTHER, "request failed (RuntimeError)", id="unexpected"
    ),
    pytest.param(
        requests.exceptions.ConnectionError(
            urllib3.exceptions.ProtocolError(
                "Connection aborted.", InvalidResponse("conflicting Content-Length")
            )
        ),
        FailureKind.INVALID_RESPONSE,
        "invalid HTTP response: conflicting Content-Length",
        id="invalid-response",
    ),
    pytest.param(
        requests.exceptions.ConnectionError(
            urllib3.exceptions.ProtocolError("Connection aborted.", HeadTooLarge())
        ),
        FailureKind.HEADERS_TOO_LARGE,
        "response headers too large",
        id="headers-too-large",
    ),
]


@pytest.mark.parametrize(("exc", "kind", "reason"), FAILURES)
def test_each_failure_becomes_a_result_with_its_kind_and_a_short_reason(
    mocked: responses.RequestsMock, exc: BaseException, kind: FailureKind, reason: str
) -> None:
    mocked.add(responses.GET, URL, body=exc)
    result = fetch(URL)
    assert (result.url, result.status, result.ok, result.error, result.final_url) == (
        URL,
        None,
        False,
        reason,
        None,
    )
    assert result.kind is kind


@pytest.mark.parametrize(("exc", "kind", "reason"), FAILURES)
def test_classify_names_a_failed_request_s_kind_and_reason(
    exc: BaseException, kind: FailureKind, reason: str
) -> None:
    assert classify(exc) == (kind, reason)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (_connection_error(ConnectionRefusedError(errno.ECONNREFUSED, "refused")), True),
        (requests.exceptions.ReadTimeout("read timed out"), True),
        (_dns_error(), False),
        (_dns_error(socket.EAI_AGAIN), True),
        (_cert_error(), False),
        (requests.exceptions.TooManyRedirects(), False),
        (requests.exceptions.InvalidURL(), False),
    ],
)
def test_only_transient_failures_are_retried(
    mocked: responses.RequestsMock, exc: BaseException, transient: bool
) -> None:
    mocked.add(responses.GET, URL, body=exc)
    result = fetch(URL, retries=2, backoff=0.0)
    assert len(mocked.calls) == (3 if transient else 1)
    assert result.attempts == len(mocked.calls)
    assert classify(exc).kind.transient is transient


def test_a_transient_failure_then_success_is_ok(mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, URL, status=503)
    mocked.add(responses.GET, URL, status=200)
    result = fetch(URL, retries=2, backoff=0.0)
    assert (result.status, result.ok, result.attempts) == (200, True, 2)


_CANNOT_FETCH = {
    FailureKind.MISSING_SCHEME: [
        ("example.com", "missing scheme, did you mean https://example.com?"),
        ("example.com/path?q=1", "missing scheme, did you mean https://example.com/path?q=1?"),
        ("//example.com/x", "missing scheme, did you mean https://example.com/x?"),
        ("localhost:8080/x", "missing scheme, did you mean https://localhost:8080/x?"),
    ],
    FailureKind.UNSUPPORTED_SCHEME: [
        ("ftp://example.com/file", "unsupported scheme 'ftp'"),
        ("FTP://example.com/file", "unsupported scheme 'ftp'"),
        ("file:///etc/passwd", "unsupported scheme 'file'"),
        ("mailto:someone@example.com", "unsupported scheme 'mailto'"),
        ("javascript:alert(1)", "unsupported scheme 'javascript'"),
    ],
    FailureKind.INVALID_URL: [
        ("://example.com", "invalid URL: empty scheme"),
        ("http://", "invalid URL: no host"),
        ("http:///path", "invalid URL: no host"),
        ("https://:443/", "invalid URL: no host"),
        ("http://example.com:99999/", "invalid URL: bad port '99999'"),
        ("http://example.com:65536/", "invalid URL: bad port '65536'"),
        ("http://example.com:http/", "invalid URL: bad port 'http'"),
        ("http://example.com:-1/", "invalid URL: bad port '-1'"),
        ("http://exa mple.com/", "invalid URL: contains whitespace"),
        ("http://example.com/a b", "invalid URL: contains whitespace"),
        ("http://example.com/a\tb", "invalid URL: contains whitespace"),
        ("http://[::1/", "invalid URL: Invalid IPv6 URL"),
    ],
}


@pytest.mark.parametrize(
    ("url", "kind", "reason"),
    [(url, kind, reason) for kind, cases in _CANNOT_FETCH.items() for url, reason in cases],
)
def test_check_url_names_what_is_wrong(url: str, kind: FailureKind, reason: str) -> None:
    assert check_url(url) == (kind, reason)


_NO_SCHEME = {
    # Host names, with a port or a path or both: the hint says what to try.
    FailureKind.MISSING_SCHEME: [
        ("www.example.org", "missing scheme, did you mean https://www.example.org?"),
        ("example.com/path", "missing scheme, did you mean https://example.com/path?"),
        ("EXAMPLE.COM/A#top", "missing scheme, did you mean https://EXAMPLE.COM/A#top?"),
        ("example.com.", "missing scheme, did you mean https://example.com.?"),
        ("bücher.example/x", "missing scheme, did you mean https://bücher.example/x?"),
        ("localhost", "missing scheme, did you mean https://localhost?"),
        ("localhost:8080", "missing scheme, did you mean https://localhost:8080?"),
        ("intranet:8080/x", "missing scheme, did you mean https://intranet:8080/x?"),
        ("10.0.0.1:80/x", "missing scheme, did you mean https://10.0.0.1:80/x?"),
        ("[::1]:8080/", "missing scheme, did you mean https://[::1]:8080/?"),
    ],
    # Anything else is no URL at all, and no hint would make it one.
    FailureKind.NOT_A_URL: [
        ("<html><head><title>", "not a URL"),
        ("not-a-url", "not a URL"),
        ("TODO", "not a URL"),
        ("/docs/page.html", "not a URL"),
        ("///example.com", "not a URL"),
        ("someone@example.com", "not a URL"),
        ("git@github.com:owner/repo.git", "not a URL"),
        ("v1.2", "not a URL"),
        ("example.com:99999", "not a URL"),
        ("-example.com", "not a URL"),
        ("a..example.com", "not a URL"),
        ("\\x00\\x00\\x00", "not a URL"),
    ],
}


@pytest.mark.parametrize(
    ("line", "kind", "reason"),
    [(line, kind, reason) for kind, cases in _NO_SCHEME.items() for line, reason in cases],
)
def test_a_missing_scheme_is_hinted_only_for_what_looks_like_a_host(
    line: str, kind: FailureKind, reason: str
) -> None:
    assert check_url(line) == (kind, reason)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com/path?q=1#frag",
        "HTTP://EXAMPLE.COM/",
        "http://127.0.0.1:8080/",
        "http://[::1]:8080/",
        "http://[2001:db8::1]/",
        "https://bücher.example/",
        "https://xn--bcher-kva.example/",
        "http://user:pass@example.com/",
        "http://example.com:65535/",
        "http://localhost/",
    ],
)
def test_check_url_accepts_fetchable_urls(url: str) -> None:
    assert check_url(url) is None


# Up to U+3000 holds every kind of character the check cares about (ASCII, controls, the
# Unicode spaces up to the ideographic one) without Hypothesis mapping all of Unicode.
_TEXT = st.characters(max_codepoint=0x3000)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.from_regex(_PLAIN_URL, fullmatch=True, alphabet=_TEXT), st.text(_TEXT)))
def test_the_quick_check_accepts_only_what_the_full_check_accepts(text: str) -> None:
    if _PLAIN_URL.fullmatch(text):
        assert _check_url_fully(text) is None
    assert check_url(text) == (None if _PLAIN_URL.fullmatch(text) else _check_url_fully(text))


def _prepared(url: str) -> str:
    request = requests.PreparedRequest()
    request.prepare_url(url, None)
    return str(request.url)


@settings(max_examples=150, deadline=None)
@given(st.from_regex(_PREPARED_AS_IS, fullmatch=True))
def test_a_url_sent_as_it_is_is_what_requests_would_prepare(url: str) -> None:
    assert prepared_as_is(url)
    assert _prepared(url) == url


@pytest.mark.parametrize(
    ("url", "as_is"),
    [
        ("http://127.0.0.1:18080/p0", True),
        ("https://example.com/a/b.html?q=1&r=two;x#top", True),
        ("https://example.com", False),
        ("https://Example.com/", False),
        ("HTTP://example.com/", False),
        ("http://example.com:080/", False),
        ("http://example.com/a/../b", False),
        ("http://example.com/a/.", False),
        ("http://example.com/%7e", False),
        ("http://example.com/?", False),
        ("http://example.com/#", False),
        ("http://example.com/a[1]", False),
        ("http://user@example.com/", False),
        ("https://bücher.example/", False),
    ],
)
def test_only_a_url_requests_leaves_as_it_is_is_sent_as_it_is(url: str, as_is: bool) -> None:
    assert prepared_as_is(url) == as_is


@pytest.mark.parametrize("url", ["example.com", "ftp://x/", "http://", "http://a b/"])
def test_a_url_that_cannot_be_fetched_makes_no_request(
    mocked: responses.RequestsMock, url: str
) -> None:
    result = fetch(url)
    assert result.url == url
    assert (result.status, result.ok, result.attempts) == (None, False, 0)
    assert (result.kind, result.error) == check_url(url)
    assert len(mocked.calls) == 0


def test_an_input_line_error_is_reported_without_a_request(
    mocked: responses.RequestsMock,
) -> None:
    fetcher = Fetcher(Options())
    result = fetcher.fetch(InputLine("http://a/\\xff", "f", 3, "not valid UTF-8 (byte 10)"))
    fetcher.close()
    assert (result.error, result.status, result.line) == ("not valid UTF-8 (byte 10)", None, 3)
    assert result.kind is FailureKind.BAD_LINE
    assert len(mocked.calls) == 0


def test_an_internationalised_host_is_fetched_by_its_ascii_name(
    mocked: responses.RequestsMock,
) -> None:
    mocked.add(responses.GET, "https://xn--bcher-kva.example/", status=200)
    result = fetch("https://bücher.example/")
    assert (result.url, result.status, result.error) == ("https://bücher.example/", 200, None)


def test_an_ipv6_literal_is_fetched(mocked: responses.RequestsMock) -> None:
    mocked.add(responses.GET, "http://[::1]:8080/", status=200)
    result = fetch("http://[::1]:8080/")
    assert (result.status, result.error) == (200, None)


# -- the same reasons from real sockets --------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_closed_port_is_connection_refused() -> None:
    result = fetch(f"http://127.0.0.1:{_closed_port()}/")
    assert (result.status, result.error) == (None, "connection refused")


def test_a_slow_answer_is_timed_out(server: TestHTTPServer) -> None:
    result = fetch(server.url("/delay/10"), timeout=0.2)
    assert (result.status, result.error) == (None, "timed out")
    # Near the 0.2 s given, not the answer's 10 s; the margin is for a busy machine.
    assert result.elapsed < 5


def test_a_connection_closed_without_answer_is_reported(server: TestHTTPServer) -> None:
    assert fetch(server.url("/close")).error == "connection closed by server"


def test_a_real_redirect_loop_is_too_many_redirects(server: TestHTTPServer) -> None:
    assert fetch(server.url("/redirect-loop")).error == "too many redirects"


def test_real_redirects_end_at_the_final_url(server: TestHTTPServer) -> None:
    result = fetch(server.url("/redirect/3"))
    assert (result.status, result.final_url) == (200, server.url("/redirect/0"))


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "HTTPS://Example.COM:8443/path?q=1&r=%7e#frag",
        "http://user:pa%20ss@example.com/",
        "https://bücher.example/ä?x=ü",
        "http://[::1]:8080/",
        "http://example.com/?",
        "http://example.com/%zz",
    ],
)
def test_a_check_sends_what_requests_would_prepare(method: str, url: str) -> None:
    headers = (("X-Probe", "1"), ("Authorization", "Bearer t"))
    fetcher = Fetcher(Options(method=method, headers=headers, user_agent="probe/1"))
    ours = fetcher._requests.prepare(method, url)
    theirs = requests.PreparedRequest()
    session = requests.Session()
    session.headers = fetcher._requests.headers
    theirs.prepare(method=method, url=url, headers=session.headers, cookies=session.cookies)
    assert (ours.method, ours.url, dict(ours.headers), ours.body, ours.hooks) == (
        theirs.method,
        theirs.url,
        dict(theirs.headers),
        theirs.body,
        theirs.hooks,
    )


def test_a_redirect_chain_carries_its_cookies(server: TestHTTPServer) -> None:
    assert fetch(server.url("/set-cookie/chain?next=/cookie/chain")).status == 200


@pytest.mark.parametrize("first", ["/set-cookie/kept", "/set-cookie/kept?next=/status/200"])
def test_cookies_set_for_one_url_are_not_sent_with_the_next(
    server: TestHTTPServer, first: str
) -> None:
    fetcher = Fetcher(Options())
    try:
        # One thread, so one session: the second URL would get the cookie if it were kept.
        assert fetcher.fetch(server.url(first)).status == 200
        assert fetcher.fetch(server.url("/cookie/kept")).status == 403
    finally:
        fetcher.close()


def test_a_name_that_does_not_resolve_is_dns_lookup_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_such_name(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    result = fetch("http://no-such-host.test/")
    assert (result.status, result.error) == (None, "DNS lookup failed")


def test_headers_reach_a_real_server(server: TestHTTPServer) -> None:
    fetch(server.url("/status/200"), headers=(("X-Probe", "1"),), user_agent="probe/2")
    [seen] = server.log
    assert seen.headers["x-probe"] == "1"
    assert seen.headers["user-agent"] == "probe/2"


def test_requests_carry_only_the_headers_a_check_needs(server: TestHTTPServer) -> None:
    fetch(server.url("/status/200"))
    [seen] = server.log
    # HTTP/1.1 keeps the connection open without "Connection: keep-alive".
    assert sorted(seen.headers) == ["accept", "accept-encoding", "host", "user-agent"]
    assert seen.headers["accept-encoding"] == "identity"


# -- option values with a syntax ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ranges", "canonical"),
    [
        ("200-399", ((200, 399),), "200-399"),
        ("200", ((200, 200),), "200"),
        ("200-299,401", ((200, 299), (401, 401)), "200-299,401"),
        (" 200 - 299 , 404 ", ((200, 299), (404, 404)), "200-299,404"),
        ("100-999", ((100, 999),), "100-999"),
        ("404,200", ((404, 404), (200, 200)), "404,200"),
    ],
)
def test_accept_parses_codes_and_ranges(
    text: str, ranges: tuple[tuple[int, int], ...], canonical: str
) -> None:
    accept = Accept.parse(text)
    assert accept.ranges == ranges
    assert str(accept) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "'' is not a status code"),
        ("abc", "'abc' is not a status code"),
        ("2xx", "'2xx' is not a status code"),
        ("20", "'20' is not a status code"),
        ("2000", "'2000' is not a status code"),
        ("200-", "'200-' is not a status code"),
        ("-200", "'-200' is not a status code"),
        ("200,,300", "'' is not a status code"),
        ("200-299-399", "'200-299-399' is not a status code"),
        ("299-200", "'299-200' is not a range of status codes from 100 to 999"),
        ("099", "'099' is not a range of status codes from 100 to 999"),
        ("000-200", "'000-200' is not a range"),
    ],
)
def test_accept_rejects_bad_values_naming_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        Accept.parse(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("status", "inside"),
    [
        (200, True),
        (299, True),
        (401, True),
        (300, False),
        (404, False),
        (None, False),
        ("200", False),
    ],
)
def test_accept_membership(status: object, inside: bool) -> None:
    assert (status in Accept.parse("200-299,401")) is inside


@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("X-Token: abc", ("X-Token", "abc")),
        ("X-Token:abc", ("X-Token", "abc")),
        ("  X-Token  :   abc  ", ("X-Token", "abc")),
        ("X-Empty:", ("X-Empty", "")),
        ("Authorization: Bearer a:b:c", ("Authorization", "Bearer a:b:c")),
        ("x_odd.name~!: v", ("x_odd.name~!", "v")),
        ("Accept: text/html, */*", ("Accept", "text/html, */*")),
    ],
)
def test_parse_header_splits_name_and_value(text: str, header: tuple[str, str]) -> None:
    assert parse_header(text) == header


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NoColon", "is not a header like 'Name: value'"),
        ("", "is not a header like 'Name: value'"),
        (": value", "is not a header like 'Name: value'"),
        ("Bad Name: v", "is not a header like 'Name: value'"),
        ("Bad(Name): v", "is not a header like 'Name: value'"),
        ("Naïve: v", "is not a header like 'Name: value'"),
        ("X-A: one\r\nX-B: two", "has a line break or NUL in its value"),
        ("X-A: one\ntwo", "has a line break or NUL in its value"),
        ("X-A: a\x00b", "has a line break or NUL in its value"),
    ],
)
def test_parse_header_rejects_bad_headers(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_header(text)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_workers": 0}, "max_workers"),
        ({"max_workers": 1025}, "max_workers"),
        ({"method": "POST"}, "method"),
        ({"timeout": 0}, "timeout"),
        ({"retries": -1}, "retries"),
    ],
)
def test_options_refuse_values_out_of_range(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Options(**options)  # type: ignore[arg-type]
