"""Module names: a command's code is found from the core module's name, and the other way.

`crmcli/cli/<core>.py` holds the commands in front of `crmcli/<core>.py` (or of the
package `crmcli/<core>/`); `crmcli/cli/<group>_<core>.py` adds the commands of
`<core>` to the command group `<group>` (`customers who-bought` is in
cli/customers_buying.py, before buying.py). Which command runs which module is the
COMMANDS table in cli/__init__.py. The rest of cli/ is the output layer every command
shares.
"""

from __future__ import annotations

from pathlib import Path

from crmcli.cli import COMMANDS, EXTENSIONS

ROOT = Path(__file__).parent.parent / "crmcli"
CORE = {p.stem for p in ROOT.glob("*.py")} | {
    p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()
}
# What every command shares: not in front of one core module.
SHARED = {"__init__", "env", "output", "screen", "table", "json_encoding", "help"}


def _cli_modules() -> list[str]:
    """cli/'s modules and packages (cli/imports/), but for the shared output layer."""
    cli = ROOT / "cli"
    found = {p.stem for p in cli.glob("*.py")}
    found |= {p.name for p in cli.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    return sorted(found - SHARED)


def _fronted(name: str) -> str | None:
    """The core module a CLI module is named after, if any."""
    if name in CORE:
        return name
    group, _, core = name.partition("_")
    if group in COMMANDS and core in CORE:
        return core
    return None


def test_each_cli_module_is_named_after_the_core_module_it_fronts():
    unnamed = [name for name in _cli_modules() if _fronted(name) is None]
    assert unnamed == [], (
        "name a CLI module after the core module whose commands it holds "
        "(cli/<core>.py, or cli/<group>_<core>.py for commands added to a group): "
        f"{unnamed}"
    )


def test_the_naming_rule_catches_a_mismatch():
    # The names that issue 15 found: each would fail the rule above.
    for old in ("database", "config", "items", "pages", "customers_exports"):
        assert _fronted(old) is None, old
    assert _fronted("customers_buying") == "buying"
    assert _fronted("db") == "db"


def test_every_command_and_extension_module_exists():
    modules = {module for module, _ in COMMANDS.values()}
    modules |= {module for group in EXTENSIONS.values() for module in group}
    missing = [
        m for m in sorted(modules) if not (ROOT.parent / (m.replace(".", "/") + ".py")).exists()
    ]
    assert missing == []
