"""Privacy: `customers forget` erases a person from the records and from the files; 0600."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest

from crmcli import customers, privacy, purchases
from crmcli.db import check, open_db
from crmcli.db_url import PostgresUrl, parse
from crmcli.engines import PostgresEngine
from crmcli.errors import CrmError
from crmcli.page import build

NAME = "김민준"
LATIN = "Zebulon Quackenbush"
PHONE = "010-9876-5432"
SECRETS = (
    NAME,
    LATIN,
    PHONE,
    "01098765432",
    "+821098765432",
    "zebulon@example.org",
    "Wisteria Lane 42",
    "allergic to walnuts",
    "wedding",
    "broke the kettle on purpose",
    "sent a bouquet",
    "loves green tea",
)


def _populate(db, *, name: str = NAME) -> int:
    """A customer with data in every table that can hold something about them."""
    cid = customers.add(
        db,
        name=name,
        phones_raw=[PHONE, "+82 2 555 0199"],
        email="zebulon@example.org",
        birthday="1985-03-14",
        anniversaries=[("wedding", "2010-05-01")],
        tags=["loves green tea"],
        address="Wisteria Lane 42",
        postcode="04524",
        notes="allergic to walnuts",
        company="Quackenbush Ltd",
        extra={"nickname": LATIN},
    )
    customers.edit(db, cid, given_name=LATIN)  # an older version of the row, too
    other = customers.add(db, name="Someone Else", phones_raw=["010-1111-2222"])
    for amount in (30_000, 12_500, -2_500):
        purchases.add(
            db,
            customer_id=cid,
            amount_micros=amount * 1_000_000,
            on=date(2026, 3, 1),
            note=f"for {LATIN}",
            item="coffee",
        )
    purchases.add(
        db,
        customer_id=other,
        amount_micros=5_000_000_000,
        on=date(2026, 3, 2),
    )
    now = "2026-03-03T10:00:00+00:00"
    with db.write():
        complaint = db.insert(
            "complaints",
            {
                "customer_id": cid,
                "summary": "broke the kettle on purpose",
                "stage_since": now,
                "opened_at": now,
                "lesson": f"{LATIN} wants calls",
            },
        )
        db.execute(
            "INSERT INTO complaint_events (complaint_id, at, by, to_stage, note, fields)"
            " VALUES (?, ?, 'staff', 'received', ?, ?)",
            [
                complaint,
                now,
                f"{NAME} called",
                json.dumps(
                    {
                        "compensation": "gift",
                        "amount_micros": 30_000,
                        "resolution": "sent a bouquet",
                    }
                ),
            ],
        )
        db.execute(
            "INSERT INTO followups (customer_id, due_on, note, created_at)"
            " VALUES (?, '2026-04-01', ?, ?)",
            [cid, f"call {PHONE}", now],
        )
        db.execute(
            "INSERT INTO contacts (customer_id, at, channel, note) VALUES (?, ?, 'phone', ?)",
            [cid, now, f"{NAME} says hi"],
        )
        db.execute(
            "INSERT INTO customer_merges (kept_id, merged_id, at, snapshot) VALUES (?, 99, ?, ?)",
            [cid, now, json.dumps({"name": NAME}, ensure_ascii=False)],
        )
        imp = db.insert(
            "imports",
            {"kind": "customers", "file_name": "a.csv", "sha256": "x", "started_at": now},
        )
        db.execute(
            "INSERT INTO import_changes (import_id, table_name, row_id, action, before)"
            " VALUES (?, 'customers', ?, 'update', ?)",
            [imp, cid, json.dumps({"name": NAME, "email": "zebulon@example.org"})],
        )
    return cid


def test_forget_erases_the_person_and_keeps_the_amounts(db):
    cid = _populate(db)
    before_total = purchases.totals(db, cid)
    done = privacy.forget(db, cid, compact=False)
    assert done.kept_purchases == 3 and done.kept_total_micros == 40_000_000_000
    assert purchases.totals(db, cid) == before_total
    page = build(db, cid)
    text = json.dumps(page, ensure_ascii=False, default=str)
    for secret in SECRETS:
        assert secret not in text
    record = customers.get(db, cid)
    assert record.phones == () and record.tags == () and record.dates == ()
    assert record["forgotten_at"] and record["do_not_contact"] == 1
    # Every row of every table: nothing left that names them.
    for table in db.tables():
        if table.startswith(("customers_fts", "customers_words", "customer_phones_fts", "sqlite_")):
            continue  # the search indexes: checked byte by byte in test_search
        dump = json.dumps(db.execute(f'SELECT * FROM "{table}"').fetchall(), ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in dump, (table, secret)
    # Forgotten customers are gone from lists and search, not from the totals of the shop.
    assert [r["name"] for r in customers.rows(db)] == ["Someone Else"]
    assert list(customers.search(db, "민준")) == []
    assert db.execute("SELECT sum(amount_micros) FROM purchases").fetchone()[0] == 45_000_000_000
    # The complaint's stage history stays; its text is gone.
    by, stage, note, fields = db.execute(
        "SELECT by, to_stage, note, fields FROM complaint_events"
    ).fetchone()
    assert (by, stage, note) == ("staff", "received", None)
    assert json.loads(fields) == {"compensation": "gift", "amount_micros": 30_000}
    assert db.execute("SELECT status FROM followups").fetchone()[0] == "cancelled"
    if db.name == "sqlite":  # PostgreSQL's keys and checks never let a bad row in
        assert check(db) == []


def test_forget_twice_is_harmless(db):
    cid = _populate(db)
    privacy.forget(db, cid, compact=False)
    again = privacy.forget(db, cid, compact=False)
    assert again.kept_purchases == 3


def test_complaint_history_stays_append_only_otherwise(db):
    cid = _populate(db)
    with pytest.raises(db.Error, match="append-only"):
        db.execute("UPDATE complaint_events SET note = NULL")  # not forgotten: refused
    privacy.forget(db, cid, compact=False)
    for change in (
        "to_stage = 'closed'",
        "note = 'rewritten'",
        "at = '2000-01-01'",
        """fields = '{"compensation": "refund"}'""",  # a changed value, not a removal
        """fields = '{"compensation": "gift", "extra": 1}'""",  # an added key
    ):
        with pytest.raises(db.Error, match="append-only"):
            db.execute(f"UPDATE complaint_events SET {change}")
    with pytest.raises(db.Error, match="append-only"):
        db.execute("DELETE FROM complaint_events")


def test_forgetting_keeps_the_complaint_report_right(cli):
    """Through the real complaint commands: the text goes, stages and money stay."""
    cli("customers", "add", "--name", NAME, "--phone", PHONE, "--code", "K1")
    cli("customers", "add", "--name", "Someone Else", "--code", "K2")
    cli("complaints", "open", "K1", "--summary", "broke the kettle on purpose",
        "--note", f"{NAME} was upset", "--on", "2026-03-01")  # fmt: skip
    cli("complaints", "open", "K2", "--summary", "kettle leaks", "--on", "2026-03-01")
    for cid in ("1", "2"):
        detail = "allergic to walnuts" if cid == "1" else "a bad seal"
        cli("complaints", "advance", cid, "--to", "cause-found", "--cause", "product-quality",
            "--detail", detail, "--skip-reason", "quick", "--on", "2026-03-02")  # fmt: skip
        resolution = "sent a bouquet" if cid == "1" else "new seal"
        cli("complaints", "advance", cid, "--to", "resolved", "--resolution", resolution,
            "--compensation", "gift", "--amount", "30000", "--on", "2026-03-03")  # fmt: skip
        lesson = f"call {PHONE} first" if cid == "1" else "check seals"
        cli("complaints", "advance", cid, "--to", "closed", "--lesson", lesson,
            "--skip-reason", "done", "--on", "2026-03-04")  # fmt: skip
    before = json.loads(cli("complaints", "report", "--format", "json").stdout)
    cli("customers", "forget", "K1", "--yes")
    after = json.loads(cli("complaints", "report", "--format", "json").stdout)
    for key in ("total", "by_cause", "by_stage", "resolved", "median_days_to_resolve",
                "compensation_total", "compensation_by_kind"):  # fmt: skip
        assert after[key] == before[key], key
    assert before["compensation_total"] == "60000"
    assert [x["complaint_id"] for x in after["lessons"]] == [2]  # their lesson text is gone
    shown = cli("complaints", "show", "1", "--format", "json").stdout
    listed = cli("complaints", "list", "--format", "json").stdout
    for text in (shown, listed, json.dumps(after, ensure_ascii=False)):
        for secret in SECRETS:
            assert secret not in text, secret
    assert "product-quality" in shown and "closed" in shown
    assert "a bad seal" in cli("complaints", "show", "2", "--format", "json").stdout


def test_a_table_forget_does_not_know_stops_it(db):
    cid = _populate(db)
    before = customers.get(db, cid).fields
    db.execute("CREATE TABLE loyalty_cards (id INTEGER PRIMARY KEY, customer_id INTEGER, no TEXT)")
    with pytest.raises(CrmError, match="loyalty_cards"):
        privacy.forget(db, cid)
    assert customers.get(db, cid).fields == before  # nothing was changed


def test_forget_knows_every_table_of_the_schema(db):
    """A feature that adds a table about customers must say, in privacy.py, what forget does."""
    assert privacy.unhandled_tables(db) == set()


def _raw_bytes(path: Path) -> bytes:
    out = b""
    for suffix in ("", "-wal", "-journal"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            out += part.read_bytes()
    return out


def _leaks(raw: bytes) -> list[str]:
    return [s for s in SECRETS if s.encode("utf-8") in raw]


@pytest.mark.sqlite_only("reads the SQLite file's bytes; a server's files are out of reach")
def test_the_raw_files_hold_no_trace_after_forget(tmp_path, cli, figures):
    path = tmp_path / "crmcli.db"
    db = open_db(path)
    cid = _populate(db)
    for i in range(300):  # enough other customers that the person's pages get reused
        customers.add(db, name=f"Customer {i}", phones_raw=[f"010-2000-{i:04d}"])
    assert _leaks(_raw_bytes(path)), "the test must see the data before forgetting"
    # Another connection stays open (as a second terminal would), but is not reading.
    watcher = open_db(path)
    result = cli("customers", "forget", str(cid), "--yes")
    assert "forgot customer" in result.stderr and "40,000" in result.stderr
    assert "warning" not in result.stderr
    leaks = _leaks(_raw_bytes(path))
    assert leaks == []
    assert Path(f"{path}-wal").stat().st_size == 0
    assert check(watcher) == []
    figures.record(
        "forget.raw_file_grep",
        secrets_searched=len(SECRETS),
        bytes_searched=path.stat().st_size,
        leaks=len(leaks),
    )
    watcher.close()
    db.close()


@pytest.mark.sqlite_only("an SQLite reader holding old WAL pages")
def test_a_reader_holding_old_pages_gets_a_warning_then_a_second_run_cleans(tmp_path, cli):
    path = tmp_path / "crmcli.db"
    db = open_db(path)
    cid = _populate(db)
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM customers").fetchone()  # holds a read snapshot
    result = cli("customers", "forget", str(cid), "--yes")
    assert "warning: another process is reading" in result.stderr
    reader.rollback()
    reader.close()
    result = cli("customers", "forget", str(cid), "--yes")
    assert "warning" not in result.stderr
    assert _leaks(_raw_bytes(path)) == []
    db.close()


def _statistics(db) -> str:
    """What the engine keeps about the columns' values for its planner, as text."""
    if isinstance(db, PostgresEngine):
        rows = db.execute(
            "SELECT tablename, attname, most_common_vals::text, histogram_bounds::text"
            " FROM pg_stats WHERE schemaname = current_schema()"
        ).fetchall()
    else:  # sqlite_stat1 holds counts only; sqlite_stat4, when built in, sample rows
        stats = [t for t in ("sqlite_stat1", "sqlite_stat4") if db.has_table(t)]
        rows = [r for t in stats for r in db.execute(f"SELECT * FROM {t}").fetchall()]
    return repr(rows)


