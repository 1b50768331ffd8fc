"""What the figures were measured on: versions, CPUs, and whether the machine's speed held."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import time

from .tools import Exes


def cpu_check() -> float:
    """Seconds this interpreter takes for a fixed loop: run at the start and the end, it
    shows whether the machine's speed changed during the run (other load, throttling)."""
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return time.perf_counter() - started


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity), which its children inherit."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on macOS
        return os.cpu_count() or 1


def cpu_model() -> str:
    """The CPU's name as the system gives it ("AMD EPYC 7B13"), or the architecture."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                return " ".join(value.split())
    return platform.processor() or platform.machine()


def machine_name() -> str:
    """The machine in one line, to name beside every figure measured on it."""
    cores, total = usable_cores(), os.cpu_count()
    usable = f" ({cores} usable here)" if total and cores != total else ""
    return f"{total} CPUs{usable}, {cpu_model()}, {platform.system()} {platform.release()}"


def describe_machine(exe: Exes, servers: list[str]) -> list[str]:
    version = subprocess.run(
        [exe.fetchpool, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    python = subprocess.run(
        [
            exe.python,
            "-c",
            "import platform, requests; print(platform.python_version(), requests.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    lines = [
        f"{version or 'fetchpool'}; Python {python[0] if python else '?'}"
        f", requests {python[1] if len(python) > 1 else '?'}",
        machine_name(),
    ]
    if exe.processes:
        lines.append("fetchpool spreads its work over processes: -j/--processes N")
    else:
        lines.append("fetchpool has no -j/--processes: it runs in one process")
    if exe.curl:
        curl = subprocess.run([exe.curl, "--version"], capture_output=True, text=True, check=False)
        lines.append(curl.stdout.split(" (")[0])
    if exe.lychee:
        lychee = subprocess.run(
            [exe.lychee, "--version"], capture_output=True, text=True, check=False
        )
        lines.append(lychee.stdout.strip() or "lychee")
    lines.extend(servers)
    return lines
