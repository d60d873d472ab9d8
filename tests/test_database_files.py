"""Which file crmcli takes as its database, and what it does to it (issues 11.5, 11.14, 12.5).

A read creates nothing, migrates only crmcli's own file and switches no journal
mode; another application's SQLite file is refused by every command unless
`db migrate --adopt`; a missing database is an error for reads, not an empty shop;
the database, its companions and its folders are private whatever the umask.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from crmcli import customers
from crmcli.db import open_db, open_read
from crmcli.errors import ForeignDatabase, NoDatabase
from crmcli.migrations import applied_names, names

# Which file, its bytes, modes and journal: what an SQLite file is (a server's side is in
# test_postgres_schema.py and test_postgres_connect.py).
pytestmark = pytest.mark.sqlite_only("SQLite database files: which file, its modes, its journal")

SCHEMA = Path(__file__).parent / "fixtures" / "schema"

READS = [
    ("customers", "list"),
    ("customers", "show", "1"),
    ("customers", "search", "Kim"),
    ("customers", "export"),
    ("purchases", "list"),
    ("due",),
    ("due", "--since-last-run"),
    ("greet",),
    ("export", "ics"),
    ("tiers", "report"),
    ("complaints", "list"),
    ("followups", "list"),
    ("imports", "list"),
    ("templates", "list"),
    ("db", "check"),
]
WRITES = [
    ("customers", "add", "--name", "New Person"),
    ("purchases", "add", "1", "--amount", "100"),
    ("followups", "add", "1", "--in", "3d", "--note", "call"),
    ("config", "set", "phone.region", "JP"),
    ("tiers", "classify"),
    ("customers", "forget", "1", "--yes"),
]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _files(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def _foreign(path: Path, *, wal: bool = False) -> Path:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, label TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('another program''s data')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_a_foreign_sqlite_file_is_refused_by_every_command(cli, tmp_path, wal, figures):
    folder = tmp_path / "other-app"
    folder.mkdir()
    path = _foreign(folder / "other-app.db", wal=wal)
    os.chmod(path, 0o644)
    before = _files(folder)
    for args in [*READS, *WRITES, ("db", "backup", str(tmp_path / "copy.db")), ("db", "migrate")]:
        result = cli("--db", str(path), *args, ok=False)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert "is not a crmcli database" in result.stderr and "--adopt" in result.stderr, args
        assert result.stdout == ""
    assert _files(folder) == before  # not one byte, not one new file (no -wal, no -shm)
    assert _mode(path) == 0o644
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == ("wal" if wal else "delete")
    conn.close()
    assert not (tmp_path / "copy.db").exists()
    tried = len(READS) + len(WRITES) + 2
    name = f"database_files.foreign_{'wal' if wal else 'delete'}"
    figures.record(name, attempts=tried, held=tried)


def test_adopting_a_foreign_file_is_explicit_and_keeps_its_tables(cli, tmp_path):
    path = _foreign(tmp_path / "notes.db")
    path.unlink()
    conn = sqlite3.connect(path)  # no clash with crmcli's table names this time
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('kept')")
    conn.commit()
    conn.close()
    assert "applied: m001_initial" in cli("--db", str(path), "db", "migrate", "--adopt").stderr
    cli("--db", str(path), "customers", "add", "--name", "Kim")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT body FROM notes").fetchall() == [("kept",)]
    conn.close()


def test_adopting_a_file_whose_tables_clash_changes_nothing(cli, tmp_path):
    path = _foreign(tmp_path / "clash.db")  # it has its own `customers` table
    before = path.read_bytes()
    result = cli("--db", str(path), "db", "migrate", "--adopt", ok=False)
    assert result.exit_code == 1 and "unchanged" in result.stderr
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert tables == {"notes", "customers"}
    assert path.read_bytes() == before  # rolled back whole; not even switched to WAL


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(cli, tmp_path):
    (tmp_path / "docs").mkdir()
    path = tmp_path / "docs" / "notes.txt"
    path.write_bytes(b"shopping list\n" * 20)
    for args in (("customers", "list"), ("customers", "add", "--name", "A"), ("db", "migrate")):
        result = cli("--db", str(path), *args, ok=False)
        assert result.exit_code == 1 and "not an SQLite file" in result.stderr
    assert path.read_bytes() == b"shopping list\n" * 20
    assert sorted(p.name for p in path.parent.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a))
def test_reading_a_missing_database_is_an_error_and_creates_nothing(cli, tmp_path, args):
    path = tmp_path / "typo" / "shop.db"
    result = cli("--db", str(path), *args, ok=False)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith(f"crmcli: error: no crmcli database at {path} (")
    assert "--db / CRMCLI_DB" in result.stderr and result.stdout == ""
    assert not (tmp_path / "typo").exists()


def test_db_path_works_and_db_check_fails_on_a_mistyped_path(cli, tmp_path, monkeypatch, figures):
    path = tmp_path / "shpo.db"
    monkeypatch.setenv("CRMCLI_DB", str(path))
    assert cli("db", "path").stdout.strip() == str(path)
    result = cli("db", "check", ok=False)
    assert result.exit_code == 1 and "ok" not in result.stderr.split("(")[0]
    assert not path.exists()
    backup = cli("db", "backup", str(tmp_path / "b.db"), ok=False)
    assert backup.exit_code == 1 and not (tmp_path / "b.db").exists()
    figures.record("database_files.missing", attempts=len(READS) + 2, held=len(READS) + 2)


def test_an_empty_file_is_no_database_to_read_but_becomes_one_on_a_write(cli, tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    os.chmod(path, 0o644)
    result = cli("--db", str(path), "due", ok=False)
    assert result.exit_code == 1 and "empty" in result.stderr
    assert path.stat().st_size == 0 and _mode(path) == 0o644  # a read changes nothing
    cli("--db", str(path), "customers", "add", "--name", "Kim")
    assert _mode(path) == 0o600
    wal = Path(f"{path}-wal")
    db = open_db(path)
    customers.add(db, name="Lee")
    assert _mode(wal) == 0o600 and _mode(Path(f"{path}-shm")) == 0o600
    db.close()


def test_writes_create_the_database_private_whatever_the_umask(cli, tmp_path, figures):
    old = os.umask(0)
    try:
        path = tmp_path / "a" / "b" / "c" / "shop.db"
        cli("--db", str(path), "customers", "add", "--name", "김민준")
        for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
            assert _mode(folder) == 0o700, folder
        assert _mode(path) == 0o600
        db = open_db(path)
        customers.add(db, name="Lee")
        for suffix in ("-wal", "-shm"):
            assert _mode(Path(f"{path}{suffix}")) == 0o600
        db.close()
        source = tmp_path / "in.csv"
        source.write_text("name,phone\nKim,010-1234-5678\n,\n", encoding="utf-8")
        cli("--db", str(path), "customers", "import", str(source), "--skip-invalid")
        cli("--db", str(path), "export", "ics", "--output", str(tmp_path / "due.ics"))
        cli("--db", str(path), "db", "backup", str(tmp_path / "copy.db"))
        cli("--db", str(path), "demo", "--path", str(tmp_path / "demo" / "x" / "demo.db"))
        written = [tmp_path / "in.rejects.csv", tmp_path / "due.ics", tmp_path / "copy.db",
                   tmp_path / "demo" / "x" / "demo.db"]  # fmt: skip
        for file in written:
            assert _mode(file) == 0o600, file
        assert _mode(tmp_path / "demo") == 0o700 and _mode(tmp_path / "demo" / "x") == 0o700
    finally:
        os.umask(old)
    checked = len(written) + 3  # and the database, its -wal and -shm
    figures.record("database_files.modes_umask_000", files=checked, private=checked)


def test_an_old_crmcli_database_still_reads_after_an_upgrade(cli, tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(SCHEMA / "v1-m001.db", path)
    result = cli("--db", str(path), "due", "--as-of", "2026-03-14")
    assert result.exit_code == 0
    db = open_read(path)
    assert applied_names(db) == names()
    db.close()


def test_open_read_core_refuses_missing_and_foreign(tmp_path):
    with pytest.raises(NoDatabase):
        open_read(tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()
    with pytest.raises(ForeignDatabase):
        open_read(_foreign(tmp_path / "f.db"))
    with pytest.raises(ForeignDatabase):
        open_db(tmp_path / "f.db")


def test_an_old_database_this_user_cannot_write_is_read_from_an_upgraded_copy(cli, tmp_path):
    from test_full_disk import read_only

    path = tmp_path / "old.db"
    shutil.copy(SCHEMA / "v1-m001.db", path)
    before = path.read_bytes()
    with read_only(path):
        result = cli("--db", str(path), "customers", "list")
        assert result.exit_code == 0
        assert "older crmcli" in result.stderr and "db migrate" in result.stderr
        assert result.stdout.startswith("id,code,name")
    assert path.read_bytes() == before  # not migrated, not switched to WAL


def test_output_dash_is_stdout_and_a_linked_database_is_protected_by_its_real_name(cli, tmp_path):
    real = tmp_path / "real.db"
    cli("--db", str(real), "customers", "add", "--name", "Kim")
    link = tmp_path / "link.db"
    link.symlink_to(real)
    assert cli("--db", str(link), "customers", "export", "-o", "-").stdout.startswith("id,")
    assert cli("--db", str(link), "export", "ics", "-o", "-").stdout.startswith("BEGIN:VCALENDAR")
    for name in (real, Path(f"{real}-wal"), Path(f"{real}-shm")):
        result = cli("--db", str(link), "customers", "export", "-o", str(name), "--force", ok=False)
        assert result.exit_code == 1 and "database" in result.stderr, name


# --- a refused command on a database that did not exist leaves nothing (issue 16) ---


@pytest.mark.parametrize(
    "args",
    [
        ("customers", "import", "{bad}"),
        ("purchases", "import", "{bad}"),
        ("customers", "add", "--name", "Kim", "--email", "not-an-address"),
        ("customers", "tag", "7", "vip"),
    ],
)
def test_a_refused_command_on_a_new_path_leaves_no_file_nor_folder(cli, tmp_path, args):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,email\nK1,Kim,kim@example.com\nK2,Lee,nope\n", encoding="utf-8")
    path = tmp_path / "new" / "shop" / "crmcli.db"  # a mistyped --db, folders and all
    result = cli("--db", str(path), *(a.format(bad=bad) for a in args), ok=False)
    assert result.exit_code == 1 and "error:" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "tmp"]
    # The same command once the shop exists: refused, and the shop kept as it was.
    cli("--db", str(path), "customers", "add", "--name", "Ann")
    assert cli("--db", str(path), *(a.format(bad=bad) for a in args), ok=False).exit_code == 1
    listed = cli("--db", str(path), "customers", "list", "--fields", "name").stdout
    assert listed == "name\nAnn\n"


@pytest.mark.parametrize("kind", ["customers", "purchases"])
def test_a_dry_run_on_a_new_path_leaves_no_file_nor_folder(cli, tmp_path, kind):
    """A dry run stores nothing even when it succeeds: the shop it had to make goes too."""
    good = tmp_path / "good.csv"
    lines = {
        "customers": "code,name\nK1,Kim\n",
        "purchases": "customer,date,amount\nK1,2026-03-01,1000\n",
    }
    good.write_text(lines[kind], encoding="utf-8")
    path = tmp_path / "new" / "crmcli.db"
    extra = ["--create-customers"] if kind == "purchases" else []
    result = cli("--db", str(path), kind, "import", str(good), "--dry-run", *extra)
    assert "would add 1, update 0, leave 0 unchanged, reject 0" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv", "tmp"]
    # Into a shop that exists, a dry run leaves it as it was, file and all.
    cli("--db", str(path), "customers", "add", "--name", "Ann")
    cli("--db", str(path), kind, "import", str(good), "--dry-run", *extra)
    assert cli("--db", str(path), "customers", "list", "--fields", "name").stdout == "name\nAnn\n"


def test_a_new_file_is_kept_when_anything_was_stored_in_it_or_another_has_it_open(tmp_path):
    from crmcli.db import discard_new

    path = tmp_path / "shop.db"
    made = open_db(path)
    assert made.created is not None and open_db(path).created is None  # only its maker
    customers.add(made, name="Kim")  # committed: a command that stored something
    assert not discard_new(made) and path.exists()
    made.close()

    path.unlink()
    for companion in tmp_path.glob("shop.db-*"):
        companion.unlink()
    made, other = open_db(path), open_db(path)  # another till opened it meanwhile
    assert not discard_new(made) and path.exists()
    other.close()
    assert discard_new(made) and not path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]  # no -wal, no -shm


def test_a_file_dropped_just_as_another_process_opened_it_is_made_again(tmp_path, monkeypatch):
    # Process B connects to the new file just before the refused command that made it
    # drops it: B's connection then holds a deleted file. B sees the path no longer
    # names it and opens again, so what B stores is in the file at the path.
    from crmcli import db as db_module

    path = tmp_path / "shop.db"
    maker = open_db(path)
    real = sqlite3.connect
    dropped = []

    def connect_then_dropped(*args, **kwargs):
        conn = real(*args, **kwargs)  # its file open, not read yet: no lock
        if not dropped:
            dropped.append(db_module.discard_new(maker))
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect_then_dropped)
    other = open_db(path)
    assert dropped == [True]
    customers.add(other, name="Kim")
    other.close()
    again = open_read(path)
    assert [r["name"] for r in customers.rows(again)] == ["Kim"]
    again.close()
