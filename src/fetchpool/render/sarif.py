"""SARIF 2.1.0, which GitHub code scanning reads: one result per broken link (``error``) or
inconclusive one (``warning``), a rule per kind of failure.

Each result is located where the link is written: a file of the checkout (relative to
``$GITHUB_WORKSPACE`` when set, under ``%SRCROOT%``), or the web page a crawl found it on,
with its line and column. ``partialFingerprints`` hold a hash of the rule, the URL and
its source, and no line, so an alert stays the same alert while the lines around it move.
Ok and skipped links are left out. Streamed: the results as they come, the tool and its
rules at the end (JSON does not order an object's members).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, TextIO
from urllib.parse import quote

import orjson

from .. import __version__
from ..core.failures import FailureKind
from ..core.results import BROKEN, INCONCLUSIVE, Result
from ..core.urls import is_web_url
from .base import Writer
from .github import annotation_path, checkout
from .text import reason

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_FINGERPRINT = "fetchpoolLink/v1"
_LEVELS = {BROKEN: "error", INCONCLUSIVE: "warning"}


def rules() -> list[dict[str, Any]]:
    """A rule for each kind of failure, in FailureKind's order."""
    made = []
    for kind in FailureKind:
        category = kind.category_for(404)
        level = _LEVELS.get(category)
        if level is None:
            continue  # skipped on purpose: never a result
        text = kind.value.replace("_", " ")
        made.append(
            {
                "id": kind.value,
                "name": "".join(word.capitalize() for word in kind.value.split("_")),
                "shortDescription": {"text": f"link {text}"},
                "defaultConfiguration": {"level": level},
                "properties": {"category": category},
            }
        )
    return made


def location(source: str, line: int, column: int, workspace: str | None) -> dict[str, Any]:
    """Where a link is written, as SARIF locates it."""
    if is_web_url(source):
        artifact: dict[str, Any] = {"uri": source}
    else:
        path = annotation_path(source, workspace).replace(os.sep, "/")
        if os.path.isabs(path):
            artifact = {"uri": "file://" + quote(path)}
        else:
            artifact = {"uri": quote(path), "uriBaseId": "%SRCROOT%"}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line >= 1:
        region = {"startLine": line}
        if column >= 1:
            region["startColumn"] = column
        physical["region"] = region
    return {"physicalLocation": physical}


class SarifWriter(Writer):
    def __init__(self, stream: TextIO, workspace: str | None = None) -> None:
        super().__init__(stream)
        self.workspace = checkout(workspace)
        self._count = 0

    def format(self, result: Result) -> str:
        level = _LEVELS.get(result.category)
        if level is None:
            return ""  # ok, or skipped on purpose
        kind = result.kind.value if result.kind is not None else FailureKind.OTHER.value
        data: dict[str, Any] = {
            "ruleId": kind,
            "level": level,
            "message": {"text": f"{result.url} -> {reason(result)}"},
            "partialFingerprints": {
                _FINGERPRINT: hashlib.sha256(
                    f"{kind}\n{result.url}\n{result.source}".encode("utf-8", "surrogatepass")
                ).hexdigest()
            },
        }
        if result.source != "-":
            data["locations"] = [
                location(result.source, result.line, result.column, self.workspace)
            ]
        prefix = "" if self._count else self._head()
        separator = ",\n" if self._count else ""
        self._count += 1
        return prefix + separator + "        " + orjson.dumps(data).decode()

    def finish(self, seconds: float | None = None) -> None:
        if not self._count:
            self.stream.write(self._head())
        tool = {
            "driver": {
                "name": "fetchpool",
                "version": __version__,
                "rules": rules(),
            }
        }
        self.stream.write(
            '\n      ],\n      "tool": '
            + orjson.dumps(tool).decode()
            + ',\n      "columnKind": "unicodeCodePoints"\n    }\n  ]\n}\n'
        )
        super().finish(seconds)

    @staticmethod
    def _head() -> str:
        return (
            '{\n  "version": "2.1.0",\n  "$schema": "' + SCHEMA + '",\n  "runs": [\n    {\n'
            '      "results": [\n'
        )
