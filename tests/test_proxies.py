"""Proxy settings from the environment are honoured, NO_PROXY included."""

from __future__ import annotations

import importlib.util
import json

import pytest

from .inprocess import run_in_process
from .server import TestHTTPServer


def proxy_env(proxy: str, no_proxy: str) -> dict[str, str]:
    # Both spellings: the lower-case one wins where both are set.
    return {
        "HTTP_PROXY": proxy,
        "http_proxy": proxy,
        "NO_PROXY": no_proxy,
        "no_proxy": no_proxy,
    }


def test_http_proxy_from_the_environment_is_used(server: TestHTTPServer, run_fetchpool) -> None:
    done = run_fetchpool(
        "-f",
        "jsonl",
        input="http://fetchpool-proxied.test/status/203\n",
        env=proxy_env(server.base, ""),
    )
    result = json.loads(done.stdout)
    assert result["status"] == 203
    (seen,) = server.log
    # A proxy is sent the whole URL as the request target.
    assert seen.path == "http://fetchpool-proxied.test/status/203"


def test_no_proxy_hosts_go_direct(server: TestHTTPServer, run_fetchpool) -> None:
    done = run_fetchpool(
        "-f",
        "jsonl",
        "-r",
        "0",
        input="http://fetchpool-proxied.test/\n" + server.url("/status/200") + "\n",
        env=proxy_env("http://127.0.0.1:9", "127.0.0.1"),
    )
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["error"] == "proxy: connection refused"  # the proxy at port 9 is not there
    assert first["category"] == "inconclusive"  # the URL is not known to be broken
    assert second["status"] == 200
    assert [seen.path for seen in server.log] == ["/status/200"]


def test_a_proxy_that_refuses_a_tunnel_says_so_and_is_not_retried(
    server: TestHTTPServer, run_fetchpool
) -> None:
    # The test server answers CONNECT, which it does not implement, with 501.
    env = {"HTTPS_PROXY": server.base, "https_proxy": server.base, "NO_PROXY": "", "no_proxy": ""}
    done = run_fetchpool("-f", "jsonl", input="https://fetchpool-proxied.test/\n", env=env)
    result = json.loads(done.stdout)
    assert result["error"].startswith("proxy: CONNECT answered 501 ")
    assert (result["category"], result["attempts"]) == ("inconclusive", 1)


@pytest.mark.parametrize(
    ("proxy", "reason"),
    [
        ("http://[bad", "proxy: 'http://[bad' (from the environment) is not a URL"),
        ("http://127.0.0.1:99999", "is not a URL"),
        ("ftp://proxy.test", "proxy: ftp:// (from the environment) is no proxy scheme"),
        ("socks5://127.0.0.1:1080", "needs PySocks"),
        ("http://user:secret@[bad", "proxy: 'http://user:***@[bad'"),
    ],
)
def test_a_proxy_setting_that_cannot_be_used_makes_links_inconclusive_not_broken(
    proxy: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if proxy.startswith("socks") and importlib.util.find_spec("socks") is not None:
        pytest.skip("PySocks is installed here")
    for name, value in proxy_env(proxy, "").items():
        monkeypatch.setenv(name, value)
    done = run_in_process("-q", "-f", "jsonl", input="http://fetchpool-proxied.test/\n")
    (result,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert reason in result["error"]
    assert (result["kind"], result["category"], result["attempts"]) == ("proxy", "inconclusive", 1)
    assert "secret" not in done.stdout.decode()
