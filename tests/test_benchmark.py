"""The side-by-side benchmark, run end to end at tiny sizes so that it cannot rot, and its
messy web: the server's behaviours and the lists it is given."""

from __future__ import annotations

import http.client
import io
import itertools
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
BENCH = BENCHMARKS / "bench.py"

# The benchmark is a package beside the tests, not part of fetchpool: importable from the
# repository's root, as `python -m benchmarks.fetchbench` runs it.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import messyweb, website  # noqa: E402
from benchmarks.fetchbench import cli, crawl, machine, servers, tools  # noqa: E402

FETCH_TOOLS = ["fetchpool", "requests + ThreadPoolExecutor"]
if shutil.which("curl"):
    FETCH_TOOLS.append("curl --parallel")
    if shutil.which("xargs"):
        FETCH_TOOLS.append("xargs -P curl")
# The run below installs nothing: lychee has rows where it is installed already.
if Path(sys.executable).with_name("lychee").exists() or shutil.which("lychee"):
    FETCH_TOOLS.append("lychee")

SECTIONS = [
    "Zero latency: 40 URLs",
    "50 ms latency: 40 URLs",
    "50 ms latency: 60 URLs",
    "Messy web: 40 URLs",
    "4% silent hosts: 50 URLs",
    "Thousands of hosts: 40 URLs",
]
MESSY_SECTIONS = SECTIONS[3:]
# Longer than --xargs-max-urls below.
WITHOUT_XARGS = "50 ms latency: 60 URLs"


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
            "--no-install",
            "--messy-on=ports",
            "--urls=40",
            "--latency-urls=40",
            "--wide-urls=60",
            "--wide-workers=20",
            "--delay=0.05",
            "--messy-urls=40",
            "--messy-hosts=10",
            "--messy-max-ms=50",
            "--messy-timeout=0.4",
            "--silent-urls=50",
            "--silent-hosts=10",
            "--silent-share=0.04",
            "--silent-timeout=0.4",
            "--hosts-urls=40",
            "--hosts-count=10",
            "--hosts-workers=4",
            "--new-connection-ms=20",
            "--answer-ms=5",
            "--repeats=1",
            "--latency-repeats=1",
            "--wide-repeats=1",
            "--messy-repeats=1",
            "--silent-repeats=1",
            "--hosts-repeats=2",
            "--peer-repeats=1",
            "--xargs-max-urls=50",
            "--startup-repeats=1",
            "--scale-base=40",
            "--scale-lines=120",
            "--scale-timeout=0.4",
            "--scaling-repeats=1",
            "--extract-markdown=6",
            "--extract-html=2",
            "--extract-repeats=1",
            f"--fetchpool={fetchpool_exe}",
            f"--markdown={markdown}",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, markdown.read_text()


def section(text: str, title: str) -> str:
    """The block of the text output that starts with ``title``."""
    start = text.index(title)
    end = text.find("\n\n", start)
    return text[start : end if end >= 0 else None]


def has_row(text: str, title: str, tool: str) -> bool:
    rows = section(text, title).splitlines()
    return any(re.match(rf"  {re.escape(tool)}\s+[\d,]+\s", row) for row in rows)


@pytest.mark.parametrize(
    ("title", "tool"),
    [
        (title, tool)
        for title in SECTIONS
        for tool in FETCH_TOOLS
        if (title, tool) != (WITHOUT_XARGS, "xargs -P curl")
    ],
)
def test_every_tool_has_a_row_in_each_fetch_case(bench: tuple[str, str], title: str, tool: str):
    assert has_row(bench[0], title, tool)


def test_xargs_sits_out_a_list_longer_than_it_is_allowed(bench: tuple[str, str]):
    if "xargs -P curl" not in FETCH_TOOLS:
        pytest.skip("curl or xargs is not installed")
    assert not has_row(bench[0], WITHOUT_XARGS, "xargs -P curl")
    assert "xargs -P curl left out: one process per URL, more than --xargs-max-urls 50 URLs" in (
        section(bench[0], WITHOUT_XARGS)
    )


def test_tools_no_target_compares_with_run_fewer_times(bench: tuple[str, str]):
    # The thousands-of-hosts case runs twice; its one target compares with lychee.
    fewer = [tool for tool in FETCH_TOOLS if tool not in ("fetchpool", "lychee")]
    text = section(bench[0], "Thousands of hosts: 40 URLs")
    assert f"  {', '.join(fewer)}: 1 run, as no target here compares with them" in text


