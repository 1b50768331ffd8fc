"""Waiting on an event in a test: a condition polled until it holds, never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``condition`` (a server-side count, a pool's state) until it holds; False if it
    still does not after ``timeout`` seconds, which only a broken or stuck run takes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()
