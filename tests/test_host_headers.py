"""Credentials scoped to hosts (--host-header, the config's hosts table, a GitHub token),
secret -H headers dropped when a redirect leaves the host, GitHub's rate limit, --remap,
and secrets masked in everything written."""

from __future__ import annotations

import json
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import trustme
import urllib3

from fetchpool.core.credentials import (
    GITHUB_HOSTS,
    HostHeader,
    Redactor,
    github_headers,
    is_secret,
    parse_host,
    secrets_of,
)
from fetchpool.core.fetch import _ChainCookies, _Requests
from fetchpool.core.inputs import InputLine
from fetchpool.core.options import Options, Remap, remapped
from fetchpool.core.pool import PoolState
from fetchpool.core.results import Result
from fetchpool.core.retry import rate_limited
from fetchpool.core.wire import outcome_of, result_of
from fetchpool.render import FORMATS
from fetchpool.render.progress import describe_wait

from .inprocess import run_in_process
from .server import TestHTTPServer

SECRET = "s3cr3t-t0ken-value"


def records(stdout: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def localhost(server: TestHTTPServer, path: str) -> str:
    """``path`` on the test server by the name localhost: another host to a client."""
    return server.url(path).replace("127.0.0.1", "localhost")


def headers_at(server: TestHTTPServer, path: str) -> dict[str, str]:
    (seen,) = [seen for seen in server.log if seen.path == path]
    return seen.headers


# -- the parts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("Authorization", True),
        ("proxy-authorization", True),
        ("Cookie", True),
        ("PRIVATE-TOKEN", True),
        ("X-Api-Key", True),
        ("X-API-KEY", True),
        ("X-Auth-Token", True),
        ("X-Session-Id", True),
        ("Accept", False),
        ("X-Probe", False),
        ("Referer", False),
    ],
)
def test_a_header_is_a_secret_by_its_name(name: str, secret: bool) -> None:
    assert is_secret(name) is secret


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("api.example.com", "api.example.com"),
        ("API.Example.COM.", "api.example.com"),
        (".example.com", ".example.com"),
        ("127.0.0.1", "127.0.0.1"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("[2001:DB8:0:0::1]", "2001:db8::1"),
    ],
)
def test_a_host_is_named_as_a_request_names_it(text: str, host: str) -> None:
    assert parse_host(text) == host


@pytest.mark.parametrize(
    "text", ["", ".", "..example.com", "https://x.test", "a b", "x/y", "a:1", "*.example.com"]
)
def test_what_is_no_host_name_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a host name"):
        parse_host(text)


@pytest.mark.parametrize(
    ("pattern", "hostname", "matches"),
    [
        ("api.example.com", "api.example.com", True),
        ("api.example.com", "example.com", False),
        ("api.example.com", "x.api.example.com", False),
        (".example.com", "example.com", True),
        (".example.com", "api.example.com", True),
        (".example.com", "a.b.example.com", True),
        (".example.com", "badexample.com", False),
        (".example.com", "example.com.evil.test", False),
    ],
)
def test_a_host_header_goes_to_its_host_or_domain_alone(
    pattern: str, hostname: str, matches: bool
) -> None:
    assert HostHeader(pattern, "X-Key", "v").matches(hostname) is matches


def test_secrets_are_masked_and_short_values_left_alone() -> None:
    redact = Redactor(
        secrets_of(
            [("X-Api-Key", SECRET), ("Accept", "text/html"), ("Cookie", "a=1")],
            [HostHeader("api.test", "Authorization", "Bearer ghp_abcdef")],
        )
    )
    text = f"{SECRET} text/html ghp_abcdef Bearer ghp_abcdef a=1"
    assert redact(text) == "*** text/html *** *** a=1"


@pytest.mark.parametrize("scheme", ["Bearer", "token", "Basic"])
def test_the_credential_of_an_h_authorization_is_masked_on_its_own_too(scheme: str) -> None:
    redact = Redactor(secrets_of([("Authorization", f"{scheme} {SECRET}")], []))
    assert redact(f"?access_token={SECRET}") == "?access_token=***"


