"""The side-by-side benchmark, run end to end at tiny sizes so that it cannot rot."""

from __future__ import annotations

import importlib.util
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"

FETCH_TOOLS = ["fetchpool", "requests + ThreadPoolExecutor"]
if shutil.which("curl"):
    FETCH_TOOLS.append("curl --parallel")
    if shutil.which("xargs"):
        FETCH_TOOLS.append("xargs -P curl")

SECTIONS = ["Zero latency: 40 URLs", "50 ms latency: 40 URLs"]


@pytest.fixture(scope="module")
def bench(fetchpool_exe: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The text output and the Markdown file of one tiny run, on the built-in servers."""
    # In a folder that does not exist yet, as benchmarks/results/ in a fresh clone.
    markdown = tmp_path_factory.mktemp("bench") / "results" / "latest.md"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--python-server",
            "--urls=40",
            "--latency-urls=40",
            "--delay=0.05",
            "--repeats=1",
            "--latency-repeats=1",
            "--startup-repeats=1",
            "--scale-base=40",
            "--scale-lines=120",
            f"--fetchpool={fetchpool_exe}",
            f"--markdown={markdown}",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, markdown.read_text()


def section(text: str, title: str) -> str:
    """The block of the text output that starts with ``title``."""
    start = text.index(title)
    end = text.find("\n\n", start)
    return text[start : end if end >= 0 else None]


@pytest.mark.parametrize("title", SECTIONS)
@pytest.mark.parametrize("tool", FETCH_TOOLS)
def test_every_tool_has_a_row_in_each_fetch_case(bench: tuple[str, str], title: str, tool: str):
    rows = section(bench[0], title).splitlines()
    assert any(re.match(rf"  {re.escape(tool)}\s+[\d,]+\s", row) for row in rows), rows


@pytest.mark.parametrize(
    "row",
    [
        "fetchpool --version",
        'python -c "import requests"',
        "fetchpool, 40 lines",
        "fetchpool, 120 lines",
    ],
)
def test_the_start_up_and_input_size_cases_have_their_rows(bench: tuple[str, str], row: str):
    assert re.search(rf"^  {re.escape(row)}\s+\S+\s+[\d.]+ m?s", bench[0], re.MULTILINE)


def test_every_url_got_a_200_from_every_tool(bench: tuple[str, str]):
    assert "note: " not in bench[0].replace("note: zero-latency server", "")


def test_the_fallback_server_is_named_in_the_output(bench: tuple[str, str]):
    assert "the built-in Python server (as asked)" in bench[0]


@pytest.mark.parametrize(
    "target",
    [
        "fetchpool at least 2.0x the textbook pattern's URLs/s",
        "fetchpool within 10% of curl --parallel's time",
        'fetchpool --version at most 1.5x python -c "import requests"',
        "120 lines: peak RSS flat",
        "120 lines: time per URL no more than 1.1x",
    ],
)
def test_every_target_is_marked_met_or_not_met(bench: tuple[str, str], target: str):
    if "curl" in target and "curl --parallel" not in FETCH_TOOLS:
        pytest.skip("curl is not installed")
    assert re.search(rf"\[(met    |NOT MET)\] {re.escape(target)}", bench[0])


@pytest.mark.parametrize("tool", FETCH_TOOLS)
def test_the_markdown_has_a_row_for_each_tool_in_each_fetch_case(bench: tuple[str, str], tool: str):
    assert bench[1].count(f"| `{tool}` |") == len(SECTIONS)


def load_bench() -> ModuleType:
    """benchmarks/bench.py as a module (it is a script, not part of the package)."""
    name = "fetchpool_benchmark"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 7, 1 << 20])
def test_answers_are_counted_across_chunk_boundaries(chunk: int):
    output = b"u1 200\nu2\t200\nu3 404\nu4 2000\nu5 200\n"
    stream = io.BytesIO(output)
    assert load_bench()._count_ok(lambda _: stream.read(chunk)) == 3


def test_a_markdown_path_that_cannot_be_written_fails_before_measuring(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = subprocess.run(
        [sys.executable, str(BENCH), "--python-server", f"--markdown={blocker}/latest.md"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("bench.py: cannot write --markdown")
    assert done.stdout == ""
