"""Option defaults from fetchpool.toml, pyproject.toml and FETCHPOOL_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from fetchpool.cli.config import ConfigError, Setting, find_config, load_config

from .ci_support import parse_jsonl, write_lines

SETTINGS = {
    "max-workers": Setting("max_workers"),
    "header": Setting("headers", multiple=True),
    "output": Setting("output", path=True),
}


@pytest.fixture
def project(tmp_path: Path, server) -> Path:
    """A project directory with a urls.txt of one ok and one broken URL."""
    write_lines(tmp_path / "urls.txt", [server.url("/status/200"), server.url("/status/404")])
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": "[tool.fetchpool]\n"}, "pyproject.toml"),
        ({"a/fetchpool.toml": ""}, "a/fetchpool.toml"),
        ({"a/fetchpool.toml": "", "a/pyproject.toml": "[tool.fetchpool]\n"}, "a/fetchpool.toml"),
        ({"a/b/pyproject.toml": "[tool.ruff]\n", "a/fetchpool.toml": ""}, "a/fetchpool.toml"),
        ({"a/b/pyproject.toml": "[tool.ruff]\n"}, None),
    ],
)
def test_the_nearest_config_file_is_found_from_the_working_directory_up(tmp_path, files, expected):
    for name, text in files.items():
        _write(tmp_path / name, text)
    start = tmp_path / "a" / "b"
    start.mkdir(parents=True, exist_ok=True)
    found = find_config(start)
    assert found == (tmp_path / expected if expected else None)


def test_config_keys_may_use_dashes_or_underscores_and_paths_are_relative_to_the_file(tmp_path):
    config = _write(
        tmp_path / "fetchpool.toml", 'max_workers = 3\nheader = "A: b"\noutput = "out.txt"\n'
    )
    assert load_config(config, SETTINGS) == {
        "max_workers": 3,
        "headers": ["A: b"],
        "output": str(tmp_path / "out.txt"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max-wrkers = 3\n", "unknown key 'max-wrkers' (did you mean 'max-workers'?)"),
        ("max-workers = [1, 2]\n", "'max-workers' takes one value, not a list"),
        ("[output]\nx = 1\n", "'output' is a table"),
        ("max-workers = \n", "is not valid TOML"),
        ("output = 1\n", "'output' takes a path, not 1"),
        ("output = true\n", "'output' takes a path, not True"),
    ],
)
def test_a_config_file_with_mistakes_is_an_error_naming_them(tmp_path, text, message):
    config = _write(tmp_path / "fetchpool.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(config, SETTINGS)
    assert message in str(caught.value)
    assert str(config) in str(caught.value)


def test_pyproject_settings_apply_from_a_subdirectory(project, run_fetchpool):
    _write(
        project / "pyproject.toml", '[project]\nname = "x"\n\n[tool.fetchpool]\nformat = "jsonl"\n'
    )
    (project / "docs").mkdir()
    done = run_fetchpool("-q", "../urls.txt", cwd=project / "docs")
    assert [row["status"] for row in parse_jsonl(done.stdout)] == [200, 404]


def test_config_output_path_is_relative_to_the_config_file(project, run_fetchpool):
    _write(project / "fetchpool.toml", 'output = "report.jsonl"\nquiet = true\n')
    (project / "docs").mkdir()
    done = run_fetchpool("../urls.txt", cwd=project / "docs")
    assert done.stdout == b"" and done.stderr == b""
    assert len(parse_jsonl((project / "report.jsonl").read_text())) == 2


@pytest.mark.parametrize(
    ("config", "env", "args", "expected_format"),
    [
        ('format = "csv"', {}, [], "csv"),
        ('format = "csv"', {"FETCHPOOL_FORMAT": "jsonl"}, [], "jsonl"),
        ('format = "csv"', {"FETCHPOOL_FORMAT": "jsonl"}, ["-f", "github"], "github"),
        ("", {"FETCHPOOL_FORMAT": "junit"}, [], "junit"),
    ],
)
def test_the_command_line_wins_over_environment_which_wins_over_the_config_file(
    project, run_fetchpool, config, env, args, expected_format
):
    _write(project / "fetchpool.toml", config + "\n")
    done = run_fetchpool("-q", *args, "urls.txt", cwd=project, env=env)
    first = done.stdout.decode().splitlines()[0]
    assert {
        "csv": first.startswith("url,status,ok"),
        "jsonl": first.startswith('{"url"'),
        "github": first.startswith("::error "),
        "junit": first.startswith("<?xml"),
    }[expected_format], first


def test_config_given_with_config_option_is_used_instead_of_the_one_found(project, run_fetchpool):
    _write(project / "fetchpool.toml", 'format = "csv"\n')
    other = _write(project / "ci" / "links.toml", 'format = "jsonl"\nexclude = ["404$"]\n')
    done = run_fetchpool("-q", "--config", str(other), "urls.txt", cwd=project)
    assert [row["status"] for row in parse_jsonl(done.stdout)] == [200]
    assert done.returncode == 0


def test_headers_from_the_environment_are_one_per_line(project, server, run_fetchpool):
    env = {"FETCHPOOL_HEADER": "X-One: a b\nX-Two: c"}
    done = run_fetchpool("-q", "urls.txt", cwd=project, env=env)
    assert done.returncode == 1
    seen = server.log[0].headers
    assert (seen["x-one"], seen["x-two"]) == ("a b", "c")


@pytest.mark.parametrize(
    ("config", "env", "message"),
    [
        ("max-workerz = 4\nfoo = 1\n", {}, "unknown keys 'foo', 'max-workerz' (did you mean 'max"),
        ("max-workers = 0\n", {}, "0 is not in the range 1<=x<=1024. (from "),
        ("", {"FETCHPOOL_MAX_WORKERS": "many"}, "(from $FETCHPOOL_MAX_WORKERS)"),
        ('shard = "5/4"\n', {}, "shard 5/4 is not K/N"),
        ("x = \n", {}, "is not valid TOML"),
        ("cache = 2\n", {}, "'cache' takes a path, not 2"),
        ("files-from = [0]\n", {}, "'files-from' takes a path, not 0"),
        ("verbose = 2\n", {}, "'verbose' takes true or false, not 2"),
        ("quiet = 1.5\n", {}, "'quiet' takes true or false, not 1.5"),
    ],
)
def test_a_bad_setting_is_a_one_line_usage_error_saying_where_it_came_from(
    project, server, run_fetchpool, config, env, message
):
    _write(project / "fetchpool.toml", config)
    done = run_fetchpool("urls.txt", cwd=project, env=env)
    assert done.returncode == 2
    [line] = done.stderr.decode().splitlines()
    assert line.startswith("fetchpool: error: ")
    assert message in line
    assert done.stdout == b""
    assert server.log == []


def test_a_missing_config_file_named_on_the_command_line_is_an_error(project, run_fetchpool):
    done = run_fetchpool("--config", "nope.toml", "urls.txt", cwd=project)
    assert done.returncode == 2
    assert "cannot read nope.toml" in done.stderr.decode()