@pytest.mark.parametrize("title", MESSY_SECTIONS)
def test_the_messy_web_cases_count_each_tools_connections(bench: tuple[str, str], title: str):
    rows = section(bench[0], title).splitlines()
    header = next(row for row in rows if row.lstrip().startswith("tool "))
    assert "connections" in header
    fetchpool = next(row for row in rows if row.startswith("  fetchpool "))
    # tool, URLs/s, time, its unit, CPU, µs, peak RSS, MiB, connections, ratio
    assert int(fetchpool.split()[8].replace(",", "")) >= 1


@pytest.mark.parametrize("title", SECTIONS)
def test_each_fetch_case_gives_every_tools_cpu_per_url(bench: tuple[str, str], title: str):
    rows = section(bench[0], title).splitlines()
    header = next(row for row in rows if row.lstrip().startswith("tool "))
    assert "CPU per URL" in header
    for tool in FETCH_TOOLS:
        if has_row(bench[0], title, tool):
            row = next(row for row in rows if re.match(rf"  {re.escape(tool)}\s+[\d,]+\s", row))
            assert re.search(r"\s[\d,]+ µs\s", row), row


def test_the_scaling_table_runs_fetchpool_as_its_processes_allow(
    bench: tuple[str, str], fetchpool_exe: str
):
    text = section(bench[0], "Scaling: fetchpool, 40 URLs, 8 workers")
    assert "URLs/s vs the first row" in text
    if tools.supports_processes(fetchpool_exe):
        assert re.search(r"^  fetchpool -j 1\s+[\d,]+\s", text, re.MULTILINE)
        assert re.search(r"^  fetchpool -j 2\s+[\d,]+\s", text, re.MULTILINE)
    else:
        assert re.search(r"^  fetchpool \(one process\)\s+[\d,]+\s", text, re.MULTILINE)
        assert "this fetchpool has no -j/--processes" in text
        assert (
            "[n/a    ] Zero latency, 40 URLs, 8 workers: fetchpool -j 2 at least 1.7x" in (bench[0])
        )


def test_the_extraction_case_dumps_the_docs_tree_with_each_tool(bench: tuple[str, str]):
    text = section(bench[0], "Docs extraction: 8 files (6 Markdown, 2 HTML)")
    assert re.search(r"^  fetchpool (-j \d+ )?--dump\s+[\d,]+\s", text, re.MULTILINE)
    assert "CPU per file" in text
    found = re.search(r"links found: (.*)", text)
    assert found is not None
    counts = {int(n.replace(",", "")) for n in re.findall(r" ([\d,]+)(?:,|$)", found.group(1))}
    # Every tool finds the same links in the generated tree (lychee too, where it runs).
    assert len(counts) == 1 and counts.pop() > 0
    if "lychee" in FETCH_TOOLS:
        assert re.search(r"^  lychee --dump\s+[\d,]+\s", text, re.MULTILINE)
        target = r"Docs extraction: fetchpool (-j \d+ )?--dump within 2.0x lychee --dump's time"
        assert re.search(rf"\[(met    |NOT MET)\] {target}", bench[0])


FAKE_FETCHPOOL = """#!{python}
# A fetchpool that has -j/--processes: it says every URL answered 200, dumps one link per
# file, and writes down how it was called.
import pathlib, sys

args = sys.argv[1:]
if "--help" in args:
    print("  -j, --processes N  spread the work over N processes")
elif "--version" in args:
    print("fetchpool, version 0 (fake)")
else:
    with open({calls!r}, "a") as calls:
        calls.write(" ".join(args) + "\\n")
    if "--dump" in args:
        for path in sorted(pathlib.Path(args[-1]).rglob("*.*")):
            print(f"{{path}}:1:1\\thttps://a.org/")
    else:
        for line in open(args[-1]):
            print(line.strip(), 200)
"""


