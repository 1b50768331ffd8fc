"""Option defaults from a config file: ``fetchpool.toml``, or ``[tool.fetchpool]`` in
``pyproject.toml``.

Keys are the long option names (``max-workers = 8``; ``max_workers`` works too).
Options that take a path (``output``, ``cache``, ...) are relative to the file's
directory. The command line and FETCHPOOL_<OPTION> variables both win over a file.

A table per host gives the headers sent to that host alone, as ``--host-header`` does::

    [tool.fetchpool.hosts."api.example.com"]
    headers = { Authorization = "Bearer ..." }
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError as ConfigError  # importable here too, as before

CONFIG_NAME = "fetchpool.toml"
# The table of per-host settings, and the option its headers set.
HOSTS = "hosts"
HOST_HEADER = "host-header"
PYPROJECT_NAME = "pyproject.toml"


@dataclass(frozen=True)
class Setting:
    """What the config file may say about one option."""

    param: str  # the name Click passes the value by
    multiple: bool = False
    path: bool = False
    flag: bool = False  # a boolean flag (--quiet, --verbose)


def find_config(start: Path) -> Path | None:
    """The nearest ``fetchpool.toml``, or ``pyproject.toml`` with a ``[tool.fetchpool]``
    table, in ``start`` or a directory above it; None when there is none."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        candidate = directory / PYPROJECT_NAME
        if candidate.is_file() and _has_table(candidate):
            return candidate
    return None


def _has_table(pyproject: Path) -> bool:
    try:
        data = _parse(pyproject)
    except ConfigError:
        # A broken pyproject.toml is only this tool's business if it has our table.
        return b"[tool.fetchpool]" in _read_bytes(pyproject)
    return isinstance(data.get("tool"), dict) and "fetchpool" in data["tool"]


def load_config(path: Path, settings: Mapping[str, Setting]) -> dict[str, Any]:
    """The option defaults ``path`` sets, by Click parameter name.

    ``settings`` maps each allowed key (a long option name) to what it sets.
    Raises ConfigError naming the file for bad TOML, unknown keys and values of
    the wrong shape; Click checks the values themselves.
    """
    data = _parse(path)
    if path.name == PYPROJECT_NAME:
        tool = data.get("tool")
        table = tool.get("fetchpool") if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            raise ConfigError(f"{path} has no [tool.fetchpool] table")
        where = f"{path} [tool.fetchpool]"
    else:
        table = data
        where = str(path)
    hosts = table.get(HOSTS) if HOST_HEADER in settings else None
    if hosts is not None:
        table = {key: value for key, value in table.items() if key != HOSTS}
    normalised = {key.replace("_", "-"): key for key in table}
    unknown = [key for name, key in normalised.items() if name not in settings]
    if unknown:
        raise ConfigError(f"{where}: {_unknown_keys(unknown, settings)}")
    base = path.parent
    defaults: dict[str, Any] = {}
    for name, key in normalised.items():
        setting = settings[name]
        value = table[key]
        if isinstance(value, dict):
            raise ConfigError(f"{where}: {key!r} is a table; give it a value")
        if setting.multiple:
            value = [value] if not isinstance(value, list) else value
        elif isinstance(value, list):
            raise ConfigError(f"{where}: {key!r} takes one value, not a list")
        # Click reads "yes" or "off" as a flag's value, but a number only as text.
        if setting.flag and not isinstance(value, (bool, str)):
            raise ConfigError(f"{where}: {key!r} takes true or false, not {value!r}")
        if setting.path:
            for each in value if setting.multiple else [value]:
                # A number would reach open() and os.stat() as a file descriptor.
                if not isinstance(each, str):
                    raise ConfigError(f"{where}: {key!r} takes a path, not {each!r}")
            value = (
                [_beside(base, each) for each in value]
                if setting.multiple
                else _beside(base, value)
            )
        defaults[setting.param] = value
    if hosts is not None:
        param = settings[HOST_HEADER].param
        defaults[param] = [*defaults.get(param, []), *_host_headers(hosts, where)]
    return defaults


def _host_headers(hosts: object, where: str) -> list[list[str]]:
    """``[hosts."HOST"] headers = {Name = "value"}`` as --host-header's (HOST, "Name: value")
    pairs. Raises ConfigError, naming the host and header but never a value."""
    if not isinstance(hosts, dict):
        raise ConfigError(f'{where}: {HOSTS!r} is a table of hosts, like [{HOSTS}."example.com"]')
    pairs = []
    for host, settings in hosts.items():
        if not isinstance(settings, dict) or set(settings) - {"headers"}:
            raise ConfigError(f'{where}: [{HOSTS}.{host!r}] takes headers = {{ Name = "value" }}')
        headers = settings.get("headers", {})
        if not isinstance(headers, dict):
            raise ConfigError(f"{where}: [{HOSTS}.{host!r}] headers is a table of names and values")
        for name, value in headers.items():
            if not isinstance(value, str):
                raise ConfigError(f"{where}: [{HOSTS}.{host!r}] header {name!r} is not text")
            pairs.append([host, f"{name}: {value}"])
    return pairs


def _beside(base: Path, value: Any) -> Any:
    """A path option's value, relative to the config file's folder (``-`` kept)."""
    if isinstance(value, str) and value != "-":
        return os.path.join(base, os.path.expanduser(value))
    return value


def _unknown_keys(unknown: list[str], settings: Mapping[str, Setting]) -> str:
    import difflib  # here, not at start-up: only a mistake needs it

    parts = []
    for key in sorted(unknown):
        close = difflib.get_close_matches(key.replace("_", "-"), list(settings), n=1, cutoff=0.7)
        parts.append(f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key))
    noun = "key" if len(unknown) == 1 else "keys"
    return f"unknown {noun} {', '.join(parts)}"


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _parse(path: Path) -> dict[str, Any]:
    import tomllib  # here: most runs find no config file to parse

    raw = _read_bytes(path)
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8"))
        return data
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
