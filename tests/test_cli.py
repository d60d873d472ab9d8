"""The command line, through CliRunner and through the installed entry point."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys

import pytest

from crmcli.cli import app


def add_kim(cli):
    return cli("customers", "add", "--name", "김민준", "--phone", "010-1234-5678", "--tag", "vip")


def test_add_then_search_finds_the_given_name(cli):
    result = add_kim(cli)
    assert result.stdout.strip() == "1"
    assert "added customer #1 김민준" in result.stderr
    found = cli("customers", "search", "민준")
    rows = list(csv.DictReader(io.StringIO(found.stdout)))
    assert [r["name"] for r in rows] == ["김민준"]


@pytest.mark.sqlite_only("the file's mode bits")
def test_the_database_a_command_makes_is_private(cli, db_path):
    add_kim(cli)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_list_is_csv_when_piped_and_fields_pick_columns(cli):
    add_kim(cli)
    out = cli("customers", "list").stdout.splitlines()
    assert out[0] == "id,code,name,phone,email,birthday,tags,owner,status"
    out = cli("customers", "list", "--fields", "name,phone").stdout.splitlines()
    assert out == ["name,phone", "김민준,010-1234-5678"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "table"])
def test_every_format(cli, fmt):
    add_kim(cli)
    cli("customers", "add", "--name", "Ani Armenovna Petrosyan")
    out = cli("customers", "list", "--format", fmt).stdout
    if fmt == "json":
        assert [r["name"] for r in json.loads(out)] == ["김민준", "Ani Armenovna Petrosyan"]
    elif fmt == "jsonl":
        assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 2]
    elif fmt == "tsv":
        assert out.splitlines()[1].split("\t")[2] == "김민준"
    else:
        assert "김민준" in out and "Ani Armenovna Petrosyan" in out


def test_json_of_nothing_is_an_empty_list(cli):
    cli("db", "migrate")  # an empty shop, not a missing one (that is an error)
    assert json.loads(cli("customers", "list", "--format", "json").stdout) == []


def test_table_aligns_wide_characters(cli):
    cli("customers", "add", "--name", "김민준", "--code", "K1")
    cli("customers", "add", "--name", "John Smith", "--code", "E1")
    out = cli("customers", "list", "--format", "table", "--fields", "name,code").stdout
    from rich.cells import cell_len

    lines = [line for line in out.splitlines() if "K1" in line or "E1" in line]
    # The code column starts at the same screen column whatever the name's script.
    starts = [cell_len(line[: line.index("1") - 1]) for line in lines]
    assert len(set(starts)) == 1, out


def test_unknown_field_is_a_clear_error(cli):
    cli("db", "migrate")
    result = cli("customers", "list", "--fields", "name,shoe_size", ok=False)
    assert result.exit_code == 1
    assert "shoe_size" in result.stderr


def test_show_missing_customer_exits_1_without_traceback(cli):
    cli("db", "migrate")
    result = cli("customers", "show", "NOPE", ok=False)
    assert result.exit_code == 1
    assert "no customer 'NOPE'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_show_page_sections(cli):
    add_kim(cli)
    cli("purchases", "add", "1", "--amount", "32,000", "--on", "2026-11-01", "--item", "원두")
    out = cli("customers", "show", "010-1234-5678", "--format", "table").stdout
    for section in (
        "김민준",
        "Purchases",
        "원두",
        "Tier",
        "Complaints",
        "Follow-ups",
        "Contact log",
    ):
        assert section in out
    page = json.loads(cli("customers", "show", "1", "--format", "json").stdout)
    assert page["purchases"]["count"] == 1
    assert page["profile"]["salutation"] == "김민준 고객님"


def test_usage_errors_exit_2(cli):
    assert cli("customers", "add", ok=False).exit_code == 2
    assert cli("customers", "list", "--format", "xml", ok=False).exit_code == 2
    assert cli("nonsense", ok=False).exit_code == 2


def test_edit_tag_archive_delete(cli):
    add_kim(cli)
    cli("customers", "edit", "1", "--email", "kim@example.kr", "--contact-days", "mon-fri")
    cli("customers", "tag", "1", "단골", "new")
    cli("customers", "untag", "1", "new")
    row = json.loads(cli("customers", "list", "-f", "json").stdout)[0]
    assert (row["email"], row["tags"]) == ("kim@example.kr", ["vip", "단골"])
    cli("customers", "archive", "1")
    assert json.loads(cli("customers", "list", "-f", "json").stdout) == []
    result = cli("customers", "delete", "1", ok=False)
    assert result.exit_code == 2 and "--yes" in result.stderr
    cli("customers", "delete", "1", "--yes")
    assert cli("customers", "show", "1", ok=False).exit_code == 1


def test_purchases_add_and_list_exact(cli):
    add_kim(cli)
    cli("purchases", "add", "1", "--amount", "957.5775", "--on", "2026-01-02")
    cli("purchases", "add", "1", "--amount", "-12.5", "--on", "2026-01-03", "--item", "return")
    rows = json.loads(cli("purchases", "list", "1", "-f", "json").stdout)
    assert [r["amount"] for r in rows] == ["-12.5", "957.5775"]  # money: exact decimal text
    assert "957.5775" in cli("purchases", "list", "-f", "csv").stdout


def test_config(cli):
    assert cli("config", "get", "phone.region").stdout.strip() == "KR"
    cli("config", "set", "phone.region", "JP")
    assert cli("config", "get", "phone.region").stdout.strip() == "JP"
    bad = cli("config", "set", "phone.region", "XX", ok=False)
    assert bad.exit_code == 1 and "region" in bad.stderr
    assert cli("config", "get", "no.such", ok=False).exit_code == 1
    assert "holidays.country" in cli("config", "list").stdout


def test_db_commands(cli, db_path, tmp_path):
    assert cli("db", "path").stdout.strip() == str(db_path)
    add_kim(cli)
    assert "ok" in cli("db", "check").stderr
    cli("db", "backup", str(tmp_path / "b.db"))
    assert (tmp_path / "b.db").exists()
    assert cli("db", "backup", str(tmp_path / "b.db"), ok=False).exit_code == 1
    assert "up to date" in cli("db", "migrate").stderr


@pytest.mark.sqlite_only("a missing database file is not made; a server database always exists")
def test_reading_a_missing_database_creates_nothing(cli, db_path):
    result = cli("customers", "list", ok=False)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"crmcli: error: no crmcli database at {db_path} (")
    assert "CRMCLI_DB" in result.stderr
    assert not db_path.exists()


def test_db_option_beats_environment(cli, tmp_path):
    other = tmp_path / "other.db"
    cli("--db", str(other), "customers", "add", "--name", "A")
    assert other.exists()


@pytest.mark.sqlite_only("whether the real database's file gets made")
def test_demo_never_touches_the_real_database(cli, db_path, tmp_path):
    out = cli("demo", "--path", str(tmp_path / "d" / "demo.db")).stdout
    assert "김민준" in out
    assert not db_path.exists()


def test_demo_tour_shows_a_thank_you_and_a_prospect_call(cli, tmp_path):
    # The tour's due list is a CSV when piped: its `kind` column must carry both.
    out = cli("demo", "--path", str(tmp_path / "d" / "demo.db")).stdout
    due = out.split("$ crmcli due --as-of", 1)[1]
    kinds = {line.split(",")[1] for line in due.splitlines()[1:] if line.count(",") > 2}
    assert {"thanks", "prospect"} <= kinds


@pytest.mark.sqlite_only("the tour's own file")
def test_every_command_the_demo_shows_is_one_line_the_shell_and_crmcli_take(cli, tmp_path):
    """Copied from a pipe or a narrow terminal, a shown command runs as shown: one line
    (never folded at 80 columns), quoted where a value has a space."""
    import shlex

    import typer

    from crmcli.cli import app

    out = cli("demo", "--path", str(tmp_path / "d" / "demo.db")).stdout
    shown = [line[2:] for line in out.splitlines() if line.startswith("$ crmcli ")]
    assert len(shown) >= 12
    root = typer.main.get_command(app)
    for line in shown:
        for command in line.split(" && "):
            if "…" in command:  # an elided argument, shown as such
                continue
            words = shlex.split(command.removeprefix("crmcli "))
            cmd, name, ctx = root, "crmcli", None
            while True:  # each group resolves its command; the last parses every word
                ctx = cmd.make_context(name, words, parent=ctx)
                if not hasattr(cmd, "resolve_command"):
                    break
                rest = [*getattr(ctx, "_protected_args", ()), *ctx.args]
                if not rest:  # a group that runs by itself (`due`)
                    break
                name, cmd, words = cmd.resolve_command(ctx, rest)
            assert not ctx.args, (command, ctx.args)


def _all_commands(command, prefix=()):
    import typer

    ctx = typer.Context(command)
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        path = (*prefix, name)
        yield path, sub
        if hasattr(sub, "list_commands"):
            yield from _all_commands(sub, path)


def test_every_command_has_help(cli):
    import typer.main

    commands = list(_all_commands(typer.main.get_command(app)))
    assert len(commands) > 10
    for path, command in commands:
        assert command.help or command.short_help, f"{' '.join(path)} has no help text"
        result = cli(*path, "--help")
        assert "Usage" in result.stdout


def _run(*args, env_extra=None, **kw):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "crmcli", *args], capture_output=True, text=True, env=env, **kw
    )


def test_installed_entry_point_in_a_subprocess(db_path):
    assert _run("--version").stdout.startswith("crmcli ")
    assert (
        _run("customers", "add", "--name", "山田 太郎", "--phone", "090-1234-5678").returncode == 0
    )
    bad = _run("customers", "show", "NOPE")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def test_closed_pipe_is_quiet(db_path):
    code = "\n".join(
        [
            "from crmcli.db import open_db",
            "from crmcli import customers",
            f"db = open_db({str(db_path)!r})",
            "with db.write():",
            "    for i in range(5000): customers.add(db, name=f'Customer {i}')",
        ]
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    pipeline = subprocess.run(
        f"{sys.executable} -m crmcli customers list | head -1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert pipeline.stdout.startswith("id,")
    assert pipeline.stderr == ""


def test_long_tables_stream_in_chunks_with_the_same_columns(cli, db_path, monkeypatch):
    from crmcli.cli import output

    monkeypatch.setattr(output, "TABLE_CHUNK", 3)
    for i in range(7):
        cli(
            "customers",
            "add",
            "--name",
            f"고객 {i}" if i % 2 else f"Customer {i}",
            "--code",
            f"C{i}",
        )
    out = cli("customers", "list", "-f", "table", "--fields", "code,name").stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert sum("code" in line for line in lines) == 1  # one header
    rows = [line for line in lines if line.lstrip().startswith("C")]
    assert len(rows) == 7
    assert len({line.index("│") for line in rows}) == 1  # same column position throughout


def test_every_command_is_in_a_help_panel():
    from crmcli.cli import COMMANDS, PANELS

    assert sorted(n for names in PANELS.values() for n in names) == sorted(COMMANDS)


def test_start_up_loads_only_the_command_that_runs(db_path):
    code = (
        "import sys; sys.argv = ['crmcli', '--version']\n"
        "from crmcli.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('crmcli.', 'sqlite_utils', 'rich'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    modules = loaded.stdout.splitlines()[-1]
    for heavy in ("sqlite_utils", "rich", "crmcli.cli.customers", "crmcli.agenda", "phonenumbers"):
        assert f"'{heavy}" not in modules, modules


# --- one handler for what goes wrong under any command ----------------------------------


@pytest.mark.parametrize(
    ("raised", "said", "status"),
    [
        (KeyboardInterrupt(), "crmcli: error: interrupted; nothing half-written was kept", 130),
        (
            __import__("sqlite3").OperationalError("database or disk is full"),
            "crmcli: error: the disk is full; nothing was changed",
            1,
        ),
        (
            FileNotFoundError(2, "No such file or directory", "/nowhere/list.csv"),
            "crmcli: error: /nowhere/list.csv: No such file or directory",
            1,
        ),
        (
            UnicodeEncodeError("ascii", "김민준", 0, 1, "ordinal not in range"),
            "crmcli: error: the output's encoding (ascii) cannot write '\\uae40'; "
            "set PYTHONIOENCODING=utf-8",
            1,
        ),
    ],
    ids=["ctrl-c", "disk-full", "missing-file", "encoding"],
)
def test_failures_under_any_command_are_one_line_and_their_status(
    cli, monkeypatch, raised, said, status
):
    from crmcli import customers

    cli("customers", "add", "--name", "Kim")

    def broken(*args, **kwargs):
        raise raised

    monkeypatch.setattr(customers, "rows", broken)
    result = cli("customers", "list", ok=False)
    assert result.exit_code == status  # Ctrl-C 130, as a shell reports it; the rest 1
    assert result.stderr.startswith(said), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_an_error_message_never_carries_raw_escapes(cli):
    cli("customers", "add", "--name", "Kim")
    result = cli("customers", "show", "K\x1b[31m1", ok=False)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\\x1b" in result.stderr


def test_version(cli):
    from crmcli import __version__

    assert cli("--version").stdout == f"crmcli {__version__}\n"