@pytest.fixture(scope="module")
def with_processes(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    """The scaling and extraction cases with a fetchpool that has -j: their output, and the
    fake's arguments on each call."""
    folder = tmp_path_factory.mktemp("fake")
    calls = folder / "calls"
    fake = folder / "fetchpool"
    fake.write_text(FAKE_FETCHPOOL.format(python=sys.executable, calls=str(calls)))
    fake.chmod(0o755)
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--python-server",
            "--no-install",
            "--no-lychee",
            "--cases=scaling,extract",
            "--urls=20",
            "--scaling-repeats=1",
            "--extract-markdown=3",
            "--extract-html=1",
            "--extract-repeats=1",
            f"--fetchpool={fake}",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, calls.read_text().splitlines()


def test_with_processes_the_scaling_table_has_a_row_for_1_2_and_every_core(
    with_processes: tuple[str, list[str]],
):
    text = section(with_processes[0], "Scaling: fetchpool, 20 URLs, 8 workers")
    widths = sorted({1, 2, machine.usable_cores()})
    rows = re.findall(r"^  fetchpool -j (\d+)\s+[\d,]+\s", text, re.MULTILINE)
    assert [int(width) for width in rows] == widths
    fetches = {call.split(" -j ")[1].split()[0] for call in with_processes[1] if "-w 8" in call}
    assert fetches == {str(width) for width in widths}


def test_with_processes_the_scaling_target_is_judged(with_processes: tuple[str, list[str]]):
    target = "Zero latency, 20 URLs, 8 workers: fetchpool -j 2 at least 1.7x the URLs/s of -j 1"
    assert re.search(rf"\[(met    |NOT MET)\] {re.escape(target)}: [\d.]+x", with_processes[0])


def test_with_processes_the_docs_are_dumped_with_1_and_every_core(
    with_processes: tuple[str, list[str]],
):
    text = section(with_processes[0], "Docs extraction: 4 files")
    rows = re.findall(r"^  fetchpool -j (\d+) --dump\s", text, re.MULTILINE)
    assert [int(width) for width in rows] == sorted({1, machine.usable_cores()})
    assert "links found: fetchpool -j 1 --dump 4" in text


def test_the_targets_name_the_machine(bench: tuple[str, str]):
    assert re.search(r"^Targets, on \d+ CPUs", bench[0], re.MULTILINE)


@pytest.mark.parametrize(
    "row",
    [
        "fetchpool --version",
        'python -c "import requests"',
        "fetchpool, 40 lines",
        "fetchpool, 120 lines",
        "fetchpool, 40 lines, silent head",
        "fetchpool, 120 lines, silent head",
    ],
)
def test_the_start_up_and_input_size_cases_have_their_rows(bench: tuple[str, str], row: str):
    assert re.search(rf"^  {re.escape(row)}\s+\S+\s+[\d.]+ m?s", bench[0], re.MULTILINE)


def test_every_url_got_the_answer_it_asks_for_from_every_tool(bench: tuple[str, str]):
    assert "note: " not in bench[0]


def test_the_fallback_server_is_named_in_the_output(bench: tuple[str, str]):
    assert "the built-in Python server (as asked)" in bench[0]


def test_the_messy_lists_are_described_under_their_titles(bench: tuple[str, str]):
    assert re.search(r"^  50 URLs on 10 hosts: 48 200s, 2 silent$", bench[0], re.MULTILINE)


@pytest.mark.parametrize(
    "target",
    [
        "Zero latency, 40 URLs, 8 workers: fetchpool at least 5x the textbook pattern's URLs/s",
        "Zero latency, 40 URLs, 8 workers: fetchpool within 2.0x lychee's time",
        "50 ms latency, 40 URLs, 256 workers: fetchpool within 1.10x curl --parallel's time",
        "50 ms latency, 60 URLs, 20 workers: fetchpool within 1.50x lychee's time",
        "Messy web, 40 URLs, 32 workers: fetchpool within 1.25x curl --parallel's time",
        "Messy web, 40 URLs, 32 workers: fetchpool faster than the textbook pattern",
        "Messy web, 40 URLs, 32 workers: fetchpool faster than lychee",
        "4% silent hosts, 50 URLs, 32 workers: fetchpool within 1.2x curl --parallel -m's time",
        "Thousands of hosts, 40 URLs, 4 workers: fetchpool within 1.25x lychee's time",
        'fetchpool --version at most 1.5x python -c "import requests"',
        "120 lines: peak RSS flat",
        "120 lines with a silent head: peak RSS flat",
        "120 lines: time per line no more than 1.1x",
    ],
)
def test_every_target_is_marked_met_or_not_met(bench: tuple[str, str], target: str):
    if "curl" in target and "curl --parallel" not in FETCH_TOOLS:
        pytest.skip("curl is not installed")
    if "lychee" in target and "lychee" not in FETCH_TOOLS:
        pytest.skip("lychee is not installed")
    assert re.search(rf"\[(met    |NOT MET)\] {re.escape(target)}", bench[0])


@pytest.mark.parametrize("tool", FETCH_TOOLS)
def test_the_markdown_has_a_row_for_each_tool_in_each_fetch_case(bench: tuple[str, str], tool: str):
    expected = len(SECTIONS) - (tool == "xargs -P curl")
    assert bench[1].count(f"| `{tool}` |") == expected


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 7, 1 << 20])
def test_answers_are_counted_across_chunk_boundaries(chunk: int):
    output = b"u1 200\nu2\t200\nu3 404\nu4 2000\nu5 200\n"
    stream = io.BytesIO(output)
    assert tools.count_ok(lambda _: stream.read(chunk)) == 3


