"""customers dupes and merge: likely pairs found; a merge moves everything, loses nothing."""

from __future__ import annotations

import json

import pytest

from crmcli import customers, merge, purchases
from crmcli.dates import date


def test_dupes_by_phone_email_and_names_in_any_script(db):
    a = customers.add(db, name="김민준", phones_raw=["010-1234-5678"])
    b = customers.add(db, name="Kim Minjun", phones_raw=["+82 10 1234 5678"])
    c = customers.add(db, name="김민중")
    d = customers.add(db, name="John Smith", email="js@example.com")
    e = customers.add(db, name="Jon Smith", email="JS@example.com")
    f = customers.add(db, name="Smith John")
    customers.add(db, name="이서연")
    pairs = {(p.a, p.b): p.reason for p in merge.find(db, threshold=85)}
    assert pairs[(a, b)] == "phone"
    assert pairs[(a, c)] == "name"  # one letter (ㄴ/ㅇ) apart once Hangul is decomposed
    assert pairs[(d, e)] == "email"
    assert pairs[(d, f)] == "name"  # word order ignored
    assert all(7 not in pair for pair in pairs)


def test_merge_moves_every_related_row_and_keeps_a_snapshot(db):
    keep = customers.add(db, name="김민준", code="K1", phones_raw=["010-1234-5678"], tags=["vip"])
    other = customers.add(
        db,
        name="김민준",
        code="K9",
        email="mj@example.kr",
        phones_raw=["010-1234-5678", "02-555-0101"],
        tags=["vip", "단골"],
        birthday="1985-03-14",
        anniversaries=[("wedding", "2012-05-19")],
        notes="likes coffee",
    )
    purchases.add(db, customer_id=other, amount_micros=5_000_000, on=date(2024, 1, 2))
    now = "2024-01-01T00:00:00"
    db.execute(
        "INSERT INTO complaints (customer_id, summary, stage_since, opened_at) VALUES (?, ?, ?, ?)",
        [other, "late", now, now],
    )
    db.execute(
        "INSERT INTO followups (customer_id, due_on, note, created_at) VALUES (?, ?, ?, ?)",
        [other, "2024-02-01", "call", now],
    )
    db.execute(
        "INSERT INTO contacts (customer_id, at, channel) VALUES (?, ?, ?)", [other, now, "phone"]
    )
    db.execute(
        'INSERT INTO tier_runs (id, rule, params, "window", as_of, created_at)'
        " VALUES (1, 'pareto', '{}', 'all', '2024-01-01', ?)",
        [now],
    )
    db.execute(
        "INSERT INTO tier_assignments (run_id, customer_id, tier, spend_micros, rank)"
        " VALUES (1, ?, 'A', 5000000, 1)",
        [other],
    )
    result = merge.merge(db, keep, other)
    assert result.moved["purchases"] == 1
    for table in ("purchases", "complaints", "followups", "contacts", "tier_assignments"):
        assert db.execute(f"SELECT customer_id FROM {table}").fetchall() == [(keep,)], table
    kept = customers.get(db, keep)
    assert [p.raw for p in kept.phones] == ["010-1234-5678", "02-555-0101"]
    assert set(kept.tags) == {"vip", "단골"}
    assert [(d.label, d.date) for d in kept.dates] == [("wedding", "2012-05-19")]
    assert (kept["email"], kept["birthday"], kept["notes"]) == (
        "mj@example.kr",
        "1985-03-14",
        "likes coffee",
    )
    assert kept.extra == {"merged code": "K9"}
    assert customers.count(db) == 1
    snapshot = json.loads(db.execute("SELECT snapshot FROM customer_merges").fetchone()[0])
    assert snapshot["fields"]["code"] == "K9" and snapshot["tags"] == ["vip", "단골"]


def test_cli_dupes_and_merge(cli):
    cli("customers", "add", "--name", "김민준", "--code", "K1", "--phone", "010-1234-5678")
    cli("customers", "add", "--name", "김 민준", "--code", "K2", "--phone", "01012345678")
    out = cli("customers", "dupes").stdout.splitlines()
    assert out[0] == "a,a_name,b,b_name,reason,score"
    assert out[1].startswith("1,김민준,2,김 민준,phone,100")
    result = cli("customers", "merge", "K1", "K2")
    assert "merged customer #2 into #1" in result.stderr
    assert "no likely duplicates" in cli("customers", "dupes").stderr
    assert cli("customers", "merge", "K1", "K1", ok=False).exit_code == 1


