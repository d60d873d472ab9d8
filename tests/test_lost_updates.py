"""Two tills doing read-then-write commands at the same moment lose no update and apply
none twice, on an SQLite file and on a PostgreSQL server (issue 16, item 4).

SQLite lets one writer in at a time, so the second till's reads come after the first
one's commit. A server lets both in: at READ COMMITTED each statement sees what was
committed when it started, so a till that decides on what it read (a follow-up still
open, a code still free, a customer still there) must hold that row (`db.locks_rows`,
`db.keeps_rows`) or, for a row that does not exist yet, its key (`db.lock_keys`) until
it commits. Each case below runs the first till's command inside a transaction kept
open until the second till has reached the database and is waiting (or 1 s on SQLite,
whose second writer waits for the file's lock), then commits: the second till must end
as it would have one command later, with SQLite's words when it is refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

import pytest

from crmcli import (
    agenda_done,
    complaints,
    customers,
    followups,
    merge,
    purchases,
    tiers,
    visits,
)
from crmcli.db import open_db
from crmcli.db_url import parse
from crmcli.engines import Engine
from crmcli.errors import CrmError
from crmcli.imports import undo as import_undo


def _open(where) -> Engine:
    return open_db(parse(str(where), source="the test"))


def _blocked(watcher: Engine, pid: int) -> bool:
    row = watcher.execute("SELECT cardinality(pg_blocking_pids(?)) > 0", [pid]).fetchone()
    return bool(row[0])


def race(where, first: Callable[[Engine], Any], second: Callable[[Engine], Any]) -> list[Any]:
    """Run `first` on one till inside a transaction kept open until `second`, on another
    till (a thread, a connection of its own), waits for it; then commit. Each result is
    what the call returned, or the message of the CrmError it raised."""
    results: list[Any] = [None, None]
    one = _open(where)
    pid: list[int] = []
    done = threading.Event()

    def outcome(call: Callable[[Engine], Any], db: Engine) -> Any:
        try:
            return call(db)
        except CrmError as exc:
            return f"refused: {exc}"

    def other_till() -> None:
        two = _open(where)  # SQLite's connection stays in the thread that made it
        try:
            pid.append(getattr(two, "_pid", 0))
            results[1] = outcome(second, two)
        finally:
            two.close()
            done.set()

    try:
        with one.write():
            results[0] = outcome(first, one)
            till = threading.Thread(target=other_till)
            till.start()
            if one.name == "postgresql":
                watcher = _open(where)
                deadline = time.monotonic() + 10
                try:
                    while not done.is_set() and time.monotonic() < deadline:
                        if pid and _blocked(watcher, pid[0]):
                            break
                        time.sleep(0.02)
                finally:
                    watcher.close()
            else:
                done.wait(1.0)  # SQLite: the other till waits for the write lock
        till.join(60)
        assert done.is_set()
    finally:
        one.close()
    return results


class Shop(NamedTuple):
    db: Engine
    kim: int
    lee: int


@pytest.fixture
def shop(db_path):
    db = _open(db_path)
    kim = customers.add(
        db, name="Kim", code="K1", email="kim@example.com", phones_raw=["010-1234-5678"]
    )
    lee = customers.add(db, name="Lee", code="L1")
    yield Shop(db, kim, lee)
    db.close()


def _count(db: Engine, sql: str, params=()) -> int:
    return int(db.execute(sql, params).fetchone()[0])


# --- follow-ups ------------------------------------------------------------------------


def test_a_repeating_follow_up_done_twice_at_once_advances_once(shop, db_path):
    fid = followups.add(
        shop.db, customer_id=shop.kim, on=date(2026, 3, 2), note="call back", every="1w"
    )
    results = race(db_path, lambda db: followups.done(db, fid), lambda db: followups.done(db, fid))
    assert results[0] == fid + 1
    assert results[1] == f"refused: follow-up #{fid} is already done"
    stored = shop.db.execute("SELECT status, due_on FROM followups ORDER BY id").fetchall()
    assert stored == [("done", "2026-03-02"), ("open", "2026-03-09")]


def test_a_follow_up_snoozed_while_it_is_done_is_refused(shop, db_path):
    fid = followups.add(shop.db, customer_id=shop.kim, on=date(2026, 3, 2), note="call back")
    results = race(
        db_path,
        lambda db: followups.done(db, fid),
        lambda db: followups.snooze(db, fid, until=date(2026, 3, 9)),
    )
    assert results[1] == f"refused: follow-up #{fid} is already done"
    row = shop.db.execute("SELECT status, snoozed_until FROM followups").fetchone()
    assert row == ("done", None)


def test_an_agenda_item_done_twice_at_once_is_recorded_once(shop, db_path):
    key = f"birthday:{shop.kim}:2026-03-02"
    results = race(
        db_path,
        lambda db: agenda_done.record(db, [key], outcome="done"),
        lambda db: agenda_done.record(db, [key], outcome="done"),
    )
    assert str(results[1]).startswith(f"refused: already dealt with: {key} (done on ")
    assert _count(shop.db, "SELECT count(*) FROM contacts WHERE item = ?", [key]) == 1


# --- customers --------------------------------------------------------------------------


def test_two_edits_of_one_customer_at_once_keep_both(shop, db_path):
    race(
        db_path,
        lambda db: customers.edit(db, shop.kim, name="Kim Jiho"),
        lambda db: customers.edit(db, shop.kim, email="jiho@example.com"),
    )
    kim = customers.get(shop.db, shop.kim)
    assert (kim["name"], kim["email"]) == ("Kim Jiho", "jiho@example.com")
    # What search finds them by was made from both changes, not from the name read before.
    assert kim["search_key"] == customers._search_key(kim.fields)


def test_two_edits_cannot_together_leave_a_customer_with_nothing_to_know_them_by(shop, db_path):
    anon = customers.add(shop.db, email="x@example.com", phones_raw=["010-9999-0000"])
    results = race(
        db_path,
        lambda db: customers.edit(db, anon, clear=["email"]),
        lambda db: customers.edit(db, anon, clear=["phone"]),
    )
    assert results[1] == "refused: no name, code, phone or e-mail: nothing to know this customer by"
    assert customers.get(shop.db, anon).phones


def test_two_customers_added_with_one_code_at_once_are_refused_in_sqlites_words(shop, db_path):
    results = race(
        db_path,
        lambda db: customers.add(db, name="Park", code="P1"),
        lambda db: customers.add(db, name="Choi", code="P1"),
    )
    assert results[1] == "refused: a customer with code 'P1' already exists"
    assert _count(shop.db, "SELECT count(*) FROM customers WHERE code = 'P1'") == 1


def test_two_customers_given_one_code_at_once_are_refused_in_sqlites_words(shop, db_path):
    results = race(
        db_path,
        lambda db: customers.edit(db, shop.kim, code="X1"),
        lambda db: customers.edit(db, shop.lee, code="X1"),
    )
    assert results[1] == "refused: another customer already has code 'X1'"


def test_a_purchase_added_while_its_customer_is_merged_away_is_neither_lost_nor_misfiled(
    shop, db_path
):
    day = date(2026, 3, 2)
    purchases.add(shop.db, customer_id=shop.lee, amount_micros=1_000_000, on=day)
    results = race(
        db_path,
        lambda db: merge.merge(db, shop.kim, shop.lee),
        lambda db: purchases.add(db, customer_id=shop.lee, amount_micros=2_000_000, on=day),
    )
    assert results[1] == f"refused: no customer #{shop.lee}"
    assert _count(shop.db, "SELECT count(*) FROM purchases") == 1


def test_a_merge_waits_for_a_purchase_being_added_and_moves_it(shop, db_path):
    day = date(2026, 3, 2)
    results = race(
        db_path,
        lambda db: purchases.add(db, customer_id=shop.lee, amount_micros=2_000_000, on=day),
        lambda db: merge.merge(db, shop.kim, shop.lee),
    )
    assert not str(results[1]).startswith("refused"), results
    assert shop.db.execute("SELECT customer_id, amount_micros FROM purchases").fetchall() == [
        (shop.kim, 2_000_000)
    ]


def test_one_customer_merged_into_two_others_at_once_is_merged_once(shop, db_path):
    park = customers.add(shop.db, name="Park", code="P1")
    results = race(
        db_path,
        lambda db: merge.merge(db, shop.kim, shop.lee),
        lambda db: merge.merge(db, park, shop.lee),
    )
    assert results[1] == f"refused: no customer #{shop.lee}"
    assert _count(shop.db, "SELECT count(*) FROM customer_merges") == 1


@pytest.mark.parametrize("till", ["purchase", "complaint"])
def test_a_sale_or_complaint_for_a_customer_being_deleted_says_who_is_gone(till, shop, db_path):
    def record(db: Engine) -> Any:
        if till == "purchase":
            return purchases.add(db, customer_id=shop.lee, amount_micros=1, on=date(2026, 3, 2))
        return complaints.open_complaint(db, customer_id=shop.lee, summary="late", by="ann")

    results = race(db_path, lambda db: customers.delete(db, shop.lee), record)
    assert results[1] == f"refused: no customer #{shop.lee}"


def test_a_tier_override_cleared_twice_at_once_is_cleared_once(shop, db_path):
    tiers.set_override(shop.db, shop.kim, tier="A", reason="family")
    results = race(
        db_path,
        lambda db: tiers.clear_override(db, shop.kim),
        lambda db: tiers.clear_override(db, shop.kim),
    )
    assert results == [True, False]


# --- visits -----------------------------------------------------------------------------


def test_two_visit_plans_made_at_once_leave_one_in_force(shop, db_path):
    day = date(2026, 3, 2)
    results = race(
        db_path,
        lambda db: visits.plan(db, customer_id=shop.kim, every="3m", goal="check", from_day=day),
        lambda db: visits.plan(db, customer_id=shop.kim, every="1m", goal="fit", from_day=day),
    )
    first, _ = results[0]
    second, replaced = results[1]
    assert replaced is not None and replaced.id == first.id
    active = shop.db.execute("SELECT id FROM visit_plans WHERE cancelled_at IS NULL").fetchall()
    assert active == [(second.id,)]


def test_a_visit_plan_cancelled_twice_at_once_is_cancelled_once(shop, db_path):
    plan, _ = visits.plan(
        shop.db, customer_id=shop.kim, every="3m", goal="check", from_day=date(2026, 3, 2)
    )
    results = race(
        db_path, lambda db: visits.cancel(db, plan.id), lambda db: visits.cancel(db, plan.id)
    )
    assert str(results[1]).startswith(f"refused: visit plan #{plan.id} was already cancelled on ")


# --- imports ----------------------------------------------------------------------------


def test_an_import_undone_twice_at_once_is_undone_once(shop, db_path, tmp_path):
    from crmcli.imports import purchases as purchase_import

    sales = tmp_path / "sales.csv"
    sales.write_text("customer,date,amount,item\nK1,2026-03-02,10,Tea\n", encoding="utf-8")
    result = purchase_import.import_purchases(shop.db, sales)
    import_id = result.import_id
    results = race(
        db_path,
        lambda db: import_undo.undo(db, import_id),
        lambda db: import_undo.undo(db, import_id),
    )
    assert str(results[1]).startswith(f"refused: import #{import_id} was already undone on ")


def test_an_undo_while_a_later_import_runs_waits_for_it_and_sees_what_it_did(
    shop, db_path, tmp_path
):
    from crmcli.imports import customers as customer_import
    from crmcli.imports import purchases as purchase_import

    people = tmp_path / "people.csv"
    people.write_text("code,name\nP1,Park\n", encoding="utf-8")
    first = customer_import.import_customers(shop.db, people).import_id
    sales = tmp_path / "sales.csv"
    sales.write_text("customer,date,amount,item\nP1,2026-03-02,10,Tea\n", encoding="utf-8")
    results = race(
        db_path,
        lambda db: purchase_import.import_purchases(db, sales).import_id,
        lambda db: import_undo.undo(db, first),
    )
    later = results[0]
    assert results[1] == (
        f"refused: import #{later} changed what import #{first} brought in; undo #{later} first"
    )
    assert _count(shop.db, "SELECT count(*) FROM purchases WHERE import_id = ?", [later]) == 1


# --- tiers ------------------------------------------------------------------------------


def _classified(db: Engine) -> Any:
    run = tiers.classify(db, as_of=date(2026, 3, 31))
    return run.customers


def test_a_classification_while_a_customer_is_deleted_counts_who_is_left(shop, db_path):
    for who in (shop.kim, shop.lee):
        purchases.add(shop.db, customer_id=who, amount_micros=5_000_000, on=date(2026, 3, 2))
    results = race(db_path, lambda db: customers.delete(db, shop.lee, force=True), _classified)
    assert results[1] == 1  # Kim alone: the run came after the delete, as on SQLite


def test_two_classifications_at_once_each_store_a_whole_run(shop, db_path):
    for who in (shop.kim, shop.lee):
        purchases.add(shop.db, customer_id=who, amount_micros=5_000_000, on=date(2026, 3, 2))
    assert race(db_path, _classified, _classified) == [2, 2]
    counts = shop.db.execute(
        "SELECT r.customers, count(a.customer_id) FROM tier_runs r"
        " JOIN tier_assignments a ON a.run_id = r.id GROUP BY r.id, r.customers ORDER BY r.id"
    ).fetchall()
    assert counts == [(2, 2), (2, 2)]


def test_a_customer_forgotten_while_renamed_is_forgotten_by_the_new_name_too(shop, db_path):
    from crmcli import privacy

    purchases.add(
        shop.db, customer_id=shop.kim, amount_micros=1, on=date(2026, 3, 2), item="cake for Seoyeon"
    )
    race(
        db_path,
        lambda db: customers.edit(db, shop.kim, name="Seoyeon Kim"),
        lambda db: privacy.forget(db, shop.kim),
    )
    assert shop.db.execute("SELECT item FROM purchases").fetchall() == [(None,)]


def test_a_customers_import_fills_in_only_what_is_still_empty_after_a_tills_edit(
    shop, db_path, tmp_path
):
    from crmcli.imports import customers as customer_import

    people = tmp_path / "people.csv"
    people.write_text("code,name,email\nL1,Lee,lee.file@example.com\n", encoding="utf-8")
    race(
        db_path,
        lambda db: customers.edit(db, shop.lee, email="lee@example.com"),
        lambda db: customer_import.import_customers(db, people).import_id,
    )
    # The till's e-mail stays: a fill takes only what is empty, as it is when it stores.
    assert customers.get(shop.db, shop.lee)["email"] == "lee@example.com"


def test_a_template_removed_twice_at_once_is_removed_once(shop, db_path):
    from crmcli import templates

    templates.set_template(shop.db, name="thanks.en", body="Thank you, {name}!")
    results = race(
        db_path,
        lambda db: templates.remove(db, "thanks.en"),
        lambda db: templates.remove(db, "thanks.en"),
    )
    assert results[1] == "refused: no template 'thanks.en'; `crmcli templates list` shows them"


def test_a_classification_starting_while_a_till_is_between_reading_and_writing_a_customer(
    shop, db_path
):
    """A till has locked a customer's row to change it (`customers edit`, `set-tier`) but
    not written it yet when a tier run starts: the run waits for the till, never the
    two for each other (a deadlock the server breaks by failing one of them)."""
    purchases.add(shop.db, customer_id=shop.kim, amount_micros=5_000_000, on=date(2026, 3, 2))
    till = _open(db_path)
    run: list[Any] = []
    try:
        with till.write():
            till.execute(f"SELECT id FROM customers WHERE id = ?{till.locks_rows}", [shop.kim])
            other = threading.Thread(target=lambda: run.append(race_free_run(db_path)))
            other.start()
            other.join(1.5)  # the run has started: waiting for the till (or, before, not)
            till.execute("UPDATE customers SET notes = 'regular' WHERE id = ?", [shop.kim])
        other.join(60)
    finally:
        till.close()
    assert run == [2]
    assert customers.get(shop.db, shop.kim)["notes"] == "regular"


def race_free_run(where) -> Any:
    db = _open(where)
    try:
        return _classified(db)
    except CrmError as exc:
        return f"refused: {exc}"
    finally:
        db.close()
