"""What every child process the tests start needs."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

# Started from the test process, a child's peak RSS would count the test process's own
# memory, which the child shares until it execs (Linux keeps the larger of the two). A small
# Python process in between starts the measured one and writes down its peak instead.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(str(peak))\n"
    "sys.exit(code if code >= 0 else 128 - code)\n"
)


def default_signals() -> None:
    """For a child process: SIGINT, SIGTERM and SIGHUP as a shell's foreground job has them.

    A test run started in the background inherits SIGINT ignored (and under nohup,
    SIGHUP), and so would every fetchpool it starts, which leaves an ignored signal
    ignored; the signal tests need them delivered.
    """
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def measured(command: list[str], report: Path) -> list[str]:
    """``command`` run so that its peak RSS ends up in ``report`` (see ``peak_rss_mb``).

    Standard input, output and error pass through; the exit status is the command's.
    """
    return [sys.executable, "-c", _MEASURE, str(report), *command]


def peak_rss_mb(report: Path) -> float:
    """The peak RSS, in MiB, of a command run through ``measured``."""
    return int(report.read_text()) / 1024


def start(exe: str, *args: str, **kwargs) -> subprocess.Popen[bytes]:
    """``exe`` started with ``args``, its standard streams on pipes and SIGINT delivered."""
    env = {**os.environ, "NO_COLOR": "1", **kwargs.pop("env", {})}
    return subprocess.Popen(
        [exe, *args],
        stdin=kwargs.pop("stdin", subprocess.PIPE),
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=kwargs.pop("stderr", subprocess.PIPE),
        env=env,
        preexec_fn=default_signals,
        **kwargs,
    )


def read_line(fd: int, timeout: float, pending: bytearray) -> bytes | None:
    """One line from ``fd`` within ``timeout`` seconds, or None; ``pending`` keeps the rest."""
    deadline = time.monotonic() + timeout
    while b"\n" not in pending:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        pending.extend(chunk)
    line, _, rest = bytes(pending).partition(b"\n")
    pending[:] = rest
    return line + b"\n"


def children(pid: int) -> set[int]:
    """The processes ``pid`` started (Linux: /proc/PID/task/*/children)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (or is a zombie, ended and not yet waited for)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status
