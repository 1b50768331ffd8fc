"""Shell completion through Click's own machinery, from the installed executable."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

BASH = shutil.which("bash")


def _complete_in_bash(fetchpool_exe: str, words: list[str], cwd: Path) -> list[str]:
    """What bash offers for the last word, with the completion script fetchpool prints."""
    script = (
        "source <(_FETCHPOOL_COMPLETE=bash_source fetchpool)\n"
        f"COMP_WORDS=({' '.join(repr(word) for word in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_fetchpool_completion fetchpool\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    path = os.path.dirname(fetchpool_exe) + os.pathsep + os.environ.get("PATH", "")
    done = subprocess.run(
        [BASH, "--norc", "-c", script],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PATH": path},
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.skipif(BASH is None, reason="needs bash")
@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["fetchpool", "--fo"], ["--follow", "--follow-symlinks", "--format"]),
        (["fetchpool", "--fail-on", ""], ["any", "broken", "new"]),
        (["fetchpool", "-f", "j"], ["jsonl", "json", "junit"]),
        (["fetchpool", "me"], ["merge"]),
        (["fetchpool", "merge", "--fa"], ["--fail-on"]),
        (["fetchpool", "merge", "-f", "m"], ["markdown"]),
    ],
)
def test_bash_completes_options_choices_and_the_merge_command(
    fetchpool_exe, tmp_path, words, expected
):
    assert sorted(_complete_in_bash(fetchpool_exe, words, tmp_path)) == sorted(expected)


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _fetchpool_completion fetchpool"),
        ("zsh", "compdef _fetchpool_completion fetchpool"),
        ("fish", "complete --no-files --command fetchpool"),
    ],
)
def test_each_shell_gets_a_completion_script(fetchpool_exe, shell, marker):
    done = subprocess.run(
        [fetchpool_exe],
        capture_output=True,
        text=True,
        env={**os.environ, "_FETCHPOOL_COMPLETE": f"{shell}_source"},
        timeout=30,
    )
    assert done.returncode == 0
    assert marker in done.stdout