def test_the_planners_statistics_keep_nothing_of_a_forgotten_person(db):
    """A server's pg_stats kept the name, e-mail and search words of a forgotten
    customer as sampled values, readable by anyone who may read the table."""
    cid = _populate(db)
    for n in range(6):  # enough distinct values for the server to keep a histogram
        customers.add(db, name=f"Other {n}", email=f"other{n}@example.org")
    db.execute("ANALYZE")
    if isinstance(db, PostgresEngine):
        # what forget has to clear: the sample holds the e-mail and the name
        assert "zebulon@example.org" in _statistics(db) and LATIN in _statistics(db)
    privacy.forget(db, cid)
    left = _statistics(db)
    assert [s for s in SECRETS if s in left] == []


def test_forget_asks_at_a_terminal_and_needs_yes_in_a_pipe(cli):
    cli("customers", "add", "--name", NAME, "--phone", PHONE)
    result = cli("customers", "forget", PHONE, ok=False)
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert "forget" in cli("customers", "--help").stdout
    cli("customers", "forget", PHONE, "--yes")
    result = cli("customers", "forget", PHONE, "--yes", ok=False)  # the phone is gone
    assert result.exit_code == 1 and "no customer" in result.stderr


@pytest.fixture
def permissive_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def _mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_are_private_even_with_a_permissive_umask(tmp_path, permissive_umask):
    path = tmp_path / "shop" / "crmcli.db"
    db = open_db(path)
    customers.add(db, name=NAME)
    reader = open_db(path)  # a second connection: the -shm file is in use
    assert customers.count(reader) == 1
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(f"{path}-wal") == 0o600
    assert _mode(f"{path}-shm") == 0o600
    target = tmp_path / "backup.db"
    db.backup(target)
    assert _mode(target) == 0o600
    # A backup is a database too: open it, write, and its WAL is private as well.
    copy = open_db(target)
    customers.add(copy, name="B")
    assert _mode(f"{target}-wal") == 0o600
    copy.close()
    reader.close()
    db.close()


