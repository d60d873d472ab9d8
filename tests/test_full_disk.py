"""Full disk and read-only files: a clear message, exit 1, no traceback, nothing damaged.

Three ways to fill the disk, from the most portable to the most real: SQLite's
`max_page_count` (in-process), a file-size limit (RLIMIT_FSIZE) on a real `crmcli`
process, and — where the tests run as root and may mount — a 1 MiB tmpfs.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import crmcli.db as dbmod
from crmcli import customers
from crmcli.db import check, open_db

BIG = "x" * 100_000  # under the kernel's limit for one argument (128 KiB)


def run(*args: str, db: Path, limit: int | None = None) -> subprocess.CompletedProcess:
    """The real `crmcli`, in its own process, optionally with a file-size limit."""

    def limited() -> None:
        if limit is not None:
            # Past the limit, write() fails with EFBIG instead of killing the process.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "crmcli", "--db", str(db), *args],
        capture_output=True,
        text=True,
        preexec_fn=limited,
        timeout=120,
    )


def assert_clean_failure(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("crmcli: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def names(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM customers ORDER BY id")]
    finally:
        conn.close()


def healthy(path: Path) -> bool:
    db = open_db(path)
    try:
        return check(db) == []
    finally:
        db.close()


@pytest.mark.sqlite_only("a full disk stood in for by SQLite's max_page_count")
def test_a_full_database_gives_a_message_and_changes_nothing(tmp_path, cli, monkeypatch, figures):
    path = tmp_path / "crmcli.db"
    cli("customers", "add", "--name", "김민준")
    real_connect = dbmod.connect

    def full(where):  # as if the disk had room for 4 more pages only
        db = real_connect(where)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 4}")
        return db

    monkeypatch.setattr(dbmod, "connect", full)
    attempts = [
        ("customers", "add", "--name", "Big", "--notes", BIG),
        ("customers", "edit", "1", "--notes", BIG),
        ("purchases", "add", "1", "--amount", "1000", "--note", BIG),
        ("customers", "forget", "1", "--yes"),
    ]
    failures = 0
    for args in attempts[:3]:
        result = cli(*args, ok=False)
        assert result.exit_code == 1, (args, result.stderr)
        assert result.stderr == "crmcli: error: the disk is full; nothing was changed\n"
        failures += 1
    # Forgetting writes little; its VACUUM then needs room and is reported, not fatal.
    result = cli(*attempts[3], ok=False)
    assert result.exit_code in (0, 1) and "Traceback" not in result.stderr
    monkeypatch.setattr(dbmod, "connect", real_connect)
    assert healthy(path)
    assert cli("db", "check").stderr.endswith(": ok\n")
    figures.record("full_disk.max_page_count", writes_refused=failures, damaged=0)


@pytest.mark.parametrize(
    "args",
    [
        ("customers", "add", "--name", "Big", "--notes", BIG),
        ("customers", "edit", "1", "--notes", BIG),
        ("purchases", "add", "1", "--amount", "5", "--note", BIG),
    ],
    ids=["add", "edit", "purchase"],
)
def test_a_file_size_limit_stops_a_real_process_cleanly(tmp_path, args, figures):
    path = tmp_path / "shop.db"
    assert run("customers", "add", "--name", "김민준", db=path).returncode == 0
    before = names(path)
    # No file may grow past 50 kB: the WAL, where the 100 kB change would go, hits it.
    result = run(*args, db=path, limit=50_000)
    assert_clean_failure(result, "nothing was changed")
    assert names(path) == before
    assert healthy(path)
    assert run("db", "check", db=path).returncode == 0
    stats = figures.data.get("full_disk.rlimit_fsize", {"writes_refused": 0, "damaged": 0})
    figures.record("full_disk.rlimit_fsize", writes_refused=stats["writes_refused"] + 1, damaged=0)


@contextlib.contextmanager
def tiny_filesystem(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root, or no permission)")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("mount"), reason="needs root to mount a tmpfs"
)
def test_a_really_full_disk(tmp_path, figures):
    with tiny_filesystem(tmp_path / "disk", "1m") as disk:
        path = disk / "shop.db"
        assert run("customers", "add", "--name", "김민준", db=path).returncode == 0
        refused = added = 0
        for i in range(12):  # 12 × 100 kB of notes is more than the disk holds
            result = run("customers", "add", "--name", f"C{i}", "--notes", BIG, db=path)
            if result.returncode == 0:
                added += 1
                continue
            assert_clean_failure(result, "disk")
            refused += 1
        assert refused > 0 and added > 0
        assert len(names(path)) == 1 + added
        assert healthy(path)
        figures.record("full_disk.tmpfs_1m", writes_refused=refused, writes_done=added, damaged=0)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder read-only, for root too (chattr +i) when we run as root."""
    if os.geteuid() == 0:
        if not shutil.which("chattr"):
            pytest.skip("root can write anything, and chattr is missing")
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if done.returncode != 0:
            pytest.skip("root can write anything, and chattr +i is refused here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o500 if path.is_dir() else 0o400)
        try:
            yield
        finally:
            path.chmod(mode)


def test_a_read_only_database_file(tmp_path, figures):
    path = tmp_path / "shop.db"
    assert run("customers", "add", "--name", "김민준", db=path).returncode == 0
    with read_only(path):
        assert_clean_failure(run("customers", "add", "--name", "B", db=path), "read-only")
        assert_clean_failure(run("customers", "forget", "1", "--yes", db=path), "read-only")
        listed = run("customers", "list", "--format", "csv", db=path)
        assert listed.returncode == 0 and "김민준" in listed.stdout
    assert names(path) == ["김민준"]
    assert healthy(path)
    figures.record("read_only.file", writes_refused=2, damaged=0)


def test_a_read_only_folder(tmp_path, figures):
    folder = tmp_path / "shop"
    path = folder / "shop.db"
    assert run("customers", "add", "--name", "김민준", db=path).returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]  # no WAL left behind
    with read_only(folder):
        assert_clean_failure(run("customers", "add", "--name", "B", db=path), "folder")
        assert_clean_failure(run("customers", "add", "--name", "B", db=folder / "new.db"))
        assert_clean_failure(run("db", "backup", str(folder / "copy.db"), db=path))
    assert not (folder / "new.db").exists() and not (folder / "copy.db").exists()
    assert names(path) == ["김민준"]
    assert healthy(path)
    figures.record("read_only.folder", writes_refused=3, damaged=0)


def test_a_backup_that_runs_out_of_room_leaves_no_half_copy(tmp_path, figures):
    path = tmp_path / "shop.db"
    db = open_db(path)
    for i in range(200):
        customers.add(db, name=f"Customer {i}", notes="z" * 2000)
    db.close()
    target = tmp_path / "copy.db"
    result = run("db", "backup", str(target), db=path, limit=path.stat().st_size // 2)
    assert_clean_failure(result)
    assert not target.exists()
    assert healthy(path)
    figures.record("full_disk.backup", partial_copies_left=0)
