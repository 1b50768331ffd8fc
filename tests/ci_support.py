"""Helpers for the CI-feature tests: input files, parsed output, a port nobody listens on."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def parse_jsonl(text: bytes | str) -> list[dict[str, Any]]:
    if isinstance(text, bytes):
        text = text.decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def refused_url() -> str:
    """A URL on a local port that was just free, so connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def stderr_lines(completed: Any) -> list[str]:
    return completed.stderr.decode().splitlines()