@pytest.mark.parametrize(
    ("output", "ok"),
    [
        (b'{"total": 5, "successful": 3, "errors": 2}\n', 3),
        (b'  {"successful": 7}\n[ERROR] a line after the report\n', 7),
        (b"not a report", 0),
        (b"", 0),
    ],
)
def test_lychees_successes_are_read_from_its_json_report(output: bytes, ok: int):
    assert tools.count_lychee(io.BytesIO(output).read) == ok


def test_a_tool_with_fewer_runs_is_run_only_that_often(tmp_path: Path):
    true = shutil.which("true")
    assert true is not None
    every, once = tools.Tool("every", [true]), tools.Tool("once", [true], runs=1)
    env = tools.child_env(tmp_path)
    tools.run_interleaved([every, once], 3, env, tools.Log(True), warm_up=[])
    assert (len(every.samples), len(once.samples)) == (3, 1)


@pytest.mark.parametrize(
    ("command", "folder"),
    [(["-m", "benchmarks.fetchbench"], ROOT), ([str(BENCH)], Path("/"))],
    ids=["as a module from the root", "as a script from anywhere"],
)
def test_the_benchmark_runs_as_a_module_or_a_script(command: list[str], folder: Path):
    done = subprocess.run(
        [sys.executable, *command, "--help"], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "--scaling-repeats" in done.stdout and "--extract-markdown" in done.stdout


def test_quick_shrinks_the_sizes_that_were_not_given():
    args = cli.parse_args(["--quick", "--urls", "77"])
    assert (args.urls, args.messy_urls, args.repeats) == (77, 400, 1)


def test_an_unknown_case_is_a_usage_error():
    with pytest.raises(SystemExit) as stopped:
        cli.parse_args(["--cases", "zero,nonesuch"])
    assert stopped.value.code == 2


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


# --- the latency server -------------------------------------------------------------------------

NGINX = servers.find_nginx(False, lambda _: None)


@pytest.mark.skipif(
    NGINX is None or not servers.ECHO_MODULE.exists(), reason="nginx or its echo module is missing"
)
def test_nginx_with_the_echo_module_answers_as_late_as_the_path_asks(tmp_path: Path):
    assert NGINX is not None
    nginx = servers.start_nginx(NGINX, tmp_path, servers.ECHO_MODULE)
    try:
        late = servers.Server(nginx.name, nginx.port, nginx.process)
        late.ok_path = servers.delayed_path(0.05)
        assert late.ok_url(7).endswith("/delay/0.05/7")
        # A lower bound only: a loaded machine may answer later, never sooner.
        assert servers.time_one_answer(late) >= 0.045
        assert servers.time_one_answer(nginx) >= 0
    finally:
        nginx.stop()


@pytest.mark.parametrize(
    ("nginx", "why"),
    [
        (None, "nginx could not be installed"),
        ("nginx", "nginx's echo module is missing: apt-get install libnginx-mod-http-echo"),
    ],
)
def test_without_nginx_and_its_echo_module_the_python_server_answers_late_and_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nginx: str | None, why: str
):
    monkeypatch.setattr(servers, "find_nginx", lambda *_: nginx)
    monkeypatch.setattr(servers, "find_echo_module", lambda *_: None)
    # An nginx without the module answers the zero-latency case; here a stand-in does.
    monkeypatch.setattr(servers, "start_nginx", lambda *_: servers.start_python_server(0.0))
    args = cli.parse_args(["--delay=0.05", "--no-install"])
    started = servers.Servers(args, tmp_path, lambda _: None)
    try:
        latency = started.latency()
        assert servers.time_one_answer(latency) >= 0.045
    finally:
        started.stop()
    assert started.notes == [
        f"latency server: the built-in Python asyncio server, 50 ms delay ({why}); it competes"
        " with the tools for the same CPUs"
    ]


# --- the messy web's server --------------------------------------------------------------------


@pytest.fixture(scope="module")
def messy() -> Iterator[object]:
    """messyweb.py with three hosts, each a port of 127.0.0.1."""
    server = servers.start_messy_web(3, on="ports")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def costly() -> Iterator[object]:
    """The same, where each new connection's first answer comes 50 ms later."""
    server = servers.start_messy_web(1, new_connection_ms=50, on="ports")
    yield server
    server.stop()


