"""Failure kinds: what each is, and how reports carry them so rewording changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from fetchpool.ci.baseline import Baseline
from fetchpool.ci.merge import merge_reports
from fetchpool.core.failures import FailureKind, kind_from_text
from fetchpool.core.fetch import Fetcher
from fetchpool.core.options import Accept, Options
from fetchpool.core.results import Result

K = FailureKind

# Every kind but HTTP_STATUS: whether a request failing so is retried, and its class.
TRAITS = [
    (K.DNS, False, "broken"),
    (K.DNS_TRY_AGAIN, True, "inconclusive"),
    (K.REFUSED, True, "broken"),
    (K.RESET, True, "inconclusive"),
    (K.CLOSED, True, "inconclusive"),
    (K.CONNECTION_FAILED, True, "inconclusive"),
    (K.UNREACHABLE, True, "inconclusive"),
    (K.TOO_MANY_FILES, True, "inconclusive"),
    (K.TIMEOUT, True, "inconclusive"),
    (K.TLS_VERIFY, False, "inconclusive"),
    (K.TLS, False, "inconclusive"),
    (K.TOO_MANY_REDIRECTS, False, "broken"),
    (K.INVALID_REDIRECT, False, "broken"),
    (K.INVALID_RESPONSE, False, "broken"),
    (K.HEADERS_TOO_LARGE, False, "broken"),
    (K.INVALID_URL, False, "broken"),
    (K.MISSING_SCHEME, False, "broken"),
    (K.NOT_A_URL, False, "broken"),
    (K.UNSUPPORTED_SCHEME, False, "broken"),
    (K.BAD_LINE, False, "broken"),
    (K.PROXY, True, "inconclusive"),
    (K.PROXY_REFUSED, False, "inconclusive"),
    (K.FILE_NOT_FOUND, False, "broken"),
    (K.MISSING_ANCHOR, False, "broken"),
    (K.NOT_CHECKED, False, "inconclusive"),
    (K.UNREADABLE, False, "inconclusive"),
    (K.OUTSIDE_TREE, False, "inconclusive"),
    (K.WORKER_LOST, False, "inconclusive"),
    (K.ROBOTS_DISALLOWED, False, "skipped"),
    (K.RATE_LIMITED, False, "inconclusive"),
    (K.OTHER, False, "inconclusive"),
]


@pytest.mark.parametrize(("kind", "transient", "category"), TRAITS)
def test_each_kind_says_whether_it_is_retried_and_how_it_is_classed(
    kind: FailureKind, transient: bool, category: str
) -> None:
    assert kind.transient is transient
    assert kind.category_for(None) == category
    assert kind.category_for(404) == kind.category_for(503) == category


def test_every_kind_is_in_the_table_above() -> None:
    assert {kind for kind, _, _ in TRAITS} | {K.HTTP_STATUS} == set(FailureKind)


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (404, "broken"),
        (410, "broken"),
        (400, "broken"),
        (301, "broken"),  # a redirect --accept does not take
        (401, "inconclusive"),
        (403, "inconclusive"),
        (429, "inconclusive"),
        (451, "inconclusive"),
        (500, "inconclusive"),
        (503, "inconclusive"),
        (999, "inconclusive"),
        (None, "inconclusive"),  # a report that names the kind but lost the status
    ],
)
def test_a_status_outside_accept_is_classed_by_its_number(status: int | None, category: str):
    assert K.HTTP_STATUS.category_for(status) == category
    assert K.HTTP_STATUS.transient is False  # responses are retried by status, in fetch


@pytest.mark.parametrize("kind", list(FailureKind))
def test_each_kind_is_written_as_its_lower_case_name_and_read_back(kind: FailureKind) -> None:
    assert kind.value == kind.name.lower()
    assert FailureKind.named(kind.value) is kind


def test_a_name_this_version_does_not_know_is_no_kind() -> None:
    assert FailureKind.named("quantum_foam") is None


# -- results carry their kind --------------------------------------------------


URL = "http://example.test/"


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.parametrize(
    ("status", "kind"), [(200, None), (404, K.HTTP_STATUS), (503, K.HTTP_STATUS)]
)
def test_a_response_is_ok_or_of_kind_http_status(
    mocked: responses.RequestsMock, status: int, kind: FailureKind | None
) -> None:
    mocked.add(responses.GET, URL, status=status)
    fetcher = Fetcher(Options(retries=0, accept=Accept.parse("200")))
    try:
        result = fetcher.fetch(URL)
    finally:
        fetcher.close()
    assert (result.status, result.kind) == (status, kind)


def test_a_result_made_without_a_kind_takes_it_from_its_status_and_error() -> None:
    assert Result(URL, 200, True).kind is None
    assert Result(URL, 404, False).kind is K.HTTP_STATUS
    assert Result(URL, None, False, "timed out").kind is K.TIMEOUT
    assert Result(URL, None, False, "something new").kind is K.OTHER


def test_an_ok_result_has_no_kind() -> None:
    assert Result(URL, 200, True, kind=K.TIMEOUT).kind is None


# -- reading reports -------------------------------------------------------------


def _line(**values: Any) -> dict[str, Any]:
    return {"url": URL, "status": None, "ok": False, **values}


@pytest.mark.parametrize(
    ("line", "kind", "category"),
    [
        # The kind decides, whatever the reason says: a reason reworded is read the same.
        (_line(error="the server took too long", kind="timeout"), K.TIMEOUT, "inconclusive"),
        (_line(error="no such host", kind="dns"), K.DNS, "broken"),
        (_line(error="DNS lookup failed", kind="timeout"), K.TIMEOUT, "inconclusive"),
        (_line(status=404, kind="http_status"), K.HTTP_STATUS, "broken"),
        # A report written before kinds: the reason, as fetchpool worded it, decides.
        (_line(error="DNS lookup failed"), K.DNS, "broken"),
        (_line(error="timed out"), K.TIMEOUT, "inconclusive"),
        (_line(error="not valid UTF-8 (byte 3)"), K.BAD_LINE, "broken"),
        (_line(error="the server took too long"), K.OTHER, "inconclusive"),
        (_line(status=404), K.HTTP_STATUS, "broken"),
        (_line(status=503), K.HTTP_STATUS, "inconclusive"),
        # A kind from a later version is read as an old report is.
        (_line(error="DNS lookup failed", kind="dns_over_carrier_pigeon"), K.DNS, "broken"),
        (_line(error="DNS lookup failed", kind=None), K.DNS, "broken"),
    ],
)
def test_a_report_line_is_read_by_its_kind_or_else_its_reason(
    line: dict[str, Any], kind: FailureKind, category: str
) -> None:
    result = Result.from_dict(line)
    assert (result.kind, result.category) == (kind, category)


def test_a_kind_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ValueError, match="'kind' is not a string or null"):
        Result.from_dict(_line(error="timed out", kind=3))


@pytest.mark.parametrize(
    "result",
    [
        Result(URL, 200, True, None, 0.5, URL, 1, "urls.txt", 1),
        Result(URL, 404, False, None, 0.5, URL, 1, "urls.txt", 2),
        Result(URL, None, False, "DNS lookup failed", 0.5, None, 2, "-", 3, kind=K.DNS_TRY_AGAIN),
        Result(URL, None, False, "a reason not yet worded", 0.5, None, 1, "-", 4, kind=K.RESET),
    ],
)
def test_a_result_written_to_a_report_reads_back_the_same(result: Result) -> None:
    assert Result.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def _report(path: Path, lines: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def test_a_baseline_takes_each_url_s_class_from_its_kind(tmp_path: Path) -> None:
    report = _report(
        tmp_path / "before.jsonl",
        [
            {"url": "http://a.test/", "status": None, "ok": False, "error": "gone", "kind": "dns"},
            {"url": "http://b.test/", "status": None, "ok": False, "error": "DNS lookup failed"},
            {"url": "http://c.test/", "status": None, "ok": False, "error": "x", "kind": "timeout"},
        ],
    )
    assert Baseline.load(report).categories == {
        "http://a.test/": "broken",
        "http://b.test/": "broken",
        "http://c.test/": "inconclusive",
    }


def test_merge_keeps_each_result_s_kind_and_reads_old_reports(tmp_path: Path) -> None:
    new = _report(
        tmp_path / "a.jsonl",
        [_line(url="http://a.test/", error="reworded", kind="refused", source="u", line=1)],
    )
    old = _report(
        tmp_path / "b.jsonl",
        [_line(url="http://b.test/", error="connection refused", source="u", line=2)],
    )
    merged = list(merge_reports([new, old]))
    assert [(r.url, r.kind, r.category) for r in merged] == [
        ("http://a.test/", K.REFUSED, "broken"),
        ("http://b.test/", K.REFUSED, "broken"),
    ]
    assert [r.to_dict()["kind"] for r in merged] == ["refused", "refused"]


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (None, "DNS lookup failed", K.DNS),
        (None, "connection refused", K.REFUSED),
        (None, "connection reset", K.RESET),
        (None, "connection closed by server", K.CLOSED),
        (None, "connection failed", K.CONNECTION_FAILED),
        (None, "network unreachable", K.UNREACHABLE),
        (None, "too many open files here (see ulimit -n)", K.TOO_MANY_FILES),
        (None, "timed out", K.TIMEOUT),
        (None, "TLS certificate verify failed", K.TLS_VERIFY),
        (None, "TLS error", K.TLS),
        (None, "too many redirects", K.TOO_MANY_REDIRECTS),
        (None, "invalid redirect: bad Location", K.INVALID_REDIRECT),
        (None, "invalid HTTP response: bad status line", K.INVALID_RESPONSE),
        (None, "response headers too large", K.HEADERS_TOO_LARGE),
        (None, "invalid URL: no host", K.INVALID_URL),
        (None, "missing scheme, did you mean https://x.org?", K.MISSING_SCHEME),
        (None, "not a URL", K.NOT_A_URL),
        (None, "unsupported scheme 'ftp'", K.UNSUPPORTED_SCHEME),
        (None, "not valid UTF-8 (byte 3)", K.BAD_LINE),
        (None, "contains a NUL byte", K.BAD_LINE),
        (None, "line too long (70,000 bytes; the limit is 65,536)", K.BAD_LINE),
        (None, "binary data (a NUL byte in a line over 65,536 bytes); the rest", K.BAD_LINE),
        (None, "bad response", K.OTHER),
        (None, "request failed (WeirdError)", K.OTHER),
        (None, None, K.OTHER),
        (404, None, K.HTTP_STATUS),
    ],
)
def test_an_old_reason_names_the_kind_it_had(
    status: int | None, error: str | None, kind: FailureKind
) -> None:
    assert kind_from_text(status, error) is kind