def test_files_written_with_personal_data_are_private(tmp_path, cli, permissive_umask):
    """Import rejects and agenda exports hold names and numbers: 0600 like the database."""
    source = tmp_path / "people.csv"
    source.write_text(
        f"name,phone,birthday\n{NAME},{PHONE},1985-03-14\n{LATIN},010-1111-2222,1985-02-30\n",
        encoding="utf-8",
    )
    cli("customers", "import", str(source), "--skip-invalid")
    rejects = tmp_path / "people.rejects.csv"
    assert LATIN in rejects.read_text(encoding="utf-8")
    assert _mode(rejects) == 0o600
    stale = tmp_path / "agenda.ics"
    stale.write_text("old")
    stale.chmod(0o644)  # replaced (--force) by a new private file, never chmodded in place
    cli("export", "ics", "--as-of", "2026-03-01", "--days", "30", "--output", str(stale), "--force")
    assert "BEGIN:VCALENDAR" in stale.read_text(encoding="utf-8")
    assert _mode(stale) == 0o600


@pytest.mark.sqlite_only("reads the SQLite file's bytes")
def test_forget_leaves_no_name_in_import_records_items_or_compensation(tmp_path, cli, figures):
    """A contact shared as 'Xanthippe Wolfeschlegel.vcf', a gift box and a voucher in her name."""
    path = tmp_path / "crmcli.db"
    card = tmp_path / "Xanthippe Wolfeschlegel.vcf"
    card.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Xanthippe Wolfeschlegel\r\n"
        "N:Wolfeschlegel;Xanthippe;;;\r\nTEL:010-7777-8888\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    others = tmp_path / "customers.csv"
    others.write_text("name,phone\nAnn Lee,010-1111-2222\n", encoding="utf-8")
    cli("customers", "import", str(card))
    cli("customers", "import", str(others))
    cli("purchases", "add", "1", "--amount", "5000", "--item", "Gift box for Xanthippe")
    cli("purchases", "add", "1", "--amount", "7000", "--item", "coffee")
    cli("purchases", "add", "2", "--amount", "9000", "--item", "coffee beans")
    cli("complaints", "open", "1", "--summary", "late")
    cli("complaints", "advance", "1", "--to", "apologized")
    cli("complaints", "advance", "1", "--to", "cause-found", "--cause", "other", "--detail", "x")
    cli("complaints", "advance", "1", "--to", "resolved", "--resolution", "sent",
        "--compensation", "voucher Wolfeschlegel", "--amount", "1000")  # fmt: skip
    cli("customers", "forget", "1", "--yes")
    listed = cli("imports", "list").stdout
    assert "customers.csv" in listed and "(name erased).vcf" in listed
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("crmcli.db*")).lower()
    for secret in (b"xanthippe", b"wolfeschlegel", b"01077778888"):
        assert secret not in raw, secret
    conn = sqlite3.connect(path)
    items = sorted(r[0] or "" for r in conn.execute("SELECT item FROM purchases"))
    kinds = [r[0] for r in conn.execute("SELECT compensation FROM complaints")]
    amounts = [r[0] for r in conn.execute("SELECT compensation_micros FROM complaints")]
    conn.close()
    assert items == ["", "coffee", "coffee beans"]  # only the line that named her is blanked
    assert kinds == [None] and amounts == [1_000_000_000]  # the amount still adds up
    assert "1,000" in cli("complaints", "report", "--format", "table").stdout
    figures.record("forget.kept_text_names", secrets_searched=3, leaks=0)


