"""Checking the links in docs from the command line, the pre-commit hook as pre-commit
runs it, and the GitHub Action's script, against a local server and fixture documents."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .inprocess import run_in_process
from .server import TestHTTPServer

ROOT = Path(__file__).parent.parent


def write_docs(folder: Path, server: TestHTTPServer) -> None:
    (folder / "docs").mkdir()
    (folder / "README.md").write_text(
        "# Project\n\n"
        f"See [the guide](docs/guide.md#usage) and [the site]({server.url('/status/200')}).\n"
        f"A [dead link]({server.url('/status/404')}) and [a missing file](docs/gone.md).\n"
    )
    (folder / "docs" / "guide.md").write_text(
        "# Guide\n\n## Usage\n\n"
        f"Back to [the top](../README.md#project), the [site]({server.url('/status/200')})"
        " again.\n"
    )


def jsonl(done_stdout: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in done_stdout.decode().splitlines()]


def test_a_docs_tree_gets_one_result_per_link_in_document_order(
    server: TestHTTPServer, tmp_path: Path
) -> None:
    write_docs(tmp_path, server)
    done = run_in_process("-r", "0", "-f", "jsonl", str(tmp_path))
    assert done.returncode == 1
    results = jsonl(done.stdout)
    places = [(Path(str(r["source"])).name, r["line"], r["column"], r["category"]) for r in results]
    readme = (tmp_path / "README.md").read_text().splitlines()
    guide = (tmp_path / "docs" / "guide.md").read_text().splitlines()
    assert places == [
        ("README.md", 3, 17, "ok"),
        ("README.md", 3, readme[2].index("](http") + 3, "ok"),
        ("README.md", 4, 15, "broken"),
        ("README.md", 4, readme[3].index("docs/gone.md") + 1, "broken"),
        ("guide.md", 5, 19, "ok"),
        ("guide.md", 5, guide[4].index("](http") + 3, "ok"),
    ]
    assert results[3]["kind"] == "file_not_found"
    # The link used twice was fetched once.
    assert [seen.path for seen in server.log].count("/status/200") == 1


def test_offline_checks_no_web_link_and_says_so(server: TestHTTPServer, tmp_path: Path) -> None:
    write_docs(tmp_path, server)
    done = run_in_process("--offline", "-f", "jsonl", str(tmp_path))
    assert [r["url"] for r in jsonl(done.stdout)] == [
        "docs/guide.md#usage",
        "docs/gone.md",
        "../README.md#project",
    ]
    assert server.log == []
    assert b"3 web links not checked (offline)" in done.stderr


def test_dump_lists_the_links_and_checks_none(server: TestHTTPServer, tmp_path: Path) -> None:
    write_docs(tmp_path, server)
    done = run_in_process("--dump", str(tmp_path / "README.md"))
    assert done.returncode == 0
    where = f"{tmp_path / 'README.md'}"
    readme = (tmp_path / "README.md").read_text().splitlines()
    assert done.stdout.decode().splitlines() == [
        f"{where}:3:17\tdocs/guide.md#usage",
        f"{where}:3:{readme[2].index('](http') + 3}\t{server.url('/status/200')}",
        f"{where}:4:15\t{server.url('/status/404')}",
        f"{where}:4:{readme[3].index('docs/gone.md') + 1}\tdocs/gone.md",
    ]
    assert server.log == []


def test_standard_input_is_read_as_a_document_when_asked(server: TestHTTPServer) -> None:
    page = f"<p><a href='{server.url('/status/200')}'>x</a></p>\n"
    done = run_in_process("--input-format", "html", "-f", "jsonl", "-", input=page)
    [result] = jsonl(done.stdout)
    assert (result["status"], result["source"], result["line"], result["column"]) == (
        200,
        "-",
        1,
        13,
    )


def test_a_base_url_checks_links_to_files_on_the_site(
    server: TestHTTPServer, tmp_path: Path
) -> None:
    (tmp_path / "index.md").write_text("[a](status/200) [b](status/404)\n")
    done = run_in_process(
        "-r",
        "0",
        "--base-url",
        server.url("/"),
        "--root-dir",
        str(tmp_path),
        "-f",
        "jsonl",
        str(tmp_path / "index.md"),
    )
    assert [(r["url"], r["status"]) for r in jsonl(done.stdout)] == [
        (server.url("/status/200"), 200),
        (server.url("/status/404"), 404),
    ]


def test_fragments_of_web_pages_are_checked_when_asked(
    server: TestHTTPServer, tmp_path: Path
) -> None:
    (tmp_path / "a.md").write_text(
        f"[yes]({server.url('/html/page#intro')}) [no]({server.url('/html/page#gone')})\n"
    )
    plain = run_in_process("-r", "0", "-f", "jsonl", str(tmp_path / "a.md"))
    assert [r["ok"] for r in jsonl(plain.stdout)] == [True, True]
    checked = run_in_process("-r", "0", "--check-fragments", "-f", "jsonl", str(tmp_path / "a.md"))
    assert [(r["ok"], r["error"]) for r in jsonl(checked.stdout)] == [
        (True, None),
        (False, "no anchor #gone"),
    ]


def hook(hook_id: str) -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    [found] = [entry for entry in hooks if entry["id"] == hook_id]
    return dict(found)


def hook_command(hook_id: str, fetchpool_exe: str) -> list[str]:
    """The hook's entry as pre-commit runs it (the staged files' names go after it), with
    the installed executable for its first word."""
    command = shlex.split(str(hook(hook_id)["entry"]))
    assert command[0] == "fetchpool"
    return [fetchpool_exe, *command[1:]]


def test_the_pre_commit_hook_checks_the_files_it_is_given(
    server: TestHTTPServer, tmp_path: Path, fetchpool_exe: str
) -> None:
    write_docs(tmp_path, server)
    entry = hook("fetchpool")
    assert entry["types_or"] == ["markdown", "html", "rst"]
    # As pre-commit runs it: the entry, then the staged files' names, from the repository.
    command = hook_command("fetchpool", fetchpool_exe)
    files = ["README.md", "docs/guide.md"]
    done = subprocess.run([*command, *files], cwd=tmp_path, capture_output=True, timeout=60)
    assert done.returncode == 1  # docs/gone.md is missing
    lines = done.stdout.decode().splitlines()
    assert any(line.startswith("docs/gone.md\tERR\tfile not found\tREADME.md:4:") for line in lines)
    assert server.log == []  # offline
    (tmp_path / "docs" / "gone.md").write_text("# Gone no more\n")
    again = subprocess.run([*command, *files], cwd=tmp_path, capture_output=True, timeout=60)
    assert again.returncode == 0


@pytest.mark.parametrize(
    ("link", "status"),
    [
        ("/docs/guide.md", 0),  # inconclusive: a /-rooted link with no --root-dir
        ("docs/gone.md", 1),  # broken: no such file
    ],
)
def test_the_offline_hook_fails_a_commit_on_broken_links_only(
    tmp_path: Path, fetchpool_exe: str, link: str, status: int
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n")
    (tmp_path / "README.md").write_text(f"# Top\n\nSee [the guide]({link}) and [the top](#top).\n")
    command = hook_command("fetchpool", fetchpool_exe)
    done = subprocess.run([*command, "README.md"], cwd=tmp_path, capture_output=True, timeout=60)
    assert done.returncode == status, done.stderr
    [checked, top] = done.stdout.decode().splitlines()
    assert checked.startswith(f"{link}\tERR\t")
    assert top.startswith("#top\tOK\t")


def test_the_web_hook_fails_only_on_broken_links(
    server: TestHTTPServer, tmp_path: Path, fetchpool_exe: str
) -> None:
    (tmp_path / "a.md").write_text(
        f"[x]({server.url('/status/503')}) [y]({server.url('/status/200')})\n"
    )
    command = hook_command("fetchpool-web", fetchpool_exe)
    done = subprocess.run(
        [*command, "-r", "0", "a.md"], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert done.returncode == 0  # a 503 is inconclusive, not broken


@pytest.mark.skipif(sys.platform == "win32", reason="the action's script is bash")
def test_the_actions_script_annotates_and_summarises(
    server: TestHTTPServer, tmp_path: Path, fetchpool_exe: str
) -> None:
    write_docs(tmp_path, server)
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    [step] = [step for step in action["runs"]["steps"] if step.get("id") == "check"]
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    env = {
        **os.environ,
        "PATH": f"{Path(fetchpool_exe).parent}{os.pathsep}{os.environ['PATH']}",
        "PATHS": "README.md docs",
        "ARGS": "--fail-on broken -r 0",
        "CACHE": "true",
        "MAX_AGE": "1d",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(tmp_path),
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 1
    annotations = done.stdout.decode().splitlines()
    assert "::error file=README.md,line=4,col=15,title=broken::" in "\n".join(annotations)
    assert "broken" in summary.read_text()
    assert (tmp_path / ".fetchpool-cache").exists()
    report = outputs.read_text().strip().removeprefix("report=")
    assert len(Path(report).read_text().splitlines()) == 6


def test_shards_of_a_docs_run_merge_back_in_document_order(
    server: TestHTTPServer, tmp_path: Path
) -> None:
    other = server.url("/status/200").replace("127.0.0.1", "localhost")
    (tmp_path / "a.md").write_text(
        f"[1]({server.url('/status/200')}) [2]({other}) [3](a.md) [4]({server.url('/x')})\n"
    )
    whole = run_in_process("-r", "0", "-f", "jsonl", str(tmp_path / "a.md"))
    shards = []
    for shard in ("1/2", "2/2"):
        path = tmp_path / f"shard-{shard[0]}.jsonl"
        run_in_process("-r", "0", "--shard", shard, "-o", str(path), str(tmp_path / "a.md"))
        shards.append(str(path))
    merged = run_in_process("merge", "-f", "jsonl", *shards)
    assert merged.returncode == 0, merged.stderr
    columns = [(r["url"], r["column"]) for r in jsonl(merged.stdout)]
    assert columns == [(r["url"], r["column"]) for r in jsonl(whole.stdout)]
    assert len(columns) == 4