# --- the rules of a merge, one by one ----------------------------------------------------


def test_dupes_leave_out_the_forgotten_and_refuse_a_bad_threshold(db):

    from crmcli import privacy
    from crmcli.errors import InvalidValue

    a = customers.add(db, name="Kim Minjun", phones_raw=["010-1234-5678"])
    b = customers.add(db, name="Kim Minjun", phones_raw=["010-1234-5678"])
    assert {(p.a, p.b, p.reason, p.score) for p in merge.find(db)} == {(a, b, "phone", 100)}
    privacy.forget(db, b, compact=False)
    assert list(merge.find(db)) == []
    for threshold in (0, 101):
        with pytest.raises(InvalidValue, match="from 1 to 100"):
            list(merge.find(db, threshold=threshold))


def test_names_below_the_threshold_are_no_pair(db):
    customers.add(db, name="Anna Lee")
    customers.add(db, name="Ana Lee")  # 93 alike
    customers.add(db, name="Zoe Kim")  # nothing alike: another block
    assert list(merge.find(db, threshold=95)) == []
    rows = [d.row({1: "Anna Lee", 2: "Ana Lee"}) for d in merge.find(db, threshold=90)]
    assert [(r["a"], r["b"], r["score"]) for r in rows] == [(1, 2, 93)]
    assert rows and rows[0]["a_name"] == "Anna Lee" and rows[0]["reason"] == "name"
    assert set(rows[0]) == set(merge.DUPE_FIELDS)


def test_a_merge_fills_what_the_kept_record_lacks_and_keeps_what_it_has(db):
    keep = customers.add(db, name="김민준", code="K1", email="kim@example.kr", notes="likes oolong",
                         anniversaries=[("wedding", "2012-05-19")])  # fmt: skip
    other = customers.add(db, name="Kim Minjun", code="K9", email="other@example.kr",
                          birthday="1985-03-14", company="Bean Co", notes="dark roast",
                          phones_raw=["010-1111-2222"],
                          anniversaries=[("wedding", "2013-05-19"),
                                         ("first visit", "2020-01-01")])  # fmt: skip
    result = merge.merge(db, keep, other)
    kept = customers.get(db, keep)
    assert (kept["name"], kept["code"], kept["email"]) == ("김민준", "K1", "kim@example.kr")
    assert (kept["birthday"], kept["company"]) == ("1985-03-14", "Bean Co")  # filled in
    assert kept["notes"] == "likes oolong\ndark roast"  # both notes, neither lost
    assert kept.extra["merged code"] == "K9"
    assert kept.extra["merged wedding"] == "2013-05-19"  # a clash kept aside, not lost
    assert {d.label: d.date for d in kept.dates} == {"wedding": "2012-05-19",
                                                     "first visit": "2020-01-01"}  # fmt: skip
    assert [p.raw for p in kept.phones] == ["010-1111-2222"]
    assert result.moved["customer_phones"] == 1 and result.moved["customer_dates"] == 1

    from crmcli.errors import NotFound

    with pytest.raises(NotFound):
        customers.get(db, other)
    # The merged code now names the kept customer's record only through `extra`.
    assert customers.resolve(db, "K1") == keep


def test_a_shared_phone_is_not_doubled_and_a_code_is_taken_over(db):
    keep = customers.add(db, name="Kim", phones_raw=["010-1234-5678"])
    other = customers.add(
        db, name="Kim M", code="K7", phones_raw=["+82 10 1234 5678", "02-555-0100"]
    )
    merge.merge(db, keep, other)
    kept = customers.get(db, keep)
    assert [p.raw for p in kept.phones] == ["010-1234-5678", "02-555-0100"]
    assert kept["code"] == "K7"  # the kept one had none: the code moves with the person


def test_a_customer_cannot_be_merged_with_itself(db):

    from crmcli.errors import InvalidValue

    cid = customers.add(db, name="Kim")
    with pytest.raises(InvalidValue, match="cannot be merged with itself"):
        merge.merge(db, cid, cid)
