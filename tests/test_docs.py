"""The README documents the command as --help describes it: every option, every exit status."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from fetchpool.cli.main import cli
from fetchpool.status import ExitStatus

from .inprocess import run_in_process

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = {"fetchpool": cli, "fetchpool merge": cli.commands["merge"]}


def option_names(param: click.Option) -> str:
    """Its names as --help writes them: ``-w, --max-workers``, ``--follow / --no-follow``."""
    names = ", ".join(param.opts)
    return f"{names} / {', '.join(param.secondary_opts)}" if param.secondary_opts else names


def options_of(command: click.Command) -> list[click.Option]:
    """Every option --help lists for ``command``, --help itself included."""
    context = click.Context(command, info_name=command.name, **command.context_settings)
    return [param for param in command.get_params(context) if isinstance(param, click.Option)]


def documented_options() -> list[str]:
    """The first cell of each row of the README's option tables: ``-w, --max-workers N``."""
    return re.findall(r"^\| `(-[^`]+)` \|", README, flags=re.MULTILINE)


def readme_exit_statuses() -> list[int]:
    section = README.split("### Exit status", 1)[1].split("\n#", 1)[0]
    return [int(status) for status in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)]


@pytest.mark.parametrize(
    ("command", "names"),
    [
        (path, option_names(param))
        for path, command in COMMANDS.items()
        for param in options_of(command)
    ],
)
def test_the_readme_documents_every_option_help_lists(command: str, names: str) -> None:
    rows = documented_options()
    assert any(row == names or row.startswith(names + " ") for row in rows), (
        f"{command}: {names} is not in the README's option tables"
    )


def test_the_readme_documents_options_the_command_has_and_no_others() -> None:
    declared = {
        option_names(param) for command in COMMANDS.values() for param in options_of(command)
    }
    for row in documented_options():
        assert any(row == names or row.startswith(names + " ") for names in declared), row


def test_the_readme_lists_every_exit_status_and_only_those() -> None:
    assert sorted(readme_exit_statuses()) == sorted(ExitStatus)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_lists_every_exit_status(command: str) -> None:
    args = command.split()[1:]
    help_text = " ".join(run_in_process(*args, "--help").stdout.decode().split())
    for status in ExitStatus:
        assert re.search(rf"\b{status:d}\b", help_text.split("Exit status", 1)[1]), status.name
