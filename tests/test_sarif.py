"""-f sarif: SARIF 2.1.0 valid against the OASIS schema, a result per broken or
inconclusive link located at its file (or page), line and column, fingerprints stable."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fetchpool.core.failures import FailureKind
from fetchpool.core.results import Result
from fetchpool.render.sarif import SarifWriter, rules

from .inprocess import run_in_process
from .server import TestHTTPServer

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def sarif_of(results: list[Result], workspace: str | None = None) -> dict[str, Any]:
    stream = io.StringIO()
    writer = SarifWriter(stream, workspace=workspace)
    for result in results:
        writer.write(result)
    writer.finish(1.0)
    document: dict[str, Any] = json.loads(stream.getvalue())
    jsonschema.validate(document, SCHEMA)
    return document


RESULTS = [
    Result("https://ok.example/", 200, True, source="docs/a b.md", line=3, column=5),
    Result(
        "https://gone.example/x",
        404,
        False,
        source="docs/a b.md",
        line=7,
        column=12,
        kind=FailureKind.HTTP_STATUS,
    ),
    Result(
        "https://busy.example/",
        503,
        False,
        source="urls.txt",
        line=2,
        kind=FailureKind.HTTP_STATUS,
    ),
    Result(
        "https://site.example/private",
        None,
        False,
        "disallowed by robots.txt: not requested",
        source="https://site.example/",
        line=4,
        column=9,
        kind=FailureKind.ROBOTS_DISALLOWED,
    ),
    Result(
        "https://site.example/missing",
        None,
        False,
        "DNS lookup failed",
        source="https://site.example/",
        line=5,
        column=9,
        kind=FailureKind.DNS,
    ),
    Result("https://stdin.example/", 500, False, source="-", kind=FailureKind.HTTP_STATUS),
]


def test_a_result_per_broken_or_inconclusive_link_located_where_it_is_written() -> None:
    run = sarif_of(RESULTS)["runs"][0]
    found = [
        (result["ruleId"], result["level"], result["message"]["text"], result.get("locations"))
        for result in run["results"]
    ]
    assert found == [
        (
            "http_status",
            "error",
            "https://gone.example/x -> 404 Not Found",
            [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "docs/a%20b.md", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 7, "startColumn": 12},
                    }
                }
            ],
        ),
        (
            "http_status",
            "warning",
            "https://busy.example/ -> 503 Service Unavailable",
            [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "urls.txt", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 2},
                    }
                }
            ],
        ),
        (
            "dns",
            "error",
            "https://site.example/missing -> DNS lookup failed",
            [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "https://site.example/"},
                        "region": {"startLine": 5, "startColumn": 9},
                    }
                }
            ],
        ),
        ("http_status", "warning", "https://stdin.example/ -> 500 Internal Server Error", None),
    ]
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} >= {"http_status", "dns"}


def test_a_rule_for_every_kind_of_failure_and_none_for_skipped_links() -> None:
    ids = [rule["id"] for rule in rules()]
    assert ids == [kind.value for kind in FailureKind if kind is not FailureKind.ROBOTS_DISALLOWED]


def test_fingerprints_are_stable_and_do_not_move_with_the_line() -> None:
    first = sarif_of(RESULTS)["runs"][0]["results"]
    moved = [
        Result(r.url, r.status, r.ok, r.error, source=r.source, line=r.line + 10, kind=r.kind)
        for r in RESULTS
    ]
    again = sarif_of(moved)["runs"][0]["results"]
    prints = [result["partialFingerprints"] for result in first]
    assert prints == [result["partialFingerprints"] for result in again]
    assert len({next(iter(p.values())) for p in prints}) == len(prints)


def test_paths_are_made_relative_to_the_github_workspace(tmp_path: Path) -> None:
    doc = tmp_path / "docs" / "guide.md"
    result = Result(
        "https://x.example/", 404, False, source=str(doc), line=1, kind=FailureKind.HTTP_STATUS
    )
    [located] = sarif_of([result], workspace=str(tmp_path))["runs"][0]["results"]
    assert located["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "docs/guide.md"
    )
    [outside] = sarif_of([result], workspace=str(tmp_path / "elsewhere"))["runs"][0]["results"]
    uri = outside["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "file://" + str(doc)


def test_a_run_with_nothing_wrong_is_a_valid_document_with_no_results() -> None:
    assert sarif_of([RESULTS[0]])["runs"][0]["results"] == []


@pytest.mark.parametrize("how", [("-f", "sarif"), ("-o", "report.sarif")])
def test_the_command_writes_sarif(
    server: TestHTTPServer, tmp_path: Path, how: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    doc = tmp_path / "README.md"
    doc.write_text(
        f"See [gone]({server.url('/status/404')}) and [ok]({server.url('/status/200')}).\n"
    )
    done = run_in_process(*how, "README.md")
    assert done.returncode == 1
    text = done.stdout if how[0] == "-f" else (tmp_path / "report.sarif").read_bytes()
    document = json.loads(text)
    jsonschema.validate(document, SCHEMA)
    [result] = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "README.md"
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 12,
    }
