"""The command run in this process, with a fake Environment: no child process to start.

For what needs no process of its own: signals, closed pipes, real terminals and the
installed script are for subprocess tests.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fetchpool.cli.main import run
from fetchpool.environment import Environment


@dataclass
class Done:
    """What a run left behind, shaped like subprocess.CompletedProcess."""

    returncode: int
    stdout: bytes
    stderr: bytes


class FakeEnvironment(Environment):
    """Standard input from bytes, standard output and error into strings."""

    def __init__(
        self,
        input: str | bytes | None = None,
        *,
        stdin_isatty: bool = False,
        stdout_isatty: bool = False,
        stderr_isatty: bool = False,
    ) -> None:
        data = input.encode() if isinstance(input, str) else (input or b"")
        super().__init__(
            stdin=io.BytesIO(data),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
            stdin_isatty=stdin_isatty,
            stdout_isatty=stdout_isatty,
            stderr_isatty=stderr_isatty,
        )

    def output(self) -> str:
        assert isinstance(self.stdout, io.StringIO)
        return self.stdout.getvalue()

    def errors(self) -> str:
        assert isinstance(self.stderr, io.StringIO)
        return self.stderr.getvalue()


def run_in_process(
    *args: str, input: str | bytes | None = None, env: FakeEnvironment | None = None
) -> Done:
    """``fetchpool ARGS`` in this process, with ``input`` on standard input."""
    env = env or FakeEnvironment(input)
    status = run(list(args), env)
    return Done(int(status), env.output().encode(), env.errors().encode())