def get(connection: http.client.HTTPConnection, path: str) -> http.client.HTTPResponse:
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response


def connect(host: str) -> http.client.HTTPConnection:
    address, _, port = host.rpartition(":")
    return http.client.HTTPConnection(address, int(port), timeout=10)


def get_once(host: str, path: str) -> http.client.HTTPResponse:
    """``path`` from ``host`` on a connection of its own, closed after."""
    connection = connect(host)
    try:
        return get(connection, path)
    finally:
        connection.close()


def raw_request(host: str, path: str) -> socket.socket:
    address, _, port = host.rpartition(":")
    sock = socket.create_connection((address, int(port)), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return sock


@pytest.mark.parametrize(
    ("path", "status"),
    [("/d/0/a", 200), ("/d/5/b", 200), ("/404/0/c", 404), ("/nothing", 400), ("/d/x/y", 400)],
)
def test_the_path_chooses_the_status(messy, path: str, status: int):
    assert get_once(messy.hosts[0], path).status == status


def test_an_answer_comes_no_sooner_than_its_path_asks(messy):
    started = time.monotonic()
    response = get_once(messy.hosts[0], "/d/40/late")
    # A lower bound only: a loaded machine may answer later, never sooner.
    assert time.monotonic() - started >= 0.035
    assert response.getheader("X-Delay-Ms") == "40"


def test_a_redirect_leads_to_a_200_on_the_host_it_names(messy):
    other = messy.hosts[2]
    response = get_once(messy.hosts[0], f"/r/0/{other}/tail")
    assert response.status == 302
    location = response.getheader("Location")
    assert location == f"http://{other}/d/0/tail"
    assert get_once(other, location.split(other, 1)[1]).status == 200


def test_a_reset_url_resets_the_connection(messy):
    with raw_request(messy.hosts[1], "/reset/0/r") as sock, pytest.raises(ConnectionResetError):
        sock.recv(1024)


def test_a_silent_url_is_read_and_never_answered(messy):
    before = messy.stats()["kinds"].get("silent", 0)
    with raw_request(messy.hosts[1], "/silent/s") as sock:
        # The half-close ends the wait: the server closes without a byte of answer.
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1024) == b""
    assert messy.stats()["kinds"]["silent"] == before + 1


def test_requests_on_one_connection_reuse_it_and_are_counted(messy):
    before = messy.stats()
    connection = connect(messy.hosts[0])
    assert [get(connection, f"/d/0/k{n}").status for n in range(3)] == [200] * 3
    connection.close()
    after = messy.stats()
    assert after["connections"] - before["connections"] == 1
    assert after["requests"] - before["requests"] == 3


def test_every_host_listens_on_its_own(messy):
    before = messy.connections()
    assert [get_once(host, "/d/0/h").status for host in messy.hosts] == [200] * 3
    assert len(set(messy.hosts)) == 3
    assert messy.connections() - before == 3


def test_only_a_new_connections_first_answer_costs_the_extra_delay(costly):
    host = costly.hosts[0]
    first = connect(host)
    started = time.monotonic()
    delays = [get(first, "/d/0/one").getheader("X-Delay-Ms")]
    assert time.monotonic() - started >= 0.045
    delays.append(get(first, "/d/10/two").getheader("X-Delay-Ms"))
    first.close()
    delays.append(get_once(host, "/d/10/three").getheader("X-Delay-Ms"))
    assert delays == ["50", "10", "60"]


@pytest.mark.parametrize(
    ("path", "plan"),
    [
        ("/d/120/x", ("d", 120, None)),
        ("/d/0", ("d", 0, None)),
        ("/404/7/x?q=1", ("404", 7, None)),
        ("/reset/3/x", ("reset", 3, None)),
        ("/silent/anything/at/all", ("silent", 0, None)),
        ("/r/5/127.0.1.9:8080/a/b", ("r", 5, "http://127.0.1.9:8080/d/0/a/b")),
        ("/r/5/10.0.0.1:80/a", ("bad", 0, None)),
        ("/r/5/example.com:80/a", ("bad", 0, None)),
        ("/r/5/127.0.0.1/a", ("bad", 0, None)),
        ("/d/-1/x", ("bad", 0, None)),
        ("/", ("bad", 0, None)),
    ],
)
def test_a_path_is_read_as_a_plan(path: str, plan: tuple[str, int, str | None]):
    assert messyweb.plan_for(path) == messyweb.Plan(*plan)


