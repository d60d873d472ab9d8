"""What `crmcli` loads before it answers (issue 17 item 3): start-up is most of a read.

`crmcli --version` is answered by the entry point (`crmcli/__main__.py`) before typer
loads. The read commands a person waits for at the counter — `customers search`,
`customers show`, `customers list` — load rich only when they draw a table: piped,
or with a machine format, they never do (`due` is checked in test_agenda_imports.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
from typer.testing import CliRunner

from crmcli import __version__
from crmcli.cli import app

# Runs the console script's own entry point as `crmcli ARGS…`, its stdout a pipe; then
# says on stderr which modules the run loaded.
PROBE = """
import json, sys
sys.argv = ["crmcli", *sys.argv[1:]]
from crmcli.__main__ import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""
# Never for a read that prints no table.
NEVER = ("rich", "crmcli.cli.table")
# Issue 17 item 3: the core takes an engine over a raw sqlite3 connection; sqlite-utils
# (and with it pluggy and dateutil's parser) loads only when a migration has to run.
NOT_LOADED = ("sqlite_utils", "pluggy", "dateutil.parser")


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    modules = json.loads(run.stderr.strip().splitlines()[-1])
    return set(modules), run.stdout


def _hits(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


def test_the_console_script_is_the_light_entry_point():
    (script,) = (e for e in entry_points(group="console_scripts") if e.name == "crmcli")
    assert script.value == "crmcli.__main__:main"


def test_version_is_answered_before_typer_loads():
    modules, out = _run("--version")
    assert out == f"crmcli {__version__}\n"
    assert _hits(modules, ("typer", "click", "rich", "crmcli.cli")) == []


def test_version_says_what_typer_would_say():
    typer_says = CliRunner().invoke(app, ["--version"])
    assert typer_says.exit_code == 0
    _, out = _run("--version")
    assert out == typer_says.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--version", "--db", "x.db"],  # another option: typer parses the line
        ["--version", "--nonsense"],  # typer refuses it as usage
        ["-h"],
    ],
)
def test_any_other_line_goes_to_typer(args):
    modules, _ = _run(*args)
    assert "typer" in modules


def test_a_shell_completing_a_word_is_answered_by_typer():
    # What typer's bash completion script sets when the line so far is `crmcli --ver`.
    completing = {"_CRMCLI_COMPLETE": "complete_bash", "COMP_WORDS": "crmcli --ver"}
    modules, out = _run("--version", env={**completing, "COMP_CWORD": "1"})
    assert "typer" in modules
    assert out == "--version\n"


@pytest.fixture
def shop(cli) -> None:
    for code, name, phone in (("K1", "김민준", "010-1234-5678"), ("A1", "Ann Lee", "555-0100")):
        cli("customers", "add", "--name", name, "--code", code, "--phone", phone)
        cli("purchases", "add", code, "--amount", "12.50", "--on", "2026-09-01")


READS = {
    "search": ["customers", "search", "민준"],
    "search by phone": ["customers", "search", "1234"],
    "search as json": ["customers", "search", "Ann", "--format", "json"],
    "show": ["customers", "show", "K1"],
    "show as json": ["customers", "show", "K1", "--format", "json"],
    "list": ["customers", "list"],
    "list as csv": ["customers", "list", "--format", "csv"],
}


@pytest.mark.parametrize("args", READS.values(), ids=READS.keys())
def test_a_read_that_prints_no_table_loads_no_table_renderer(shop, args):
    modules, out = _run(*args)
    assert "김민준" in out or "Ann Lee" in out  # it did read the shop
    assert _hits(modules, NEVER) == []


def test_a_table_does_load_the_renderer(shop):
    # The same probe sees rich when a table is drawn: the test above can fail.
    modules, out = _run("customers", "list", "--format", "table")
    assert "김민준" in out
    assert _hits(modules, NEVER) == ["crmcli.cli.table", "rich"]


@pytest.mark.parametrize("args", READS.values(), ids=READS.keys())
def test_a_read_loads_no_sqlite_utils_nor_what_it_brings(shop, args):
    modules, _ = _run(*args)
    assert _hits(modules, NOT_LOADED) == []