def test_forget_says_what_an_open_snapshot_keeps_then_a_second_run_clears_it(cli, db_path):
    """On either engine: a session still reading the old rows holds them back (SQLite:
    old pages in the WAL; a server: dead rows VACUUM may not remove); forget says so, and
    once it ends a second run cleans. A server always says what it keeps beyond reach."""
    cid = cli("customers", "add", "--name", NAME, "--phone", PHONE).stdout.strip()
    target = parse(str(db_path), source="the test")
    if isinstance(target, PostgresUrl):
        import psycopg

        reader = psycopg.connect(target.conninfo, autocommit=True)
        reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        held, kept_back = (
            "1 other session on the server still sees the database as it was",
            "write-ahead log",
        )
    else:
        reader = sqlite3.connect(target, isolation_level=None)
        reader.execute("BEGIN")
        held, kept_back = "another process is reading", None
    reader.execute("SELECT count(*) FROM customers").fetchone()  # holds a snapshot
    first = cli("customers", "forget", cid, "--yes").stderr
    assert held in first
    reader.execute("ROLLBACK")
    reader.close()
    again = cli("customers", "forget", cid, "--yes").stderr
    assert held not in again
    if kept_back is None:
        assert "warning" not in again
    else:
        assert kept_back in again and "replicas and backups" in again