@pytest.mark.parametrize(
    ("index", "address"), [(0, "127.0.1.1"), (249, "127.0.1.250"), (250, "127.0.2.1")]
)
def test_hosts_are_loopback_addresses_none_ending_in_0_or_255(index: int, address: str):
    assert messyweb.host_address(index) == address


@pytest.mark.parametrize("index", [-1, messyweb.MAX_HOSTS])
def test_a_host_beyond_the_loopback_network_is_refused(index: int):
    with pytest.raises(ValueError):
        messyweb.host_address(index)


# --- the lists ---------------------------------------------------------------------------------

HOSTS = [f"127.0.0.1:{10_000 + n}" for n in range(200)]


def kind_of(url: str) -> str:
    return url.split("/")[3]


def test_the_messy_list_is_the_same_for_the_same_seed_only():
    one, again = messyweb.messy_web(HOSTS, 500, seed=1), messyweb.messy_web(HOSTS, 500, seed=1)
    assert one.urls == again.urls
    assert one.urls != messyweb.messy_web(HOSTS, 500, seed=2).urls


def test_the_messy_list_holds_every_kind_and_counts_them():
    urls = messyweb.messy_web(HOSTS, 2_000)
    kinds = Counter(kind_of(url) for url in urls.urls)
    assert kinds == urls.kinds
    assert set(kinds) == {"d", "404", "r", "silent", "reset"}
    assert urls.ok == kinds["d"] + kinds["r"]
    assert len(set(urls.urls)) == len(urls.urls)


def test_a_silent_host_is_silent_for_every_url_and_few_hosts_are():
    urls = messyweb.messy_web(HOSTS, 2_000).urls
    silent = {url.split("/")[2] for url in urls if kind_of(url) == "silent"}
    assert all(kind_of(url) == "silent" for url in urls if url.split("/")[2] in silent)
    assert 1 <= len(silent) <= 0.025 * len(HOSTS)


