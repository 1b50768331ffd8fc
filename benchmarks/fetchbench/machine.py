"""What the figures were measured on: versions, CPUs, and whether the machine's speed held."""

from __future__ import annotations

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
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
    ]
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
