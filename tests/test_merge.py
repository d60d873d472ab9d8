"""customers dupes and merge: likely pairs found; a merge moves everything, loses nothing."""

from __future__ import annotations

import json

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
        "INSERT INTO tier_runs (id, rule, params, window, as_of, created_at)"
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