# Imports every core module (crmcli/*.py), noting each character class a crmcli module
# compiles meanwhile that spans more than 1,000 code points: Python takes ~10 ms to
# compile one (Hangul, Han), a cost paid by every command that loads the module.
WIDE_CLASSES = """
import importlib, json, re, sys
from pathlib import Path
try:
    from re import _parser as parser
except ImportError:  # Python 3.10
    import sre_parse as parser

import crmcli

def widest(items):
    found = 0
    for op, av in items:
        if op is parser.IN:
            found = max([found, *(a[1] - a[0] for o, a in av if o is parser.RANGE)])
        for part in av if isinstance(av, (tuple, list)) else ():
            if isinstance(part, parser.SubPattern):
                found = max(found, widest(part))
            elif isinstance(part, (tuple, list)):
                found = max([found, *(widest(p) for p in part if isinstance(p, parser.SubPattern))])
    return found

wide = []
real = re._compile
def record(pattern, flags):
    caller = sys._getframe(1)
    while caller.f_globals.get("__name__") == "re":
        caller = caller.f_back
    module = caller.f_globals.get("__name__", "")
    # The import machinery (crmcli.imports, loaded by demo, vcard, export, merge) runs
    # with files to read, where 20 ms is noise: only what every command loads counts.
    if isinstance(pattern, str) and module.startswith("crmcli") and not module.startswith(
        "crmcli.imports"
    ):
        if widest(parser.parse(pattern, flags)) > 1000:
            wide.append(f"{module}: {pattern!a}")
    return real(pattern, flags)
re._compile = record
for path in sorted(Path(crmcli.__file__).parent.glob("*.py")):
    if path.stem != "__main__":
        importlib.import_module(f"crmcli.{path.stem}")
if "--use" in sys.argv:  # then tell the script and locale of a name in each script
    from crmcli import locales, names
    for name in ("김민준", "山田 太郎", "上原優", "张伟", "やまだ", "Արամ", "Иван", "José", "Ann"):
        names.script(name), names.split_name(name), names.default_locale(name)
        locales.from_letters(name), locales.from_shape(name)
print(json.dumps(wide))
"""


def test_no_core_module_compiles_a_wide_character_class_at_import():
    run = subprocess.run(
        [sys.executable, "-c", WIDE_CLASSES], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout) == []


def test_telling_a_name_s_script_compiles_no_wide_character_class():
    # `due` tells the locale of each name it greets: a compiled Hangul or Han class
    # cost its first Korean or Japanese name 2-5 ms (crmcli.locales.Scripts).
    run = subprocess.run(
        [sys.executable, "-c", WIDE_CLASSES, "--use"], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout) == []


def test_the_wide_classes_still_tell_the_scripts_apart():
    from crmcli import locales, names

    assert [names.script(n) for n in ("김민준", "山田", "やまだ", "Արամ", "Иван", "Ann")] == [
        "hangul", "han", "kana", "armenian", "cyrillic", "latin",
    ]  # fmt: skip
    assert locales.from_letters("张伟").locale == "zh_Hans"
    assert locales.from_shape("山田 太郎").locale == "ja"


# Runs the entry point as PROBE does; then says how often the cyclic collector ran
# meanwhile, whether it is on, and how many objects are still frozen out of its reach.
COLLECTOR = """
import gc, json, sys
before = gc.get_stats()[0]["collections"]
sys.argv = ["crmcli", *sys.argv[1:]]
from crmcli.__main__ import main
try:
    main()
except SystemExit:
    pass
ran = gc.get_stats()[0]["collections"] - before
print(json.dumps([ran, gc.isenabled(), gc.get_freeze_count()]), file=sys.stderr)
"""


def test_start_up_does_not_walk_its_own_objects_and_the_command_runs_collected(tmp_path):
    # Loading the CLI and a command's code makes ~100k objects and frees almost none:
    # the collector used to walk them ~35 times (3 % of a `due`). It is paused until the
    # command is loaded, then on again, so a long import or a big `due` frees cycles.
    # (An SQLite file: a server's driver loads when the command connects, collected.)
    from crmcli import customers
    from crmcli.db import open_db

    path = tmp_path / "shop.db"
    db = open_db(path)
    customers.add(db, name="김민준", code="K1")
    db.close()
    run = subprocess.run(
        [sys.executable, "-c", COLLECTOR, "--db", str(path), "customers", "list", "-f", "csv"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "김민준" in run.stdout
    ran, enabled, frozen = json.loads(run.stderr.strip().splitlines()[-1])
    assert enabled
    assert frozen == 0  # the run over, all is collectable: the exit finalizes as it did
    assert ran <= 5


def test_a_message_finds_the_shop_s_language_through_the_command_s_connection(tmp_path):
    # With no language in the environment a message is said in the setting ui.language.
    # It was read through a second connection, loading the help's translation module and
    # the table layout with it (2-4 % of a `tiers classify`); the command's own does now.
    from datetime import date

    from crmcli import customers, purchases, settings
    from crmcli.db import open_db

    path = tmp_path / "shop.db"
    db = open_db(path)
    settings.set_value(db, "ui.language", "ko")
    cid = customers.add(db, name="김민준", code="K1")
    purchases.add(db, customer_id=cid, amount_micros=10_000_000, on=date(2026, 9, 1))
    db.close()
    quiet = {name: "" for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    classify = ["--db", str(path), "tiers", "classify", "--as-of", "2026-09-20"]
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *classify],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **quiet, "LANG": "C.UTF-8"},
    )
    said, loaded = run.stderr.strip().splitlines()[:-1], json.loads(run.stderr.splitlines()[-1])
    assert any("실행 #1" in line for line in said), said  # "run #1", in the shop's Korean
    assert _hits(set(loaded), ("crmcli.cli.i18n", "crmcli.cli.table")) == []