def test_forget_by_a_role_that_may_not_vacuum_says_what_it_left(pg_url, tmp_path):
    """A till's own role, granted the rows but not owning the tables: the server skips
    its VACUUM and ANALYZE with a notice no one saw, and forget's words read as if they
    had run while the erased rows and the statistics naming the person stayed."""
    import subprocess
    import sys
    import uuid

    import pg_server
    import psycopg
    from psycopg import sql
    from test_postgres_connect import _with_user

    owner = open_db(parse(pg_url))
    try:
        cid = _populate(owner)
    finally:
        owner.close()
    server = pg_server.server()
    name = f"clerk_{uuid.uuid4().hex[:8]}"
    clerk = sql.Identifier(name)
    with server.admin() as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(clerk))
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            for grant in (
                "GRANT USAGE ON SCHEMA public TO {}",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}",
                "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}",
            ):
                conn.execute(sql.SQL(grant).format(clerk))
        env = {**os.environ, "HOME": str(tmp_path)}

        def forget(url: str, **language: str) -> str:
            command = ["customers", "forget", str(cid), "--yes"]
            done = subprocess.run(
                [sys.executable, "-m", "crmcli", "--db", url, *command],
                capture_output=True,
                text=True,
                env={**env, **language},
                check=True,
            )
            return done.stderr

        said = forget(_with_user(pg_url, name))
        assert "this role may not VACUUM or ANALYZE tables " in said
        assert "customers, followups" in said and "run forget again as the owner" in said
        assert "this role may not" not in forget(pg_url)  # the owner's run: all done
        # The core's warnings are said in the user's language, as its errors are (they
        # were English in every language).
        said = forget(_with_user(pg_url, name), LANGUAGE="ko", LC_ALL="C.UTF-8")
        assert "이 역할(role)은 테이블 " in said and "PostgreSQL 서버에서는" in said
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(clerk))
        with server.admin() as admin:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(clerk))
