"""files: every file crmcli writes, whole or not at all; output paths that point at
something precious (issue 11, item 1).

Every file crmcli writes (rejects, ICS, backups, the demo) goes through
`crmcli.files.Output`: it never replaces the open database or its companions, the
command's input, a folder, a file behind a symbolic link, or (without --force) an
existing file; and it never leaves half a file or a temporary file behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seeded_shop import dump
from typer.testing import CliRunner

from crmcli import customers
from crmcli.cli import app
from crmcli.db import open_db
from crmcli.errors import Conflict
from crmcli.files import (
    TMP_SUFFIX,
    Output,
    UnsafeOutput,
    check_target,
    create_private,
    database_family,
    make_private_dirs,
    open_new_private,
    protect_database,
    protect_inputs,
)

GOOD = "name,phone\n김민준,010-1234-5678\nJohn Smith,010-2222-3333\n"
WITH_BAD = GOOD + "Bad Day,010-3333-4444,extra\n,\n"  # a ragged row and an empty one
PRECIOUS = b"precious: the shop's own notes\n"


def make_shop(path: Path) -> Path:
    db = open_db(path)
    customers.add(db, name="Ani Petrosyan", phones_raw=["010-9999-0000"], code="K1")
    db.close()
    return path


def digest(path: Path) -> tuple[str, int, bool]:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return (os.readlink(path), 0, True)
    if stat.S_ISDIR(info.st_mode):
        return ("dir", stat.S_IMODE(info.st_mode), False)
    return (hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(info.st_mode), False)


def every_path(folder: Path) -> list[Path]:
    """Everything under `folder`, links listed but not followed."""
    out = []
    for base, dirs, files in os.walk(folder):
        out.extend(Path(base) / name for name in [*dirs, *files])
    return out


def leftovers(folder: Path) -> list[Path]:
    return [p for p in every_path(folder) if TMP_SUFFIX in p.name]


@pytest.fixture
def shop(db_path: Path) -> Path:
    return make_shop(db_path)


def _input(tmp_path: Path, text: str = WITH_BAD, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.sqlite_only("an output naming the live SQLite file or its -wal/-shm/-journal")
def test_rejects_naming_the_live_database_is_refused(cli, shop, tmp_path, suffix, figures):
    before = dump(shop)
    source = _input(tmp_path)
    target = f"{shop}{suffix}"
    result = cli("customers", "import", str(source), "--skip-invalid", "--rejects", target,
                 "--force", ok=False)  # fmt: skip
    assert result.exit_code == 1, result.stderr
    assert "open database" in result.stderr and "Traceback" not in result.stderr
    assert dump(shop) == before  # nothing imported, nothing damaged
    assert cli("db", "check").exit_code == 0
    assert leftovers(tmp_path) == []
    figures.record(f"output_paths.rejects_is_db{suffix or '_file'}", attempts=1, held=1)


@pytest.mark.sqlite_only("the live SQLite file under another name (hard link, symlink)")
def test_ics_output_naming_the_database_is_refused_by_any_name(cli, shop, tmp_path, figures):
    before = dump(shop)
    hard = tmp_path / "hard-link.db"
    os.link(shop, hard)
    linked_folder = tmp_path / "via"
    linked_folder.symlink_to(tmp_path)
    names = [shop, hard, linked_folder / shop.name, tmp_path / "." / shop.name]
    for name in names:
        result = cli("export", "ics", "--output", str(name), "--force", ok=False)
        assert result.exit_code == 1, (name, result.stderr)
        assert "open database" in result.stderr
    assert dump(shop) == before
    assert shop.read_bytes()[:16] == b"SQLite format 3\x00"
    figures.record("output_paths.ics_is_db", attempts=len(names), held=len(names))


def test_rejects_never_touch_an_existing_file(cli, shop, tmp_path, figures):
    precious = tmp_path / "precious.txt"
    precious.write_bytes(PRECIOUS)
    precious.chmod(0o644)
    clean = _input(tmp_path, GOOD, "clean.csv")
    before = dump(shop)
    # Refused before the import starts: the user learns it before anything changes.
    result = cli("customers", "import", str(clean), "--skip-invalid", "--rejects", str(precious),
                 ok=False)  # fmt: skip
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert "--force" in result.stderr
    assert dump(shop) == before
    # With --force and no bad row there is nothing to write: the file is not touched.
    cli("customers", "import", str(clean), "--skip-invalid", "--rejects", str(precious), "--force")
    assert precious.read_bytes() == PRECIOUS and stat.S_IMODE(precious.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []
    figures.record("output_paths.rejects_precious_clean_import", attempts=2, held=2)


def test_rejects_replace_an_existing_file_only_with_force_and_whole(cli, shop, tmp_path):
    source = _input(tmp_path)
    old = tmp_path / "people.rejects.csv"
    old.write_text("old rejects\n")
    assert cli("customers", "import", str(source), "--skip-invalid", ok=False).exit_code == 1
    assert old.read_text() == "old rejects\n"
    cli("customers", "import", str(source), "--skip-invalid", "--force")
    text = old.read_text(encoding="utf-8")
    assert text.startswith("name,phone,reason\n") and len(text.splitlines()) >= 2
    assert stat.S_IMODE(old.stat().st_mode) == 0o600


def test_rejects_naming_the_input_file_is_refused(cli, shop, tmp_path, figures):
    sources = {
        "customers": _input(tmp_path),
        "purchases": _input(tmp_path, "customer,date,amount\nK1,2026-01-02,1\nK1,x,1\n", "b.csv"),
    }
    before = dump(shop)
    tried = 0
    for kind, source in sources.items():
        original = source.read_bytes()
        alias = tmp_path / f"alias-{source.name}"
        os.link(source, alias)
        for target in (source, alias):
            result = cli(kind, "import", str(source), "--skip-invalid", "--rejects", str(target),
                         "--force", ok=False)  # fmt: skip
            assert result.exit_code == 1, result.stderr
            assert "input file" in result.stderr
            tried += 1
        assert source.read_bytes() == original
    assert dump(shop) == before
    figures.record("output_paths.rejects_is_input", attempts=tried, held=tried)


def test_outputs_never_follow_a_symbolic_link(cli, shop, tmp_path, figures):
    precious = tmp_path / "precious.txt"
    precious.write_bytes(PRECIOUS)
    precious.chmod(0o644)
    link = tmp_path / "link.ics"
    link.symlink_to(precious)
    dangling = tmp_path / "dangling.ics"
    dangling.symlink_to(tmp_path / "nowhere" / "x.ics")
    to_db = tmp_path / "db-link"
    to_db.symlink_to(shop)
    source = _input(tmp_path)
    attempts = [
        ("export", "ics", "--output", str(link), "--force"),
        ("export", "ics", "--output", str(dangling)),
        ("export", "ics", "--output", str(to_db), "--force"),
        ("db", "backup", str(link), "--force"),
        ("customers", "import", str(source), "--skip-invalid", "--rejects", str(link), "--force"),
        ("demo", "--path", str(link), "--force"),
    ]
    before = dump(shop)
    for args in attempts:
        result = cli(*args, ok=False)
        assert result.exit_code == 1, (args, result.stderr)
        assert "symbolic link" in result.stderr or "open database" in result.stderr
    assert precious.read_bytes() == PRECIOUS and stat.S_IMODE(precious.stat().st_mode) == 0o644
    assert link.is_symlink() and dangling.is_symlink() and not (tmp_path / "nowhere").exists()
    assert dump(shop) == before
    figures.record("output_paths.symlinks", attempts=len(attempts), held=len(attempts))


def test_a_folder_is_not_an_output_file(cli, shop, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for args in (("export", "ics", "-o", str(folder)), ("db", "backup", str(folder), "--force")):
        result = cli(*args, ok=False)
        assert result.exit_code == 1 and "is a folder" in result.stderr
    assert list(folder.iterdir()) == []


def test_an_existing_output_is_replaced_only_with_force(cli, shop, tmp_path):
    target = tmp_path / "agenda.ics"
    target.write_text("old")
    result = cli("export", "ics", "-o", str(target), ok=False)
    assert result.exit_code == 1 and target.read_text() == "old"
    cli("export", "ics", "-o", str(target), "--force")
    assert target.read_text().startswith("BEGIN:VCALENDAR")


@pytest.mark.sqlite_only("an export over the live SQLite file")
def test_exports_with_output_are_written_whole_and_private(cli, shop, tmp_path, figures):
    before = dump(shop)
    for kind in ("customers", "purchases"):
        result = cli(kind, "export", "--output", str(shop), "--force", ok=False)
        assert result.exit_code == 1 and "database" in result.stderr
    out = tmp_path / "customers.csv"
    cli("customers", "export", "-o", str(out))
    assert out.read_text(encoding="utf-8").startswith("id,code,name")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert cli("customers", "export", "-o", str(out), ok=False).exit_code == 1
    # A command that fails after it started writing leaves no file at all.
    bad = tmp_path / "bad.csv"
    result = cli("customers", "export", "-o", str(bad), "--fields", "nope", ok=False)
    assert result.exit_code == 1 and not bad.exists() and leftovers(tmp_path) == []
    cli("purchases", "export", "-o", str(tmp_path / "p.json"), "--format", "json")
    assert (tmp_path / "p.json").read_text(encoding="utf-8").strip() == "[]"
    assert dump(shop) == before
    figures.record("output_paths.exports", attempts=4, held=4)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(PRECIOUS)
    with pytest.raises(RuntimeError), Output(target, force=True) as f:
        f.write("half of the ")
        raise RuntimeError("disk pulled out")
    assert target.read_bytes() == PRECIOUS
    assert leftovers(tmp_path) == []
    # No --force: a file that appears while the data is written is not replaced either.
    late = tmp_path / "late.csv"
    out = Output(late)
    file = out.open()
    assert file is not None
    file.write("new")
    late.write_bytes(PRECIOUS)
    with pytest.raises(Conflict):
        out.commit()
    assert late.read_bytes() == PRECIOUS and leftovers(tmp_path) == []


def test_devices_are_written_through_not_replaced(tmp_path):
    with Output(Path(os.devnull), binary=True) as f:  # no --force needed, stays a device
        f.write(b"nothing")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    with pytest.raises(UnsafeOutput), Output(tmp_path / "missing" / "x.ics", binary=True) as f:
        f.write(b"x")


@pytest.mark.sqlite_only("an SQLite backup over the live SQLite file")
def test_backup_refuses_the_database_and_replaces_only_with_force(cli, shop, tmp_path, figures):
    before = dump(shop)
    result = cli("db", "backup", str(shop), "--force", ok=False)
    assert result.exit_code == 1 and "open database" in result.stderr
    copy = tmp_path / "copy.db"
    cli("db", "backup", str(copy))
    assert cli("db", "backup", str(copy), ok=False).exit_code == 1
    cli("customers", "add", "--name", "New")
    cli("db", "backup", str(copy), "--force")
    assert dump(copy) == dump(shop) and dump(shop) != before
    assert not Path(f"{copy}-wal").exists() and stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []
    figures.record("output_paths.backup", attempts=2, held=2)


@pytest.mark.sqlite_only("a demo file over the live SQLite file")
def test_the_demo_never_replaces_your_database_or_another_file(cli, shop, tmp_path, monkeypatch):
    before = dump(shop)
    result = cli("demo", "--path", str(shop), "--force", ok=False)
    assert result.exit_code == 1 and "your own database" in result.stderr
    other = tmp_path / "other.db"
    other.write_bytes(PRECIOUS)
    assert cli("demo", "--path", str(other), ok=False).exit_code == 1
    assert other.read_bytes() == PRECIOUS and dump(shop) == before
    from crmcli import demo

    monkeypatch.setattr(demo, "default_path", lambda: tmp_path / "crmcli-demo" / "demo.db")
    cli("demo")  # the default demo file is crmcli's own: remade on every run
    cli("demo")
    assert stat.S_IMODE((tmp_path / "crmcli-demo").stat().st_mode) == 0o700


# --- generated: every kind of path against every command that writes a file --------------

TARGETS = (
    "db",
    "db-wal",
    "db-shm",
    "db-journal",
    "db-hardlink",
    "db-symlink",
    "db-via-linked-folder",
    "input",
    "input-hardlink",
    "folder",
    "symlink-to-precious",
    "dangling-symlink",
    "precious",
    "nested-missing-folder",
    "new-file",
    "dot-dot-db",
)
COMMANDS = ("rejects", "purchase-rejects", "ics", "customers-export", "backup", "demo")


def _layout(root: Path, template: Path) -> dict[str, Path]:
    shop = root / "shop.db"
    shutil.copy(template, shop)
    os.chmod(shop, 0o600)
    (root / "people.csv").write_text(WITH_BAD, encoding="utf-8")
    (root / "buys.csv").write_text(
        "customer,date,amount\nK1,2026-01-02,100\nK1,not a date,5\n", encoding="utf-8"
    )
    (root / "precious.txt").write_bytes(PRECIOUS)
    (root / "folder").mkdir()
    (root / "sub").mkdir()
    os.link(shop, root / "db-hard")
    os.link(root / "people.csv", root / "people-hard.csv")
    (root / "db-link").symlink_to(shop)
    (root / "via").symlink_to(root)
    (root / "to-precious").symlink_to(root / "precious.txt")
    (root / "dangling").symlink_to(root / "nowhere" / "x")
    return {
        "db": shop,
        "db-wal": Path(f"{shop}-wal"),
        "db-shm": Path(f"{shop}-shm"),
        "db-journal": Path(f"{shop}-journal"),
        "db-hardlink": root / "db-hard",
        "db-symlink": root / "db-link",
        "db-via-linked-folder": root / "via" / "shop.db",
        "input": root / "people.csv",
        "input-hardlink": root / "people-hard.csv",
        "folder": root / "folder",
        "symlink-to-precious": root / "to-precious",
        "dangling-symlink": root / "dangling",
        "precious": root / "precious.txt",
        "nested-missing-folder": root / "a" / "b" / "out.csv",
        "new-file": root / "sub" / "new.out",
        "dot-dot-db": root / "sub" / ".." / "shop.db",
    }


def _expected(command: str, target: str, force: bool) -> int:
    """What a careful tool does: 1 for a path it must not write, else 0."""
    if target.startswith(("db", "dot-dot")) or "symlink" in target or target == "folder":
        return 1
    if command == "rejects" and target.startswith("input"):
        return 1  # the input of this very command
    if target == "nested-missing-folder":
        return 0 if command == "demo" else 1  # only the demo makes its folder
    if target in ("precious", "input", "input-hardlink"):
        return 0 if force else 1  # an existing file: replaced only with --force
    return 0


def _args(command: str, root: Path, target: Path, force: bool) -> list[str]:
    flag = ["--force"] if force else []
    db = ["--db", str(root / "shop.db")]
    if command == "rejects":
        return [*db, "customers", "import", str(root / "people.csv"), "--skip-invalid",
                "--rejects", str(target), *flag]  # fmt: skip
    if command == "purchase-rejects":
        return [*db, "purchases", "import", str(root / "buys.csv"), "--skip-invalid",
                "--create-customers", "--rejects", str(target), *flag]  # fmt: skip
    if command == "ics":
        return [*db, "export", "ics", "--as-of", "2026-03-01", "--output", str(target), *flag]
    if command == "customers-export":
        return [*db, "customers", "export", "--format", "json", "--output", str(target), *flag]
    if command == "backup":
        return [*db, "db", "backup", str(target), *flag]
    return [*db, "demo", "--path", str(target), *flag]


@pytest.fixture(scope="module")
def template_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "shop.db"
    make_shop(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")  # one file to copy
    conn.close()
    return path


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    command=st.sampled_from(COMMANDS),
    target=st.sampled_from(TARGETS),
    force=st.booleans(),
)
def test_generated_output_paths_hold(template_shop, figures, command, target, force):
    root = Path(tempfile.mkdtemp(prefix="crmcli-paths-"))
    try:
        paths = _layout(root, template_shop)
        shop = paths["db"]
        before_db = dump(shop)
        # The database (and its hard link) change when an import succeeds: compared by dump.
        watched = [p for p in every_path(root) if p.name not in ("shop.db", "db-hard")]
        before_files = {p: digest(p) for p in watched}
        chosen = paths[target]
        result = CliRunner().invoke(app, _args(command, root, chosen, force))
        output = (result.stdout or "") + (result.stderr or "")
        assert result.exit_code in (0, 1, 2), (command, target, output, result.exception)
        assert "Traceback" not in output and not isinstance(result.exception, AssertionError)
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == _expected(command, target, force), (command, target, output)
        changed = {p for p, d in before_files.items() if not os.path.lexists(p) or digest(p) != d}
        if result.exit_code != 0:
            assert dump(shop) == before_db, (command, target)
            assert changed == set(), (command, target, changed)
        else:
            # Only the target itself may have changed, and it is a private regular file.
            assert changed <= {chosen}, (command, target, changed)
            if chosen.exists():
                assert not chosen.is_symlink()
                assert stat.S_IMODE(chosen.stat().st_mode) == 0o600
        assert leftovers(root) == []
        held = True  # every assertion above passed
        data = figures.data.get("output_paths.generated", {"attempts": 0, "held": 0})
        figures.record(
            "output_paths.generated",
            attempts=data["attempts"] + 1,
            held=data["held"] + int(held),
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- the core helpers, one by one --------------------------------------------------------


def test_a_database_family_is_the_file_and_its_companions_by_both_names(tmp_path):
    real = tmp_path / "real.db"
    assert database_family(real) == [
        real,
        *(Path(f"{real}{s}") for s in ("-wal", "-shm", "-journal")),
    ]
    link = tmp_path / "link.db"
    link.symlink_to(real)
    family = database_family(link)
    assert family[:4] == [link, *(Path(f"{link}{s}") for s in ("-wal", "-shm", "-journal"))]
    assert family[4:] == database_family(real)  # SQLite names companions after the real file
    memory = open_db(":memory:")
    try:
        assert memory.files() == []
    finally:
        memory.close()
    on_disk = open_db(tmp_path / "shop.db")
    try:
        assert on_disk.files()[0] == tmp_path / "shop.db"
        labels = [label for _, label in protect_database(on_disk)]
        assert labels[:2] == ["the open database", "the open database's -wal file"]
    finally:
        on_disk.close()
    assert protect_inputs(None, real) == [(real, "this command's input file")]


@pytest.mark.parametrize("name", ["", "-"])
def test_check_target_wants_a_file_name(name):
    with pytest.raises(UnsafeOutput, match="give a file name for the rejects file"):
        check_target(Path(name), what="rejects file")


def test_check_target_returns_what_is_there(tmp_path):
    assert check_target(tmp_path / "new.csv") is None
    (tmp_path / "old.csv").write_text("x")
    assert check_target(tmp_path / "old.csv", force=True).st_size == 1


def test_retract_takes_back_only_a_new_file_still_ours(tmp_path):
    new = tmp_path / "new.ics"
    out = Output(new, binary=True)
    with out as f:
        f.write(b"calendar")
    out.retract()
    assert not new.exists()
    old = tmp_path / "old.ics"
    old.write_bytes(PRECIOUS)
    out = Output(old, binary=True, force=True)
    with out as f:
        f.write(b"calendar")
    out.retract()  # it replaced a file: the old one is gone, the new one stays
    assert old.read_bytes() == b"calendar"


def test_private_folders_and_files_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        deep = tmp_path / "a" / "b" / "c"
        make_private_dirs(deep)
        for folder in (tmp_path / "a", tmp_path / "a" / "b", deep):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        make_private_dirs(deep)  # already there: nothing to do
        path = tmp_path / "d" / "file.db"
        assert create_private(path) is True
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert create_private(path) is False  # existed: left alone
        with open_new_private(tmp_path / "notes.txt", encoding="utf-8") as f:
            f.write("private")
        assert stat.S_IMODE((tmp_path / "notes.txt").stat().st_mode) == 0o600
        with pytest.raises(FileExistsError):
            open_new_private(tmp_path / "notes.txt")
    finally:
        os.umask(old)


def test_without_hard_links_a_new_file_is_renamed_in_but_never_over_another(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")  # FAT, some network shares

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "calendar.ics"
    with Output(target, binary=True) as f:
        f.write(b"BEGIN:VCALENDAR")
    assert target.read_bytes() == b"BEGIN:VCALENDAR" and leftovers(tmp_path) == []
    late = tmp_path / "late.ics"
    out = Output(late, binary=True)
    file = out.open()
    assert file is not None
    file.write(b"new")
    late.write_bytes(PRECIOUS)  # appeared meanwhile
    with pytest.raises(Conflict):
        out.commit()
    assert late.read_bytes() == PRECIOUS and leftovers(tmp_path) == []