# Runs the entry point as PROBE does; then says its exit status and each dataclass a
# crmcli module defined meanwhile. On Python 3.11 a frozen dataclass costs ~0.55 ms to
# define (each of its six generated methods compiled from source), a named tuple
# ~0.07 ms: `due` defined 27 of them (15 ms of its ~125 ms at 10k customers).
DATACLASSES = """
import dataclasses, json, sys
defined = []
real = dataclasses._process_class
def noted(cls, *args, **kwargs):
    if cls.__module__.startswith("crmcli"):
        defined.append(f"{cls.__module__}.{cls.__qualname__}")
    return real(cls, *args, **kwargs)
dataclasses._process_class = noted
sys.argv = ["crmcli", *sys.argv[1:]]
from crmcli.__main__ import main
try:
    main()
    status = 0
except SystemExit as exit:
    status = exit.code
print(json.dumps([status, defined]), file=sys.stderr)
"""

STARTS = {
    **READS,
    "list as a table": ["customers", "list", "--format", "table"],
    "due": ["due", "--as-of", "2026-09-10", "--format", "csv"],
    "due birthday + followup": [
        *("due", "--kind", "birthday", "--kind", "followup", "--as-of", "2026-09-10"),
        *("--days", "30", "--format", "csv"),
    ],
    "tiers classify": ["tiers", "classify", "--as-of", "2026-09-20"],
    "attitudes": ["customers", "attitudes"],
    "at-risk": ["customers", "at-risk"],
    "export as csv": ["customers", "export", "--format", "csv"],
}


def test_a_read_command_defines_no_dataclass(shop, cli):
    # Records are named tuples (a mutable one a plain class): cheap to define, so the
    # commands a person waits for at the counter pay nothing for the classes they load.
    cli("customers", "edit", "K1", "--birthday", "1985-09-14")
    cli("followups", "add", "A1", "--on", "2026-09-12", "--note", "call back")
    said = {}
    for name, args in STARTS.items():
        run = subprocess.run(
            [sys.executable, "-c", DATACLASSES, *args], capture_output=True, text=True, check=True
        )
        status, defined = json.loads(run.stderr.strip().splitlines()[-1])
        assert status == 0 and run.stdout, (name, run.stderr)
        said[name] = defined
    assert said == {name: [] for name in STARTS}


def test_records_are_named_tuples_and_dataclasses_only_an_import_s_working_state():
    # The rule the test above checks at run time, for every module: a frozen dataclass
    # is a record (a NamedTuple is it, cheaper); a mutable one is an import's state.
    import ast
    from pathlib import Path

    import crmcli

    root = Path(crmcli.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for decorator in node.decorator_list:
                    said = ast.unparse(decorator)
                    if "dataclass" in said:
                        found.append((path.relative_to(root).as_posix(), node.name, said))
    assert found, "the check sees the import's dataclasses"
    assert [f for f in found if not f[0].startswith("imports/") or "frozen" in f[2]] == []


def _extension_commands() -> list[tuple[str, str, str]]:
    from crmcli.cli import EXTENSIONS

    return [
        (group, module, names[0])
        for group, extensions in EXTENSIONS.items()
        for module, names in extensions.items()
    ]


@pytest.mark.parametrize(("group", "module", "command"), _extension_commands())
def test_an_extension_command_loads_its_own_module_and_no_other(group, module, command):
    # `customers attitudes` loaded every module that adds commands to `customers`, the
    # import machinery among them (31 more crmcli modules, 10 dataclasses).
    from crmcli.cli import EXTENSIONS

    modules, out = _run(group, command, "--help")
    assert command in out
    assert [m for m in EXTENSIONS[group] if m in modules] == [module]


def test_a_group_s_help_lists_its_extensions_in_order_whichever_ran_first(cli):
    # One process, as CliRunner's tests are: a later extension loaded first does not
    # move its commands ahead of the others in the group's help.
    from crmcli.cli import EXTENSIONS

    cli("customers", "add", "--name", "Ann", "--code", "A1")
    cli("customers", "export", "--format", "csv")
    listed = [
        line.split()[1]
        for line in cli("customers", "--help").stdout.splitlines()
        if line.startswith("│ ") and len(line.split()) > 2
    ]
    added = [n for names in EXTENSIONS["customers"].values() for n in names]
    assert [n for n in listed if n in added] == added


def test_imports_list_loads_no_file_reader_nor_undo(shop):
    # A look at past imports read no file and undid nothing, yet loaded the readers
    # (charsets, headers, reading) and undo with the customers' records: −18 % of its run.
    modules, _ = _run("imports", "list", "--format", "csv")
    assert _hits(modules, ("crmcli.imports.journal",)) == ["crmcli.imports.journal"]
    assert _hits(modules, ("crmcli.imports.reading", "crmcli.imports.undo")) == []