@pytest.mark.parametrize(
    ("rule", "url", "fetched"),
    [
        (
            r"^https://old\.test/(.*) https://new.test/$1",
            "https://old.test/a?b",
            "https://new.test/a?b",
        ),
        (
            r"^https://old\.test/(.*) https://new.test/\1",
            "https://old.test/a",
            "https://new.test/a",
        ),
        (r"^https://old\.test/(?P<p>.*) http://h/${p}", "https://old.test/x", "http://h/x"),
        (r"old\.test new.test", "https://old.test/old.test", "https://new.test/old.test"),
        (r"^https://old\.test/ https://new.test/", "https://other.test/", "https://other.test/"),
    ],
)
def test_a_remap_rewrites_the_first_match_of_the_url(rule: str, url: str, fetched: str) -> None:
    assert (remapped(url, (Remap.parse(rule),)) or url) == fetched


def test_the_first_remap_that_matches_applies() -> None:
    rules = (Remap.parse("^https://a/ https://b/"), Remap.parse("^https://b/ https://c/"))
    assert remapped("https://a/x", rules) == "https://b/x"


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("just-one-part", "is not 'REGEX REPLACEMENT'"),
        ("(unclosed https://x/", "is not a regular expression"),
        (r"^https://a/ https://b/$1", "is not a replacement"),
        (r"^https://a/(?P<p>.*) https://b/${q}", "is not a replacement"),
    ],
)
def test_a_bad_remap_says_what_is_wrong(rule: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Remap.parse(rule)


def test_the_remapped_url_travels_between_processes() -> None:
    item = InputLine("https://old.test/a", "docs.md", 3)
    result = Result(
        item.text, 200, True, final_url="https://new.test/a", remapped="https://new.test/a"
    )
    assert result_of(item, outcome_of(0, result)).remapped == "https://new.test/a"


# -- host headers on the wire ------------------------------------------------------------


def test_a_host_header_reaches_its_host_and_no_other(server: TestHTTPServer) -> None:
    mine, other = server.url("/status/200?to=mine"), localhost(server, "/status/200?to=other")
    done = run_in_process(
        "-q", "-f", "jsonl", "--host-header", "127.0.0.1", f"X-Api-Key: {SECRET}",
        input=f"{mine}\n{other}\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert headers_at(server, "/status/200?to=mine")["x-api-key"] == SECRET
    assert "x-api-key" not in headers_at(server, "/status/200?to=other")


def test_a_host_header_stays_behind_when_a_redirect_leaves_its_host(
    server: TestHTTPServer,
) -> None:
    away = localhost(server, "/status/200?hop=away")
    start = server.url(f"/redirect-to?url={quote(away)}")
    done = run_in_process(
        "-q", "-f", "jsonl", "--host-header", "127.0.0.1", f"X-Api-Key: {SECRET}",
        input=start + "\n",
    )  # fmt: skip
    assert records(done.stdout)[0]["status"] == 200
    assert headers_at(server, f"/redirect-to?url={quote(away)}")["x-api-key"] == SECRET
    assert "x-api-key" not in headers_at(server, "/status/200?hop=away")


def test_a_redirect_to_a_host_brings_its_host_header(server: TestHTTPServer) -> None:
    back = server.url("/status/200?hop=back")
    start = localhost(server, "/redirect-to") + f"?url={quote(back)}"
    run_in_process(
        "-q", "--host-header", "127.0.0.1", f"X-Api-Key: {SECRET}", "-H", "X-Probe: 1",
        input=start + "\n",
    )  # fmt: skip
    assert "x-api-key" not in headers_at(server, f"/redirect-to?url={quote(back)}")
    assert headers_at(server, "/status/200?hop=back")["x-api-key"] == SECRET
    assert headers_at(server, "/status/200?hop=back")["x-probe"] == "1"


def test_secret_headers_given_with_h_are_dropped_when_a_redirect_leaves_the_host(
    server: TestHTTPServer,
) -> None:
    away = localhost(server, "/status/200?hop=h")
    start = server.url(f"/redirect-to?url={quote(away)}")
    run_in_process(
        "-q",
        "-H", f"Authorization: Bearer {SECRET}",
        "-H", f"PRIVATE-TOKEN: {SECRET}",
        "-H", f"Proxy-Authorization: Basic {SECRET}",
        "-H", "X-Probe: 1",
        input=start + "\n",
    )  # fmt: skip
    first = headers_at(server, f"/redirect-to?url={quote(away)}")
    assert first["authorization"] == f"Bearer {SECRET}"
    assert first["private-token"] == SECRET
    hop = headers_at(server, "/status/200?hop=h")
    assert not {"authorization", "private-token", "proxy-authorization"} & set(hop)
    assert hop["x-probe"] == "1"


def test_host_headers_come_from_the_config_file(
    server: TestHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fetchpool.toml").write_text(
        f'[hosts."127.0.0.1"]\nheaders = {{ X-Api-Key = "{SECRET}" }}\n'
        f'[hosts.".localhost"]\nheaders = {{ X-Other = "other-value" }}\n'
    )
    monkeypatch.chdir(tmp_path)
    run_in_process(
        "-q", input=f"{server.url('/status/200?c=1')}\n{localhost(server, '/status/200?c=2')}\n"
    )
    one, two = headers_at(server, "/status/200?c=1"), headers_at(server, "/status/200?c=2")
    assert (one["x-api-key"], "x-other" in one) == (SECRET, False)
    assert (two["x-other"], "x-api-key" in two) == ("other-value", False)


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("hosts = 1", "is a table of hosts"),
        ('[hosts."h.test"]\nheader = {}', "takes headers"),
        ('[hosts."h.test"]\nheaders = 1', "headers is a table"),
        ('[hosts."h.test"]\nheaders = { X-Key = 1 }', "'X-Key' is not text"),
        (f'[hosts."h t"]\nheaders = {{ X-Key = "{SECRET}" }}', "is not a host name"),
    ],
)
def test_a_bad_hosts_table_is_a_usage_error_that_shows_no_value(
    table: str, problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fetchpool.toml").write_text(table + "\n")
    monkeypatch.chdir(tmp_path)
    done = run_in_process("-q", input="http://127.0.0.1:9/\n")
    assert done.returncode == 2
    assert problem in done.stderr.decode()
    assert SECRET not in done.stderr.decode()


@pytest.mark.parametrize(
    "args",
    [
        ["-H", SECRET],
        ["--host-header", "h.test", SECRET],
        ["--host-header", "not a host", f"X-Key: {SECRET}"],
        ["--github-token", f"{SECRET}\nmore"],
        ["--github-token", f"{SECRET}\x00"],
        ["--github-token", f"{SECRET}\u0442"],
    ],
)
def test_a_bad_header_is_a_usage_error_that_shows_no_value(args: list[str]) -> None:
    done = run_in_process(*args, input="http://127.0.0.1:9/\n")
    assert done.returncode == 2
    assert SECRET not in done.stderr.decode()
    assert len(done.stderr.decode().strip().splitlines()) <= 2


# -- a GitHub token -----------------------------------------------------------------------


def test_a_bad_github_token_in_the_environment_is_a_usage_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", f"{SECRET}\n{SECRET}")
    done = run_in_process(input="http://127.0.0.1:9/\n")
    assert done.returncode == 2
    [line] = done.stderr.decode().splitlines()
    assert "--github-token" in line and "(from $GITHUB_TOKEN)" in line
    assert SECRET not in line


def test_a_github_token_ending_in_a_line_break_is_sent_without_it(
    server: TestHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", f"{SECRET}\n")
    done = run_in_process("-q", "-f", "jsonl", input=server.url("/status/200") + "\n")
    assert (done.returncode, records(done.stdout)[0]["status"]) == (0, 200)
    assert SECRET not in done.stderr.decode()


def github_request(url: str, after: str | None = None) -> dict[str, str]:
    """The headers fetchpool sends, with a GitHub token, to ``url``, or to the hop a
    redirect from ``url`` to ``after`` leads to."""
    requests_of = _Requests(Options(host_headers=github_headers(SECRET)))
    request = requests_of.prepare("GET", url)
    if after is not None:
        answer = requests.Response()
        answer.status_code = 302
        answer.raw = urllib3.HTTPResponse(headers={"Location": after})
        request = requests_of.next_hop(request, answer, _ChainCookies(None))
    return dict(request.headers)


@pytest.mark.parametrize(
    "host", [*GITHUB_HOSTS, "gist.github.com", "github.com.evil.test", "example.test"]
)
def test_a_github_token_goes_to_githubs_hosts_alone(host: str) -> None:
    sent = github_request(f"https://{host}/x").get("Authorization")
    assert sent == (f"Bearer {SECRET}" if host in GITHUB_HOSTS else None)


def test_a_host_written_with_its_final_dot_is_the_same_host() -> None:
    assert github_request("https://api.github.com./x")["Authorization"] == f"Bearer {SECRET}"


def test_a_github_token_stays_behind_when_a_redirect_drops_to_plain_http() -> None:
    assert "Authorization" not in github_request("https://github.com/a", "http://github.com/b")
    upgraded = github_request("http://github.com/a", "https://github.com/b")
    assert upgraded["Authorization"] == f"Bearer {SECRET}"


@dataclass
class LocalGitHub:
    """GitHub's hosts and ``other.test`` over https, on a local server."""

    server: TestHTTPServer
    port: int
    bundle: str  # the CA bundle that trusts it

    def url(self, host: str, path: str) -> str:
        return f"https://{host}:{self.port}{path}"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalGitHub]:
    """A local GitHub, its host names resolved to it in this process, and GITHUB_TOKEN set."""
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert(*GITHUB_HOSTS, "other.test").configure_cert(context)
    secure = TestHTTPServer()
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    secure.start()
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(authority.cert_pem.bytes())
    names = {*GITHUB_HOSTS, "other.test"}
    resolve = socket.getaddrinfo

    def here(host: Any, *args: Any, **kwargs: Any) -> Any:
        return resolve("127.0.0.1" if host in names else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", here)
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    try:
        yield LocalGitHub(secure, secure.server_address[1], str(bundle))
    finally:
        secure.stop()


def test_a_github_token_reaches_githubs_hosts_and_no_other(github: LocalGitHub) -> None:
    away = github.url("other.test", "/status/200?from=redirect")
    urls = [
        *(github.url(host, "/status/200") for host in GITHUB_HOSTS),
        github.url("other.test", "/status/200"),
        github.url("github.com", f"/redirect-to?url={quote(away)}"),
    ]
    done = run_in_process(
        "-q", "-f", "jsonl", "--ca-bundle", github.bundle, input="\n".join(urls) + "\n"
    )
    assert [record["status"] for record in records(done.stdout)] == [200] * 5, done.stdout
    sent = {
        (seen.headers["host"].split(":")[0], seen.path): seen.headers.get("authorization")
        for seen in github.server.log
    }
    token = f"Bearer {SECRET}"
    assert sent == {
        **{(host, "/status/200"): token for host in GITHUB_HOSTS},
        ("other.test", "/status/200"): None,
        ("github.com", f"/redirect-to?url={quote(away)}"): token,
        ("other.test", "/status/200?from=redirect"): None,
    }
    assert SECRET not in done.stdout.decode() + done.stderr.decode()


def test_a_github_token_is_never_sent_in_the_clear(
    server: TestHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every host through the test server as a proxy: it sees each request's host and headers.
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, server.base)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    done = run_in_process(
        "-q", "-f", "jsonl", input="".join(f"http://{host}/status/200\n" for host in GITHUB_HOSTS)
    )
    assert [record["status"] for record in records(done.stdout)] == [200] * len(GITHUB_HOSTS)
    assert [seen.headers.get("authorization") for seen in server.log] == [None] * 3


def test_a_spent_rate_limit_that_resets_within_the_wait_is_waited_for(
    server: TestHTTPServer,
) -> None:
    done = run_in_process(
        "-q", "-f", "jsonl", input=server.url("/flaky/gh-soon/1/403?reset=0") + "\n"
    )
    (record,) = records(done.stdout)
    assert (record["status"], record["attempts"], record["ok"]) == (200, 2, True)


def test_a_spent_rate_limit_that_resets_later_is_inconclusive_and_says_when(
    server: TestHTTPServer,
) -> None:
    done = run_in_process(
        "-q", "-f", "jsonl", "--max-retry-wait", "5",
        input=server.url("/flaky/gh-later/5/429?reset=3600") + "\n",
    )  # fmt: skip
    (record,) = records(done.stdout)
    assert (record["status"], record["attempts"]) == (429, 1)
    assert (record["kind"], record["category"]) == ("rate_limited", "inconclusive")
    assert "resets at" in record["error"] and "--max-retry-wait 5 s" in record["error"]


@pytest.mark.parametrize("reset", ["99999999999999999999", "99999999999"])
def test_a_rate_limit_reset_past_any_clock_is_reported_as_rate_limited(
    reset: str, server: TestHTTPServer
) -> None:
    done = run_in_process(
        "-q", "-f", "jsonl", input=server.url(f"/flaky/gh-far-{reset}/5/429?reset={reset}") + "\n"
    )
    (record,) = records(done.stdout)
    assert (record["status"], record["kind"]) == (429, "rate_limited")
    assert "over --max-retry-wait" in record["error"]


def test_a_403_without_a_spent_limit_is_not_waited_on(server: TestHTTPServer) -> None:
    done = run_in_process("-q", "-f", "jsonl", input=server.url("/status/403") + "\n")
    (record,) = records(done.stdout)
    assert (record["status"], record["attempts"], record["kind"]) == (403, 1, "http_status")


# -- --remap ---------------------------------------------------------------------------------


def test_a_remapped_url_is_fetched_and_reported_as_written(server: TestHTTPServer) -> None:
    rule = rf"^http://docs\.old\.test/(.*) {server.base}/$1"
    done = run_in_process(
        "-q", "-f", "jsonl", "--remap", rule,
        input="http://docs.old.test/status/204\nhttp://elsewhere.invalid:9/\n",
    )  # fmt: skip
    first, second = records(done.stdout)
    assert first["url"] == "http://docs.old.test/status/204"
    assert (first["remapped"], first["status"]) == (server.url("/status/204"), 204)
    assert second["remapped"] is None
    assert [seen.path for seen in server.log] == ["/status/204"]


def test_remaps_come_from_the_config_file(
    server: TestHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = rf"^http://mirror\.test/ {server.base}/"
    (tmp_path / "fetchpool.toml").write_text(f"remap = [{json.dumps(rule)}]\n")
    monkeypatch.chdir(tmp_path)
    done = run_in_process("-q", "-f", "jsonl", input="http://mirror.test/status/200\n")
    assert records(done.stdout)[0]["status"] == 200


def test_the_cache_answers_for_the_url_a_remap_fetches(
    server: TestHTTPServer, tmp_path: Path
) -> None:
    cache, line = str(tmp_path / "cache.json"), "http://docs.old.test/status/200\n"
    rule = rf"^http://docs\.old\.test/ {server.base}/"
    run_in_process("-q", "--cache", cache, "--remap", rule, input=line)
    done = run_in_process("-q", "-f", "jsonl", "--cache", cache, "--remap", rule, input=line)
    (cached,) = records(done.stdout)
    assert (cached["cached"], cached["remapped"]) == (True, server.url("/status/200"))
    # Another remap fetches another URL: the cache knows nothing of it.
    elsewhere = rf"^http://docs\.old\.test/status/200 {server.base}/status/404"
    done = run_in_process("-q", "-f", "jsonl", "--cache", cache, "--remap", elsewhere, input=line)
    (record,) = records(done.stdout)
    assert (record["cached"], record["status"]) == (False, 404)


def test_an_invalid_remap_is_a_usage_error_naming_the_flag() -> None:
    done = run_in_process("--remap", "(oops https://x/", input="http://127.0.0.1:9/\n")
    assert done.returncode == 2
    assert "--remap" in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()


def test_a_remap_to_something_no_url_is_reported_not_fetched(server: TestHTTPServer) -> None:
    done = run_in_process(
        "-q", "-f", "jsonl", "--remap", r"^http://a\.test/ file:///tmp/",
        input="http://a.test/x\n",
    )  # fmt: skip
    (record,) = records(done.stdout)
    assert (record["url"], record["remapped"]) == ("http://a.test/x", "file:///tmp/x")
    assert record["kind"] == "unsupported_scheme"


# -- secrets in what is written ---------------------------------------------------------------


@pytest.mark.parametrize("format_name", FORMATS)
def test_secrets_are_masked_in_every_format(format_name: str, server: TestHTTPServer) -> None:
    # The secret in a URL too, where a report would write it.
    url = server.url(f"/status/404?key={SECRET}")
    done = run_in_process(
        "-f", format_name, "-H", f"X-Api-Key: {SECRET}",
        "--remap", rf"nothing-matches {server.base}",
        input=url + "\n",
    )  # fmt: skip
    assert done.returncode == 1
    assert SECRET not in done.stdout.decode() + done.stderr.decode()
    assert "***" in done.stdout.decode()


def test_secrets_are_masked_in_the_verbose_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # -v shows the path each local link resolved to: here, a folder named as the secret.
    (tmp_path / SECRET).mkdir()
    (tmp_path / "a.md").write_text(f"[there]({SECRET}/)\n[gone]({SECRET}/nothing.md)\n")
    monkeypatch.chdir(tmp_path)
    done = run_in_process(
        "--offline", "-f", "table", "--show", "all", "-v", "-H", f"X-Api-Key: {SECRET}", "a.md"
    )
    assert done.returncode == 1
    assert SECRET not in done.stdout.decode() + done.stderr.decode()
    assert done.stdout.decode().count("***") >= 3  # both links, and the path one resolved to


def test_a_secret_in_the_url_waited_for_is_masked_on_the_progress_line() -> None:
    head = InputLine(f"http://h.test/?k={SECRET}")
    state = PoolState(running=1, waiting=0, spilled=0, head=head, head_started=0.0)
    hide = Redactor([SECRET])
    assert describe_wait(state, now=60.0, hide=hide) == "waiting for http://h.test/?k=*** (60 s)"


def test_a_redirect_whose_host_parsers_disagree_on_drops_the_secret_headers(
    server: TestHTTPServer,
) -> None:
    # "http://localhost:P\@127.0.0.1:P/" names 127.0.0.1 to urlsplit, but the request
    # goes to localhost, where requests' parser stops the host at the backslash.
    port = server.url("/").split(":")[2].split("/")[0]
    away = f"http://localhost:{port}\\@127.0.0.1:{port}/status/200"
    start = server.url(f"/redirect-to?url={quote(away)}")
    run_in_process("-q", "-H", f"X-Api-Key: {SECRET}", input=start + "\n")
    assert headers_at(server, f"/redirect-to?url={quote(away)}")["x-api-key"] == SECRET
    hops = [seen for seen in server.log if "redirect-to" not in seen.path]
    assert hops and all("x-api-key" not in seen.headers for seen in hops)


def test_the_cache_file_holds_no_secret_and_still_answers_the_next_run(
    server: TestHTTPServer, tmp_path: Path
) -> None:
    away = server.url(f"/status/200?k={SECRET}")
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{away}\n{server.url('/redirect-to')}?url={quote(away)}\n")
    cache = tmp_path / "cache.json"
    args = ("-q", "-f", "jsonl", "-H", f"X-Api-Key: {SECRET}", "--cache", str(cache), str(urls))
    assert run_in_process(*args).returncode == 0
    assert SECRET not in cache.read_text()
    again = run_in_process(*args)
    assert [record["cached"] for record in records(again.stdout)] == [True, True]


def test_dump_masks_the_runs_secrets(tmp_path: Path) -> None:
    (tmp_path / "page.md").write_text(f"[a](https://a.test/?k={SECRET})\n")
    done = run_in_process("--dump", "-H", f"X-Api-Key: {SECRET}", str(tmp_path / "page.md"))
    assert done.returncode == 0
    assert SECRET not in done.stdout.decode() + done.stderr.decode()
    assert "https://a.test/?k=***" in done.stdout.decode()


@pytest.mark.parametrize(
    ("reset", "shape"),
    [(60, r"resets at \d\d:\d\d:\d\d UTC, in 60 s"), (86400, r"resets at \d{4}-\d\d-\d\d \d\d:")],
)
def test_a_rate_limit_says_when_it_resets_with_the_date_when_it_is_hours_away(
    reset: int, shape: str
) -> None:
    assert re.search(shape, rate_limited(reset, 30, 2))


def test_a_host_header_for_an_ipv6_address_reaches_it(server: TestHTTPServer) -> None:
    six = TestHTTPServer("::1").start()
    try:
        done = run_in_process(
            "-q", "--host-header", "[::1]", f"X-Api-Key: {SECRET}",
            input=f"{six.url('/status/200')}\n{server.url('/status/200?v=4')}\n",
        )  # fmt: skip
        assert done.returncode == 0, done.stdout
        assert [seen.headers.get("x-api-key") for seen in six.log] == [SECRET]
        assert "x-api-key" not in headers_at(server, "/status/200?v=4")
    finally:
        six.stop()
