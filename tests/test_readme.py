"""The README's commands stay true: each `crmcli …` line in its shell blocks runs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def readme_commands() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("crmcli ")]


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert "pip install . && .venv/bin/crmcli demo" in blocks[0]
    assert "pip install '.[test]' && .venv/bin/python -m pytest" in blocks[1]


def test_every_readme_command_runs(cli, tmp_path):
    commands = readme_commands()
    assert len(commands) >= 10
    for args in commands:
        args = [a.replace("/tmp/", f"{tmp_path}/") for a in args]
        result = cli(*args, ok=False)
        assert result.exit_code == 0, (args, result.stderr)


def test_ci_runs_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text()
    assert ".venv/bin/python -m pytest" in ci


def test_every_command_in_the_reference_exists(cli):
    """The README's command reference names no command the tool lacks, and misses none."""
    import typer
    import typer.main

    from crmcli.cli import app

    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Command reference\n\n```\n(.*?)```", text, re.S)
    assert block, "the README has a command reference"
    named: set[tuple[str, ...]] = set()
    for line in block.group(1).splitlines():
        words = line.split("[")[0].split()[1:]  # drop "crmcli" and any [options]
        group, subs = words[0], [w for w in words[1:] if w != "|"]
        named |= {(group, s) for s in subs} if subs else {(group,)}
    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    actual: set[tuple[str, ...]] = set()
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        if hasattr(command, "list_commands"):
            actual |= {(name, s) for s in command.list_commands(typer.Context(command))}
            if getattr(command, "invoke_without_command", False):  # `due` runs on its own too
                actual.add((name,))
        else:
            actual.add((name,))
    assert named - actual == set(), "the README names commands that do not exist"
    assert actual - named == set(), "commands missing from the README's reference"


def test_the_readme_states_the_coverage_that_ci_holds():
    """The README's branch-coverage figure and CI's floor agree with pyproject.toml's."""
    text = README.read_text(encoding="utf-8")
    pyproject = (README.parent / "pyproject.toml").read_text(encoding="utf-8")  # no tomllib on 3.10
    found = re.search(r"^fail_under = ([\d.]+)$", pyproject, re.M)
    assert found and re.search(r"^branch = true$", pyproject, re.M)
    floor = float(found[1])
    figure = re.search(r"\*\*Branch coverage is ([\d.]+) %\*\*", text)
    said_floor = re.search(r"CI fails below \*\*([\d.]+) %\*\*", text)
    assert figure and said_floor, "the Development section states the figure and the floor"
    assert float(said_floor[1]) == floor
    # The floor sits a small margin under the figure: raised when coverage rises.
    assert 0 < float(figure[1]) - floor <= 1
    assert "-m pytest --cov" in (README.parent / ".ci" / "run").read_text()
