"""--baseline: what changed since an earlier run, and --fail-on new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .ci_support import write_lines


def _baseline(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def compared(server, run_fetchpool, tmp_path):
    """A run compared with a baseline where /status/404 was ok, /status/410 already
    broken, /status/200 broken and /status/503 ok; /status/400 is new."""
    baseline = _baseline(
        tmp_path / "before.jsonl",
        [
            {"url": server.url("/status/404"), "status": 200, "ok": True},
            {"url": server.url("/status/410"), "status": 410, "ok": False},
            {
                "url": server.url("/status/200"),
                "status": None,
                "ok": False,
                "error": "DNS lookup failed",
            },
            {"url": server.url("/status/503"), "status": 200, "ok": True},
        ],
    )
    every = ["/status/404", "/status/410", "/status/200", "/status/503", "/status/400"]
    urls = tmp_path / "urls.txt"

    def run(*args: str, paths: list[str] = every):
        write_lines(urls, [server.url(path) for path in paths])
        return run_fetchpool(
            "-r", "0", "-f", "plain", "--baseline", str(baseline), *args, str(urls)
        )

    return run, urls


def test_the_summary_lists_newly_broken_fixed_and_still_broken_urls(compared, server):
    run, urls = compared
    done = run()
    lines = done.stderr.decode().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("compared with "))
    assert lines[start:] == [
        f"compared with {urls.parent / 'before.jsonl'}: 2 newly broken, 1 fixed, 1 still broken",
        "newly broken:",
        f"  {urls}:1  {server.url('/status/404')} -> 404",
        f"  {urls}:5  {server.url('/status/400')} -> 400",
        "fixed:",
        f"  {urls}:3  {server.url('/status/200')}",
        "still broken:",
        f"  {urls}:2  {server.url('/status/410')} -> 410",
    ]


# What the run finds against the baseline, and the exit status under --fail-on any, broken
# and new: each setting fails some run that another lets pass.
FOUND = {
    "newly broken": (["/status/404", "/status/410"], {"any": 1, "broken": 1, "new": 1}),
    "only still broken": (["/status/410", "/status/200"], {"any": 1, "broken": 1, "new": 0}),
    "only inconclusive": (["/status/503", "/status/200"], {"any": 1, "broken": 0, "new": 0}),
    "all ok": (["/status/200"], {"any": 0, "broken": 0, "new": 0}),
}


@pytest.mark.parametrize(
    ("paths", "fail_on", "status"),
    [
        pytest.param(paths, fail_on, status, id=f"{found}-{fail_on}")
        for found, (paths, statuses) in FOUND.items()
        for fail_on, status in statuses.items()
    ],
)
def test_fail_on_sets_the_exit_status_by_what_is_broken_and_what_is_new(
    compared, paths, fail_on, status
):
    run, _ = compared
    assert run("--fail-on", fail_on, paths=paths).returncode == status


def test_fail_on_new_passes_when_only_old_breakage_remains(server, run_fetchpool, tmp_path):
    urls = write_lines(
        tmp_path / "urls.txt", [server.url("/status/200"), server.url("/status/404")]
    )
    first = run_fetchpool("-q", "-f", "jsonl", "-o", str(tmp_path / "before.jsonl"), str(urls))
    assert first.returncode == 1
    again = run_fetchpool(
        "--baseline", str(tmp_path / "before.jsonl"), "--fail-on", "new", "-f", "plain", str(urls)
    )
    assert again.returncode == 0
    assert "0 newly broken, 0 fixed, 1 still broken" in again.stderr.decode()


def test_the_baseline_may_be_the_report_this_run_replaces(server, run_fetchpool, tmp_path):
    urls = write_lines(tmp_path / "urls.txt", [server.url("/status/404")])
    report = tmp_path / "links.jsonl"
    run_fetchpool("-q", "-o", str(report), str(urls))
    again = run_fetchpool(
        "--baseline", str(report), "-o", str(report), "--fail-on", "new", str(urls)
    )
    assert again.returncode == 0, again.stderr
    assert "1 still broken" in again.stderr.decode()
    assert json.loads(report.read_text())["status"] == 404


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            None,
            ["--fail-on", "new"],
            "--fail-on new compares with a baseline: give --baseline FILE",
        ),
        ("not json\n", ["--baseline", "{dir}/base.jsonl"], "base.jsonl:1: not a fetchpool jsonl"),
        ('{"status": 200}\n', ["--baseline", "{dir}/base.jsonl"], "no 'url' string"),
        (None, ["--baseline", "{dir}/missing.jsonl"], "cannot read"),
    ],
)
def test_a_bad_baseline_is_a_usage_error(server, run_fetchpool, tmp_path, content, args, message):
    if content is not None:
        (tmp_path / "base.jsonl").write_text(content)
    urls = write_lines(tmp_path / "urls.txt", [server.url("/status/200")])
    done = run_fetchpool(*(arg.format(dir=tmp_path) for arg in args), str(urls))
    assert done.returncode == 2
    [line] = done.stderr.decode().splitlines()
    assert message in line
    assert server.log == []
