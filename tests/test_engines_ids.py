"""Ids as SQLite numbers them, on both engines: a new row's id is the highest + 1 at the
moment it is written, so a refused command (rolled back) leaves no gap, and several
writers at once never get the same number (PostgreSQL: migration m128)."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from threading import Event

import pytest

from crmcli import customers
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.engines import Engine


def _ids(db, table: str = "customers") -> list[int]:
    return [r[0] for r in db.execute(f"SELECT id FROM {table} ORDER BY id")]


def test_a_refused_import_or_a_dry_run_leaves_the_next_import_its_number(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,email\nX1,Xa,x@example.com\nX2,Xb,nope\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("code,name\nX1,Xa\nX2,Xb\n", encoding="utf-8")
    assert cli("customers", "import", str(bad), ok=False).exit_code == 1
    cli("customers", "import", str(good), "--dry-run")
    done = cli("customers", "import", str(good))
    assert "(import #1; `crmcli imports undo 1`)" in done.stderr
    assert cli("customers", "add", "--name", "Dee").stdout == "3\n"


def test_a_refused_add_leaves_the_next_customer_its_number(db):
    customers.add(db, name="Ann", code="A")
    with pytest.raises(RuntimeError), db.write():  # refused after its rows were written
        customers.add(db, name="Bo", code="B", phones_raw=["010-1234-5678"])
        raise RuntimeError("refused")
    with db.write():  # a savepoint rolled back inside a write that goes on
        with pytest.raises(RuntimeError), db.write():
            customers.add(db, name="Cy", code="C")
            raise RuntimeError("refused")
        assert customers.add(db, name="Di", code="D") == 2
    assert customers.add(db, name="Ed", code="E", phones_raw=["010-2222-3333"]) == 3
    assert _ids(db) == [1, 2, 3]
    assert _ids(db, "customer_phones") == [1]  # Bo's phone #1 went with Bo


def test_the_highest_id_deleted_is_given_again_as_sqlite_does(db):
    for name in ("Ann", "Bo", "Cy"):
        customers.add(db, name=name)
    with db.write():
        db.execute("DELETE FROM customers WHERE id = 3")
    assert customers.add(db, name="Di") == 3


def test_lines_a_purchase_import_leaves_out_use_no_number(cli, tmp_path):
    cli("customers", "add", "--name", "Kim", "--code", "K1")
    first = tmp_path / "p1.csv"
    first.write_text("customer,date,amount,line_id\nK1,2026-01-01,10,a\nK1,2026-01-02,20,b\n")
    again = tmp_path / "p2.csv"  # two lines stored already, one new, one repeated
    again.write_text(
        "customer,date,amount,line_id\nK1,2026-01-01,10,a\nK1,2026-01-03,30,c\n"
        "K1,2026-01-02,20,b\nK1,2026-01-04,40,d\n"
    )
    cli("purchases", "import", str(first))
    cli("purchases", "import", str(again))
    listed = csv.DictReader(io.StringIO(cli("purchases", "list").stdout))
    assert sorted(int(r["id"]) for r in listed) == [1, 2, 3, 4]
    assert cli("purchases", "add", "K1", "--amount", "5").stdout == "5\n"


def _open(db_path):
    return open_db(parse(str(db_path), source="the test"))


@contextmanager
def _second_till(db_path, work: Callable[[Engine], object]) -> Iterator[tuple[Event, Event]]:
    """Till B, on a connection of its own: `work(its engine)` once till A sets `go` (A
    holding its transaction open); `done` is set when B is through. Yields (go, done);
    B is waited for when the block ends."""
    go, done = threading.Event(), threading.Event()

    def till_b() -> None:
        other = _open(db_path)
        try:
            go.wait(10)
            work(other)
        finally:
            other.close()
            done.set()

    b = threading.Thread(target=till_b)
    b.start()
    try:
        yield go, done
    finally:
        b.join(10)


@pytest.mark.parametrize(("outcome", "expected"), [("refused", 1), ("kept", 2)])
def test_a_writer_waits_for_the_one_before_and_takes_the_number_it_left(db_path, outcome, expected):
    # Till A has added a customer and not committed; till B's add waits for it (as
    # behind SQLite's write lock), then numbers after what A left: nothing if A was
    # refused, A's customer if it committed. B never gets a number twice or a gap.
    _open(db_path).close()
    got: list[int] = []
    with _second_till(db_path, lambda other: got.append(customers.add(other, name="B"))) as (
        inserted,
        done,
    ):
        a = _open(db_path)
        try:
            with a.write():
                customers.add(a, name="A")
                inserted.set()
                assert not done.wait(0.5)  # B is waiting for A's transaction
                if outcome == "refused":
                    raise RuntimeError("refused")
        except RuntimeError:
            pass
        finally:
            a.close()
    assert got == [expected]


def test_writers_at_once_take_turns_without_a_gap_or_a_repeat(db_path):
    _open(db_path).close()  # made and migrated before the tills start
    failures: list[BaseException] = []

    def till(n: int) -> None:
        mine = _open(db_path)
        try:
            for i in range(12):
                try:
                    with mine.write():
                        customers.add(mine, name=f"till {n} #{i}")
                        if i % 3 == 0:
                            raise RuntimeError("refused")  # rolled back: no number used
                except RuntimeError:
                    pass
        except BaseException as exc:  # a busy, a unique failure: what must not happen
            failures.append(exc)
        finally:
            mine.close()

    tills = [threading.Thread(target=till, args=(n,)) for n in range(3)]
    for t in tills:
        t.start()
    for t in tills:
        t.join(60)
    assert failures == []
    db = _open(db_path)
    try:
        assert _ids(db) == list(range(1, 3 * 8 + 1))
    finally:
        db.close()


def test_a_writer_that_waits_for_the_one_before_says_so_once(db_path):
    # The clerk sees why the command pauses (the CLI prints "waiting for it"), on a
    # server as on a file: there, the wait for the id lock (m128) seen by the watcher.
    _open(db_path).close()
    told: list[float] = []

    def b_and_c(other: Engine) -> None:
        with other.write(on_wait=lambda: told.append(1)):
            customers.add(other, name="B")
            customers.add(other, name="C")

    with _second_till(db_path, b_and_c) as (inserted, done):
        a = _open(db_path)
        try:
            with a.write():
                customers.add(a, name="A")
                inserted.set()
                # Told while A still holds its transaction open: on SQLite after B's first
                # try, which waits out the busy timeout (5 s), so give it ample time to.
                deadline = time.monotonic() + 60
                while not told and time.monotonic() < deadline:
                    done.wait(0.05)
                assert told == [1] and not done.is_set()
        finally:
            a.close()
    assert told == [1] and done.is_set()


def test_an_add_while_an_import_numbers_its_own_rows_comes_after_them(db_path):
    # A customer import takes its ids itself (`next_id`, then the rows with their ids):
    # a walk-in added meanwhile waits, then takes the next number. (Before, on a
    # server the walk-in took the import's first id and the import failed whole.)
    _open(db_path).close()
    got: list[int] = []

    def walk_in(other: Engine) -> None:
        got.append(customers.add(other, name="Walk-in"))

    with _second_till(db_path, walk_in) as (numbered, done):
        a = _open(db_path)
        try:
            with a.write():
                first = a.next_id("customers")
                numbered.set()
                assert not done.wait(0.5)
                a.executemany(
                    "INSERT INTO customers (id, name, created_at, updated_at) "
                    "VALUES (?, ?, 'x', 'x')",
                    [(first, "Imported 1"), (first + 1, "Imported 2")],
                )
        finally:
            a.close()
    assert (first, got) == (1, [3])