def test_the_messy_latencies_are_mostly_short_with_a_tail_up_to_the_cap():
    urls = messyweb.messy_web(HOSTS, 2_000, max_ms=800).urls
    delays = sorted(int(url.split("/")[4]) for url in urls if kind_of(url) == "d")
    assert delays[len(delays) // 2] < 100
    assert 300 < delays[-1] <= 800


def test_silent_urls_are_spread_through_the_list_at_the_share_asked():
    urls = messyweb.silent_spread(HOSTS, 2_500, 0.02, 20).urls
    at = [number for number, url in enumerate(urls) if kind_of(url) == "silent"]
    assert len(at) == 50
    assert at[0] < 2_500 / 4 and at[-1] > 2_500 * 3 / 4
    assert all(url.split("/")[3:5] == ["d", "20"] for url in urls if kind_of(url) != "silent")


def test_many_hosts_gives_each_host_its_share_in_no_host_order():
    urls = messyweb.many_hosts(HOSTS, 2_000, 20).urls
    hosts = [url.split("/")[2] for url in urls]
    assert set(Counter(hosts).values()) == {10}
    changes = sum(a != b for a, b in itertools.pairwise(hosts))
    assert changes > 0.9 * len(hosts)
    assert hosts != sorted(hosts)


@pytest.mark.parametrize("head", [None, "http://127.0.0.1:9/silent/head"])
def test_cheap_lines_fetch_one_in_n_and_reject_the_rest(head: str | None):
    lines = messyweb.cheap_lines(100, 10, lambda n: f"http://127.0.0.1:9/{n}", head)
    fetched = [
        line for line in lines.urls if line.startswith("http://127.0.0.1:9/") and line != head
    ]
    assert len(lines.urls) == 100 and lines.ok == len(fetched) == 10
    assert (lines.urls[0] == head) if head else lines.urls[0] == "ftp://x/0"
    assert sum(line.startswith("ftp://x/") for line in lines.urls) == 90 - (head is not None)


def test_the_stats_line_is_json():
    stats = messyweb.Stats(2, 3, Counter({"d": 3}))
    assert json.loads(stats.as_json()) == {"connections": 2, "requests": 3, "kinds": {"d": 3}}


# --- hostile documents (hostile.py) -------------------------------------------------------------

HOSTILE = BENCHMARKS / "hostile.py"
HAS_LYCHEE = "lychee" in FETCH_TOOLS

# Each case at --quick size: its title in the table and the links in its file.
HOSTILE_CASES = [
    ("one reference used 400 times", 400),
    ("10,000 inline links, one paragraph", 10_000),
    ("10,000 inline links, a paragraph each", 10_000),
    ("3,000 bare URLs on one line", 3_000),
    ("20 blockquotes, 9 list levels", 3),
    ("HTML, 2,000 <a href>", 2_000),
]


def run_hostile(*flags: str) -> str:
    done = subprocess.run(
        [sys.executable, str(HOSTILE), "--quick", "--repeat=1", "--no-install", *flags],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def hostile(fetchpool_exe: str) -> str:
    """The table of one --quick run, beside lychee where it is installed."""
    return run_hostile(f"--fetchpool={fetchpool_exe}")


@pytest.fixture(scope="module")
def hostile_alone(fetchpool_exe: str) -> str:
    """The table of one --quick run of fetchpool alone, as where lychee is missing."""
    return run_hostile(f"--fetchpool={fetchpool_exe}", "--cases=refs,nested", "--no-lychee")


def hostile_row(table: str, title: str) -> list[str]:
    """The figures after ``title`` in its row of the table."""
    row = next(line for line in table.splitlines() if line.startswith(title + " "))
    return row[len(title) :].split()


def test_the_hostile_table_names_its_columns(hostile: str):
    header = next(line for line in hostile.splitlines() if line.startswith("case "))
    expected = ["case", "expected", "fetchpool", "fp", "s", "fp", "MiB"]
    if HAS_LYCHEE:
        expected = ["case", "expected", "fetchpool", "lychee", "fp", "s", "ly", "s", "time"]
        expected += ["fp", "MiB", "ly", "MiB", "memory", "target", "<=", "2.0x"]
    assert header.split() == expected


@pytest.mark.parametrize(("title", "links"), HOSTILE_CASES)
def test_fetchpool_finds_every_link_of_each_hostile_document(hostile: str, title: str, links: int):
    expected, found = hostile_row(hostile, title)[:2]
    assert (expected, found) == (f"{links:,}", f"{links:,}")


@pytest.mark.skipif(not HAS_LYCHEE, reason="lychee is not installed")
@pytest.mark.parametrize(("title", "links"), HOSTILE_CASES)
def test_lychee_finds_as_many_links_and_the_target_is_judged(hostile: str, title: str, links: int):
    figures = hostile_row(hostile, title)
    assert figures[2] == f"{links:,}"
    assert " ".join(figures[9:]).startswith(("met", "not met ("))


def test_without_lychee_the_table_holds_fetchpools_figures_alone(hostile_alone: str):
    header = next(line for line in hostile_alone.splitlines() if line.startswith("case "))
    assert "lychee" not in header
    figures = hostile_row(hostile_alone, "20 blockquotes, 9 list levels")
    # expected, found, seconds, MiB
    assert figures[:2] == ["3", "3"] and len(figures) == 4
    assert "note: " not in hostile_alone


# --- the crawl cases: the generated website and the broken links held against its truth ---

MAIN = "http://127.0.0.1:8080/"
SECOND = "http://127.0.0.1:8081/"


def site_files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*.*")}


def links_written(site: website.Site) -> set[str]:
    """Every link of the main site's pages as it reads on disk, made absolute."""
    found = set()
    for path in site.root.rglob("*.html"):
        page = MAIN + str(path.relative_to(site.root))
        for href in re.findall(r'(?:href|src)="([^"]*)"', path.read_text()):
            found.add(urljoin(page, href))
    return found


def on_disk(site: website.Site, url: str) -> Path:
    """The file that answers ``url`` (a folder answers with its index.html)."""
    base, root = (SECOND, site.second_root) if url.startswith(SECOND) else (MAIN, site.root)
    path = url[len(base) :]
    return root / (path or "index.html")


def test_the_same_seed_writes_the_same_website_and_another_seed_another(tmp_path: Path) -> None:
    first = website.generate(tmp_path / "first", 30, seed=1)
    again = website.generate(tmp_path / "again", 30, seed=1)
    website.generate(tmp_path / "other", 30, seed=2)
    assert site_files(tmp_path / "first") == site_files(tmp_path / "again")
    assert (first.links, first.broken, first.occurrences) == (
        again.links,
        again.broken,
        again.occurrences,
    )
    assert site_files(tmp_path / "first") != site_files(tmp_path / "other")


@pytest.mark.parametrize(
    ("pages", "on_main", "on_second"),
    [(2, 1, 1), (30, 6, 2), (200, 40, 13)],
)
def test_a_website_has_as_many_broken_links_as_its_size_asks_for(
    tmp_path: Path, pages: int, on_main: int, on_second: int
) -> None:
    site = website.generate(tmp_path, pages)
    main = {url for url in site.broken if url.startswith(MAIN)}
    assert (len(main), len(site.broken - main)) == (on_main, on_second)
    assert len(list(site.root.rglob("page-*.html"))) + 1 == pages


def test_the_truth_is_every_link_written_and_only_the_broken_ones_are_missing(
    tmp_path: Path,
) -> None:
    site = website.generate(tmp_path, 60)
    assert links_written(site) == site.links
    missing = {url for url in site.links if not on_disk(site, url).is_file()}
    assert missing == site.broken
    # The second site's documents link to missing pages of their own, beyond the truth.
    assert site.beyond and not site.beyond & site.links
    assert all(not on_disk(site, url).exists() for url in site.beyond)


def test_links_from_the_root_start_at_the_sites_own_path(tmp_path: Path) -> None:
    site = website.generate(tmp_path, 30, main="http://127.0.0.1:8080/site/")
    index = (site.root / "index.html").read_text()
    rooted = [href for href in re.findall(r'href="(/[^"]*)"', index)]
    assert rooted and all(href.startswith("/site/") for href in rooted)


@pytest.mark.parametrize(
    ("found", "missing", "extra"),
    [
        ({"http://h:1/a", "http://h:1/b"}, set(), set()),
        ({"http://h:1/a"}, {"http://h:1/b"}, set()),
        ({"http://h:1/a", "http://h:1/b", "http://h:1/c"}, set(), {"http://h:1/c"}),
        # Compared as the same URL: host case, a default port, a fragment, an empty path.
        ({"HTTP://H:1/a#top", "http://h:1/b"}, set(), set()),
        ({"http://x:80", "http://h:1/a", "http://h:1/b"}, set(), {"http://x/"}),
    ],
)
def test_broken_links_are_compared_with_the_truth_as_urls(
    found: set[str], missing: set[str], extra: set[str]
) -> None:
    difference = crawl.compare(frozenset(found), frozenset({"http://h:1/a", "http://h:1/b"}))
    assert (difference.missing, difference.extra) == (frozenset(missing), frozenset(extra))
    assert difference.same == (not missing and not extra)


def test_a_difference_between_two_crawlers_names_what_each_found_alone() -> None:
    difference = crawl.compare(frozenset({"http://h/a", "http://h/c"}), frozenset({"http://h/b"}))
    assert crawl.describe_difference("one", "two", difference, shown=1) == (
        "one and two: 2 only one's (http://h/a, ...); 1 only two's (http://h/b)"
    )
    same = crawl.compare(frozenset({"http://h/a"}), frozenset({"http://h/a"}))
    assert crawl.describe_difference("one", "two", same) == "one and two: the same broken links"


@pytest.mark.parametrize(
    ("reader", "report"),
    [
        (
            crawl.read_fetchpool,
            b'{"url":"http://h/a","category":"broken"}\n{"url":"http://h/c","category":"ok"}\n'
            b'{"url":"http://h/b","category":"broken"}\n{"url":"http://h/d","category":"skipped"}\n',
        ),
        (
            crawl.read_linkinator,
            b"url,status,state,parent,failureDetails\n"
            b'"http://h/a",404,BROKEN,"http://h/","[{""status"":404}]"\n'
            b'"http://h/c",200,OK,"http://h/","[]"\n'
            b'"http://h/b",404,BROKEN,"http://h/","[]"\n',
        ),
        (
            crawl.read_linkchecker,
            b"# created by LinkChecker\n"
            b"urlname;parentname;base;result;warningstring;infostring;valid;url;line\n"
            b"/a;http://h/;;404 Not Found;;;False;http://h/a;16\n"
            b"c;http://h/;;200 OK;;;True;http://h/c;3\n"
            b"b;http://h/x;;404 Not Found;;;False;http://h/b;9\n"
            b"# Stopped checking at 2026-01-01 (1 second)\n",
        ),
        (
            crawl.read_wget,
            b'2026-01-01 URL:http://h/ [629/629] -> "index.html.tmp" [1]\n'
            b"http://h/a:\nRemote file does not exist -- broken link!!!\n"
            b"Found 2 broken links.\n\nhttp://h/a\nhttp://h/b\n\n"
            b"FINISHED --2026-01-01--\nhttp://h/c\n",
        ),
    ],
)
def test_each_crawlers_report_is_read_for_its_broken_links(
    reader: Callable[[bytes], frozenset[str]], report: bytes
) -> None:
    assert reader(report) == {"http://h/a", "http://h/b"}


def test_a_wget_log_without_broken_links_has_none() -> None:
    assert crawl.read_wget(b"Found no broken links.\n\nFINISHED --2026--\n") == frozenset()
