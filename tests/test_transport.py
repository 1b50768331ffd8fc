"""The response head is read whole, with http.client's rules: the same status, headers and
framing as http.client gives, and no answer from a head cut short."""

from __future__ import annotations

import http.client
import socket

import pytest

from fetchpool.transport import _CheckedResponse

HEADS = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n",
    b"HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody",
    b"HTTP/1.1 301\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 204 No\r\n\r\n",
    b"HTTP/1.1 200 OK\nX-Folded: one\n  two\nConnection: close\n\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\nX-Empty:\r\n\r\n",
]


def read_head(response_class: type[http.client.HTTPResponse], data: bytes, method: str = "GET"):
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        response = response_class(ours, method=method)
        response.begin()
        return (
            response.status,
            response.reason,
            response.version,
            response.headers.items(),
            response.chunked,
            response.length,
            response.will_close,
        )


@pytest.mark.parametrize("data", HEADS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_head_reads_as_http_client_reads_it(data: bytes, method: str) -> None:
    ours = read_head(_CheckedResponse, data, method)
    theirs = read_head(http.client.HTTPResponse, data, method)
    assert ours[:3] == theirs[:3]
    # Folded lines are joined with a space rather than kept with their line break.
    assert [(k, " ".join(v.split())) for k, v in ours[3]] == [
        (k, " ".join(v.split())) for k, v in theirs[3]
    ]
    assert ours[4:] == theirs[4:]


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200",
        b"HTTP/1.1 200 OK\r\nContent-Le",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n",
        b"HTTP/1.1 100 Continue\r\n",
    ],
)
def test_a_head_cut_short_is_no_answer(data: bytes) -> None:
    with pytest.raises(http.client.RemoteDisconnected):
        read_head(_CheckedResponse, data)


@pytest.mark.parametrize(
    "data", [b"garbage\r\n\r\n", b"HTTP/1.1 2OO OK\r\n\r\n", b"HTTP/1.1 1000 Big\r\n\r\n"]
)
def test_a_bad_status_line_is_refused_as_http_client_refuses_it(data: bytes) -> None:
    with pytest.raises(http.client.BadStatusLine):
        read_head(http.client.HTTPResponse, data)
    with pytest.raises(http.client.BadStatusLine):
        read_head(_CheckedResponse, data)
